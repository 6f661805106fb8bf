using System.Buffers;

namespace NativeSftp.Sftp.Protocol.Extensions;

/// <summary>
/// expand-path@openssh.com (OpenSSH PROTOCOL §4.9): <c>string path</c>, expanded like a shell would expand a
/// leading "~" or "~user", then canonicalised. Answered by a NAME with one entry (parse with
/// <see cref="SftpName.ReadSingle"/>).
/// </summary>
internal static class SftpExpandPath
{
    public static void Write(IBufferWriter<byte> output, uint requestId, SftpPath path)
    {
        var w = SftpExtended.Begin(output, requestId, SftpExtensionNames.ExpandPath, SftpPacketWriter.StringSize(path));
        w.WritePath(path);
        w.Finish();
    }
}

/// <summary>
/// home-directory (draft-ietf-secsh-filexfer-extensions-00 §5): <c>string username</c> (empty for the session's
/// own user). Answered by a NAME with one entry.
/// </summary>
internal static class SftpHomeDirectory
{
    public static void Write(IBufferWriter<byte> output, uint requestId, string userName)
    {
        ArgumentNullException.ThrowIfNull(userName);
        var w = SftpExtended.Begin(output, requestId, SftpExtensionNames.HomeDirectory, SftpPacketWriter.StringSize(userName));
        w.WritePath(userName);
        w.Finish();
    }
}
