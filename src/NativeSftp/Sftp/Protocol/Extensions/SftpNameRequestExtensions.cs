using System.Buffers;

namespace NativeSftp.Sftp.Protocol.Extensions;

/// <summary>
/// expand-path@openssh.com (OpenSSH PROTOCOL §4): <c>string path</c>, with a leading "~user" expanded from the
/// passwd entry and a leading "~" or "~/" from the server's starting directory (the login's home under sshd),
/// then canonicalised like REALPATH. Answered by a NAME with one entry (parse with
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
/// home-directory (draft-ietf-secsh-filexfer-extensions-00): <c>string username</c>. Answered by a NAME with
/// one entry. OpenSSH looks the name up with getpwnam(3), so an empty name fails with SSH_FX_FAILURE rather than
/// meaning "me": send the login name, or use expand-path@openssh.com with "~" for our own home.
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
