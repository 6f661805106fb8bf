using NativeSftp.Tests.Fixtures;

namespace NativeSftp.Tests.Cli;

/// <summary>
/// A server that stores something other than what was sent, simulated honestly: its sessions find a sha256sum
/// first in PATH (sshd_config SetEnv) that hashes empty input correctly, so the engine's probe trusts it, and
/// prints a wrong digest for anything else.
/// </summary>
[TestFixture]
[Category(NsftpProcess.Category)]
public sealed class VerificationMismatchTests
{
    private const string FakeSha256sum = """
        #!/bin/sh
        # Real digest for empty input (the probe); a wrong one for any data.
        real=$(/usr/bin/sha256sum)
        case "$real" in
          e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855*) echo "$real" ;;
          *) echo "0000000000000000000000000000000000000000000000000000000000000000  -" ;;
        esac
        """;

    /// <summary>The engine tries openssl first; this server's is broken, so the lying sha256sum is the one it trusts.</summary>
    private const string BrokenOpenssl = """
        #!/bin/sh
        echo "openssl: broken on this server" >&2
        exit 1
        """;

    private string _fakeBin = null!;
    private SshdServer _sshd = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _fakeBin = Path.Combine(Path.GetTempPath(), "nsftp-fakebin-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(_fakeBin);
        string script = Path.Combine(_fakeBin, "sha256sum");
        await File.WriteAllTextAsync(script, FakeSha256sum.Replace("\r\n", "\n", StringComparison.Ordinal) + "\n");
        CliHome.SetMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        string openssl = Path.Combine(_fakeBin, "openssl");
        await File.WriteAllTextAsync(openssl, BrokenOpenssl.Replace("\r\n", "\n", StringComparison.Ordinal) + "\n");
        CliHome.SetMode(openssl, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        _sshd = await SshdServer.StartAsync(o => o.ConfigLines.Add($"SetEnv PATH={_fakeBin}:/usr/bin:/bin"));
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (_sshd is not null)
        {
            await _sshd.DisposeAsync();
        }

        Directory.Delete(_fakeBin, recursive: true);
    }

    [Test]
    public async Task Put_WhenTheServersDigestDiffers_ExitsFive_AndSaysVerificationFailed()
    {
        using var home = new CliHome(_sshd);
        string remote = CliSshd.NewRemoteFolder();
        try
        {
            string source = Path.Combine(home.Directory, "m.bin");
            await File.WriteAllBytesAsync(source, new byte[50_000]);

            var run = await home.RunAsync("put", "--progress", "none", source, home.Url(remote + "/m.bin"));

            Assert.That(run.ExitCode, Is.EqualTo(5), run.ToString());
            Assert.That(run.StandardError, Does.Contain("verification failed"), run.ToString());
            Assert.That(File.Exists(Path.Combine(remote, "m.bin")), Is.False, "a mismatching upload is not renamed into place");
        }
        finally
        {
            Directory.Delete(remote, recursive: true);
        }
    }
}
