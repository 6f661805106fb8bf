using System.Globalization;
using System.Text;
using NativeSftp.Crypto;

namespace NativeSftp.Auth.KnownHosts;

/// <summary>
/// Reading, matching and writing OpenSSH known_hosts files (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT").
/// Lookup never throws for anything a file contains: bad lines are skipped and listed in the result.
/// </summary>
public static class KnownHostsFile
{
    /// <summary>The SSH port, which known_hosts writes without brackets (OpenSSH put_host_port).</summary>
    public const int DefaultPort = 22;

    /// <summary>Ports are 16-bit (RFC 793 §3.1); 0 is not a port one connects to.</summary>
    private const int MaxPort = ushort.MaxValue;

    /// <summary>The user's file, <c>~/.ssh/known_hosts</c> (ssh_config(5) UserKnownHostsFile default).</summary>
    public static string DefaultUserFile => Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".ssh", "known_hosts");

    /// <summary>The system-wide file (ssh_config(5) GlobalKnownHostsFile default).</summary>
    public const string DefaultGlobalFile = "/etc/ssh/ssh_known_hosts";

    /// <summary>The user's file first (the one accept-new writes to), then the global one.</summary>
    public static IReadOnlyList<string> DefaultFiles => [DefaultUserFile, DefaultGlobalFile];

    /// <summary>Expands a leading <c>~/</c> to the user's home folder, as ssh_config file names allow.</summary>
    public static string ExpandPath(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path == "~" || path.StartsWith("~/", StringComparison.Ordinal))
        {
            return Environment.GetFolderPath(Environment.SpecialFolder.UserProfile) + path[1..];
        }

        return path;
    }

    /// <summary>
    /// The name a known_hosts line is matched against: the host, lowercased, for port 22, and <c>[host]:port</c>
    /// for any other port. Hashed lines hash exactly this text.
    /// </summary>
    public static string LookupName(string host, int port)
    {
        ValidateHostAndPort(host, port);
        string lower = HostPatternMatcher.AsciiLower(host);
        return port == DefaultPort ? lower : "[" + lower + "]:" + port.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>Every key line in <paramref name="files"/> whose host field names host:port, in file order (all markers).</summary>
    public static IReadOnlyList<KnownHostsEntry> FindEntries(IEnumerable<string> files, string host, int port)
    {
        ArgumentNullException.ThrowIfNull(files);
        string lookupName = LookupName(host, port);
        var found = new List<KnownHostsEntry>();
        foreach (string file in files)
        {
            foreach (var entry in KnownHostsCache.Get(ExpandPath(file), out _).Entries)
            {
                if (entry.MatchesHost(lookupName))
                {
                    found.Add(entry);
                }
            }
        }

        return found;
    }

    /// <summary>
    /// Decides whether <paramref name="key"/> is trusted for host:port by the lines of <paramref name="files"/>
    /// (missing files count as empty). <paramref name="now"/> is the time host certificates must be valid at.
    /// </summary>
    public static KnownHostsLookupResult Lookup(IEnumerable<string> files, string host, int port, SshPublicKey key, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(key);
        string lookupName = LookupName(host, port);
        string lowerHost = HostPatternMatcher.AsciiLower(host);

        var searched = new List<string>();
        var unreadable = new List<string>();
        var all = new List<KnownHostsEntry>();
        var forHost = new List<KnownHostsEntry>();
        var skipped = new List<KnownHostsSkippedLine>();
        foreach (string file in files)
        {
            searched.Add(file);
            var content = KnownHostsCache.Get(ExpandPath(file), out string? problem);
            if (problem is not null)
            {
                unreadable.Add(problem);
            }

            skipped.AddRange(content.Skipped);
            foreach (var entry in content.Entries)
            {
                all.Add(entry);
                if (entry.MatchesHost(lookupName))
                {
                    forHost.Add(entry);
                }
            }
        }

        var decision = HostKeyTrustEvaluator.Evaluate(all, forHost, lowerHost, key, now);
        return new KnownHostsLookupResult(decision.Status, host, port, key, decision.Entry, decision.Reason, forHost, skipped, searched, unreadable);
    }

    /// <summary>
    /// The line OpenSSH would add for this host and key, without a newline: <c>name type base64</c>, where name is
    /// <see cref="LookupName"/>, or, when <paramref name="hashed"/>, its <c>|1|salt|hash</c> form as ssh-keygen -H writes.
    /// </summary>
    public static string FormatLine(string host, int port, SshPublicKey key, bool hashed)
    {
        ArgumentNullException.ThrowIfNull(key);
        string name = LookupName(host, port);
        return (hashed ? HashedHostName.Create(name) : name) + " " + key.ToOpenSshString();
    }

    /// <summary>
    /// Appends <paramref name="line"/> and a newline to <paramref name="file"/> in one write, creating the file
    /// (mode 600) and its folder (mode 700) if needed. A file whose last line has no newline gets one first, so the
    /// new entry is not glued onto it.
    /// </summary>
    internal static void AppendLine(string file, string line)
    {
        string path = ExpandPath(file);
        string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null && !Directory.Exists(folder))
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(folder);
            }
            else
            {
                Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }

        bool needsNewline = false;
        if (File.Exists(path))
        {
            using var reader = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 1);
            if (reader.Length > 0)
            {
                reader.Seek(-1, SeekOrigin.End);
                needsNewline = reader.ReadByte() != '\n';
            }
        }

        byte[] bytes = Encoding.UTF8.GetBytes((needsNewline ? "\n" : "") + line + "\n");
        var options = new FileStreamOptions { Mode = FileMode.Append, Access = FileAccess.Write, Share = FileShare.Read, BufferSize = 0 };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(path, options))
        {
            stream.Write(bytes);
            stream.Flush(flushToDisk: true);
        }

        KnownHostsCache.Invalidate(path);
    }

    private static void ValidateHostAndPort(string host, int port)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        ArgumentOutOfRangeException.ThrowIfLessThan(port, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, MaxPort);

        // A blank, comma or control character in a name would write a line that means something else when read back.
        foreach (char c in host)
        {
            if (c is ' ' or '\t' or ',' or '\r' or '\n' or '\0' or '*' or '?' or '!' || char.IsControl(c))
            {
                throw new ArgumentException($"host name '{host}' contains a character not allowed in a known_hosts name", nameof(host));
            }
        }
    }
}
