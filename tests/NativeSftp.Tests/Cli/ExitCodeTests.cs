using System.Net;
using System.Net.Sockets;
using NativeSftp.Tests.Fixtures;

namespace NativeSftp.Tests.Cli;

[TestFixture]
[Category(NsftpProcess.Category)]
public sealed class ExitCodeTests
{
    [Test]
    public async Task BadUrl_IsAUsageError()
    {
        using var home = new CliHome(CliSshd.Server);
        var run = await home.RunAsync("ls", "http://example.com/x");
        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
        Assert.That(run.StandardError, Does.Contain("not an sftp URL"));
    }

    [Test]
    public async Task BadPort_IsAUsageError()
    {
        using var home = new CliHome(CliSshd.Server);
        var run = await home.RunAsync("stat", "sftp://host:99999/x");
        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
        Assert.That(run.StandardError, Does.Contain("port"));
    }

    [Test]
    public async Task UnknownOption_IsAUsageError()
    {
        using var home = new CliHome(CliSshd.Server);
        var run = await home.RunAsync("ls", "--no-such-option", home.Url("/tmp"));
        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
        Assert.That(run.StandardOutput, Is.Empty);
    }

    /// <summary>
    /// An algorithm we do not implement (a typo, or one left out on purpose) is a usage error naming what is supported.
    /// Found against ProFTPD: it was reported as "an unexpected error ... This is a bug in nsftp", exit 1.
    /// </summary>
    [TestCase("--ciphers", "aes128-cbc")]
    [TestCase("--host-key-algorithms", "ssh-rsa")]
    [TestCase("--kex", "bogus")]
    [TestCase("--macs", "hmac-sha1")]
    public async Task UnsupportedAlgorithm_IsAUsageError_NamingTheSupportedOnes(string option, string name)
    {
        using var home = new CliHome(CliSshd.Server);
        var run = await home.RunAsync("info", option, name, home.Url("/tmp"));
        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
        Assert.That(run.StandardError, Does.Contain($"'{name}' is not supported").And.Contain("supported: "));
        Assert.That(run.StandardError, Does.Not.Contain("bug"));
    }

    [Test]
    public async Task MissingArgument_IsAUsageError()
    {
        using var home = new CliHome(CliSshd.Server);
        var run = await home.RunAsync("mv", home.Url("/tmp/x"));
        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
    }

    [Test]
    public async Task UnknownHostKey_IsRefusedUnderStrict_WithTheFingerprintAndAHint()
    {
        using var home = new CliHome(CliSshd.Server, trustHost: false);
        var run = await home.RunAsync("ls", home.Url("/tmp"));

        Assert.That(run.ExitCode, Is.EqualTo(3), run.ToString());
        Assert.That(CliHome.HostKeyFingerprints().Any(fp => run.StandardError.Contains(fp, StringComparison.Ordinal)), Is.True, run.ToString());
        Assert.That(run.StandardError, Does.Contain("accept-new"));
        Assert.That(run.StandardError, Does.Not.Contain("   at "), "no stack trace without -v");
        Assert.That(File.Exists(home.KnownHostsPath), Is.False, "strict must not write known_hosts");
    }

    [Test]
    public async Task AcceptNew_RecordsTheKey_ThenStrictSucceeds()
    {
        using var home = new CliHome(CliSshd.Server, trustHost: false);
        var first = await home.RunAsync("ls", "--host-key-policy", "accept-new", home.Url("/tmp"));
        var second = await home.RunAsync("ls", home.Url("/tmp"));

        Assert.That(first.ExitCode, Is.EqualTo(0), first.ToString());
        Assert.That(File.ReadAllText(home.KnownHostsPath), Does.Contain($"[{CliSshd.Server.Host}]:{CliSshd.Server.Port}"));
        Assert.That(second.ExitCode, Is.EqualTo(0), second.ToString());
    }

    [Test]
    public async Task PinnedFingerprint_ReplacesKnownHosts_AndAWrongPinIsRefused()
    {
        using var home = new CliHome(CliSshd.Server, trustHost: false);
        var args = new List<string> { "stat", home.Url("/tmp") };
        foreach (string fp in CliHome.HostKeyFingerprints())
        {
            args.AddRange(["--host-key-fingerprint", fp]);
        }

        var pinned = await home.RunAsync([.. args]);
        var wrong = await home.RunAsync("stat", "--host-key-fingerprint", "SHA256:" + new string('A', 43), home.Url("/tmp"));

        Assert.That(pinned.ExitCode, Is.EqualTo(0), pinned.ToString());
        Assert.That(wrong.ExitCode, Is.EqualTo(3), wrong.ToString());
        Assert.That(wrong.StandardError, Does.Contain("pinned"));
    }

    [Test]
    public async Task KeyTheServerDoesNotKnow_IsAnAuthenticationFailure()
    {
        using var home = new CliHome(CliSshd.Server, defaultKey: false);
        string stranger = Path.Combine(home.Directory, "stranger");
        TestKeys.Run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", stranger]);

        var run = await home.RunAsync("ls", "-i", stranger, home.Url("/tmp"));

        Assert.That(run.ExitCode, Is.EqualTo(3), run.ToString());
        Assert.That(run.StandardError, Does.Contain("authentication failed"));
    }

    [Test]
    public async Task MissingIdentityFile_IsAConnectionSetupFailure()
    {
        using var home = new CliHome(CliSshd.Server);
        var run = await home.RunAsync("ls", "-i", Path.Combine(home.Directory, "nope"), home.Url("/tmp"));
        Assert.That(run.ExitCode, Is.EqualTo(3), run.ToString());
        Assert.That(run.StandardError, Does.Contain("nope"));
    }

    [Test]
    public async Task ClosedPort_IsAConnectionFailure()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop(); // nobody listens there now

        using var home = new CliHome(CliSshd.Server);
        var run = await home.RunAsync("ls", "--connect-timeout", "5", $"sftp://127.0.0.1:{port}/tmp");

        Assert.That(run.ExitCode, Is.EqualTo(3), run.ToString());
        Assert.That(run.StandardError, Does.Contain("could not connect"));
    }

    [Test]
    public async Task StatOfAMissingFile_IsAnOperationFailure()
    {
        using var home = new CliHome(CliSshd.Server);
        var run = await home.RunAsync("stat", home.Url("/tmp/nsftp-no-such-file-" + Guid.NewGuid().ToString("N")));
        Assert.That(run.ExitCode, Is.EqualTo(4), run.ToString());
        Assert.That(run.StandardError, Does.Contain("SSH_FX_NO_SUCH_FILE"));
    }

    [Test]
    public async Task Verbose_AddsTheExceptionChain()
    {
        using var home = new CliHome(CliSshd.Server);
        var run = await home.RunAsync("stat", "-v", home.Url("/tmp/nsftp-no-such-file-" + Guid.NewGuid().ToString("N")));
        Assert.That(run.ExitCode, Is.EqualTo(4), run.ToString());
        Assert.That(run.StandardError, Does.Contain("NativeSftp.SftpException"));
    }
}
