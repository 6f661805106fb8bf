using System.Buffers;

namespace NativeSftp.Sftp.Protocol;

/// <summary>
/// SSH_FXP_SYMLINK. The draft (§6.10) orders the fields <c>linkpath, targetpath</c>, but OpenSSH's sftp-server
/// shipped them reversed and kept it for compatibility (OpenSSH PROTOCOL §4.1): <c>uint32 id, string targetpath,
/// string linkpath</c>. Nearly every v3 server follows OpenSSH, so we write that order; callers name the fields,
/// so the swap lives here and nowhere else.
/// </summary>
internal static class SftpSymlink
{
    /// <summary>Creates <paramref name="linkPath"/> pointing at <paramref name="targetPath"/> (stored as given, not resolved).</summary>
    public static void Write(IBufferWriter<byte> output, uint requestId, SftpPath linkPath, SftpPath targetPath) =>
        SftpRequestLayouts.WriteTwoPaths(output, SftpPacketType.Symlink, requestId, targetPath, linkPath);
}
