using NativeSftp.Crypto;

namespace NativeSftp.Auth.KnownHosts;

/// <summary>The marker a known_hosts line may open with (sshd(8)).</summary>
public enum KnownHostsMarker
{
    /// <summary>A plain host key line.</summary>
    None,

    /// <summary><c>@cert-authority</c>: the key is a CA trusted to sign host certificates for the hosts listed.</summary>
    CertAuthority,

    /// <summary><c>@revoked</c>: the key must never be accepted.</summary>
    Revoked,
}

/// <summary>One parsed known_hosts line that carries a key.</summary>
public sealed class KnownHostsEntry
{
    private readonly HashedHostName? _hashed;

    internal KnownHostsEntry(string file, int lineNumber, KnownHostsMarker marker, string hosts, HashedHostName? hashed, SshPublicKey key, bool isUsable, string comment)
    {
        File = file;
        LineNumber = lineNumber;
        Marker = marker;
        Hosts = hosts;
        _hashed = hashed;
        Key = key;
        IsUsable = isUsable;
        Comment = comment;
    }

    /// <summary>The file the line came from, as given to the lookup.</summary>
    public string File { get; }

    /// <summary>1-based, counting every line of the file (comments and blank lines too), like OpenSSH's messages.</summary>
    public int LineNumber { get; }

    public KnownHostsMarker Marker { get; }

    /// <summary>The host field as written: a pattern list, or a hashed <c>|1|salt|hash</c> field.</summary>
    public string Hosts { get; }

    public bool IsHashed => _hashed is not null;

    public SshPublicKey Key { get; }

    /// <summary>
    /// False for a key type we cannot use (ssh-dss, sk-*, a type we have never heard of) or a blob our parsers refuse.
    /// Such a line never makes a key trusted, but it still says "this host has known keys", so a different key is
    /// reported as changed rather than unknown (fail closed).
    /// </summary>
    public bool IsUsable { get; }

    /// <summary>Whatever followed the key on the line (usually empty or a comment).</summary>
    public string Comment { get; }

    /// <summary><c>file:line</c>, the form used in messages.</summary>
    public string Location => File + ":" + LineNumber.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// True when the host field names <paramref name="lookupName"/> (lowercased; <c>host</c> or <c>[host]:port</c>):
    /// a hashed field by its HMAC, a pattern list when some pattern matches and no negated one does.
    /// </summary>
    internal bool MatchesHost(string lookupName) =>
        _hashed is not null
            ? _hashed.Matches(lookupName)
            : HostPatternMatcher.MatchList(lookupName, Hosts) == HostPatternMatcher.ListMatch.Match;

    public override string ToString() => $"{Location} {Marker} {Hosts} {Key}";
}

/// <summary>A line that carries something but could not be used, and why (OpenSSH skips these silently).</summary>
public sealed record KnownHostsSkippedLine(string File, int LineNumber, string Reason);
