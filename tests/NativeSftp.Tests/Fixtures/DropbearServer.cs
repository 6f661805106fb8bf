using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using NativeSftp.Auth.KnownHosts;

namespace NativeSftp.Tests.Fixtures;

/// <summary>
/// Dropbear on 127.0.0.1 at a free port: an SSH transport independent of OpenSSH's (its own key exchange, windows and
/// channel handling), serving SFTP through OpenSSH's sftp-server. Dropbear reads keys only from a user's
/// ~/.ssh/authorized_keys, so the fixture creates a throwaway local user whose home is <see cref="Home"/> (and removes
/// it on dispose); the tests run as root. When dropbear is missing the start fails with how to install it.
/// </summary>
public sealed class DropbearServer : IAsyncDisposable
{
    public const string DropbearPath = "/usr/sbin/dropbear";
    public const string DropbearKeyPath = "/usr/bin/dropbearkey";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(15);

    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private DropbearServer(Process process, int port, string directory, string userName)
    {
        _process = process;
        Port = port;
        Directory = directory;
        UserName = userName;
    }

    public int Port { get; }
    public string Host => "127.0.0.1";
    public string Directory { get; }
    public string Home => Path.Combine(Directory, "home");
    public string UserName { get; }
    public string HostKeyLine { get; private set; } = "";

    /// <summary>What dropbear wrote to stderr so far (-E).</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    public static void RequireDropbear()
    {
        if (!File.Exists(DropbearPath) || !File.Exists(DropbearKeyPath) || !File.Exists(SshdServer.SftpServerPath))
        {
            throw new InvalidOperationException(
                $"Dropbear not found ({DropbearPath}, {DropbearKeyPath}; SFTP also needs {SshdServer.SftpServerPath}). Install it with: " +
                "sudo apt-get install -y dropbear-bin openssh-sftp-server (./build.sh test does this for you when run as root).");
        }

        if (Environment.UserName != "root")
        {
            throw new InvalidOperationException($"the dropbear tests create a local user and need root (running as '{Environment.UserName}')");
        }
    }

    public static async Task<DropbearServer> StartAsync(CancellationToken cancellationToken = default)
    {
        RequireDropbear();
        string dir = Path.Combine(Path.GetTempPath(), "nsftp-dropbear-" + Guid.NewGuid().ToString("N")[..12]);
        string home = Path.Combine(dir, "home");
        System.IO.Directory.CreateDirectory(Path.Combine(home, ".ssh"));
        string user = "nsftp-db-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        TestKeys.Run("/usr/sbin/useradd", ["-M", "-d", home, "-s", "/bin/sh", user]);
        try
        {
            // A '!' (locked) password field makes dropbear refuse even key logins; '*' only means "no password".
            TestKeys.Run("/usr/sbin/usermod", ["-p", "*", user]);
            await File.WriteAllTextAsync(Path.Combine(home, ".ssh", "authorized_keys"),
                File.ReadAllText(SshdServer.Keys.UserEd25519 + ".pub"), cancellationToken).ConfigureAwait(false);
            TestKeys.Run("/bin/chown", ["-R", $"{user}:", home]);
            TestKeys.Run("/bin/chmod", ["700", home, Path.Combine(home, ".ssh")]);
            string hostKey = Path.Combine(dir, "host_ed25519");
            TestKeys.Run(DropbearKeyPath, ["-t", "ed25519", "-f", hostKey]);
            string publicLine = TestKeys.Run(DropbearKeyPath, ["-y", "-f", hostKey])
                .Split('\n').First(l => l.StartsWith("ssh-ed25519 ", StringComparison.Ordinal)).Trim();

            Exception? last = null;
            for (int attempt = 0; attempt < 3; attempt++)
            {
                int port = LoopbackServer.FreePort();
                var psi = new ProcessStartInfo(DropbearPath) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
                foreach (string a in new[] { "-F", "-E", "-s", "-p", $"127.0.0.1:{port}", "-r", hostKey, "-P", Path.Combine(dir, "dropbear.pid") })
                {
                    psi.ArgumentList.Add(a);
                }

                var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start dropbear");
                var server = new DropbearServer(process, port, dir, user) { HostKeyLine = publicLine };
                process.ErrorDataReceived += (_, e) =>
                {
                    lock (server._log)
                    {
                        server._log.AppendLine(e.Data);
                    }
                };
                process.BeginErrorReadLine();
                try
                {
                    await server.WaitForBannerAsync(cancellationToken).ConfigureAwait(false);
                    return server;
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    last = new InvalidOperationException($"dropbear did not start (attempt {attempt + 1}): {e.Message}\n{server.Log}", e);
                    await LoopbackServer.StopAsync(process).ConfigureAwait(false);
                }
            }

            throw last!;
        }
        catch
        {
            RemoveUser(user);
            throw;
        }
    }

    /// <summary>Client options: the shared ed25519 user key, strict checking against the host key.</summary>
    public SshClientOptions Options()
    {
        string knownHosts = Path.Combine(Directory, "known_hosts");
        File.WriteAllText(knownHosts, $"[{Host}]:{Port} {HostKeyLine}\n");
        var o = new SshClientOptions(Host, UserName) { Port = Port, UseAgent = false, HostKeyPolicy = HostKeyPolicy.Strict };
        o.IdentityFiles.Add(SshdServer.Keys.UserEd25519);
        o.KnownHostsFiles.Add(knownHosts);
        return o;
    }

    private Task WaitForBannerAsync(CancellationToken cancellationToken) =>
        LoopbackServer.WaitForBannerAsync(_process, Port, "dropbear", StartTimeout, () => Task.FromResult(Log), cancellationToken);

    private static void RemoveUser(string user)
    {
        try
        {
            // -f: a session process dropbear forked for the user may still be exiting.
            TestKeys.Run("/usr/sbin/userdel", ["-f", user]);
        }
        catch (InvalidOperationException)
        {
            // best effort; the name is random
        }
    }

    public async ValueTask DisposeAsync()
    {
        await LoopbackServer.StopAsync(_process).ConfigureAwait(false);
        RemoveUser(UserName);
        LoopbackServer.DeleteQuietly(Directory);
    }
}
