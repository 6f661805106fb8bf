using System.Buffers;

namespace NativeSftp.Sftp.Protocol;

/// <summary>
/// SSH_FXP_READ (draft-ietf-secsh-filexfer-02 §6.4): <c>uint32 id, string handle, uint64 offset, uint32 len</c>.
/// Answered by DATA with at most <c>len</c> bytes (possibly fewer, not only at end of file) or STATUS EOF.
/// </summary>
internal static class SftpRead
{
    public static void Write(IBufferWriter<byte> output, uint requestId, ReadOnlySpan<byte> handle, ulong offset, uint length)
    {
        var w = SftpPacketWriter.Begin(output, SftpPacketType.Read, requestId, SftpPacketWriter.HandleSize(handle) + 8 + 4);
        w.WriteString(handle);
        w.WriteUInt64(offset);
        w.WriteUInt32(length);
        w.Finish();
    }
}
