using NativeSftp.Auth.KnownHosts;
using NativeSftp.Tests.Fixtures;

namespace NativeSftp.Tests.Auth.Interop;

/// <summary>
/// Starts the sshd fixture for authentication tests: <see cref="AuthKeyFiles.AuthorizedKeysPath"/> as its
/// AuthorizedKeysFile (placed first, since sshd keeps the first value), plus per-test lines. Builds client options
/// for any user name with the fixture's known_hosts, no agent and no identity file unless the test adds one.
/// </summary>
public static class AuthSshd
{
    /// <summary>Bound on one login against a loopback sshd, which takes well under a second (RSA-3072 included).</summary>
    public static readonly TimeSpan LoginTimeout = TimeSpan.FromSeconds(20);

    /// <summary>How often <see cref="LogContainsAsync"/> re-reads the log; sshd writes within milliseconds.</summary>
    private static readonly TimeSpan LogPollInterval = TimeSpan.FromMilliseconds(20);

    public static Task<SshdServer> StartAsync(params string[] extraLines) => StartAsync(null, extraLines);

    public static Task<SshdServer> StartAsync(Action<SshdOptions>? configure, params string[] extraLines) =>
        SshdServer.StartAsync(o =>
        {
            o.ConfigLines.Add("AuthorizedKeysFile " + AuthKeyFiles.Shared.AuthorizedKeysPath);
            o.ConfigLines.AddRange(extraLines);
            configure?.Invoke(o);
        });

    /// <summary>Options for <paramref name="user"/> (default: the account running the tests) with the given identity files.</summary>
    public static SshClientOptions Options(SshdServer sshd, string? user = null, params string[] identities)
    {
        // TestClients writes the fixture's known_hosts; its options are for the current user only, so borrow the file.
        string knownHosts = TestClients.Options(sshd).KnownHostsFiles[0];
        var o = new SshClientOptions(sshd.Host, user ?? sshd.UserName)
        {
            Port = sshd.Port,
            UseAgent = false,
            HostKeyPolicy = HostKeyPolicy.Strict,
            ConnectTimeout = LoginTimeout,
            KeepAliveInterval = TimeSpan.Zero,
        };
        o.KnownHostsFiles.Add(knownHosts);
        o.IdentityFiles.AddRange(identities);
        return o;
    }

    public static CancellationTokenSource Bounded() => new(LoginTimeout);

    /// <summary>On failure, shows the tail of the sshd log: it says why the server refused.</summary>
    public static void ShowLogOnFailure(SshdServer? sshd)
    {
        if (sshd is not null && TestContext.CurrentContext.Result.Outcome.Status == NUnit.Framework.Interfaces.TestStatus.Failed)
        {
            string log = sshd.ReadLog();
            TestContext.Out.WriteLine("--- sshd log (tail) ---\n" + log[Math.Max(0, log.Length - 6000)..]);
        }
    }

    /// <summary>sshd's "Accepted &lt;method&gt; for &lt;user&gt; from ..." lines so far (the publickey one ends with the key's fingerprint).</summary>
    public static List<string> AcceptedLines(SshdServer sshd, string method, string user) =>
        // sshd -E ends its log lines with "\r\n".
        sshd.ReadLog().Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.StartsWith($"Accepted {method} for {user} from ", StringComparison.Ordinal)).ToList();

    /// <summary>Waits until the sshd log contains <paramref name="text"/>: sshd may write it just after the client sees the reply.</summary>
    public static async Task<bool> LogContainsAsync(SshdServer sshd, string text, CancellationToken ct)
    {
        while (!sshd.ReadLog().Contains(text, StringComparison.Ordinal))
        {
            if (ct.IsCancellationRequested)
            {
                return false;
            }

            await Task.Delay(LogPollInterval, CancellationToken.None);
        }

        return true;
    }
}
