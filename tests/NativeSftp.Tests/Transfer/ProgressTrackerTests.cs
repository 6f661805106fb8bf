using NativeSftp.Tests.Connection;
using NativeSftp.Transfer;

namespace NativeSftp.Tests.Transfer;

/// <summary>
/// The progress tracker's rate and ETA over a stall. Found against ProFTPD: a server paused for 40 s turned a transfer
/// that completed (file whole and renamed into place) into a reported failure, because the smoothed rate decayed
/// towards zero without reaching it and the ETA (remaining ÷ rate) overflowed TimeSpan inside the reporting loop,
/// whose exception the transfer then rethrew.
/// </summary>
[TestFixture]
public class ProgressTrackerTests
{
    private sealed class Recorder : IProgress<TransferProgress>
    {
        public List<TransferProgress> Reports { get; } = [];

        public void Report(TransferProgress value) => Reports.Add(value);
    }

    [Test]
    public async Task ALongStall_DecaysTheRateToZero_AndTheEtaToUnknown_WithoutThrowing()
    {
        var time = new ManualTimeProvider();
        var recorder = new Recorder();
        // The timer never fires during the test: samples are taken by hand.
        await using var tracker = new ProgressTracker(recorder, 1L << 40, 0, TimeSpan.FromHours(1), time, null);
        tracker.Add(100L << 20);
        time.Advance(TimeSpan.FromSeconds(1));
        tracker.Sample();
        tracker.Report();
        Assert.That(recorder.Reports[^1].BytesPerSecond, Is.EqualTo(100.0 * 1024 * 1024).Within(1));
        Assert.That(recorder.Reports[^1].EstimatedRemaining, Is.Not.Null);

        // Ten minutes of nothing, sampled four times a second as the reporting loop does.
        for (int i = 0; i < 2400; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(250));
            tracker.Sample();
            Assert.DoesNotThrow(tracker.Report, $"report {i} of the stall");
        }

        Assert.That(recorder.Reports[^1].BytesPerSecond, Is.Zero, "a rate decayed below 1 B/s is called zero");
        Assert.That(recorder.Reports[^1].EstimatedRemaining, Is.Null, "no rate, no estimate");

        // The transfer resumes: the rate comes back at once.
        tracker.Add(10L << 20);
        time.Advance(TimeSpan.FromSeconds(1));
        tracker.Sample();
        tracker.Report();
        Assert.That(recorder.Reports[^1].BytesPerSecond, Is.EqualTo(10.0 * 1024 * 1024).Within(1));
    }

    [TestCase(0, 1e9, 0.0)]
    [TestCase(1000, 0.5, null)]
    [TestCase(1000, 100, 10.0)]
    [TestCase(long.MaxValue, 1, null)]
    [TestCase(-5, 100, 0.0)]
    public void TimeLeft_IsNullWhenTheRateSaysNothing(long remaining, double rate, double? seconds)
    {
        var left = ProgressTracker.TimeLeft(remaining, rate);
        Assert.That(left?.TotalSeconds, seconds is null ? Is.Null : Is.EqualTo(seconds.Value).Within(1e-9));
    }

    [Test]
    public async Task ATransferOverBeforeTheFirstSample_ReportsItsAverageRate_NotZero()
    {
        var time = new ManualTimeProvider();
        var recorder = new Recorder();
        await using var tracker = new ProgressTracker(recorder, 4096, 0, TimeSpan.FromHours(1), time, null);
        tracker.Add(4096);
        time.Advance(TimeSpan.FromMilliseconds(100));
        tracker.Phase = TransferPhase.Completed;
        tracker.Report();
        Assert.That(recorder.Reports[^1].BytesPerSecond, Is.EqualTo(40960).Within(1e-6));
    }

    [Test]
    public async Task AReceiverThatThrows_StopsTheReports_NotTheTransfer()
    {
        var throwing = new ThrowingProgress();
        var tracker = new ProgressTracker(throwing, 100, 0, TimeSpan.FromMilliseconds(5), TimeProvider.System, null);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        while (throwing.Calls == 0 && sw.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(5);
        }

        Assert.That(throwing.Calls, Is.GreaterThan(0), "the loop reported");
        tracker.Phase = TransferPhase.Verifying;
        Assert.DoesNotThrow(tracker.Report, "a report on a phase change (the transfer's own thread) does not throw either");
        Assert.DoesNotThrowAsync(async () => await tracker.DisposeAsync(), "disposing the tracker (the transfer's end) does not rethrow the receiver's failure");
    }

    private sealed class ThrowingProgress : IProgress<TransferProgress>
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public void Report(TransferProgress value)
        {
            Interlocked.Increment(ref _calls);
            throw new InvalidOperationException("a receiver's bug");
        }
    }
}
