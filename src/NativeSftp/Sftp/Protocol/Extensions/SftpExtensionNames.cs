namespace NativeSftp.Sftp.Protocol.Extensions;

/// <summary>
/// Extension request names as servers announce them in VERSION, with the version number OpenSSH announces
/// where it matters (OpenSSH PROTOCOL §4; draft-ietf-secsh-filexfer-extensions-00 for check-file, copy-data,
/// home-directory).
/// </summary>
internal static class SftpExtensionNames
{
    public const string PosixRename = "posix-rename@openssh.com";      // "1"
    public const string Statvfs = "statvfs@openssh.com";               // "2"
    public const string Fstatvfs = "fstatvfs@openssh.com";             // "2"
    public const string Hardlink = "hardlink@openssh.com";             // "1"
    public const string Fsync = "fsync@openssh.com";                   // "1"
    public const string Lsetstat = "lsetstat@openssh.com";             // "1"
    public const string UsersGroupsById = "users-groups-by-id@openssh.com"; // "1"
    public const string Limits = "limits@openssh.com";                 // "1"
    public const string ExpandPath = "expand-path@openssh.com";        // "1"
    public const string CopyData = "copy-data";                        // "1"
    public const string HomeDirectory = "home-directory";              // "1"
    public const string CheckFileHandle = "check-file-handle";
    public const string CheckFileName = "check-file-name";

    /// <summary>The first field of a check-file EXTENDED_REPLY.</summary>
    public const string CheckFileReply = "check-file";
}
