using System.Security.Cryptography;
using NativeSftp.Crypto;
using NativeSftp.Crypto.HostKeys;

namespace NativeSftp.Auth.KnownHosts;

/// <summary>
/// Splits one known_hosts line the way OpenSSH's hostkeys_foreach_file and sshkey_read do:
/// <code>
/// [ws] [@marker ws] hosts ws keytype ws base64 [ws comment]
/// </code>
/// A blank line or one whose first non-blank character is <c>#</c> is a comment. Anything else that cannot be read
/// is reported with a reason and skipped; one bad line never spoils the rest of the file.
/// </summary>
internal static class KnownHostsLineParser
{
    public const string CertAuthorityMarker = "@cert-authority";
    public const string RevokedMarker = "@revoked";

    /// <summary>OpenSSH copies the marker into <c>char marker[32]</c>: at most 31 characters with the <c>@</c>.</summary>
    public const int MaxMarkerLength = 32 - 1;

    /// <summary>Parses one line. Returns the entry, or null with <paramref name="skipReason"/> set (null too for a comment).</summary>
    public static KnownHostsEntry? Parse(string file, int lineNumber, string line, out string? skipReason)
    {
        skipReason = null;

        // A CRLF file's '\r' is blank space to OpenSSH's base64 decoder; dropping it keeps such files working.
        var whole = line.AsSpan().TrimEnd('\r');

        // OpenSSH works on the line as a C string, so it ends at the first NUL...
        int nul = whole.IndexOf('\0');
        var rest = SkipBlanks(nul >= 0 ? whole[..nul] : whole);
        if (rest.IsEmpty || rest[0] == '#')
        {
            return null;
        }

        var marker = ReadMarker(ref rest, out skipReason);
        if (skipReason is not null)
        {
            return null;
        }

        int hostsEnd = IndexOfBlank(rest);
        string hosts = (hostsEnd < 0 ? rest : rest[..hostsEnd]).ToString();
        if (hostsEnd >= 0)
        {
            rest = rest[(hostsEnd + 1)..];
        }
        else if (nul >= 0)
        {
            // ...except that hostkeys_foreach_file steps over whatever ended the host field ("*cp2++ = '\0'"),
            // a NUL included, and reads on from there: "host<NUL> key" is a valid line to OpenSSH, and so to us.
            var after = whole[(nul + 1)..];
            int next = after.IndexOf('\0');
            rest = next >= 0 ? after[..next] : after;
        }
        else
        {
            rest = [];
        }

        rest = SkipBlanks(rest);

        HashedHostName? hashed = null;
        if (hosts[0] == HashedHostName.Delimiter)
        {
            hashed = HashedHostName.TryParse(hosts, out skipReason);
            if (hashed is null)
            {
                return null;
            }
        }

        if (rest.IsEmpty || rest[0] == '#')
        {
            skipReason = "no key after the host names";
            return null;
        }

        var key = ReadKey(ref rest, out bool usable, out skipReason);
        if (key is null)
        {
            return null;
        }

        return new KnownHostsEntry(file, lineNumber, marker, hosts, hashed, key, usable, SkipBlanks(rest).ToString());
    }

    /// <summary>
    /// OpenSSH's check_markers: the marker ends at the first space in the rest of the line (or, failing that, the
    /// first tab), must be exactly one of the two names (case matters), and only one may appear.
    /// </summary>
    private static KnownHostsMarker ReadMarker(ref ReadOnlySpan<char> rest, out string? error)
    {
        error = null;
        var marker = KnownHostsMarker.None;
        while (!rest.IsEmpty && rest[0] == '@')
        {
            if (marker != KnownHostsMarker.None)
            {
                error = "more than one marker";
                return marker;
            }

            int end = rest.IndexOf(' ');
            if (end < 0)
            {
                end = rest.IndexOf('\t');
            }

            if (end <= 1 || end > MaxMarkerLength)
            {
                error = "marker without a host list, or too long";
                return marker;
            }

            var name = rest[..end];
            if (name.SequenceEqual(CertAuthorityMarker))
            {
                marker = KnownHostsMarker.CertAuthority;
            }
            else if (name.SequenceEqual(RevokedMarker))
            {
                marker = KnownHostsMarker.Revoked;
            }
            else
            {
                error = $"unknown marker '{name.ToString()}'";
                return marker;
            }

            rest = SkipBlanks(rest[end..]);
        }

        if (marker != KnownHostsMarker.None && rest.IsEmpty)
        {
            error = "marker without a host list";
        }

        return marker;
    }

    /// <summary>sshkey_read: a type name, blanks, base64 of a blob whose own type is that name.</summary>
    private static SshPublicKey? ReadKey(ref ReadOnlySpan<char> rest, out bool usable, out string? error)
    {
        usable = false;
        int typeEnd = IndexOfBlank(rest);
        if (typeEnd < 0)
        {
            error = "no base64 key after the key type";
            return null;
        }

        string keyType = rest[..typeEnd].ToString();
        rest = SkipBlanks(rest[typeEnd..]);
        int b64End = IndexOfBlank(rest);
        var b64 = b64End < 0 ? rest : rest[..b64End];
        rest = b64End < 0 ? [] : rest[b64End..];
        if (b64.IsEmpty)
        {
            error = "no base64 key after the key type";
            return null;
        }

        // The line length limit bounds this buffer: base64 decodes to at most 3/4 of its length.
        byte[] blob = new byte[b64.Length / 4 * 3 + 3];
        if (!Convert.TryFromBase64Chars(b64, blob, out int blobLength))
        {
            error = "key is not valid base64";
            return null;
        }

        SshPublicKey key;
        try
        {
            key = new SshPublicKey(blob.AsSpan(0, blobLength));
        }
        catch (SshProtocolException e)
        {
            error = "key blob is malformed: " + e.Message;
            return null;
        }

        if (key.KeyType != keyType)
        {
            error = $"key type '{keyType}' does not match the blob's '{key.KeyType}'";
            return null;
        }

        usable = IsUsable(key, out string? refusal);
        if (!usable && refusal is not null)
        {
            // A type we know but a blob our parsers refuse (an ed25519 key of 31 bytes, a point off the curve):
            // OpenSSH's sshkey_read refuses these too, so the line is skipped rather than kept.
            error = refusal;
            return null;
        }

        error = null;
        return key;
    }

    /// <summary>
    /// True when our parsers accept the key. False with no refusal for a type we do not implement (kept, never
    /// matches); false with a refusal for a type we implement whose blob is broken.
    /// </summary>
    private static bool IsUsable(SshPublicKey key, out string? refusal)
    {
        refusal = null;
        bool isCertificate = SshCertificate.PlainKeyTypeOf(key.KeyType) is not null;
        if (!isCertificate && !VerifyingKey.IsKnownKeyType(key.KeyType))
        {
            return false;
        }

        try
        {
            if (isCertificate)
            {
                SshCertificate.Parse(key.Blob);
            }
            else
            {
                VerifyingKey.Parse(key.Blob);
            }

            return true;
        }
        catch (SshProtocolException e)
        {
            refusal = $"{key.KeyType} key is malformed: {e.Message}";
            return false;
        }
        catch (CryptographicException e)
        {
            refusal = $"{key.KeyType} key is malformed: {e.Message}";
            return false;
        }
    }

    private static ReadOnlySpan<char> SkipBlanks(ReadOnlySpan<char> s) => s.TrimStart(" \t");

    private static int IndexOfBlank(ReadOnlySpan<char> s) => s.IndexOfAny(' ', '\t');
}
