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

        // Small requests, one at a time, so the main session is still busy when the extra connections have logged
        // in and join (upload sessions share the work as they come).
        var up = await SftpTransfer.UploadAsync(TestClients.Options(sshd), local, sshd.Directory + "/up.bin",
            new TransferOptions { Segments = 3, SegmentsOnSeparateConnections = true, Retries = 0, ChunkSize = 16 * 1024, RequestsInFlight = 1 }, null, cts.Token);
        Assert.That(up.Segments, Is.InRange(2, 3), "at least one separate connection carried data");
        Assert.That(await File.ReadAllBytesAsync(sshd.Directory + "/up.bin", cts.Token), Is.EqualTo(data));

        // Downloads share a cursor the same way.
        var down = await SftpTransfer.DownloadAsync(TestClients.Options(sshd), sshd.Directory + "/up.bin", Path.Combine(sshd.Directory, "down.bin"),
            new TransferOptions { Segments = 3, SegmentsOnSeparateConnections = true, Retries = 0, ChunkSize = 16 * 1024, RequestsInFlight = 1 }, null, cts.Token);
        Assert.That(down.Segments, Is.InRange(2, 3), "at least one separate connection carried data");
        Assert.That(down.Sha256, Is.EqualTo(Convert.ToHexStringLower(SHA256.HashData(data))));
        Assert.That(await File.ReadAllBytesAsync(Path.Combine(sshd.Directory, "down.bin"), cts.Token), Is.EqualTo(data));

        // One connection for the session plus two per transfer for the extra segments: at least 6 logins.
        int logins = Regex.Matches(sshd.ReadLog(), "Accepted publickey").Count;
        Assert.That(logins, Is.GreaterThanOrEqualTo(6));
    }

    /// <summary>
    /// A server that allows fewer sessions than segments (OpenSSH's MaxSessions; 10 by default, 2 here: the main
    /// SFTP session and one more): the refused sessions take no share, and the file arrives whole
    /// and verified.
    /// </summary>
    [Test]
    public async Task AServerThatAllowsFewerSessions_StillGetsTheWholeFile_OnTheSessionsItAllows()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await using var sshd = await SshdServer.StartAsync(o => o.ConfigLines.Add("MaxSessions 2"));
        await using var ssh = await SshClient.ConnectAsync(TestClients.Options(sshd), cts.Token);
        await using var sftp = await ssh.OpenSftpAsync(cts.Token);
        string local = Path.Combine(sshd.Directory, "src.bin");
        byte[] data = RandomNumberGenerator.GetBytes((40 << 20) + 123);
        await File.WriteAllBytesAsync(local, data, cts.Token);
        var options = new TransferOptions { Segments = 4 };

        var up = await sftp.UploadFileAsync(local, sshd.Directory + "/up.bin", options, null, cts.Token);

        Assert.That(await File.ReadAllBytesAsync(sshd.Directory + "/up.bin", cts.Token), Is.EqualTo(data));
        // The one extra session goes to a segment or to the hash command's lookup, whichever asks first.
        Assert.That(up.Segments, Is.InRange(1, 2), "the main session, and the one extra session the server allowed if a segment got it");
        Assert.That(up.VerifyMethod, Does.StartWith("sha256 (remote openssl"), "streamed if its channel got the free session, else after the transfer");

        string back = Path.Combine(sshd.Directory, "down.bin");
        var down = await sftp.DownloadFileAsync(sshd.Directory + "/up.bin", back, options, null, cts.Token);

        Assert.That(await File.ReadAllBytesAsync(back, cts.Token), Is.EqualTo(data));
        Assert.That(down.Segments, Is.InRange(1, 2), "the main session, and the one extra session if a segment got it before the hash");
        Assert.That(down.VerifyMethod, Is.EqualTo("sha256 (remote openssl)"));
        Assert.That(sshd.ReadLog(), Does.Contain("no more sessions"), "sshd did refuse sessions");
    }

    /// <summary>
    /// A server that allows one session per connection (MaxSessions 1): no exec channel can ever open beside the SFTP
    /// session, so Auto verifies the size and says why the hash was not done; the transfer itself is unharmed.
    /// </summary>
    [Test]
    public async Task AServerThatAllowsOneSession_VerifiesBySize_AndSaysSo()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await using var sshd = await SshdServer.StartAsync(o => o.ConfigLines.Add("MaxSessions 1"));
        await using var ssh = await SshClient.ConnectAsync(TestClients.Options(sshd), cts.Token);
        await using var sftp = await ssh.OpenSftpAsync(cts.Token);
        string local = Path.Combine(sshd.Directory, "src.bin");
        byte[] data = RandomNumberGenerator.GetBytes((20 << 20) + 5);
        await File.WriteAllBytesAsync(local, data, cts.Token);

        var up = await sftp.UploadFileAsync(local, sshd.Directory + "/up.bin", null, null, cts.Token);
        var down = await sftp.DownloadFileAsync(sshd.Directory + "/up.bin", Path.Combine(sshd.Directory, "down.bin"), null, null, cts.Token);

        Assert.That(await File.ReadAllBytesAsync(sshd.Directory + "/up.bin", cts.Token), Is.EqualTo(data));
        Assert.That(await File.ReadAllBytesAsync(Path.Combine(sshd.Directory, "down.bin"), cts.Token), Is.EqualTo(data));
        Assert.That(up.VerifyMethod, Is.EqualTo("size (no remote hash available)"));
        Assert.That(down.VerifyMethod, Is.EqualTo("size (no remote hash available)"));
        Assert.That(up.Sha256, Is.EqualTo(down.Sha256), "the digests of what was sent and what came back still agree");
    }

    /// <summary>
    /// Segment sessions that never open (a separate connection that hangs until the deadline): cancelling the
    /// transfer ends it promptly and loudly, with no part left waiting on a segment that never decided.
    /// </summary>
    [Test]
    public async Task CancellingWhileSegmentSessionsAreStillOpening_EndsPromptlyAndLoudly()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await using var sshd = await SshdServer.StartAsync();
        await using var ssh = await SshClient.ConnectAsync(TestClients.Options(sshd), deadline.Token);
        await using var sftp = await ssh.OpenSftpAsync(deadline.Token);
        string local = Path.Combine(sshd.Directory, "src.bin");
        await File.WriteAllBytesAsync(local, RandomNumberGenerator.GetBytes(40 << 20), deadline.Token);
        using var cancel = new CancellationTokenSource();
        SftpFileTransfer.SessionFactory never = async ct =>
        {
            // Cancelled while the main session has just begun: the pending opens are given up once every chunk is
            // taken, so a later cancel could find the transfer done.
            _ = cancel.CancelAsync();
            await Task.Delay(Timeout.Infinite, ct);
            throw new InvalidOperationException("not reached");
        };
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var e = Assert.CatchAsync(() => SftpFileTransfer.UploadCoreAsync(sftp, local, sshd.Directory + "/up.bin",
            new TransferOptions { Segments = 4 }, null, 0, 1, never, cancel.Token));

        // Canceled, directly or as the cause the transfer reports, and not some other failure.
        Assert.That(e is OperationCanceledException || e?.InnerException is OperationCanceledException, Is.True, e!.ToString());
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(30)), "ended by the cancellation, not by a timeout");
        Assert.That(File.Exists(sshd.Directory + "/up.bin"), Is.False, "nothing under the final name");
    }
}
