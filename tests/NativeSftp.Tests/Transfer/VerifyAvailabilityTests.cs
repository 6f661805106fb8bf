using System.Security.Cryptography;
using NativeSftp.Tests.Fixtures;
using NativeSftp.Transfer;

namespace NativeSftp.Tests.Transfer;

/// <summary>
/// SHA-256 verification asked for on a server that can hash nothing (no check-file; every exec runs the SFTP server
/// instead, as with OpenSSH's ForceCommand internal-sftp): the transfer fails before a byte moves, saying what to use
/// instead. Found against ProFTPD, where it failed only after the whole transfer and left the partial behind.
/// </summary>
[TestFixture]
public class VerifyAvailabilityTests
{
    private SshdServer _sshd = null!;

    [OneTimeSetUp]
    public async Task Start() => _sshd = await SshdServer.StartAsync(o => o.ConfigLines.Add("ForceCommand internal-sftp"));

    [OneTimeTearDown]
    public async Task Stop() => await _sshd.DisposeAsync();

    [Test]
    public async Task Sha256_OnAServerThatCannotHash_FailsBeforeTransferring([Values] bool upload)
    {
        await using var ssh = await SshClient.ConnectAsync(TestClients.Options(_sshd), CancellationToken.None);
        await using var sftp = await ssh.OpenSftpAsync(CancellationToken.None);
        string name = upload ? "up.bin" : "down.bin";
        string local = Path.Combine(_sshd.Directory, "local-" + name);
        string remote = Path.Combine(_sshd.Directory, "remote-" + name);
        File.WriteAllBytes(upload ? local : remote, RandomNumberGenerator.GetBytes(3 << 20));
        var options = new TransferOptions { Verify = VerifyMode.Sha256 };

        var e = Assert.CatchAsync<NotSupportedException>(() => upload
            ? sftp.UploadFileAsync(local, remote, options, null, CancellationToken.None)
            : sftp.DownloadFileAsync(remote, local, options, null, CancellationToken.None));

        Assert.That(e!.Message, Does.Contain("nothing was transferred").And.Contain("read-back"));
        Assert.That(Directory.GetFiles(_sshd.Directory, "*.nsftp-part"), Is.Empty, "no partial left, on either side");
        Assert.That(File.Exists(upload ? remote : local), Is.False);
    }

    [Test]
    public async Task Auto_OnAServerThatCannotHash_VerifiesBySize_AndSaysSo()
    {
        await using var ssh = await SshClient.ConnectAsync(TestClients.Options(_sshd), CancellationToken.None);
        await using var sftp = await ssh.OpenSftpAsync(CancellationToken.None);
        string local = Path.Combine(_sshd.Directory, "auto.bin");
        File.WriteAllBytes(local, RandomNumberGenerator.GetBytes(1 << 20));

        var up = await sftp.UploadFileAsync(local, Path.Combine(_sshd.Directory, "auto.up"), new TransferOptions(), null, CancellationToken.None);

        Assert.That(up.VerifyMethod, Is.EqualTo("size (no remote hash available)"));
    }
}
