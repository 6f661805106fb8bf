using System.Buffers;

namespace NativeSftp.Sftp.Protocol.Extensions;

/// <summary>
/// posix-rename@openssh.com (OpenSSH PROTOCOL §4.3): <c>string oldpath, string newpath</c>; rename(2)
/// semantics, so an existing target is replaced atomically. Answered by STATUS.
/// </summary>
internal static class SftpPosixRename
{
    public static void Write(IBufferWriter<byte> output, uint requestId, SftpPath oldPath, SftpPath newPath) =>
        SftpPathPair.Write(output, requestId, SftpExtensionNames.PosixRename, oldPath, newPath);
}

/// <summary>hardlink@openssh.com (OpenSSH PROTOCOL §4): <c>string oldpath, string newpath</c>; link(2). Answered by STATUS.</summary>
internal static class SftpHardlink
{
    public static void Write(IBufferWriter<byte> output, uint requestId, SftpPath oldPath, SftpPath newPath) =>
        SftpPathPair.Write(output, requestId, SftpExtensionNames.Hardlink, oldPath, newPath);
}

internal static class SftpPathPair
{
    public static void Write(IBufferWriter<byte> output, uint requestId, string name, SftpPath first, SftpPath second)
    {
        var w = SftpExtended.Begin(output, requestId, name, SftpPacketWriter.StringSize(first) + SftpPacketWriter.StringSize(second));
        w.WritePath(first);
        w.WritePath(second);
        w.Finish();
    }
}
