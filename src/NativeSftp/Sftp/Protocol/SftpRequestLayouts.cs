using System.Buffers;

namespace NativeSftp.Sftp.Protocol;

/// <summary>The two request layouts many packet kinds share: id + one path, and id + one handle.</summary>
internal static class SftpRequestLayouts
{
    /// <summary>uint32 id, string path.</summary>
    public static void WritePath(IBufferWriter<byte> output, byte type, uint requestId, SftpPath path)
    {
        var w = SftpPacketWriter.Begin(output, type, requestId, SftpPacketWriter.StringSize(path));
        w.WritePath(path);
        w.Finish();
    }

    /// <summary>uint32 id, string handle.</summary>
    public static void WriteHandle(IBufferWriter<byte> output, byte type, uint requestId, ReadOnlySpan<byte> handle)
    {
        var w = SftpPacketWriter.Begin(output, type, requestId, SftpPacketWriter.HandleSize(handle));
        w.WriteString(handle);
        w.Finish();
    }

    /// <summary>uint32 id, string oldpath, string newpath (RENAME; also SYMLINK in OpenSSH's order).</summary>
    public static void WriteTwoPaths(IBufferWriter<byte> output, byte type, uint requestId, SftpPath first, SftpPath second)
    {
        var w = SftpPacketWriter.Begin(output, type, requestId, SftpPacketWriter.StringSize(first) + SftpPacketWriter.StringSize(second));
        w.WritePath(first);
        w.WritePath(second);
        w.Finish();
    }
}
