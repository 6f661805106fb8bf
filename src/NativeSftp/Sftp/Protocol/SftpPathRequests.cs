using System.Buffers;

namespace NativeSftp.Sftp.Protocol;

/// <summary>SSH_FXP_LSTAT (draft-ietf-secsh-filexfer-02 §6.8): <c>uint32 id, string path</c>; does not follow a final symlink.</summary>
internal static class SftpLstat
{
    public static void Write(IBufferWriter<byte> output, uint requestId, SftpPath path) =>
        SftpRequestLayouts.WritePath(output, SftpPacketType.Lstat, requestId, path);
}

/// <summary>SSH_FXP_STAT (§6.8): <c>uint32 id, string path</c>; follows symlinks.</summary>
internal static class SftpStat
{
    public static void Write(IBufferWriter<byte> output, uint requestId, SftpPath path) =>
        SftpRequestLayouts.WritePath(output, SftpPacketType.Stat, requestId, path);
}

/// <summary>SSH_FXP_OPENDIR (§6.7): <c>uint32 id, string path</c>; answered by HANDLE.</summary>
internal static class SftpOpendir
{
    public static void Write(IBufferWriter<byte> output, uint requestId, SftpPath path) =>
        SftpRequestLayouts.WritePath(output, SftpPacketType.Opendir, requestId, path);
}

/// <summary>SSH_FXP_REMOVE (§6.5): <c>uint32 id, string filename</c>.</summary>
internal static class SftpRemove
{
    public static void Write(IBufferWriter<byte> output, uint requestId, SftpPath path) =>
        SftpRequestLayouts.WritePath(output, SftpPacketType.Remove, requestId, path);
}

/// <summary>SSH_FXP_RMDIR (§6.6): <c>uint32 id, string path</c>.</summary>
internal static class SftpRmdir
{
    public static void Write(IBufferWriter<byte> output, uint requestId, SftpPath path) =>
        SftpRequestLayouts.WritePath(output, SftpPacketType.Rmdir, requestId, path);
}

/// <summary>SSH_FXP_REALPATH (§6.11): <c>uint32 id, string path</c>; answered by a NAME with one entry.</summary>
internal static class SftpRealpath
{
    public static void Write(IBufferWriter<byte> output, uint requestId, SftpPath path) =>
        SftpRequestLayouts.WritePath(output, SftpPacketType.Realpath, requestId, path);
}

/// <summary>SSH_FXP_READLINK (§6.10): <c>uint32 id, string path</c>; answered by a NAME with one entry.</summary>
internal static class SftpReadlink
{
    public static void Write(IBufferWriter<byte> output, uint requestId, SftpPath path) =>
        SftpRequestLayouts.WritePath(output, SftpPacketType.Readlink, requestId, path);
}
