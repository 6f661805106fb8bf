using System.Buffers;

namespace NativeSftp.Sftp.Protocol.Extensions;

/// <summary>fsync@openssh.com (OpenSSH PROTOCOL §4): <c>string handle</c>; fsync(2) on the open file. Answered by STATUS.</summary>
internal static class SftpFsync
{
    public static void Write(IBufferWriter<byte> output, uint requestId, ReadOnlySpan<byte> handle)
    {
        var w = SftpExtended.Begin(output, requestId, SftpExtensionNames.Fsync, SftpPacketWriter.HandleSize(handle));
        w.WriteString(handle);
        w.Finish();
    }
}
