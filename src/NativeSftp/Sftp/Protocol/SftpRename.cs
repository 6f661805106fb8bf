using System.Buffers;

namespace NativeSftp.Sftp.Protocol;

/// <summary>
/// SSH_FXP_RENAME (draft-ietf-secsh-filexfer-02 §6.5): <c>uint32 id, string oldpath, string newpath</c>. v3 has
/// no flags; OpenSSH refuses to replace an existing target (use posix-rename@openssh.com for that).
/// </summary>
internal static class SftpRename
{
    public static void Write(IBufferWriter<byte> output, uint requestId, SftpPath oldPath, SftpPath newPath) =>
        SftpRequestLayouts.WriteTwoPaths(output, SftpPacketType.Rename, requestId, oldPath, newPath);
}
