using System.Buffers.Binary;
using System.Globalization;
using NativeSftp.Wire;

namespace NativeSftp.Sftp.Protocol;

/// <summary>ATTRS flag bits, draft-ietf-secsh-filexfer-02 §5. Version 3 defines no others.</summary>
[Flags]
public enum SftpAttributeFlags : uint
{
    None = 0,
    Size = 0x00000001,
    UidGid = 0x00000002,
    Permissions = 0x00000004,
    AccessModifyTime = 0x00000008,
    Extended = 0x80000000,
}

/// <summary>One extended attribute pair (draft-ietf-secsh-filexfer-02 §5: string type, string data).</summary>
public sealed record SftpExtendedAttribute(string Type, byte[] Data);

/// <summary>
/// The ATTRS structure of draft-ietf-secsh-filexfer-02 §5. A field is present on the wire when its property is
/// non-null; the flags are derived from which are set, so they can never disagree with the fields.
/// </summary>
public sealed class SftpAttributes
{
    /// <summary>Every flag v3 defines. Any other bit means a field we cannot skip (its size is unknown): reject.</summary>
    internal const SftpAttributeFlags KnownFlags = SftpAttributeFlags.Size | SftpAttributeFlags.UidGid |
        SftpAttributeFlags.Permissions | SftpAttributeFlags.AccessModifyTime | SftpAttributeFlags.Extended;

    /// <summary>The smallest extended pair: two empty strings, 4 + 4 bytes. Bounds the count before allocating.</summary>
    private const int MinExtendedPairSize = 4 + 4;

    // POSIX st_mode file-type bits (sys/stat.h), which OpenSSH sends unchanged in the permissions field.
    private const uint FileTypeMask = 0xF000; // S_IFMT   0170000
    private const uint DirectoryType = 0x4000; // S_IFDIR  0040000
    private const uint RegularType = 0x8000; // S_IFREG  0100000
    private const uint SymbolicLinkType = 0xA000; // S_IFLNK  0120000

    public ulong? Size { get; set; }
    /// <summary>Set together with <see cref="Gid"/>: the wire has one flag for both.</summary>
    public uint? Uid { get; set; }
    public uint? Gid { get; set; }
    /// <summary>POSIX st_mode: file type bits and permission bits.</summary>
    public uint? Permissions { get; set; }
    /// <summary>Seconds since 1970-01-01 UTC. Set together with <see cref="ModifyTime"/>: the wire has one flag for both.</summary>
    public uint? AccessTime { get; set; }
    public uint? ModifyTime { get; set; }
    /// <summary>Null when the EXTENDED flag is absent; an empty list when it is present with count 0.</summary>
    public IReadOnlyList<SftpExtendedAttribute>? Extended { get; set; }

    public SftpAttributeFlags Flags =>
        (Size is null ? 0 : SftpAttributeFlags.Size) |
        (Uid is null && Gid is null ? 0 : SftpAttributeFlags.UidGid) |
        (Permissions is null ? 0 : SftpAttributeFlags.Permissions) |
        (AccessTime is null && ModifyTime is null ? 0 : SftpAttributeFlags.AccessModifyTime) |
        (Extended is null ? 0 : SftpAttributeFlags.Extended);

    public bool IsDirectory => HasFileType(DirectoryType);
    public bool IsRegularFile => HasFileType(RegularType);
    public bool IsSymbolicLink => HasFileType(SymbolicLinkType);

    public DateTimeOffset? LastAccessTime => AccessTime is uint t ? DateTimeOffset.FromUnixTimeSeconds(t) : null;
    public DateTimeOffset? LastWriteTime => ModifyTime is uint t ? DateTimeOffset.FromUnixTimeSeconds(t) : null;

    /// <summary>Sets both times (the wire carries them as a pair), truncated to whole seconds.</summary>
    public void SetTimes(DateTimeOffset lastAccess, DateTimeOffset lastWrite)
    {
        AccessTime = ToUnixSeconds(lastAccess);
        ModifyTime = ToUnixSeconds(lastWrite);
    }

    /// <summary>v3 times are uint32 seconds: 1970-01-01 up to 2106-02-07 06:28:15 UTC.</summary>
    public static uint ToUnixSeconds(DateTimeOffset time)
    {
        long seconds = time.ToUnixTimeSeconds();
        if (seconds < 0 || seconds > uint.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(time), time, "SFTP v3 times are unsigned 32-bit seconds since 1970 (1970-01-01 to 2106-02-07)");
        }

        return (uint)seconds;
    }

    private bool HasFileType(uint type) => Permissions is uint p && (p & FileTypeMask) == type;

    /// <summary>Bytes <see cref="WriteTo"/> will produce.</summary>
    public int EncodedLength
    {
        get
        {
            Validate();
            int n = 4;
            if (Size is not null) { n += 8; }
            if (Uid is not null) { n += 8; }
            if (Permissions is not null) { n += 4; }
            if (AccessTime is not null) { n += 8; }
            if (Extended is not null)
            {
                n += 4;
                foreach (var e in Extended)
                {
                    n += MinExtendedPairSize + SshReader.StrictUtf8.GetByteCount(e.Type) + e.Data.Length;
                }
            }

            return n;
        }
    }

    /// <summary>Writes the structure into <paramref name="destination"/> and returns the bytes written.</summary>
    internal int WriteTo(Span<byte> destination)
    {
        Validate();
        int p = 0;
        BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)Flags);
        p += 4;
        if (Size is ulong size)
        {
            BinaryPrimitives.WriteUInt64BigEndian(destination[p..], size);
            p += 8;
        }

        if (Uid is uint uid && Gid is uint gid)
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination[p..], uid);
            BinaryPrimitives.WriteUInt32BigEndian(destination[(p + 4)..], gid);
            p += 8;
        }

        if (Permissions is uint perms)
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination[p..], perms);
            p += 4;
        }

        if (AccessTime is uint atime && ModifyTime is uint mtime)
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination[p..], atime);
            BinaryPrimitives.WriteUInt32BigEndian(destination[(p + 4)..], mtime);
            p += 8;
        }

        if (Extended is not null)
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination[p..], (uint)Extended.Count);
            p += 4;
            foreach (var e in Extended)
            {
                int n = SshReader.StrictUtf8.GetBytes(e.Type, destination[(p + 4)..]);
                BinaryPrimitives.WriteUInt32BigEndian(destination[p..], (uint)n);
                p += 4 + n;
                BinaryPrimitives.WriteUInt32BigEndian(destination[p..], (uint)e.Data.Length);
                e.Data.CopyTo(destination[(p + 4)..]);
                p += 4 + e.Data.Length;
            }
        }

        return p;
    }

    private void Validate()
    {
        if ((Uid is null) != (Gid is null))
        {
            throw new InvalidOperationException("SFTP v3 sends uid and gid together: set both or neither");
        }

        if ((AccessTime is null) != (ModifyTime is null))
        {
            throw new InvalidOperationException("SFTP v3 sends atime and mtime together: set both or neither");
        }
    }

    /// <summary>Reads one ATTRS structure. Unknown flag bits are a protocol error: v3 gives them no size to skip.</summary>
    internal static SftpAttributes Read(ref SshReader reader)
    {
        var flags = (SftpAttributeFlags)reader.ReadUInt32();
        if ((flags & ~KnownFlags) != 0)
        {
            throw new SshProtocolException(DisconnectReason.ProtocolError, string.Create(CultureInfo.InvariantCulture,
                $"SFTP ATTRS with flag bits 0x{(uint)(flags & ~KnownFlags):x8} that version 3 does not define"));
        }

        var a = new SftpAttributes();
        if ((flags & SftpAttributeFlags.Size) != 0)
        {
            a.Size = reader.ReadUInt64();
        }

        if ((flags & SftpAttributeFlags.UidGid) != 0)
        {
            a.Uid = reader.ReadUInt32();
            a.Gid = reader.ReadUInt32();
        }

        if ((flags & SftpAttributeFlags.Permissions) != 0)
        {
            a.Permissions = reader.ReadUInt32();
        }

        if ((flags & SftpAttributeFlags.AccessModifyTime) != 0)
        {
            a.AccessTime = reader.ReadUInt32();
            a.ModifyTime = reader.ReadUInt32();
        }

        if ((flags & SftpAttributeFlags.Extended) != 0)
        {
            uint count = reader.ReadUInt32();
            if (count > (uint)(reader.Remaining / MinExtendedPairSize))
            {
                throw new SshProtocolException(DisconnectReason.ProtocolError, string.Create(CultureInfo.InvariantCulture,
                    $"SFTP ATTRS claims {count} extended pairs but only {reader.Remaining} bytes follow"));
            }

            var list = new SftpExtendedAttribute[count];
            for (int i = 0; i < list.Length; i++)
            {
                string type = reader.ReadUtf8();
                list[i] = new SftpExtendedAttribute(type, reader.ReadStringAsArray());
            }

            a.Extended = list;
        }

        return a;
    }

    /// <summary>Parses a complete ATTRS reply body (after the request id): the structure and nothing after it.</summary>
    public static SftpAttributes ReadReply(ReadOnlySpan<byte> body)
    {
        var reader = new SshReader(body);
        var a = Read(ref reader);
        reader.EnsureAtEnd("SFTP ATTRS reply");
        return a;
    }
}
