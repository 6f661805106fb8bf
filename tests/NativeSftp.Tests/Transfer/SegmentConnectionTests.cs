using System.Security.Cryptography;
using System.Text.RegularExpressions;
using NativeSftp.Tests.Fixtures;
using NativeSftp.Transfer;

namespace NativeSftp.Tests.Transfer;

/// <summary>Parallel segments over separate connections (the option beside channels on one connection).</summary>
[TestFixture]
public class SegmentConnectionTests
{
    [Test]
    public async Task SegmentsOnSeparateConnections_UploadAndDownload_AreByteIdentical()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await using var sshd = await SshdServer.StartAsync();
        string local = Path.Combine(sshd.Directory, "src.bin");
        byte[] data = RandomNumberGenerator.GetBytes((36 << 20) + 777);
        await File.WriteAllBytesAsync(local, data, cts.Token);
        var options = new TransferOptions { Segments = 3, SegmentsOnSeparateConnections = true, Retries = 0 };

        var up = await SftpTransfer.UploadAsync(TestClients.Options(sshd), local, sshd.Directory + "/up.bin", options, null, cts.Token);
        Assert.That(up.Segments, Is.EqualTo(3));
        Assert.That(await File.ReadAllBytesAsync(sshd.Directory + "/up.bin", cts.Token), Is.EqualTo(data));

        var down = await SftpTransfer.DownloadAsync(TestClients.Options(sshd), sshd.Directory + "/up.bin", Path.Combine(sshd.Directory, "down.bin"), options, null, cts.Token);
        Assert.That(down.Segments, Is.EqualTo(3));
        Assert.That(down.Sha256, Is.EqualTo(Convert.ToHexStringLower(SHA256.HashData(data))));
        Assert.That(await File.ReadAllBytesAsync(Path.Combine(sshd.Directory, "down.bin"), cts.Token), Is.EqualTo(data));

        // One connection for the session plus two per transfer for the extra segments: at least 6 logins.
        int logins = Regex.Matches(sshd.ReadLog(), "Accepted publickey").Count;
        Assert.That(logins, Is.GreaterThanOrEqualTo(6));
    }
}
