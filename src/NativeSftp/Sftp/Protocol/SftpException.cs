using System.Globalization;
using System.Text;
using NativeSftp.Sftp.Protocol;

namespace NativeSftp;

/// <summary>
/// The server answered a request with a non-OK SSH_FXP_STATUS. The connection and the SFTP session are still
/// fine; only this request failed. The message reads like
/// <c>OPEN /x/y failed: SSH_FX_NO_SUCH_FILE (2): No such file</c>.
/// </summary>
public class SftpException : SshException
{
    /// <summary>
    /// Longest server message kept (OpenSSH's are under 40 characters); a hostile server cannot flood logs
    /// through an exception message.
    /// </summary>
    internal const int MaxDisplayLength = 512;

    public SftpException(SftpStatusCode statusCode, string? serverMessage, string requestType, string? path, Exception? inner = null)
        : base(Format(statusCode, serverMessage, requestType, path), inner)
    {
        StatusCode = statusCode;
        ServerMessage = Sanitize(serverMessage ?? "");
        RequestType = requestType ?? throw new ArgumentNullException(nameof(requestType));
        Path = path;
    }

    public SftpStatusCode StatusCode { get; }

    /// <summary>"SSH_FX_NO_SUCH_FILE", or the number for a code v3 does not define.</summary>
    public string StatusName => SftpStatusCodes.Name(StatusCode);

    /// <summary>The server's error text, with control and formatting characters replaced so it is safe to display.</summary>
    public string ServerMessage { get; }

    /// <summary>The request that failed, as the draft names it without SSH_FXP_ ("OPEN", "posix-rename@openssh.com" for extensions).</summary>
    public string RequestType { get; }

    /// <summary>The path the request was about, as the caller gave it, when it had one.</summary>
    public string? Path { get; }

    private static string Format(SftpStatusCode code, string? serverMessage, string requestType, string? path)
    {
        var sb = new StringBuilder();
        sb.Append(Sanitize(requestType ?? "?"));
        if (path is not null)
        {
            sb.Append(' ').Append(Sanitize(path));
        }

        sb.Append(" failed: ").Append(SftpStatusCodes.Name(code));
        if (Enum.IsDefined(code))
        {
            sb.Append(CultureInfo.InvariantCulture, $" ({(uint)code})");
        }

        string message = Sanitize(serverMessage ?? "");
        if (message.Length > 0)
        {
            sb.Append(": ").Append(message);
        }

        return sb.ToString();
    }

    /// <summary>
    /// Replaces control characters (which could rewrite a terminal line or forge log lines) and Unicode format
    /// characters (bidi overrides that reorder what is shown) with '?', and cuts the text at
    /// <see cref="MaxDisplayLength"/> characters.
    /// </summary>
    internal static string Sanitize(string text)
    {
        int length = Math.Min(text.Length, MaxDisplayLength);
        if (length < text.Length && length > 0 && char.IsHighSurrogate(text[length - 1]))
        {
            length--; // never end on half a surrogate pair
        }

        var sb = new StringBuilder(length + 1);
        for (int i = 0; i < length; i++)
        {
            char c = text[i];
            var category = char.GetUnicodeCategory(c);
            bool unsafeChar = char.IsControl(c) || category == UnicodeCategory.Format ||
                category == UnicodeCategory.LineSeparator || category == UnicodeCategory.ParagraphSeparator;
            sb.Append(unsafeChar ? '?' : c);
        }

        if (length < text.Length)
        {
            sb.Append('…');
        }

        return sb.ToString();
    }
}
