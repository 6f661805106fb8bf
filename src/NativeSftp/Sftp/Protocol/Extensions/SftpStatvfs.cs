using System.Buffers;

namespace NativeSftp.Sftp.Protocol.Extensions;

/// <summary>The statvfs(3) fields a statvfs@openssh.com / fstatvfs@openssh.com reply carries, in wire order.</summary>
public sealed record SftpFileSystemInfo(
    ulong BlockSize,
    ulong FragmentSize,
    ulong Blocks,
    ulong FreeBlocks,
    ulong AvailableBlocks,
    ulong Files,
    ulong FreeFiles,
    ulong AvailableFiles,
    ulong FileSystemId,
    ulong Flags,
    ulong MaxNameLength)
{
    /// <summary>SSH_FXE_STATVFS_ST_RDONLY (OpenSSH PROTOCOL §4.4).</summary>
    public const ulong ReadOnlyFlag = 0x1;
    /// <summary>SSH_FXE_STATVFS_ST_NOSUID.</summary>
    public const ulong NoSuidFlag = 0x2;

    public bool IsReadOnly => (Flags & ReadOnlyFlag) != 0;

    /// <summary>Bytes available to an unprivileged user: f_bavail blocks of f_frsize bytes (saturating, never wraps).</summary>
    public ulong AvailableBytes => FragmentSize != 0 && AvailableBlocks > ulong.MaxValue / FragmentSize ? ulong.MaxValue : AvailableBlocks * FragmentSize;
}

/// <summary>
/// statvfs@openssh.com (<c>string path</c>) and fstatvfs@openssh.com (<c>string handle</c>), OpenSSH PROTOCOL
/// §4.4. Answered by STATUS on failure, otherwise EXTENDED_REPLY with 11 uint64 fields.
/// </summary>
internal static class SftpStatvfs
{
    /// <summary>f_bsize .. f_namemax: 11 fields of 8 bytes = 88 bytes, and nothing after them.</summary>
    private const int FieldCount = 11;

    public static void Write(IBufferWriter<byte> output, uint requestId, SftpPath path)
    {
        var w = SftpExtended.Begin(output, requestId, SftpExtensionNames.Statvfs, SftpPacketWriter.StringSize(path));
        w.WritePath(path);
        w.Finish();
    }

    public static void WriteForHandle(IBufferWriter<byte> output, uint requestId, ReadOnlySpan<byte> handle)
    {
        var w = SftpExtended.Begin(output, requestId, SftpExtensionNames.Fstatvfs, SftpPacketWriter.HandleSize(handle));
        w.WriteString(handle);
        w.Finish();
    }

    /// <summary>Parses the EXTENDED_REPLY body (after the request id).</summary>
    public static SftpFileSystemInfo ReadReply(ReadOnlySpan<byte> body)
    {
        Span<ulong> f = stackalloc ulong[FieldCount];
        SftpExtendedReply.ReadUInt64Fields(body, f, "SFTP statvfs reply");
        return new SftpFileSystemInfo(f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10]);
    }
}
