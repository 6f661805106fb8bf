using System.Security.Cryptography;
using NativeSftp.Sftp;
using NativeSftp.Tests.Cli;
using NativeSftp.Tests.Fixtures;
using NativeSftp.Transfer;

namespace NativeSftp.Tests.Transfer;

/// <summary>
/// The streamed upload hash is a shortcut, never the verdict: against a server whose dd misbehaves (sshd_config
/// SetEnv puts a fake one first in PATH), the streamed digest disagrees or fails, the whole file is hashed again
/// after the transfer with the real openssl, and that decides.
/// </summary>
[TestFixture]
public sealed class StreamedHashFallbackTests
{
    private string _fakeBin = null!;
    private string _failingBin = null!;
    private SshdServer _silent = null!;
    private SshdServer _failing = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        // A dd that copies nothing and says all is well: the streamed digest is then of less data.
        _fakeBin = await FakeDdAsync("#!/bin/sh\nexit 0\n");
        // A dd that fails: the loop reports it on stderr.
        _failingBin = await FakeDdAsync("#!/bin/sh\necho 'dd: broken' >&2\nexit 1\n");
        _silent = await SshdServer.StartAsync(o => o.ConfigLines.Add($"SetEnv PATH={_fakeBin}:/usr/bin:/bin"));
        _failing = await SshdServer.StartAsync(o => o.ConfigLines.Add($"SetEnv PATH={_failingBin}:/usr/bin:/bin"));
    }

    private static async Task<string> FakeDdAsync(string script)
    {
        string dir = Path.Combine(Path.GetTempPath(), "nsftp-fakedd-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dir);
        string dd = Path.Combine(dir, "dd");
        await File.WriteAllTextAsync(dd, script);
        CliHome.SetMode(dd, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return dir;
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        await _silent.DisposeAsync();
        await _failing.DisposeAsync();
        Directory.Delete(_fakeBin, recursive: true);
        Directory.Delete(_failingBin, recursive: true);
    }

    [TestCase(false)]
    [TestCase(true)]
    public async Task AMisbehavingDd_FallsBackToTheWholeFileHash_AndTheUploadIsVerifiedAnyway(bool ddFails)
    {
        var sshd = ddFails ? _failing : _silent;
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await using var ssh = await SshClient.ConnectAsync(TestClients.Options(sshd), cts.Token);
        await using var sftp = await ssh.OpenSftpAsync(cts.Token);
        string local = Path.Combine(sshd.Directory, "src.bin");
        byte[] data = RandomNumberGenerator.GetBytes((40 << 20) + 99);
        await File.WriteAllBytesAsync(local, data, cts.Token);

        var up = await sftp.UploadFileAsync(local, sshd.Directory + "/up.bin", new TransferOptions { Segments = 1 }, null, cts.Token);

        Assert.That(up.VerifyMethod, Is.EqualTo("sha256 (remote openssl)"), "the streamed digest was not taken; the whole-file hash decided");
        Assert.That(up.Sha256, Is.EqualTo(Convert.ToHexStringLower(SHA256.HashData(data))));
        Assert.That(await File.ReadAllBytesAsync(sshd.Directory + "/up.bin", cts.Token), Is.EqualTo(data));
    }
}
