using System.Globalization;

namespace NativeSftp.Sftp.Protocol;

/// <summary>SSH_FXP_STATUS error codes, draft-ietf-secsh-filexfer-02 §7. Servers may send others; keep the raw number.</summary>
public enum SftpStatusCode : uint
{
    Ok = 0,
    Eof = 1,
    NoSuchFile = 2,
    PermissionDenied = 3,
    Failure = 4,
    BadMessage = 5,
    NoConnection = 6,
    ConnectionLost = 7,
    OpUnsupported = 8,
}

/// <summary>Display names for <see cref="SftpStatusCode"/> as the draft spells them.</summary>
public static class SftpStatusCodes
{
    /// <summary>"SSH_FX_NO_SUCH_FILE" for a v3 code; the decimal number for any other (later drafts define more).</summary>
    public static string Name(SftpStatusCode code) => code switch
    {
        SftpStatusCode.Ok => "SSH_FX_OK",
        SftpStatusCode.Eof => "SSH_FX_EOF",
        SftpStatusCode.NoSuchFile => "SSH_FX_NO_SUCH_FILE",
        SftpStatusCode.PermissionDenied => "SSH_FX_PERMISSION_DENIED",
        SftpStatusCode.Failure => "SSH_FX_FAILURE",
        SftpStatusCode.BadMessage => "SSH_FX_BAD_MESSAGE",
        SftpStatusCode.NoConnection => "SSH_FX_NO_CONNECTION",
        SftpStatusCode.ConnectionLost => "SSH_FX_CONNECTION_LOST",
        SftpStatusCode.OpUnsupported => "SSH_FX_OP_UNSUPPORTED",
        _ => ((uint)code).ToString(CultureInfo.InvariantCulture),
    };
}
