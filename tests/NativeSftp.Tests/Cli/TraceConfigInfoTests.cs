namespace NativeSftp.Tests.Cli;

[TestFixture]
[Category(NsftpProcess.Category)]
public sealed class TraceConfigInfoTests
{
    [Test]
    public async Task Info_ShowsBannerNegotiatedAlgorithmsStrictKexHostKeyAndSftpExtensions()
    {
        using var home = new CliHome(CliSshd.Server);
        var run = await home.RunAsync("info", "--kex", "curve25519-sha256", "--ciphers", "aes256-gcm@openssh.com", home.Url(""));

        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        string banner = await CliSshd.Server.ReadBannerAsync();
        Assert.That(run.StandardOutput, Does.Contain("banner: " + banner));
        Assert.That(run.StandardOutput, Does.Contain("  kex: curve25519-sha256\n"));
        Assert.That(run.StandardOutput, Does.Contain("  cipher: aes256-gcm@openssh.com (client to server)"));
        Assert.That(run.StandardOutput, Does.Contain("strict KEX: yes"));
        Assert.That(CliHome.HostKeyFingerprints().Any(fp => run.StandardOutput.Contains(fp, StringComparison.Ordinal)), Is.True);
        Assert.That(run.StandardOutput, Does.Contain("sftp version: 3"));
        Assert.That(run.StandardOutput, Does.Contain("posix-rename@openssh.com"));
        Assert.That(run.StandardOutput, Does.Contain("max read length:"));
    }

    [Test]
    public async Task Trace_RecordsPacketHeaders_NeverFileContents()
    {
        using var home = new CliHome(CliSshd.Server);
        string remote = CliSshd.NewRemoteFolder();
        try
        {
            const string Marker = "NSFTP-TRACE-MARKER-7f3a9c";
            await File.WriteAllTextAsync(Path.Combine(remote, "marked.txt"), string.Concat(Enumerable.Repeat(Marker, 100)));
            string trace = Path.Combine(home.Directory, "trace.log");

            var run = await home.RunAsync("ls", "--trace", trace, home.Url(remote));

            Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
            string text = await File.ReadAllTextAsync(trace);
            Assert.That(text, Does.Contain(" KEXINIT"));
            Assert.That(text, Does.Contain(" NEWKEYS"));
            Assert.That(text, Does.Match(@"send kex=1 wire=\d+ CHANNEL_DATA channel=\d+ data=\d+"));
            Assert.That(text, Does.Contain("USERAUTH_REQUEST method=publickey"));
            Assert.That(text, Does.Contain("CHANNEL_REQUEST channel=0 request=subsystem"));
            Assert.That(text, Does.Not.Contain(Marker));
            Assert.That(text, Does.Not.Contain("marked.txt"), "SFTP payloads (file names) stay out of the trace");
            Assert.That(text, Does.Not.Contain(Environment.UserName + " "), "the user name in USERAUTH_REQUEST stays out");
        }
        finally
        {
            Directory.Delete(remote, recursive: true);
        }
    }

    [Test]
    public async Task SshConfig_HostAlias_SuppliesHostNamePortUserIdentityAndKnownHosts()
    {
        using var home = new CliHome(CliSshd.Server, trustHost: false, defaultKey: false);
        var sshd = CliSshd.Server;
        CliHome.CopyKey(Fixtures.SshdServer.Keys.UserEd25519, Path.Combine(home.Directory, "keys", "fixture_key"));
        Directory.CreateDirectory(Path.Combine(home.Directory, "kh"));
        File.WriteAllLines(Path.Combine(home.Directory, "kh", "fixture_hosts"), CliHome.KnownHostsLines(sshd));
        File.WriteAllText(Path.Combine(home.SshDirectory, "config"), $"""
            # comments and unrelated hosts first
            Host other !fixture
                Port 1

            Host fix* !fixed
                HostName {sshd.Host}
                Port {sshd.Port}
                User {sshd.UserName}
                IdentityFile %d/keys/fixture_key
                UserKnownHostsFile ~/kh/fixture_hosts

            Host *
                Port 2
                User nobody-would-log-in-as-this
            """);

        var run = await home.RunAsync("ls", "sftp://fixture/tmp");
        var negated = await home.RunAsync("ls", "--connect-timeout", "5", "sftp://fixed/tmp");

        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(negated.ExitCode, Is.EqualTo(3), "'!fixed' must exclude that name from the block: " + negated);
    }

    [Test]
    public async Task CommandLineOptions_WinOverSshConfig()
    {
        using var home = new CliHome(CliSshd.Server);
        var sshd = CliSshd.Server;
        File.WriteAllText(Path.Combine(home.SshDirectory, "config"), $"""
            Host {sshd.Host}
                Port 1
                UserKnownHostsFile /nonexistent/known_hosts
            """);

        // The URL's port and --known-hosts override the config's.
        var run = await home.RunAsync("stat", "--known-hosts", home.KnownHostsPath, home.Url("/tmp"));

        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
    }
}
