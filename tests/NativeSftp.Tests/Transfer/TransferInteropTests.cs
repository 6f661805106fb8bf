using System.Diagnostics;
using System.Security.Cryptography;
using NativeSftp.Sftp;
using NativeSftp.Tests.Fixtures;
using NativeSftp.Transfer;

namespace NativeSftp.Tests.Transfer;

/// <summary>Uploads and downloads against a real sshd, compared byte for byte.</summary>
[TestFixture]
public class TransferInteropTests
{
    private const int Chunk = 32 * 1024;
    private SshdServer _sshd = null!;
    private SshClient _ssh = null!;
    private SftpClient _sftp = null!;
    private string _dir = null!;
    private string _local = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        _sshd = await SshdServer.StartAsync();
        _ssh = await SshClient.ConnectAsync(TestClients.Options(_sshd), CancellationToken.None);
        _sftp = await _ssh.OpenSftpAsync(CancellationToken.None);
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        await _sftp.DisposeAsync();
        await _ssh.DisposeAsync();
        await _sshd.DisposeAsync();
    }

    [SetUp]
    public void Dirs()
    {
        string id = Guid.NewGuid().ToString("N")[..8];
        _dir = Path.Combine(_sshd.Directory, "remote-" + id);
        _local = Path.Combine(_sshd.Directory, "local-" + id);
        Directory.CreateDirectory(_dir);
        Directory.CreateDirectory(_local);
    }

    private static CancellationToken Timeout(int seconds = 120) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    private string MakeLocal(long size, string name = "src.bin")
    {
        string path = Path.Combine(_local, name);
        using var f = File.Create(path);
        var rng = new Random((int)size);
        byte[] buffer = new byte[1 << 20];
        for (long done = 0; done < size; done += buffer.Length)
        {
            rng.NextBytes(buffer);
            f.Write(buffer, 0, (int)Math.Min(buffer.Length, size - done));
        }

        return path;
    }

    private static void AssertSameFile(string expected, string actual)
    {
        Assert.That(new FileInfo(actual).Length, Is.EqualTo(new FileInfo(expected).Length), "size");
        using var a = File.OpenRead(expected);
        using var b = File.OpenRead(actual);
        Assert.That(SHA256.HashData(b), Is.EqualTo(SHA256.HashData(a)), "content");
    }

    [TestCase(0)]
    [TestCase(1)]
    [TestCase(Chunk - 1)]
    [TestCase(Chunk)]
    [TestCase(Chunk + 1)]
    [TestCase(100 << 20)]
    public async Task UploadThenDownload_IsByteIdentical(long size)
    {
        var ct = Timeout();
        string src = MakeLocal(size);
        string remote = _dir + "/file.bin";
        var up = await _sftp.UploadFileAsync(src, remote, new TransferOptions { ChunkSize = Chunk }, null, ct);
        AssertSameFile(src, remote);
        Assert.That(up.Bytes, Is.EqualTo(size));
        Assert.That(up.VerifyMethod, Is.EqualTo("sha256 (remote openssl, streamed)"), "Auto picks the strongest: OpenSSH has no check-file; the server has openssl, run while sending");
        Assert.That(File.Exists(SftpFileTransfer.TemporaryRemoteName(remote)), Is.False, "the temporary name is gone after the rename");

        string back = Path.Combine(_local, "back.bin");
        var down = await _sftp.DownloadFileAsync(remote, back, new TransferOptions { ChunkSize = Chunk }, null, ct);
        AssertSameFile(src, back);
        Assert.That(down.Sha256, Is.EqualTo(up.Sha256));
        Assert.That(File.Exists(SftpFileTransfer.TemporaryLocalName(back)), Is.False);
    }

    [TestCase(VerifyMode.None, "none", "none")]
    [TestCase(VerifyMode.Size, "size", "size")]
    [TestCase(VerifyMode.Sha256, "sha256 (remote openssl, streamed)", "sha256 (remote openssl)")]
    [TestCase(VerifyMode.ReadBack, "sha256 (read-back)", "sha256 (remote openssl)")]
    [TestCase(VerifyMode.Auto, "sha256 (remote openssl, streamed)", "sha256 (remote openssl)")]
    public async Task EveryVerifyMode_IsReportedAndHolds(VerifyMode mode, string uploadMethod, string downloadMethod)
    {
        var ct = Timeout();
        string src = MakeLocal(3 << 20);
        var up = await _sftp.UploadFileAsync(src, _dir + "/v.bin", new TransferOptions { Verify = mode }, null, ct);
        Assert.That(up.VerifyMethod, Is.EqualTo(uploadMethod));
        AssertSameFile(src, _dir + "/v.bin");
        var down = await _sftp.DownloadFileAsync(_dir + "/v.bin", Path.Combine(_local, "v.bin"), new TransferOptions { Verify = mode }, null, ct);
        Assert.That(down.VerifyMethod, Is.EqualTo(downloadMethod));
        AssertSameFile(src, Path.Combine(_local, "v.bin"));
    }

    /// <summary>OpenSSH's sftp regression matrix: request sizes × requests in flight on a 4 MiB file.</summary>
    [Test]
    public Task RequestSizeAndDepthMatrix_AllByteIdentical(
        [Values(1000, 32000, 64000, 261120)] int chunk,
        [Values(1, 2, 10, 64)] int depth) => RunMatrixCaseAsync(chunk, depth, 4 << 20);

    /// <summary>
    /// 5-byte requests: a 4 MiB file is 838,861 requests each way (over 2 minutes a case on loopback), so the
    /// regular suite uses 64 KiB (13,108 requests) and <c>./build.sh stress</c> runs the full 4 MiB.
    /// </summary>
    [Test]
    public Task RequestSizeAndDepthMatrix_FiveByteRequests([Values(1, 2, 10, 64)] int depth) => RunMatrixCaseAsync(5, depth, 64 << 10);

    [Test]
    [Category("Stress")]
    public Task RequestSizeAndDepthMatrix_FiveByteRequests_Full4MiB([Values(1, 2, 10, 64)] int depth) => RunMatrixCaseAsync(5, depth, 4 << 20, 900);

    private async Task RunMatrixCaseAsync(int chunk, int depth, long size, int timeoutSeconds = 120)
    {
        var ct = Timeout(timeoutSeconds);
        string src = MakeLocal(size, "m.bin");
        var options = new TransferOptions { ChunkSize = chunk, RequestsInFlight = depth, Verify = VerifyMode.Size };
        var up = await _sftp.UploadFileAsync(src, _dir + "/m.bin", options, null, ct);
        Assert.That(up.ChunkSize, Is.EqualTo(chunk));
        Assert.That(up.RequestsInFlight, Is.EqualTo(depth));
        AssertSameFile(src, _dir + "/m.bin");
        await _sftp.DownloadFileAsync(_dir + "/m.bin", Path.Combine(_local, "m2.bin"), options, null, ct);
        AssertSameFile(src, Path.Combine(_local, "m2.bin"));
    }

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(4)]
    public async Task ParallelSegments_AreByteIdentical(int segments)
    {
        var ct = Timeout();
        string src = MakeLocal((40 << 20) + 12345);
        var up = await _sftp.UploadFileAsync(src, _dir + "/s.bin", new TransferOptions { Segments = segments }, null, ct);
        // Upload sessions share one cursor and join as they open, so on loopback the main one may finish a share
        // before the last joins: at least two carried data whenever more than one was asked for.
        Assert.That(up.Segments, segments == 1 ? Is.EqualTo(1) : Is.InRange(2, segments));
        Assert.That(up.VerifyMethod, Is.EqualTo("sha256 (remote openssl, streamed)"), "the streamed hash follows the sessions' shared prefix");
        AssertSameFile(src, _dir + "/s.bin");
        // Downloads share a cursor too; small requests, few in flight, so the main session is still busy when the
        // others have opened (on loopback it could otherwise take every chunk first).
        var down = await _sftp.DownloadFileAsync(_dir + "/s.bin", Path.Combine(_local, "s.bin"),
            new TransferOptions { Segments = segments, ChunkSize = 32 * 1024, RequestsInFlight = 2 }, null, ct);
        Assert.That(down.Segments, segments == 1 ? Is.EqualTo(1) : Is.InRange(2, segments));
        Assert.That(down.Sha256, Is.EqualTo(up.Sha256), "the local hash follows the sessions' shared prefix");
        AssertSameFile(src, Path.Combine(_local, "s.bin"));
    }

    [TestCase(true, 1)]
    [TestCase(false, 1)]
    [TestCase(false, 2)]
    public async Task Progress_IsReportedDuringTheTransfer_NeverGoesBackwards_AndEndsComplete(bool upload, int segments)
    {
        var ct = Timeout();
        const int Size = 32 << 20;
        string src = MakeLocal(Size);
        await _sftp.UploadFileAsync(src, _dir + "/p.bin", new TransferOptions { Verify = VerifyMode.None }, null, ct);
        var reports = new List<TransferProgress>();
        var progress = new SyncProgress(reports);
        // Small requests, few in flight: long enough on loopback for several 10 ms reports mid-way.
        var options = new TransferOptions { ProgressInterval = TimeSpan.FromMilliseconds(10), ChunkSize = 32 * 1024, RequestsInFlight = 2, Segments = segments };
        _ = upload
            ? await _sftp.UploadFileAsync(src, _dir + "/p.bin", options, progress, ct)
            : await _sftp.DownloadFileAsync(_dir + "/p.bin", Path.Combine(_local, "p.bin"), options, progress, ct);
        lock (reports)
        {
            Assert.That(reports, Is.Not.Empty);
            Assert.That(reports[^1].Phase, Is.EqualTo(TransferPhase.Completed));
            Assert.That(reports[^1].BytesDone, Is.EqualTo(Size));
            Assert.That(reports.All(r => r.TotalBytes == Size), Is.True);
            Assert.That(reports.Any(r => r.Phase == TransferPhase.Transferring && r.BytesDone > 0 && r.BytesDone < Size), Is.True,
                "at least one report while the data was moving");
            Assert.That(reports.Any(r => r.Phase == TransferPhase.Transferring && r.BytesPerSecond > 0 && r.EstimatedRemaining is not null), Is.True,
                "a rate and an ETA once data moves");
            for (int i = 1; i < reports.Count; i++)
            {
                Assert.That(reports[i].BytesDone, Is.GreaterThanOrEqualTo(reports[i - 1].BytesDone), $"report {i} went backwards");
            }

            var phases = reports.Select(r => r.Phase).Distinct().ToList();
            Assert.That(phases.IndexOf(TransferPhase.Transferring), Is.LessThan(phases.IndexOf(TransferPhase.Completed)));
        }
    }

    private sealed class SyncProgress(List<TransferProgress> into) : IProgress<TransferProgress>
    {
        public void Report(TransferProgress value)
        {
            lock (into)
            {
                into.Add(value);
            }
        }
    }

    [Test]
    public async Task InPlace_WritesTheTargetDirectly()
    {
        var ct = Timeout();
        string src = MakeLocal(100_000);
        await _sftp.UploadFileAsync(src, _dir + "/ip.bin", new TransferOptions { UseTemporaryName = false }, null, ct);
        AssertSameFile(src, _dir + "/ip.bin");
    }

    [Test]
    public async Task DiskFullPartway_FailsLoudly_WithOffsets_AndNothingUnderTheFinalName()
    {
        if (Environment.UserName != "root")
        {
            Assert.Fail("this test mounts a 10 MiB tmpfs and must run as root (as ./build.sh test does in CI)");
        }

        var ct = Timeout();
        string mount = Path.Combine(_sshd.Directory, "small-" + Guid.NewGuid().ToString("N")[..6]);
        Directory.CreateDirectory(mount);
        TestKeys.Run("/bin/mount", ["-t", "tmpfs", "-o", "size=10m", "tmpfs", mount]);
        try
        {
            string src = MakeLocal(16 << 20);
            var ex = Assert.ThrowsAsync<TransferException>(async () => await _sftp.UploadFileAsync(src, mount + "/big.bin", null, null, ct));
            TestContext.Out.WriteLine(ex!.Message);
            Assert.That(ex.InnerException, Is.InstanceOf<SftpException>());
            Assert.That(((SftpException)ex.InnerException!).StatusCode, Is.EqualTo(NativeSftp.Sftp.Protocol.SftpStatusCode.Failure));
            Assert.That(ex.FirstFailedOffset, Is.Not.Null.And.LessThanOrEqualTo(10L << 20));
            Assert.That(ex.AcknowledgedOffset, Is.LessThanOrEqualTo(ex.FirstFailedOffset!.Value));
            Assert.That(ex.AcknowledgedOffset, Is.GreaterThan(0));
            Assert.That(File.Exists(mount + "/big.bin"), Is.False, "no file under the final name");
            Assert.That(_sftp.Channel!.Counters, Is.Not.Null);
            // The session is still usable after a failed transfer.
            Assert.That((await _sftp.StatAsync(mount, ct)).IsDirectory, Is.True);
        }
        finally
        {
            TestKeys.Run("/bin/umount", ["-l", mount]);
        }
    }

    [Test]
    public async Task RemoteFileShrinksDuringDownload_FailsLoudly()
    {
        var ct = Timeout();
        string src = MakeLocal(64 << 20);
        File.Copy(src, _dir + "/shrink.bin");
        var slow = new TransferOptions { ChunkSize = 32 * 1024, RequestsInFlight = 1, Verify = VerifyMode.None };
        var task = _sftp.DownloadFileAsync(_dir + "/shrink.bin", Path.Combine(_local, "shrink.bin"), slow, null, ct);
        var sw = Stopwatch.StartNew();
        while (!task.IsCompleted && sw.Elapsed < TimeSpan.FromSeconds(5) && new FileInfo(Path.Combine(_local, "shrink.bin" + ".nsftp-part")) is { Exists: false } or { Length: < 1 << 20 })
        {
            await Task.Delay(5, ct);
        }

        using (var f = new FileStream(_dir + "/shrink.bin", FileMode.Open, FileAccess.Write))
        {
            f.SetLength(2 << 20);
        }

        var ex = Assert.ThrowsAsync<TransferException>(async () => await task);
        Assert.That(ex!.Message, Does.Contain("changed under us").Or.Contain("ended at"));
        Assert.That(File.Exists(Path.Combine(_local, "shrink.bin")), Is.False, "nothing under the final local name");
    }
}
