using System.Diagnostics;
using NativeSftp.Tests.Fixtures;
using NativeSftp.Transfer;

namespace NativeSftp.Tests.Resilience;

/// <summary>Faults on the server's side: killed session processes, a crash and restart, a full disk.</summary>
[TestFixture]
[NonParallelizable]
public class ServerFaultTests
{
    /// <summary>First connection slowed to 4 MiB/s so a 16 MiB transfer is still running when the fault is injected.</summary>
    private const long ThrottleRate = 4L << 20;

    private const long FileSize = 16L << 20;

    /// <summary>Partial bytes on disk before the fault is injected: well into the transfer, far from its end.</summary>
    private const long InjectAfter = 3L << 20;

    private static CancellationToken Timeout(int seconds = 90) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    private static async Task WaitForPartialAsync(string path, Task running, CancellationToken ct)
    {
        var sw = Stopwatch.StartNew();
        while (!(File.Exists(path) && new FileInfo(path).Length >= InjectAfter))
        {
            Assert.That(running.IsCompleted, Is.False, "the transfer ended before the fault could be injected");
            Assert.That(sw.Elapsed, Is.LessThan(TimeSpan.FromSeconds(20)), "the partial never grew");
            await Task.Delay(20, ct);
        }
    }

    private static async Task<(string Source, string Destination, string Partial)> FilesAsync(SshdServer sshd, int seed)
    {
        string dir = Path.Combine(sshd.Directory, "srv-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        string source = Path.Combine(dir, "source.bin");
        await Task.Run(() => FaultRun.WriteRandomFile(source, FileSize, seed));
        string destination = Path.Combine(dir, "destination.bin");
        return (source, destination, SftpFileTransfer.TemporaryRemoteName(destination));
    }

    private static void AssertIdentical(string expected, string actual) =>
        Assert.That(FaultRun.Sha256(actual), Is.EqualTo(FaultRun.Sha256(expected)), "byte-identical");

    [TestCase("internal-sftp", "sshd")]
    [TestCase(SshdServer.SftpServerPath, "sftp-server")]
    public async Task SessionProcessKilledMidUpload_TheRetryResumesAndCompletes(string subsystem, string victim)
    {
        var ct = Timeout();
        await using var sshd = await SshdServer.StartAsync(o => o.SftpSubsystem = subsystem);
        var (source, destination, partial) = await FilesAsync(sshd, 21);
        await using var proxy = new TcpFaultProxy(sshd.Port, new ProxyFault(FaultKind.Throttle, FaultDirection.ClientToServer, 0) { BytesPerSecond = ThrottleRate });
        var connection = FaultRun.ViaProxy(sshd, proxy.Port, TimeSpan.FromSeconds(1));
        var upload = SftpTransfer.UploadAsync(connection, source, destination, FaultRun.Options(3), null, ct);
        await WaitForPartialAsync(partial, upload, ct);

        // sftp-server: only the subsystem process. sshd: every session process under the listener.
        var killed = SshdProcesses.KillSessions(sshd, victim == "sftp-server" ? cmd => cmd.Contains("sftp-server", StringComparison.Ordinal) : null);
        TestContext.Out.WriteLine("killed: " + string.Join("; ", killed));
        Assert.That(killed, Is.Not.Empty);

        var result = await upload;
        TestContext.Out.WriteLine(string.Join("\n", result.Attempts.Select(a => $"#{a.Number} from {a.StartOffset}: {a.Failure ?? "ok"}")));
        AssertIdentical(source, destination);
        Assert.That(result.Attempts, Has.Count.GreaterThanOrEqualTo(2));
        Assert.That(result.ResumedFrom, Is.GreaterThan(0));
        Assert.That(result.ResumeVerification, Does.StartWith("sha256 of the first"));
    }

    /// <summary>
    /// A segmented download whose connection dies part-way: the sessions share one cursor, so the failure reports the
    /// whole prefix written locally and the partial is cut back to exactly that (chunks in flight on other sessions
    /// leave holes past it); a later run with Resume starts there, with segments again, and its hash covers the kept
    /// prefix and the rest.
    /// </summary>
    [Test]
    public async Task SessionProcessesKilledMidSegmentedDownload_ThePartialIsTheWholePrefix_AndResumesThere()
    {
        var ct = Timeout();
        await using var sshd = await SshdServer.StartAsync();
        var (source, destination, _) = await FilesAsync(sshd, 24);
        string partial = SftpFileTransfer.TemporaryLocalName(destination);
        await using var proxy = new TcpFaultProxy(sshd.Port, new ProxyFault(FaultKind.Throttle, FaultDirection.ServerToClient, 0) { BytesPerSecond = ThrottleRate });
        var connection = FaultRun.ViaProxy(sshd, proxy.Port, TimeSpan.FromSeconds(1));
        var options = FaultRun.Options(0);
        options.Segments = 3;
        var download = SftpTransfer.DownloadAsync(connection, source, destination, options, null, ct);
        await WaitForPartialAsync(partial, download, ct);

        var killed = SshdProcesses.KillSessions(sshd, null);
        TestContext.Out.WriteLine("killed: " + string.Join("; ", killed));
        Assert.That(killed, Is.Not.Empty);

        var ex = Assert.ThrowsAsync<TransferException>(async () => await download);
        TestContext.Out.WriteLine(ex!.Message);
        long kept = ex.AcknowledgedOffset;
        Assert.That(kept, Is.GreaterThan(0), "the prefix written before the connection died");
        Assert.That(new FileInfo(partial).Length, Is.EqualTo(kept), "the partial is cut back to the whole prefix");
        Assert.That(File.ReadAllBytes(partial), Is.EqualTo(File.ReadAllBytes(source).AsSpan(0, (int)kept).ToArray()));

        options.Resume = true;
        var result = await SftpTransfer.DownloadAsync(FaultRun.ViaProxyless(sshd), source, destination, options, null, ct);
        AssertIdentical(source, destination);
        Assert.That(result.ResumedFrom, Is.EqualTo(kept), "it continued exactly there");
        Assert.That(result.ResumeVerification, Does.StartWith("sha256 of the first"));
        Assert.That(result.Segments, Is.GreaterThanOrEqualTo(1));
        Assert.That(result.Sha256, Is.EqualTo(Convert.ToHexStringLower(FaultRun.Sha256(source))), "the hash covers the kept prefix and the resumed rest");
    }

    [Test]
    public async Task ServerCrashAndRestartOnTheSamePort_TheRetryResumesAndCompletes()
    {
        var ct = Timeout();
        await using var sshd = await SshdServer.StartAsync();
        var (source, destination, partial) = await FilesAsync(sshd, 22);
        await using var proxy = new TcpFaultProxy(sshd.Port, new ProxyFault(FaultKind.Throttle, FaultDirection.ClientToServer, 0) { BytesPerSecond = ThrottleRate });
        var connection = FaultRun.ViaProxy(sshd, proxy.Port, TimeSpan.FromSeconds(1));
        var options = FaultRun.Options(6);
        var upload = SftpTransfer.UploadAsync(connection, source, destination, options, null, ct);
        await WaitForPartialAsync(partial, upload, ct);

        // Down for a second: the first reconnects are refused (connection errors, retried with backoff).
        using var restarted = await SshdProcesses.CrashAndRestartAsync(sshd, TimeSpan.FromSeconds(1), ct);
        try
        {
            var result = await upload;
            TestContext.Out.WriteLine(string.Join("\n", result.Attempts.Select(a => $"#{a.Number} from {a.StartOffset}: {a.Failure ?? "ok"}")));
            AssertIdentical(source, destination);
            Assert.That(result.Attempts, Has.Count.GreaterThanOrEqualTo(2));
            Assert.That(result.ResumedFrom, Is.GreaterThan(0));
        }
        finally
        {
            restarted.Kill(entireProcessTree: true);
            await restarted.WaitForExitAsync(CancellationToken.None);
        }
    }

    [Test]
    public async Task DiskFull_FailsAfterOneAttempt_WithoutARetryStorm_AndTheKeptPartialResumesLater()
    {
        Assert.That(Environment.UserName, Is.EqualTo("root"), "this test mounts a tmpfs and must run as root (as ./build.sh test does)");
        var ct = Timeout();
        await using var sshd = await SshdServer.StartAsync();
        var (source, _, _) = await FilesAsync(sshd, 23);
        string mount = Path.Combine(sshd.Directory, "small");
        Directory.CreateDirectory(mount);
        TestKeys.Run("/bin/mount", ["-t", "tmpfs", "-o", "size=10m", "tmpfs", mount]);
        try
        {
            string destination = mount + "/big.bin";
            string partial = SftpFileTransfer.TemporaryRemoteName(destination);
            var connection = FaultRun.ViaProxyless(sshd);
            var options = FaultRun.Options(5);
            var ex = Assert.ThrowsAsync<TransferException>(async () => await SftpTransfer.UploadAsync(connection, source, destination, options, null, ct));
            TestContext.Out.WriteLine(ex!.Message);
            Assert.That(ex.Attempts, Has.Count.EqualTo(1), "a full disk is not retried");
            Assert.That(ex.Message, Does.Contain("disk full"));
            Assert.That(File.Exists(destination), Is.False, "nothing under the final name");
            Assert.That(File.Exists(partial), Is.True, "the partial is kept for --resume");
            long kept = new FileInfo(partial).Length;
            Assert.That(kept, Is.GreaterThan(0));

            // Room is made (the tmpfs grows); a later run with Resume continues the partial instead of starting over.
            TestKeys.Run("/bin/mount", ["-o", "remount,size=40m", mount]);
            options.Resume = true;
            var result = await SftpTransfer.UploadAsync(connection, source, destination, options, null, ct);
            AssertIdentical(source, destination);
            Assert.That(result.ResumedFrom, Is.GreaterThan(0).And.LessThanOrEqualTo(kept));
            Assert.That(result.ResumeVerification, Does.StartWith("sha256 of the first"));
        }
        finally
        {
            TestKeys.Run("/bin/umount", ["-l", mount]);
        }
    }
}
