using NativeSftp.Crypto;

namespace NativeSftp.Auth.KnownHosts;

/// <summary>What the known_hosts files say about a presented host key.</summary>
public enum KnownHostsStatus
{
    /// <summary>No line (plain, or a CA that signed the presented certificate) names this host.</summary>
    Unknown,

    /// <summary>A plain line holds the key, or a valid host certificate was signed by a CA listed for the host.</summary>
    Trusted,

    /// <summary>The host has known keys and the presented one is none of them: possibly a man in the middle.</summary>
    Changed,

    /// <summary>The key, its certificate's CA or its certified key is under <c>@revoked</c>. Wins over everything.</summary>
    Revoked,

    /// <summary>
    /// A certificate signed by a CA listed for the host, but not acceptable (bad signature, not a host certificate,
    /// expired or not yet valid, host not among the principals, critical options). OpenSSH refuses the connection
    /// here rather than fall back to the plain key, and so do we.
    /// </summary>
    InvalidCertificate,

    /// <summary>
    /// The host is known only by keys of other types than the one presented (OpenSSH: "keys of different type are
    /// already known for this host"). Not evidence of an attack (servers have several host keys), but nothing vouches
    /// for this key, and a man in the middle would present exactly such a key: refused under every policy, accept-new
    /// included (OpenSSH's accept-new would record it).
    /// </summary>
    OtherKeyTypeKnown,
}

/// <summary>The decision and the lines behind it.</summary>
public sealed class KnownHostsLookupResult
{
    internal KnownHostsLookupResult(
        KnownHostsStatus status,
        string host,
        int port,
        SshPublicKey key,
        KnownHostsEntry? decidingEntry,
        string? reason,
        IReadOnlyList<KnownHostsEntry> hostEntries,
        IReadOnlyList<KnownHostsSkippedLine> skippedLines,
        IReadOnlyList<string> files,
        IReadOnlyList<string> unreadableFiles)
    {
        Status = status;
        Host = host;
        Port = port;
        Key = key;
        DecidingEntry = decidingEntry;
        Reason = reason;
        HostEntries = hostEntries;
        SkippedLines = skippedLines;
        Files = files;
        UnreadableFiles = unreadableFiles;
    }

    public KnownHostsStatus Status { get; }

    public string Host { get; }

    public int Port { get; }

    /// <summary>The presented key (a certificate when the server sent one).</summary>
    public SshPublicKey Key { get; }

    /// <summary>
    /// The line that decided: for Trusted the matching key or CA line, for Changed the first line of this host with
    /// another key, for Revoked the <c>@revoked</c> line, for InvalidCertificate the CA line; null for Unknown.
    /// </summary>
    public KnownHostsEntry? DecidingEntry { get; }

    /// <summary>Why, in words, when the status alone does not say (certificate problems, fallbacks).</summary>
    public string? Reason { get; }

    /// <summary>Every key line of every file that names this host (all markers, usable or not), in file order.</summary>
    public IReadOnlyList<KnownHostsEntry> HostEntries { get; }

    /// <summary>Lines of the searched files that could not be read, with the reason (OpenSSH skips them silently).</summary>
    public IReadOnlyList<KnownHostsSkippedLine> SkippedLines { get; }

    /// <summary>The files searched, in order.</summary>
    public IReadOnlyList<string> Files { get; }

    /// <summary>Files that exist but could not be read, with the error; they were treated as empty.</summary>
    public IReadOnlyList<string> UnreadableFiles { get; }
}
