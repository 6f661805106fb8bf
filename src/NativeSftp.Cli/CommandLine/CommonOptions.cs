using System.CommandLine;
using System.Globalization;
using NativeSftp.Auth.KnownHosts;

namespace NativeSftp.Cli.CommandLine;

/// <summary>What the connection options on the command line asked for (null: not given, so config or defaults apply).</summary>
public sealed class ConnectionArguments
{
    public List<string> IdentityFiles { get; init; } = [];
    public string? PasswordEnvironmentVariable { get; init; }
    public string? KnownHostsFile { get; init; }
    public HostKeyPolicy HostKeyPolicy { get; init; } = HostKeyPolicy.Strict;
    public List<string> HostKeyFingerprints { get; init; } = [];
    public List<string>? KeyExchangeAlgorithms { get; init; }
    public List<string>? Ciphers { get; init; }
    public List<string>? Macs { get; init; }
    public List<string>? HostKeyAlgorithms { get; init; }
    public TimeSpan KeepAliveInterval { get; init; }
    public int KeepAliveCountMax { get; init; }
    public TimeSpan? ConnectTimeout { get; init; }
    public bool Verbose { get; init; }
    public string? TraceFile { get; init; }
    public bool Json { get; init; }
}

/// <summary>
/// Every option that applies to all commands, declared once on the root command (Recursive), and bound to a
/// <see cref="ConnectionArguments"/> in one place. Transfer options (put/get/hash) belong in their own class beside
/// this one, added to those commands only.
/// </summary>
public sealed class CommonOptions
{
    /// <summary>OpenSSH's ServerAliveInterval default in nsftp: a dead path is noticed in 15 s × 3 = 45 s.</summary>
    private const int DefaultKeepAliveSeconds = 15;

    /// <summary>OpenSSH's ServerAliveCountMax default (ssh_config(5)).</summary>
    private const int DefaultKeepAliveCountMax = 3;

    /// <summary>A day (86 400 s) is beyond any sensible keepalive or connect timeout; bigger numbers are typos.</summary>
    private const int MaxSeconds = 86_400;

    public Option<string[]> Identity { get; } = new("--identity", "-i")
    {
        Description = "Private key file to offer (repeatable). Passphrase: NSFTP_PASSPHRASE, else a prompt on a terminal.",
        HelpName = "FILE",
        Arity = ArgumentArity.OneOrMore,
        AllowMultipleArgumentsPerToken = false,
    };

    public Option<string?> PasswordEnv { get; } = new("--password-env")
    {
        Description = "Read the password from this environment variable (never from the command line).",
        HelpName = "VAR",
    };

    public Option<string?> KnownHosts { get; } = new("--known-hosts")
    {
        Description = "known_hosts file (default: UserKnownHostsFile from ~/.ssh/config, else ~/.ssh/known_hosts).",
        HelpName = "FILE",
    };

    public Option<string> HostKeyPolicy { get; } = new("--host-key-policy")
    {
        Description = "strict: refuse unknown host keys; accept-new: record an unknown key (a changed key is still refused).",
        DefaultValueFactory = _ => "strict",
        HelpName = "strict|accept-new",
    };

    public Option<string[]> HostKeyFingerprint { get; } = new("--host-key-fingerprint")
    {
        Description = "Trust only a host key with this fingerprint (SHA256:..., as ssh-keygen -l prints); repeatable. Replaces known_hosts.",
        HelpName = "SHA256:...",
    };

    public Option<string?> Kex { get; } = new("--kex") { Description = "Key exchange algorithms, comma-separated, in preference order.", HelpName = "LIST" };
    public Option<string?> CipherList { get; } = new("--ciphers") { Description = "Ciphers, comma-separated, in preference order.", HelpName = "LIST" };
    public Option<string?> MacList { get; } = new("--macs") { Description = "MACs, comma-separated, in preference order.", HelpName = "LIST" };
    public Option<string?> HostKeyAlgorithmList { get; } = new("--host-key-algorithms") { Description = "Host key algorithms, comma-separated, in preference order.", HelpName = "LIST" };

    public Option<int> KeepAlive { get; } = new("--keepalive")
    {
        Description = "Probe a silent server after this many seconds (0: off).",
        DefaultValueFactory = _ => DefaultKeepAliveSeconds,
        HelpName = "SECONDS",
    };

    public Option<int> KeepAliveCountMax { get; } = new("--keepalive-count-max")
    {
        Description = "Unanswered probes after which the connection is declared dead.",
        DefaultValueFactory = _ => DefaultKeepAliveCountMax,
        HelpName = "N",
    };

    public Option<int?> ConnectTimeout { get; } = new("--connect-timeout") { Description = "Give up connecting after this many seconds.", HelpName = "SECONDS" };

    public Option<bool> Verbose { get; } = new("--verbose", "-v") { Description = "More detail on stderr (connection steps, the exception chain on failure)." };

    public Option<string?> Trace { get; } = new("--trace")
    {
        Description = "Write one line per SSH packet (direction, message, channel, lengths; never keys or file data) to FILE.",
        HelpName = "FILE",
    };

    public Option<bool> Json { get; } = new("--json") { Description = "Print the result as one JSON object (ls, stat, info)." };

    public IEnumerable<Option> All =>
    [
        Identity, PasswordEnv, KnownHosts, HostKeyPolicy, HostKeyFingerprint, Kex, CipherList, MacList, HostKeyAlgorithmList,
        KeepAlive, KeepAliveCountMax, ConnectTimeout, Verbose, Trace, Json,
    ];

    /// <summary>Adds every option to the root command, visible to all subcommands.</summary>
    public void AddTo(Command root)
    {
        ArgumentNullException.ThrowIfNull(root);
        foreach (var option in All)
        {
            option.Recursive = true;
            root.Add(option);
        }
    }

    /// <summary>Reads and checks the values; a malformed one is a <see cref="UsageException"/> (exit code 2).</summary>
    public ConnectionArguments Bind(ParseResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        int keepAlive = result.GetValue(KeepAlive);
        int countMax = result.GetValue(KeepAliveCountMax);
        int? connectTimeout = result.GetValue(ConnectTimeout);
        CheckRange("--keepalive", keepAlive, 0);
        CheckRange("--keepalive-count-max", countMax, 1);
        if (connectTimeout is int ct)
        {
            CheckRange("--connect-timeout", ct, 1);
        }

        string policy = result.GetValue(HostKeyPolicy) ?? "strict";
        var fingerprints = (result.GetValue(HostKeyFingerprint) ?? []).ToList();
        foreach (string fp in fingerprints)
        {
            // FingerprintVerifier checks the form too; checking here makes a typo a usage error (2), not exit 3.
            if (!fp.StartsWith("SHA256:", StringComparison.Ordinal))
            {
                throw new UsageException($"--host-key-fingerprint '{fp}' is not a SHA-256 fingerprint; expected SHA256:... as `ssh-keygen -l -f key.pub` prints");
            }
        }

        return new ConnectionArguments
        {
            IdentityFiles = (result.GetValue(Identity) ?? []).ToList(),
            PasswordEnvironmentVariable = result.GetValue(PasswordEnv),
            KnownHostsFile = result.GetValue(KnownHosts),
            HostKeyPolicy = policy switch
            {
                "strict" => Auth.KnownHosts.HostKeyPolicy.Strict,
                "accept-new" => Auth.KnownHosts.HostKeyPolicy.AcceptNew,
                _ => throw new UsageException($"--host-key-policy '{policy}' is not one of: strict, accept-new"),
            },
            HostKeyFingerprints = fingerprints,
            KeyExchangeAlgorithms = List("--kex", result.GetValue(Kex), Crypto.Kex.KexRegistry.IsSupported, Crypto.Kex.KexRegistry.DefaultOrder),
            Ciphers = List("--ciphers", result.GetValue(CipherList), n => Crypto.Ciphers.CipherRegistry.TryGetCipher(n, out _), Crypto.Ciphers.CipherRegistry.DefaultCiphers),
            Macs = List("--macs", result.GetValue(MacList), n => Crypto.Ciphers.CipherRegistry.TryGetMac(n, out _), Crypto.Ciphers.CipherRegistry.DefaultMacs),
            HostKeyAlgorithms = List("--host-key-algorithms", result.GetValue(HostKeyAlgorithmList), Crypto.HostKeys.HostKeyAlgorithmRegistry.IsSupported,
                Crypto.HostKeys.HostKeyAlgorithmRegistry.DefaultOrder),
            KeepAliveInterval = TimeSpan.FromSeconds(keepAlive),
            KeepAliveCountMax = countMax,
            ConnectTimeout = connectTimeout is int s ? TimeSpan.FromSeconds(s) : null,
            Verbose = result.GetValue(Verbose),
            TraceFile = result.GetValue(Trace),
            Json = result.GetValue(Json),
        };
    }

    private static void CheckRange(string name, int value, int min)
    {
        if (value < min || value > MaxSeconds)
        {
            throw new UsageException(string.Create(CultureInfo.InvariantCulture, $"{name} {value} is out of range ({min} to {MaxSeconds})"));
        }
    }

    /// <summary>
    /// A comma-separated algorithm list, each name one we implement: a typo, or an algorithm left out on purpose
    /// (SHA-1, CBC, none), is a usage error naming what is supported, not an internal failure once connecting.
    /// </summary>
    private static List<string>? List(string name, string? value, Func<string, bool> supported, IEnumerable<string> known)
    {
        if (value is null)
        {
            return null;
        }

        var names = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        if (names.Count == 0)
        {
            throw new UsageException($"{name} needs at least one algorithm name");
        }

        var unsupported = names.Where(n => !supported(n)).ToList();
        if (unsupported.Count > 0)
        {
            throw new UsageException(
                $"{name}: {string.Join(", ", unsupported.Select(n => $"'{n}'"))} {(unsupported.Count == 1 ? "is" : "are")} not supported " +
                $"(SHA-1, CBC and 'none' are left out on purpose); supported: {string.Join(",", known)}");
        }

        return names;
    }
}
