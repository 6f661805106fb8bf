using System.Globalization;

namespace NativeSftp.Sftp.Protocol;

/// <summary>SFTP packet type numbers, draft-ietf-secsh-filexfer-02 §3 (version 3).</summary>
internal static class SftpPacketType
{
    // Client to server.
    public const byte Init = 1;
    public const byte Open = 3;
    public const byte Close = 4;
    public const byte Read = 5;
    public const byte Write = 6;
    public const byte Lstat = 7;
    public const byte Fstat = 8;
    public const byte Setstat = 9;
    public const byte Fsetstat = 10;
    public const byte Opendir = 11;
    public const byte Readdir = 12;
    public const byte Remove = 13;
    public const byte Mkdir = 14;
    public const byte Rmdir = 15;
    public const byte Realpath = 16;
    public const byte Stat = 17;
    public const byte Rename = 18;
    public const byte Readlink = 19;
    public const byte Symlink = 20;
    public const byte Extended = 200;

    // Server to client.
    public const byte Version = 2;
    public const byte Status = 101;
    public const byte Handle = 102;
    public const byte Data = 103;
    public const byte Name = 104;
    public const byte Attrs = 105;
    public const byte ExtendedReply = 201;

    /// <summary>The draft's name without the SSH_FXP_ prefix ("OPEN"), or the number for a type v3 does not define.</summary>
    public static string NameOf(byte type) => type switch
    {
        Init => "INIT",
        Version => "VERSION",
        Open => "OPEN",
        Close => "CLOSE",
        Read => "READ",
        Write => "WRITE",
        Lstat => "LSTAT",
        Fstat => "FSTAT",
        Setstat => "SETSTAT",
        Fsetstat => "FSETSTAT",
        Opendir => "OPENDIR",
        Readdir => "READDIR",
        Remove => "REMOVE",
        Mkdir => "MKDIR",
        Rmdir => "RMDIR",
        Realpath => "REALPATH",
        Stat => "STAT",
        Rename => "RENAME",
        Readlink => "READLINK",
        Symlink => "SYMLINK",
        Status => "STATUS",
        Handle => "HANDLE",
        Data => "DATA",
        Name => "NAME",
        Attrs => "ATTRS",
        Extended => "EXTENDED",
        ExtendedReply => "EXTENDED_REPLY",
        _ => type.ToString(CultureInfo.InvariantCulture),
    };
}
