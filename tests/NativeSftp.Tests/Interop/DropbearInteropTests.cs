using NativeSftp.Tests.Fixtures;
using NativeSftp.Transfer;

namespace NativeSftp.Tests.Interop;

/// <summary>
/// Against dropbear, an SSH transport independent of OpenSSH's (SFTP through OpenSSH's sftp-server): strict host
/// keys, verified and segmented transfers with a hash command running beside them (the setting in which dropbear
/// 2022.83 closes fresh channels at birth, mkj/dropbear#326), and re-keys in mid-transfer, which dropbear takes from
/// the client side.
/// </summary>
[TestFixture]
public class DropbearInteropTests : InteropTests<DropbearServer>
{
    protected override Task<DropbearServer> StartServerAsync() => DropbearServer.StartAsync();

    protected override string ServerDirectory(DropbearServer server) => server.Directory;

    protected override string ServerLog(DropbearServer server) => server.Log;

    [Test]
    public async Task Connects_WithStrictHostKeyChecking()
    {
        await using var ssh = await SshClient.ConnectAsync(Server.Options(), CancellationToken.None);
        Assert.That(ssh.ServerVersion, Does.Contain("dropbear"));
        Assert.That(ssh.Transport.IsStrictKex, Is.True, "dropbear 2022.83 in Debian 12 carries the Terrapin fix");
    }

    [TestCase(1)]
    [TestCase(4)]
    public async Task UploadAndDownload_VerifiedBySha256_WithSegments(int segments)
    {
        await using var ssh = await SshClient.ConnectAsync(Server.Options(), CancellationToken.None);
        await using var sftp = await ssh.OpenSftpAsync(CancellationToken.None);
        string local = LocalFile($"s{segments}.bin", (40 << 20) + 17);
        string remote = Path.Combine(Server.Home, $"s{segments}.bin");
        string back = Path.Combine(LocalDir, $"s{segments}.back");
        var options = new TransferOptions { Segments = segments, Verify = VerifyMode.Sha256 };

        var up = await sftp.UploadFileAsync(local, remote, options, null, CancellationToken.None);
        var down = await sftp.DownloadFileAsync(remote, back, options, null, CancellationToken.None);

        Assert.That(File.ReadAllBytes(remote), Is.EqualTo(File.ReadAllBytes(local)));
        Assert.That(File.ReadAllBytes(back), Is.EqualTo(File.ReadAllBytes(local)));
        Assert.That(up.VerifyMethod, Does.StartWith("sha256 (remote "));
        Assert.That(down.VerifyMethod, Does.StartWith("sha256 (remote "));
    }

    /// <summary>Our re-key every 8 MiB, many times inside one transfer, with data flowing both ways.</summary>
    [Test]
    public async Task ClientReKeys_ManyTimesDuringATransfer_LoseNothing()
    {
        var o = Server.Options();
        o.RekeyBytes = 8 << 20;
        await using var ssh = await SshClient.ConnectAsync(o, CancellationToken.None);
        await using var sftp = await ssh.OpenSftpAsync(CancellationToken.None);
        string local = LocalFile("rekey.bin", 48 << 20);
        string remote = Path.Combine(Server.Home, "rekey.bin");
        string back = Path.Combine(LocalDir, "rekey.back");

        await sftp.UploadFileAsync(local, remote, new TransferOptions { Verify = VerifyMode.Sha256 }, null, CancellationToken.None);
        await sftp.DownloadFileAsync(remote, back, new TransferOptions { Verify = VerifyMode.Sha256 }, null, CancellationToken.None);

        Assert.That(File.ReadAllBytes(back), Is.EqualTo(File.ReadAllBytes(local)));
        Assert.That(ssh.Transport.KeyExchangeCount, Is.GreaterThanOrEqualTo(10), "about one per 8 MiB of 96 MiB");
    }
}
