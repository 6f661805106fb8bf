using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace NativeSftp.Tests.Fixtures;

/// <summary>Settings for one <see cref="SshdServer"/>.</summary>
public sealed class SshdOptions
{
    /// <summary>
    /// sshd_config lines written before the fixture's defaults. sshd keeps the first value it reads for most
    /// keywords, so these win (Ciphers, KexAlgorithms, HostKeyAlgorithms, RekeyLimit, ...).
    /// </summary>
    public List<string> ConfigLines { get; } = [];

    /// <summary>The sftp subsystem command: <c>internal-sftp</c> (default) or e.g. <c>/usr/lib/openssh/sftp-server -R</c>; null for none (a server without SFTP).</summary>
    public string? SftpSubsystem { get; set; } = "internal-sftp";

    /// <summary>Allow password and keyboard-interactive authentication (for the test user the auth tests create).</summary>
    public bool AllowPasswords { get; set; }

    /// <summary>
    /// Run authentication through PAM (/etc/pam.d/sshd). OpenSSH answers keyboard-interactive only through PAM (or
    /// BSD auth), so the keyboard-interactive tests need it; everything else keeps the default "no".
    /// </summary>
    public bool UsePam { get; set; }
}

/// <summary>
/// A real OpenSSH sshd on 127.0.0.1 at a free port, with freshly generated host keys (ed25519, ecdsa-nistp256,
/// rsa-3072) and user keys. Started per test or per fixture; disposed, it kills the server and deletes its folder.
/// When sshd is missing the start fails with how to install it: tests never skip silently.
/// </summary>
public sealed class SshdServer : IAsyncDisposable
{
    public const string SshdPath = "/usr/sbin/sshd";
    public const string SftpServerPath = "/usr/lib/openssh/sftp-server";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(15);
    private const int StartAttempts = 3; // a free port can be taken between our probe and sshd's bind

    private readonly Process _process;

    private SshdServer(Process process, int port, string directory, string logPath)
    {
        _process = process;
        Port = port;
        Directory = directory;
        LogPath = logPath;
    }

    public int Port { get; }
    public string Host => "127.0.0.1";
    public string Directory { get; }
    public string LogPath { get; }
    public string UserName => Environment.UserName;
    public static TestKeys Keys => TestKeys.Shared;

    /// <summary>The server log so far (sshd runs at LogLevel DEBUG3).</summary>
    public string ReadLog() => LoopbackServer.ReadShared(LogPath);

    public static async Task<SshdServer> StartAsync(Action<SshdOptions>? configure = null, CancellationToken cancellationToken = default)
    {
        RequireOpenSsh();
        var options = new SshdOptions();
        configure?.Invoke(options);
        var keys = TestKeys.Shared;
        System.IO.Directory.CreateDirectory("/run/sshd"); // privilege separation directory sshd insists on

        Exception? last = null;
        for (int attempt = 0; attempt < StartAttempts; attempt++)
        {
            string dir = Path.Combine(Path.GetTempPath(), "nsftp-sshd-" + Guid.NewGuid().ToString("N")[..12]);
            System.IO.Directory.CreateDirectory(Path.Combine(dir, "home"));
            int port = FreePort();
            string config = Path.Combine(dir, "sshd_config");
            string log = Path.Combine(dir, "sshd.log");
            await File.WriteAllTextAsync(config, BuildConfig(options, keys, dir, port), cancellationToken).ConfigureAwait(false);

            var psi = new ProcessStartInfo(SshdPath)
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            foreach (string a in new[] { "-D", "-f", config, "-E", log })
            {
                psi.ArgumentList.Add(a);
            }

            var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start sshd");
            var server = new SshdServer(process, port, dir, log);
            try
            {
                await server.WaitForBannerAsync(cancellationToken).ConfigureAwait(false);
                return server;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                last = new InvalidOperationException($"sshd did not start (attempt {attempt + 1}): {e.Message}\n--- sshd log ---\n{server.ReadLog()}", e);
                await server.DisposeAsync().ConfigureAwait(false);
            }
        }

        throw last!;
    }

    /// <summary>Throws with how to install OpenSSH when sshd or sftp-server are missing.</summary>
    public static void RequireOpenSsh()
    {
        if (!File.Exists(SshdPath) || !File.Exists(SftpServerPath) || !File.Exists("/usr/bin/ssh-keygen"))
        {
            throw new InvalidOperationException(
                $"OpenSSH server not found ({SshdPath}, {SftpServerPath}, /usr/bin/ssh-keygen). " +
                "Install it with: sudo apt-get install -y openssh-server openssh-sftp-server openssh-client " +
                "(./build.sh test does this for you when run as root).");
        }
    }

    private static string BuildConfig(SshdOptions options, TestKeys keys, string dir, int port)
    {
        var sb = new StringBuilder();
        foreach (string line in options.ConfigLines)
        {
            sb.AppendLine(line);
        }

        sb.AppendLine(FormattableString.Invariant($"ListenAddress 127.0.0.1:{port}"));
        foreach (string hk in keys.HostKeyPaths)
        {
            sb.AppendLine("HostKey " + hk);
        }

        sb.AppendLine("PidFile " + Path.Combine(dir, "sshd.pid"));
        sb.AppendLine("AuthorizedKeysFile " + keys.AuthorizedKeysPath);
        sb.AppendLine("StrictModes no");
        sb.AppendLine("UsePAM " + (options.UsePam ? "yes" : "no"));
        sb.AppendLine("PermitRootLogin yes");
        sb.AppendLine("PubkeyAuthentication yes");
        sb.AppendLine("PasswordAuthentication " + (options.AllowPasswords ? "yes" : "no"));
        sb.AppendLine("KbdInteractiveAuthentication " + (options.AllowPasswords ? "yes" : "no"));
        sb.AppendLine("MaxStartups 100:30:200");
        sb.AppendLine("MaxSessions 100");
        sb.AppendLine("MaxAuthTries 20");
        sb.AppendLine("LogLevel DEBUG3");
        // Commands run through the login shell, and bash run by sshd reads ~/.bashrc even when not interactive. The
        // account running the tests may have a slow or fragile one (this machine's root runs pyenv, whose rehash lock,
        // left behind when a fault test kills a session mid-start, made every later exec wait 60 s). The fixture's
        // own empty home keeps the tests about the server, not about that file. (The SFTP server's working directory
        // is still the account's home: sshd takes it from the password database, not from HOME.)
        sb.AppendLine("SetEnv HOME=" + Path.Combine(dir, "home"));
        if (options.SftpSubsystem is not null)
        {
            sb.AppendLine("Subsystem sftp " + options.SftpSubsystem);
        }

        return sb.ToString();
    }

    private Task WaitForBannerAsync(CancellationToken cancellationToken) =>
        LoopbackServer.WaitForBannerAsync(_process, Port, "sshd", StartTimeout, () => _process.StandardError.ReadToEndAsync(cancellationToken), cancellationToken);

    /// <summary>Connects, reads the server's identification line, and closes.</summary>
    public Task<string> ReadBannerAsync(CancellationToken cancellationToken = default) => LoopbackServer.ReadBannerAsync(Port, cancellationToken);

    private static int FreePort() => LoopbackServer.FreePort();

    /// <summary>Longest log tail printed with a failed test (DEBUG3 logs are long; the end is what matters).</summary>
    private const int LogTailOnFailure = 8000;

    public async ValueTask DisposeAsync()
    {
        // The server's own account of a failure is the fastest way to understand it: print it with the test.
        if (TestContext.CurrentContext.Result.Outcome.Status == NUnit.Framework.Interfaces.TestStatus.Failed)
        {
            string log = ReadLog();
            await TestContext.Out.WriteLineAsync($"--- sshd log ({LogPath}), last {LogTailOnFailure} characters ---\n{log[Math.Max(0, log.Length - LogTailOnFailure)..]}").ConfigureAwait(false);
        }

        await LoopbackServer.StopAsync(_process).ConfigureAwait(false);
        if (Environment.GetEnvironmentVariable("NSFTP_KEEP_SSHD") is null)
        {
            LoopbackServer.DeleteQuietly(Directory);
        }
    }
}
