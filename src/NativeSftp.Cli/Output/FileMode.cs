using System.Globalization;
using NativeSftp.Sftp.Protocol;

namespace NativeSftp.Cli.Output;

/// <summary>POSIX st_mode as ls prints it. SFTP v3 carries the whole st_mode in its permissions field
/// (draft-ietf-secsh-filexfer-02 §5), so the file type bits come with it.</summary>
public static class FileMode
{
    private const uint TypeMask = 0xF000;        // S_IFMT
    private const uint Socket = 0xC000;          // S_IFSOCK
    private const uint Link = 0xA000;            // S_IFLNK
    private const uint Regular = 0x8000;         // S_IFREG
    private const uint BlockDevice = 0x6000;     // S_IFBLK
    private const uint Directory = 0x4000;       // S_IFDIR
    private const uint CharDevice = 0x2000;      // S_IFCHR
    private const uint Fifo = 0x1000;            // S_IFIFO
    private const uint SetUid = 0x800;           // S_ISUID (04000)
    private const uint SetGid = 0x400;           // S_ISGID (02000)
    private const uint Sticky = 0x200;           // S_ISVTX (01000)
    private const uint PermissionMask = 0xFFF;   // 07777: permissions with the set-id and sticky bits

    public static char TypeChar(uint mode) => (mode & TypeMask) switch
    {
        Directory => 'd',
        Link => 'l',
        Socket => 's',
        BlockDevice => 'b',
        CharDevice => 'c',
        Fifo => 'p',
        _ => '-',
    };

    public static string TypeName(uint? mode) => mode is not uint m ? "unknown" : (m & TypeMask) switch
    {
        Directory => "directory",
        Link => "symbolic link",
        Socket => "socket",
        BlockDevice => "block device",
        CharDevice => "character device",
        Fifo => "fifo",
        Regular => "regular file",
        _ => "unknown",
    };

    /// <summary>"drwxr-xr-x", with s/S and t/T for the set-id and sticky bits, as ls(1) prints them.</summary>
    public static string ToText(uint? mode)
    {
        if (mode is not uint m)
        {
            return "??????????";
        }

        Span<char> c = stackalloc char[10];
        c[0] = TypeChar(m);
        Triplet(c[1..4], m >> 6, (m & SetUid) != 0, 's');
        Triplet(c[4..7], m >> 3, (m & SetGid) != 0, 's');
        Triplet(c[7..10], m, (m & Sticky) != 0, 't');
        return new string(c);
    }

    /// <summary>"0755" (four octal digits: the set-id and sticky bits, then owner, group, other).</summary>
    public static string ToOctal(uint? mode) =>
        mode is uint m ? Convert.ToString(m & PermissionMask, 8).PadLeft(4, '0') : "unknown";

    public static string Type(SftpAttributes attributes)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        return TypeName(attributes.Permissions);
    }

    public static string Iso(DateTimeOffset? time) =>
        time is { } t ? t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture) : "unknown";

    private static void Triplet(Span<char> c, uint bits, bool special, char specialChar)
    {
        c[0] = (bits & 4) != 0 ? 'r' : '-';
        c[1] = (bits & 2) != 0 ? 'w' : '-';
        bool x = (bits & 1) != 0;
        c[2] = special ? (x ? specialChar : char.ToUpperInvariant(specialChar)) : (x ? 'x' : '-');
    }
}
