using System.Diagnostics;
using System.Text;
using NativeSftp.Auth.KnownHosts;

namespace NativeSftp.Tests.Fixtures;

/// <summary>
/// ProFTPD's mod_sftp on 127.0.0.1 at a free port: a second, independent SSH and SFTP implementation (its own
/// transport, windows of 4 GiB, 32 KiB channel packets, no exec, check-file unannounced, no limits@openssh.com).
/// The user is root, chrooted to <see cref="Root"/> (so SFTP path "/x" is <c>Root/x</c>), logging in with the shared
/// ed25519 test key. When ProFTPD is missing the start fails with how to install it: tests never skip silently.
/// </summary>
public sealed class ProftpdServer : IAsyncDisposable
{
    public const string ProftpdPath = "/usr/sbin/proftpd";
    public const string ModSftpPath = "/usr/lib/proftpd/mod_sftp.so";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(15);
    private const int StartAttempts = 3;

    private readonly Process _process;

    private ProftpdServer(Process process, int port, string directory)
    {
        _process = process;
        Port = port;
        Directory = directory;
    }

    public int Port { get; }
    public string Host => "127.0.0.1";
    public string Directory { get; }
    public string Root => Path.Combine(Directory, "root");
    public string UserName => Environment.UserName;

    /// <summary>The host keys' .pub files (ed25519, ECDSA, RSA).</summary>
    public IReadOnlyList<string> HostKeyPaths => [Path.Combine(Directory, "host_ed25519"), Path.Combine(Directory, "host_ecdsa"), Path.Combine(Directory, "host_rsa")];

    public string SftpLog => LoopbackServer.ReadShared(Path.Combine(Directory, "sftp.log"));

    public static void RequireProftpd()
    {
        if (!File.Exists(ProftpdPath) || !File.Exists(ModSftpPath))
        {
            throw new InvalidOperationException(
                $"ProFTPD with mod_sftp not found ({ProftpdPath}, {ModSftpPath}). Install it with: " +
                "sudo apt-get install -y proftpd-core proftpd-mod-crypto (./build.sh test does this for you when run as root).");
        }
    }

    public static async Task<ProftpdServer> StartAsync(CancellationToken cancellationToken = default)
    {
        RequireProftpd();
        SshdServer.RequireOpenSsh(); // ssh-keygen makes the keys
        Exception? last = null;
        for (int attempt = 0; attempt < StartAttempts; attempt++)
        {
            string dir = Path.Combine(Path.GetTempPath(), "nsftp-proftpd-" + Guid.NewGuid().ToString("N")[..12]);
            System.IO.Directory.CreateDirectory(Path.Combine(dir, "root"));
            System.IO.Directory.CreateDirectory(Path.Combine(dir, "keys"));
            // mod_sftp reads RSA and ECDSA host keys in PEM form only.
            Keygen(Path.Combine(dir, "host_ed25519"), "ed25519");
            Keygen(Path.Combine(dir, "host_ecdsa"), "ecdsa", "-b", "256", "-m", "PEM");
            Keygen(Path.Combine(dir, "host_rsa"), "rsa", "-b", "2048", "-m", "PEM");
            // Authorized keys in RFC 4716 form, as mod_sftp wants them.
            string rfc4716 = TestKeys.Run("/usr/bin/ssh-keygen", ["-e", "-f", SshdServer.Keys.UserEd25519 + ".pub"]);
            await File.WriteAllTextAsync(Path.Combine(dir, "keys", Environment.UserName), rfc4716, cancellationToken).ConfigureAwait(false);
            int port = LoopbackServer.FreePort();
            string config = Path.Combine(dir, "proftpd.conf");
            await File.WriteAllTextAsync(config, BuildConfig(dir, port), cancellationToken).ConfigureAwait(false);

            var psi = new ProcessStartInfo(ProftpdPath) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string a in new[] { "-n", "-q", "-c", config })
            {
                psi.ArgumentList.Add(a);
            }

            var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start proftpd");
            var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
            var server = new ProftpdServer(process, port, dir);
            try
            {
                await server.WaitForBannerAsync(cancellationToken).ConfigureAwait(false);
                _ = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
                return server;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                await server.DisposeAsync().ConfigureAwait(false);
                last = new InvalidOperationException($"proftpd did not start (attempt {attempt + 1}): {e.Message}\n--- stderr ---\n{await stderr.ConfigureAwait(false)}", e);
            }
        }

        throw last!;
    }

    /// <summary>Client options for this server: the shared user key, strict checking against its three host keys.</summary>
    public SshClientOptions Options()
    {
        string knownHosts = Path.Combine(Directory, "known_hosts");
        if (!File.Exists(knownHosts))
        {
            File.WriteAllLines(knownHosts, HostKeyPaths.Select(p => $"[{Host}]:{Port} {File.ReadAllText(p + ".pub").Trim()}"));
        }

        var o = new SshClientOptions(Host, UserName) { Port = Port, UseAgent = false, HostKeyPolicy = HostKeyPolicy.Strict };
        o.IdentityFiles.Add(SshdServer.Keys.UserEd25519);
        o.KnownHostsFiles.Add(knownHosts);
        return o;
    }

    private static string BuildConfig(string dir, int port)
    {
        var sb = new StringBuilder();
        foreach (string line in new[]
        {
            "ServerName \"nsftp-test\"",
            "ServerType standalone",
            "UseIPv6 off",
            "DefaultAddress 127.0.0.1",
            "SocketBindTight on",
            FormattableString.Invariant($"Port {port}"),
            "User nobody",
            "Group nogroup",
            "Umask 022",
            "MaxInstances 30",
            $"PidFile {dir}/proftpd.pid",
            $"ScoreboardFile {dir}/proftpd.scoreboard",
            $"DelayTable {dir}/proftpd.delay",
            "WtmpLog off",
            "UseReverseDNS off",
            "RequireValidShell off",
            "RootLogin on",
            "UseFtpUsers off", // /etc/ftpusers lists root
            "AllowOverwrite on",
            "TimeoutIdle 600",
            $"SystemLog {dir}/system.log",
            $"TransferLog {dir}/xfer.log",
            "ModulePath /usr/lib/proftpd",
            "LoadModule mod_sftp.c",
            "<IfModule mod_sftp.c>",
            "  SFTPEngine on",
            $"  SFTPLog {dir}/sftp.log",
            $"  SFTPHostKey {dir}/host_ed25519",
            $"  SFTPHostKey {dir}/host_ecdsa",
            $"  SFTPHostKey {dir}/host_rsa",
            "  SFTPAuthMethods publickey",
            $"  SFTPAuthorizedUserKeys file:{dir}/keys/%u",
            "  SFTPCompression off",
            "</IfModule>",
            $"DefaultRoot {dir}/root",
            $"<Directory {dir}/root>",
            "  AllowOverwrite on",
            "  <Limit ALL>",
            "    AllowAll",
            "  </Limit>",
            "</Directory>",
        })
        {
            sb.Append(line).Append('\n');
        }

        return sb.ToString();
    }

    private static void Keygen(string path, string type, params string[] extra) =>
        TestKeys.Run("/usr/bin/ssh-keygen", ["-q", "-t", type, "-N", "", "-C", "nsftp-proftpd-host", "-f", path, .. extra]);

    private Task WaitForBannerAsync(CancellationToken cancellationToken) =>
        LoopbackServer.WaitForBannerAsync(_process, Port, "proftpd", StartTimeout, () => Task.FromResult(""), cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await LoopbackServer.StopAsync(_process).ConfigureAwait(false);
        LoopbackServer.DeleteQuietly(Directory);
    }
}
