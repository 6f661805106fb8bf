using System.Buffers;

namespace NativeSftp.Sftp.Protocol;

/// <summary>
/// SSH_FXP_INIT (draft-ietf-secsh-filexfer-02 §4): <c>uint32 length, byte 1, uint32 version</c>. The draft lets
/// the client list extensions after the version; we list none (servers announce theirs in VERSION).
/// </summary>
internal static class SftpInit
{
    public static void Write(IBufferWriter<byte> output)
    {
        var w = SftpPacketWriter.Begin(output, SftpPacketType.Init, SftpProtocolLimits.ProtocolVersion, 0);
        w.Finish();
    }
}
