using System.Diagnostics;
using NativeSftp.Tests.Fixtures;
using NativeSftp.Transfer;

namespace NativeSftp.Tests.Resilience;

/// <summary>Network faults at chosen points: bit flips after key exchange, blackholes with and without keepalive.</summary>
[TestFixture]
public class NetworkFaultTests
{
    /// <summary>Well past the key exchange in either direction: each side sends about 2.4 KB before NEWKEYS (fixture traces).</summary>
    private const long AfterKeyExchange = 4500;

    private const long HeavyOffset = 1_000_000;

    /// <summary>
    /// In a download's request stream, past authentication and the SFTP start (~4.5 KB) but before its end (~8 KB for
    /// 16 MiB at 255 KiB per READ): keepalive only runs once the connection layer exists.
    /// </summary>
    private const long QuietAfterSftpStart = 6000;

    /// <summary>Detection slack over a bound: the keepalive/stall check runs once a second, plus a loaded CI machine.</summary>
    private static readonly TimeSpan Margin = TimeSpan.FromSeconds(1.5);

    private SshdServer _sshd = null!;
    private string _dir = null!;

    [OneTimeSetUp]
    public async Task Start() => _sshd = await SshdServer.StartAsync();

    [OneTimeTearDown]
    public async Task Stop() => await _sshd.DisposeAsync();

    [SetUp]
    public void Folder()
    {
        _dir = Path.Combine(_sshd.Directory, "net-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(_dir);
    }

    private static CancellationToken Timeout(int seconds = 60) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    private (string Source, string Destination) Files(long size, int seed)
    {
        string source = Path.Combine(_dir, "source.bin");
        FaultRun.WriteRandomFile(source, size, seed);
        return (source, Path.Combine(_dir, "destination.bin"));
    }

    private static void AssertIdentical(string expected, string actual) =>
        Assert.That(FaultRun.Sha256(actual), Is.EqualTo(FaultRun.Sha256(expected)), "byte-identical");

    [Test]
    public async Task BitFlipAfterKeyExchange_EndsTheConnection_IsNeverDelivered_AndTheRetryCompletes(
        [Values] bool upload, [Values] FaultDirection direction)
    {
        var ct = Timeout();
        var (source, destination) = Files(8 << 20, 11);
        bool heavy = upload == (direction == FaultDirection.ClientToServer);
        var fault = new ProxyFault(FaultKind.BitFlip, direction, heavy ? HeavyOffset : AfterKeyExchange) { Seed = 3 };
        await using var proxy = new TcpFaultProxy(_sshd.Port, fault);
        var connection = FaultRun.ViaProxy(_sshd, proxy.Port, TimeSpan.FromSeconds(1));
        var result = upload
            ? await SftpTransfer.UploadAsync(connection, source, destination, FaultRun.Options(3), null, ct)
            : await SftpTransfer.DownloadAsync(connection, source, destination, FaultRun.Options(3), null, ct);

        Assert.That(proxy.FaultsFired, Is.EqualTo(1), "the flip landed inside the stream");
        AssertIdentical(source, destination);
        Assert.That(result.Attempts, Has.Count.EqualTo(2), "one failed attempt, one that completed");
        string failure = result.Attempts[0].Failure!;
        TestContext.Out.WriteLine(failure);
        if (direction == FaultDirection.ServerToClient)
        {
            // We receive the flipped packet: the AEAD tag / MAC check must refuse it.
            Assert.That(failure, Does.Contain("MacError").And.Contain("corrupted or forged"));
        }
        else
        {
            // sshd refuses it. OpenSSH then goes quiet instead of sending DISCONNECT (it keeps reading to hide where the
            // bad MAC was, then drops the connection), so we see a close or a dead keepalive, never a reply to it.
            Assert.That(failure, Does.Contain("SshConnectionException").Or.Contain("keepalive").Or.Contain("closed the connection"));
        }
    }

    [Test]
    public async Task Blackhole_WithKeepAlive_IsDetectedWithinIntervalTimesCountPlusOne([Values] FaultDirection direction)
    {
        var ct = Timeout();
        var (source, destination) = Files(16 << 20, 12);
        var interval = TimeSpan.FromSeconds(1);
        const int countMax = 2;
        await using var proxy = new TcpFaultProxy(_sshd.Port, new ProxyFault(FaultKind.Blackhole, direction, direction == FaultDirection.ServerToClient ? HeavyOffset : QuietAfterSftpStart));
        var connection = FaultRun.ViaProxy(_sshd, proxy.Port, interval, countMax);

        // The stall timeout is far away, so only keepalive can end this attempt in time.
        var options = FaultRun.Options(0, TimeSpan.FromSeconds(60));
        var ex = Assert.ThrowsAsync<TransferException>(async () => await SftpTransfer.DownloadAsync(connection, source, destination, options, null, ct));
        TimeSpan detected = Stopwatch.GetElapsedTime(proxy.FirstFaultTimestamp!.Value);
        TestContext.Out.WriteLine($"detected after {detected.TotalSeconds:0.00} s: {ex!.Message}");

        TimeSpan bound = interval * (countMax + 1);
        Assert.That(detected, Is.LessThanOrEqualTo(bound + Margin));
        Assert.That(ex.Message, Does.Contain("keepalive"));
        Assert.That(ex.StallDiagnosis, Is.Null, "keepalive, not the stall watchdog, found it");
        Assert.That(File.Exists(destination), Is.False, "nothing under the final name");
    }

    [Test]
    public async Task Blackhole_WithKeepAliveOff_IsDetectedByTheStallTimeout_WithTheDiagnosis([Values] bool upload)
    {
        var ct = Timeout();
        var (source, destination) = Files(16 << 20, 13);
        var stall = TimeSpan.FromSeconds(3);
        var toward = upload ? FaultDirection.ClientToServer : FaultDirection.ServerToClient;
        await using var proxy = new TcpFaultProxy(_sshd.Port, new ProxyFault(FaultKind.Blackhole, toward, HeavyOffset));
        var connection = FaultRun.ViaProxy(_sshd, proxy.Port, TimeSpan.Zero);
        var options = FaultRun.Options(0, stall);

        var ex = Assert.ThrowsAsync<TransferException>(async () =>
            await (upload
                ? SftpTransfer.UploadAsync(connection, source, destination, options, null, ct)
                : SftpTransfer.DownloadAsync(connection, source, destination, options, null, ct)));
        TimeSpan detected = Stopwatch.GetElapsedTime(proxy.FirstFaultTimestamp!.Value);
        TestContext.Out.WriteLine($"detected after {detected.TotalSeconds:0.00} s: {ex!.Message}");

        Assert.That(detected, Is.GreaterThanOrEqualTo(stall - TimeSpan.FromMilliseconds(200)).And.LessThanOrEqualTo(stall + Margin));
        Assert.That(ex.StallDiagnosis, Does.StartWith("no acknowledged progress for"));
        Assert.That(ex.StallDiagnosis, Does.Contain("nothing received from the server at all"));
        Assert.That(ex.StallDiagnosis, Does.Contain("in flight with no reply"));
        Assert.That(ex.Message, Does.Contain("stalled"));
        Assert.That(ex.Attempts, Has.Count.EqualTo(1));
        Assert.That(ex.Attempts[0].Failure, Does.Contain("stalled").And.Contain("nothing received"));
        Assert.That(File.Exists(destination), Is.False, "nothing under the final name");
        Assert.That(ex.AcknowledgedOffset, Is.GreaterThan(0), "the data before the blackhole counts");
        if (!upload)
        {
            // What a stalled download reports is what it wrote: the partial holds exactly that prefix.
            string partial = SftpFileTransfer.TemporaryLocalName(destination);
            Assert.That(new FileInfo(partial).Length, Is.EqualTo(ex.AcknowledgedOffset));
            Assert.That(File.ReadAllBytes(partial), Is.EqualTo(File.ReadAllBytes(source).AsSpan(0, (int)ex.AcknowledgedOffset).ToArray()));
        }
    }

    [Test]
    public async Task Blackhole_WithKeepAliveOff_TheRetryAfterTheStallCompletes()
    {
        var ct = Timeout();
        var (source, destination) = Files(8 << 20, 14);
        await using var proxy = new TcpFaultProxy(_sshd.Port, new ProxyFault(FaultKind.Blackhole, FaultDirection.ServerToClient, HeavyOffset));
        var connection = FaultRun.ViaProxy(_sshd, proxy.Port, TimeSpan.Zero);
        var result = await SftpTransfer.DownloadAsync(connection, source, destination, FaultRun.Options(2, TimeSpan.FromSeconds(2)), null, ct);
        AssertIdentical(source, destination);
        Assert.That(result.Attempts[0].Failure, Does.Contain("stalled"));
        Assert.That(result.ResumedFrom, Is.GreaterThan(0), "resumed, not started over");
        Assert.That(result.ResumeVerification, Does.StartWith("sha256 of the first"));
    }
}
