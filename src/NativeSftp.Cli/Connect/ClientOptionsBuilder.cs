using NativeSftp.Auth.KnownHosts;
using NativeSftp.Cli.CommandLine;
using NativeSftp.Cli.Config;

namespace NativeSftp.Cli.Connect;

/// <summary>The connection target after the URL, ~/.ssh/config and defaults were combined (command line wins).</summary>
public sealed record ResolvedTarget(string Host, int Port, string User, IReadOnlyList<string> IdentityFiles, IReadOnlyList<string> KnownHostsFiles, IReadOnlyList<string> Notes);

/// <summary>Turns a URL and the command-line options into <see cref="SshClientOptions"/>.</summary>
public static class ClientOptionsBuilder
{
    /// <summary>The IANA port for SSH (RFC 4253 §4.1).</summary>
    public const int DefaultPort = 22;

    /// <summary>OpenSSH's fallback system-wide file, read after the user's (never written).</summary>
    private const string GlobalKnownHostsFile = "/etc/ssh/ssh_known_hosts";

    private static readonly string[] DefaultIdentityNames = ["id_ed25519", "id_ecdsa", "id_rsa"];

    public static ResolvedTarget Resolve(RemoteUrl url, ConnectionArguments args, CliEnvironment env)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(env);
        string home = env.HomeDirectory;
        SshConfigHost config = SshConfigFile.Resolve(Path.Combine(home, ".ssh", "config"), url.Host, env.LocalUser, home);
        var notes = new List<string>(config.Notes);

        string host = config.HostName ?? url.Host;
        int port = url.Port ?? config.Port ?? DefaultPort;
        string user = url.User ?? config.User ?? env.LocalUser;

        List<string> identities;
        if (args.IdentityFiles.Count > 0)
        {
            identities = args.IdentityFiles.ConvertAll(env.ExpandHome);
        }
        else
        {
            // Like OpenSSH, configured and default identities that do not exist are skipped (noted under -v);
            // a file named with -i must exist, and PrivateKeyFile.Load says so when it does not.
            identities = [];
            IEnumerable<string> candidates = config.IdentityFiles.Count > 0
                ? config.IdentityFiles
                : DefaultIdentityNames.Select(n => Path.Combine(home, ".ssh", n));
            foreach (string candidate in candidates)
            {
                if (File.Exists(candidate))
                {
                    identities.Add(candidate);
                }
                else if (config.IdentityFiles.Count > 0)
                {
                    notes.Add($"identity file {candidate} (from ~/.ssh/config) does not exist; skipped");
                }
            }
        }

        var knownHosts = new List<string>();
        if (args.KnownHostsFile is { } kh)
        {
            knownHosts.Add(env.ExpandHome(kh));
        }
        else if (config.UserKnownHostsFiles is { Count: > 0 } fromConfig)
        {
            knownHosts.AddRange(fromConfig);
        }
        else
        {
            knownHosts.Add(Path.Combine(home, ".ssh", "known_hosts"));
        }

        knownHosts.Add(GlobalKnownHostsFile);
        return new ResolvedTarget(host, port, user, identities, knownHosts, notes);
    }

    public static SshClientOptions Build(ResolvedTarget target, ConnectionArguments args, CliEnvironment env, Diagnostics.IPacketTracer? tracer)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(env);
        var options = new SshClientOptions(target.Host, target.User)
        {
            Port = target.Port,
            HostKeyPolicy = args.HostKeyPolicy,
            KeyExchangeAlgorithms = args.KeyExchangeAlgorithms,
            Ciphers = args.Ciphers,
            Macs = args.Macs,
            HostKeyAlgorithms = args.HostKeyAlgorithms,
            KeepAliveInterval = args.KeepAliveInterval,
            KeepAliveCountMax = args.KeepAliveCountMax,
            Tracer = tracer,
            PassphraseProvider = OncePerKey(path => PassphraseFor(path, env)),
        };
        if (args.ConnectTimeout is { } timeout)
        {
            options.ConnectTimeout = timeout;
        }

        options.IdentityFiles.AddRange(target.IdentityFiles);
        options.KnownHostsFiles.AddRange(target.KnownHostsFiles);
        if (args.HostKeyFingerprints.Count > 0)
        {
            options.HostKeyVerifier = new FingerprintVerifier(args.HostKeyFingerprints);
        }

        if (args.PasswordEnvironmentVariable is { } variable)
        {
            string password = env.Variable(variable)
                ?? throw new UsageException($"--password-env {variable}: the environment variable {variable} is not set");
            options.PasswordProvider = _ => ValueTask.FromResult<string?>(password);
        }

        return options;
    }

    /// <summary>
    /// One question per key file for the whole command, however many connections it makes (put -r's workers connect
    /// at the same time): the first connection to need the key asks, the others wait for that answer instead of
    /// prompting over each other on the same terminal. The answer is kept for the life of the command, as ssh keeps
    /// a decrypted key for its session.
    /// </summary>
    public static Func<string, string?> OncePerKey(Func<string, string?> ask)
    {
        var answers = new Dictionary<string, string?>(StringComparer.Ordinal);
        var gate = new object();
        return path =>
        {
            lock (gate)
            {
                if (!answers.TryGetValue(path, out string? answer))
                {
                    answer = ask(path);
                    answers[path] = answer;
                }

                return answer;
            }
        };
    }

    /// <summary>NSFTP_PASSPHRASE, else a no-echo prompt when a person is at the terminal, else none (the key is skipped
    /// and the load error explains). Never a command-line argument: those show in `ps` and shell history.</summary>
    private static string? PassphraseFor(string path, CliEnvironment env)
    {
        if (env.Variable("NSFTP_PASSPHRASE") is { } fromEnv)
        {
            return fromEnv;
        }

        return env.IsInteractive ? SecretPrompt.Read($"Passphrase for {path}: ") : null;
    }
}
