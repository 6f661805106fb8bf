namespace NativeSftp.Sftp.Protocol;

/// <summary>SSH_FXP_OPEN pflags, draft-ietf-secsh-filexfer-02 §6.3.</summary>
[Flags]
public enum SftpOpenFlags : uint
{
    None = 0,
    Read = 0x00000001,
    Write = 0x00000002,
    Append = 0x00000004,
    Create = 0x00000008,
    Truncate = 0x00000010,
    /// <summary>Fail if the file exists; the draft requires <see cref="Create"/> with it.</summary>
    Exclusive = 0x00000020,
}

/// <summary>Maps .NET's <see cref="FileMode"/>/<see cref="FileAccess"/> onto pflags, with FileStream's meaning and its refusals.</summary>
public static class SftpOpenFlagsMapping
{
    public static SftpOpenFlags FromFileMode(FileMode mode, FileAccess access)
    {
        SftpOpenFlags rw = access switch
        {
            FileAccess.Read => SftpOpenFlags.Read,
            FileAccess.Write => SftpOpenFlags.Write,
            FileAccess.ReadWrite => SftpOpenFlags.Read | SftpOpenFlags.Write,
            _ => throw new ArgumentOutOfRangeException(nameof(access), access, "unknown FileAccess"),
        };

        // FileStream refuses these combinations (a mode that changes the file with read-only access, and Append
        // with anything but write-only access); refusing them here keeps the remote meaning the local one.
        bool writes = (access & FileAccess.Write) != 0;
        switch (mode)
        {
            case FileMode.CreateNew when writes:
                return rw | SftpOpenFlags.Create | SftpOpenFlags.Exclusive;
            case FileMode.Create when writes:
                return rw | SftpOpenFlags.Create | SftpOpenFlags.Truncate;
            case FileMode.Open:
                return rw;
            case FileMode.OpenOrCreate:
                return rw | SftpOpenFlags.Create;
            case FileMode.Truncate when writes:
                return rw | SftpOpenFlags.Truncate;
            case FileMode.Append when access == FileAccess.Write:
                return SftpOpenFlags.Write | SftpOpenFlags.Append | SftpOpenFlags.Create;
            case FileMode.CreateNew or FileMode.Create or FileMode.Truncate or FileMode.Append:
                throw new ArgumentException($"FileMode.{mode} cannot be combined with FileAccess.{access}", nameof(access));
            default:
                throw new ArgumentOutOfRangeException(nameof(mode), mode, "unknown FileMode");
        }
    }
}
