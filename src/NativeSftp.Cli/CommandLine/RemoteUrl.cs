using System.Globalization;

namespace NativeSftp.Cli.CommandLine;

/// <summary>
/// <c>sftp://[user@]host[:port][/path]</c> as in draft-ietf-secsh-scp-sftp-ssh-uri-04 §6: the path is everything
/// after the authority, percent-decoded; <c>/~/x</c> (and an empty path) is relative to the login directory.
/// Host may be a bracketed IPv6 literal. Port, when present, is 1–65535. Nothing else is accepted: a typo must not
/// quietly become a different host or path.
/// </summary>
public sealed record RemoteUrl(string? User, string Host, int? Port, string Path)
{
    public const string Scheme = "sftp://";

    /// <summary>TCP ports are 16-bit (RFC 793 §3.1); 0 is not a port one can connect to.</summary>
    private const int MaxPort = 65535;

    /// <summary>True when the path must be resolved against the login directory (it is "", "~" or starts "~/").</summary>
    public bool IsHomeRelative => Path.Length == 0 || Path == "~" || Path.StartsWith("~/", StringComparison.Ordinal) || !Path.StartsWith('/');

    public static RemoteUrl Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!text.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            throw new UsageException($"'{text}' is not an sftp URL; expected sftp://[user@]host[:port]/path");
        }

        string rest = text[Scheme.Length..];
        int slash = rest.IndexOf('/', StringComparison.Ordinal);
        string authority = slash < 0 ? rest : rest[..slash];
        string rawPath = slash < 0 ? "" : rest[slash..];

        string? user = null;
        int at = authority.LastIndexOf('@');
        if (at >= 0)
        {
            user = Decode(authority[..at], text);
            // The draft allows ";fingerprint=..." connection parameters after the user; we take the fingerprint
            // from --host-key-fingerprint instead, so reject rather than ignore a pin the user thinks is active.
            if (user.Contains(';', StringComparison.Ordinal))
            {
                throw new UsageException($"'{text}': connection parameters in the URL are not supported; use --host-key-fingerprint");
            }

            if (user.Length == 0)
            {
                throw new UsageException($"'{text}': empty user name before '@'");
            }

            authority = authority[(at + 1)..];
        }

        string host;
        string? portText = null;
        if (authority.StartsWith('['))
        {
            int close = authority.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                throw new UsageException($"'{text}': unclosed '[' in the host");
            }

            host = authority[1..close];
            string after = authority[(close + 1)..];
            if (after.Length > 0)
            {
                portText = after.StartsWith(':') ? after[1..] : throw new UsageException($"'{text}': unexpected '{after}' after the host");
            }
        }
        else
        {
            int colon = authority.IndexOf(':', StringComparison.Ordinal);
            host = colon < 0 ? authority : authority[..colon];
            portText = colon < 0 ? null : authority[(colon + 1)..];
        }

        if (host.Length == 0)
        {
            throw new UsageException($"'{text}': no host; expected sftp://[user@]host[:port]/path");
        }

        if (host.AsSpan().IndexOfAny(" \t/\\?#") >= 0)
        {
            throw new UsageException($"'{text}': '{host}' is not a host name");
        }

        int? port = null;
        if (portText is not null)
        {
            if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out int p) || p < 1 || p > MaxPort)
            {
                throw new UsageException($"'{text}': port '{portText}' is not a number from 1 to {MaxPort}");
            }

            port = p;
        }

        string path = Decode(rawPath, text);
        // "/~" and "/~/x" name the login directory (draft §6); "/" + anything else is absolute.
        if (path == "/~" || path.StartsWith("/~/", StringComparison.Ordinal))
        {
            path = path[1..];
        }

        return new RemoteUrl(user, host, port, path);
    }

    /// <summary>The URL for messages (no password is ever part of it).</summary>
    public override string ToString() =>
        Scheme + (User is null ? "" : User + "@") + (Host.Contains(':', StringComparison.Ordinal) ? "[" + Host + "]" : Host) +
        (Port is int p ? ":" + p.ToString(CultureInfo.InvariantCulture) : "") + (Path.StartsWith('/') ? Path : "/" + Path);

    private static string Decode(string part, string whole)
    {
        try
        {
            string decoded = Uri.UnescapeDataString(part);
            if (decoded.Contains('\0', StringComparison.Ordinal))
            {
                throw new UsageException($"'{whole}': a NUL character is not allowed in a URL");
            }

            return decoded;
        }
        catch (UriFormatException e)
        {
            throw new UsageException($"'{whole}': {e.Message}");
        }
    }
}
