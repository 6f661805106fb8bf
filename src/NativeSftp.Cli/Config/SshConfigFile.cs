using System.Globalization;
using NativeSftp.Cli.CommandLine;
using System.Text;

namespace NativeSftp.Cli.Config;

/// <summary>What ~/.ssh/config says about one host (only the keywords nsftp honours).</summary>
public sealed class SshConfigHost
{
    public string? HostName { get; set; }
    public string? User { get; set; }
    public int? Port { get; set; }

    /// <summary>Every IdentityFile line that applies, in file order (OpenSSH accumulates them).</summary>
    public List<string> IdentityFiles { get; } = [];

    /// <summary>The first UserKnownHostsFile line that applies (it may list several files).</summary>
    public List<string>? UserKnownHostsFiles { get; set; }

    /// <summary>Lines skipped because nsftp does not implement them (Match, Include), for -v.</summary>
    public List<string> Notes { get; } = [];
}

/// <summary>
/// Reads an OpenSSH client config (ssh_config(5)) for one host: <c>Host</c> blocks whose pattern list matches
/// (<c>*</c>, <c>?</c>, <c>!</c> negation), and for each keyword the first value obtained wins, as in OpenSSH;
/// IdentityFile accumulates. Tokens %% %h %p %r %u %d %n and a leading ~ are expanded in IdentityFile and
/// UserKnownHostsFile; %h in HostName is the name given on the command line.
/// </summary>
public static class SshConfigFile
{
    /// <summary>A config file is a few kilobytes; 1 MiB (1024 × 1024 bytes) is far beyond any real one and stops a
    /// wrong path (a device, a huge log) from being read into memory.</summary>
    private const long MaxFileBytes = 1024 * 1024;

    /// <summary>Reads <paramref name="path"/> if it exists; a missing file is an empty config.</summary>
    public static SshConfigHost Resolve(string path, string host, string localUser, string homeDirectory)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            return new SshConfigHost();
        }

        if (info.Length > MaxFileBytes)
        {
            throw new UsageException($"{path} is {info.Length} bytes, larger than any ssh config ({MaxFileBytes}); is it the right file?");
        }

        return ResolveText(File.ReadAllText(path), path, host, localUser, homeDirectory);
    }

    public static SshConfigHost ResolveText(string text, string path, string host, string localUser, string homeDirectory)
    {
        ArgumentNullException.ThrowIfNull(text);
        var result = new SshConfigHost();
        bool active = true; // lines before the first Host apply to every host
        string? rawPort = null;
        string? rawHostName = null;
        var rawIdentity = new List<string>();
        List<string>? rawKnownHosts = null;

        int lineNumber = 0;
        foreach (string rawLine in text.Split('\n'))
        {
            lineNumber++;
            string line = rawLine.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            List<string> words = Split(line, path, lineNumber);
            if (words.Count == 0)
            {
                continue;
            }

            string keyword = words[0].ToLowerInvariant();
            List<string> args = words.GetRange(1, words.Count - 1);
            switch (keyword)
            {
                case "host":
                    active = HostMatches(args, host);
                    continue;
                case "match":
                    // Match criteria (exec, user, localnetwork...) are not implemented: the block is skipped, which
                    // is the conservative reading (its settings might be meant for other hosts).
                    active = args.Count == 1 && args[0].Equals("all", StringComparison.OrdinalIgnoreCase);
                    if (!active)
                    {
                        result.Notes.Add($"{path}:{lineNumber}: 'Match' blocks other than 'Match all' are skipped");
                    }

                    continue;
            }

            if (!active || args.Count == 0)
            {
                continue;
            }

            switch (keyword)
            {
                case "hostname":
                    rawHostName ??= args[0];
                    break;
                case "user":
                    result.User ??= args[0];
                    break;
                case "port":
                    rawPort ??= args[0];
                    break;
                case "identityfile":
                    rawIdentity.Add(args[0]);
                    break;
                case "userknownhostsfile":
                    rawKnownHosts ??= args;
                    break;
                case "include":
                    result.Notes.Add($"{path}:{lineNumber}: 'Include' is not followed by nsftp");
                    break;
            }
        }

        if (rawPort is not null)
        {
            result.Port = int.TryParse(rawPort, NumberStyles.None, CultureInfo.InvariantCulture, out int p) && p is >= 1 and <= 65535
                ? p
                : throw new UsageException($"{path}: Port '{rawPort}' for {host} is not a number from 1 to 65535");
        }

        result.HostName = rawHostName is null ? null : ExpandTokens(rawHostName, new Tokens(host, host, null, null, localUser, homeDirectory), path);
        var tokens = new Tokens(result.HostName ?? host, host, result.Port, result.User, localUser, homeDirectory);
        foreach (string id in rawIdentity)
        {
            result.IdentityFiles.Add(ExpandPath(id, tokens, path));
        }

        if (rawKnownHosts is not null && !(rawKnownHosts.Count == 1 && rawKnownHosts[0].Equals("none", StringComparison.OrdinalIgnoreCase)))
        {
            result.UserKnownHostsFiles = rawKnownHosts.ConvertAll(k => ExpandPath(k, tokens, path));
        }

        return result;
    }

    /// <summary>
    /// A Host line matches when some pattern matches and no negated pattern does (ssh_config(5) PATTERNS): a
    /// negated match wins over any positive one, and negations alone never match. Host names compare case-insensitively.
    /// </summary>
    public static bool HostMatches(IReadOnlyList<string> patterns, string host)
    {
        ArgumentNullException.ThrowIfNull(patterns);
        bool matched = false;
        foreach (string raw in patterns)
        {
            foreach (string pattern in raw.Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                bool negated = pattern.StartsWith('!');
                string p = negated ? pattern[1..] : pattern;
                if (Glob(p, host))
                {
                    if (negated)
                    {
                        return false;
                    }

                    matched = true;
                }
            }
        }

        return matched;
    }

    /// <summary>'*' any run, '?' one character; iterative with one backtrack point, so linear-ish and never recursive.</summary>
    public static bool Glob(string pattern, string text)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        ArgumentNullException.ThrowIfNull(text);
        int p = 0, t = 0, starP = -1, starT = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || char.ToLowerInvariant(pattern[p]) == char.ToLowerInvariant(text[t])))
            {
                p++;
                t++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                starP = p++;
                starT = t;
            }
            else if (starP >= 0)
            {
                p = starP + 1;
                t = ++starT;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }

        return p == pattern.Length;
    }

    private sealed record Tokens(string HostName, string Alias, int? Port, string? RemoteUser, string LocalUser, string Home);

    private static string ExpandPath(string value, Tokens tokens, string path)
    {
        string v = ExpandTokens(value, tokens, path);
        if (v == "~")
        {
            return tokens.Home;
        }

        return v.StartsWith("~/", StringComparison.Ordinal) ? Path.Combine(tokens.Home, v[2..]) : v;
    }

    private static string ExpandTokens(string value, Tokens tokens, string path)
    {
        if (!value.Contains('%', StringComparison.Ordinal))
        {
            return value;
        }

        var sb = new StringBuilder(value.Length);
        for (int i = 0; i < value.Length; i++)
        {
            if (value[i] != '%')
            {
                sb.Append(value[i]);
                continue;
            }

            if (++i >= value.Length)
            {
                throw new UsageException($"{path}: '{value}' ends with a lone '%'");
            }

            sb.Append(value[i] switch
            {
                '%' => "%",
                'h' => tokens.HostName,
                'n' => tokens.Alias,
                'p' => (tokens.Port ?? 22).ToString(CultureInfo.InvariantCulture),
                'r' => tokens.RemoteUser ?? tokens.LocalUser,
                'u' => tokens.LocalUser,
                'd' => tokens.Home,
                _ => throw new UsageException($"{path}: token '%{value[i]}' in '{value}' is not supported (use %% %h %n %p %r %u %d)"),
            });
        }

        return sb.ToString();
    }

    /// <summary>Splits "Keyword value", "Keyword=value" and double-quoted arguments (ssh_config(5)).</summary>
    private static List<string> Split(string line, string path, int lineNumber)
    {
        var words = new List<string>();
        var current = new StringBuilder();
        bool inQuotes = false;
        bool keywordDone = false;
        foreach (char c in line)
        {
            if (c == '"')
            {
                inQuotes = !inQuotes;
                continue;
            }

            bool separator = !inQuotes && (char.IsWhiteSpace(c) || (c == '=' && !keywordDone));
            if (separator)
            {
                if (current.Length > 0)
                {
                    words.Add(current.ToString());
                    current.Clear();
                    keywordDone = true;
                }

                continue;
            }

            current.Append(c);
        }

        if (inQuotes)
        {
            throw new UsageException($"{path}:{lineNumber}: unclosed quote");
        }

        if (current.Length > 0)
        {
            words.Add(current.ToString());
        }

        return words;
    }
}
