using System.Security.Cryptography;
using System.Text.RegularExpressions;
using NativeSftp.Tests.Fixtures;
using NativeSftp.Transfer;

namespace NativeSftp.Tests.Transfer;

/// <summary>
/// A series of resilient transfers on one kept connection (what put -r and get -r use). Found against ProFTPD: every
/// file of a tree opened its own connection, 0.2 to 0.3 s of handshake each.
/// </summary>
[TestFixture]
public class ReusableSessionTests
{
    private SshdServer _sshd = null!;

    [SetUp]
    public async Task Start() => _sshd = await SshdServer.StartAsync();

    [TearDown]
    public async Task Stop() => await _sshd.DisposeAsync();

    private int Logins => Regex.Matches(_sshd.ReadLog(), "Accepted publickey").Count;

    private string LocalFile(string name, int size)
    {
        string path = Path.Combine(_sshd.Directory, name);
        File.WriteAllBytes(path, RandomNumberGenerator.GetBytes(size));
        return path;
    }

    [Test]
    public async Task FiveUploadsAndDownloads_UseOneConnection()
    {
        await using var session = new ReusableSftpSession(TestClients.Options(_sshd));
        for (int i = 0; i < 5; i++)
        {
            string local = LocalFile($"f{i}.bin", 10_000 * (i + 1));
            string remote = Path.Combine(_sshd.Directory, $"r{i}.bin");
            string back = Path.Combine(_sshd.Directory, $"b{i}.bin");
            await SftpTransfer.UploadAsync(session, local, remote);
            await SftpTransfer.DownloadAsync(session, remote, back);
            Assert.That(File.ReadAllBytes(back), Is.EqualTo(File.ReadAllBytes(local)));
        }

        Assert.That(session.ConnectionsOpened, Is.EqualTo(1));
        Assert.That(Logins, Is.EqualTo(1), "sshd saw one login for ten transfers");
    }

    /// <summary>A failed attempt's session is not reused; neither is one whose connection died between transfers.</summary>
    [Test]
    public async Task AFailedTransferOrADeadConnection_IsReplaced_AndTheNextTransferWorks()
    {
        await using var session = new ReusableSftpSession(TestClients.Options(_sshd));
        string local = LocalFile("a.bin", 50_000);
        await SftpTransfer.UploadAsync(session, local, Path.Combine(_sshd.Directory, "a1.bin"));

        Assert.CatchAsync<SshException>(() => SftpTransfer.UploadAsync(session, local, Path.Combine(_sshd.Directory, "no-such-dir", "a.bin")));
        await SftpTransfer.UploadAsync(session, local, Path.Combine(_sshd.Directory, "a2.bin"));
        Assert.That(session.ConnectionsOpened, Is.EqualTo(2), "the failed attempt's session was discarded");

        var sftp = await session.AcquireAsync(CancellationToken.None);
        await sftp.Connection!.Transport.FailAsync(new SshConnectionException("cut by the test", DisconnectReason.ConnectionLost, ClosedBy.Network));
        await SftpTransfer.UploadAsync(session, local, Path.Combine(_sshd.Directory, "a3.bin"), new TransferOptions { Retries = 0 });

        Assert.That(session.ConnectionsOpened, Is.EqualTo(3), "a dead connection is replaced before use, without costing an attempt");
        foreach (string name in new[] { "a1.bin", "a2.bin", "a3.bin" })
        {
            Assert.That(File.ReadAllBytes(Path.Combine(_sshd.Directory, name)), Is.EqualTo(File.ReadAllBytes(local)), name);
        }
    }
}
