using NativeSftp.Connection;

namespace NativeSftp.Transfer;

/// <summary>
/// Counts bytes done and reports <see cref="TransferProgress"/> at a bounded rate with a smoothed rate and ETA,
/// plus the flow figures that say why a transfer is slow. Also the clock the stall detector reads.
/// </summary>
internal sealed class ProgressTracker : IAsyncDisposable
{
    /// <summary>Weight of the newest sample in the smoothed rate (an exponential moving average over ~5 samples).</summary>
    private const double RateSmoothing = 0.2;

    /// <summary>An ETA longer than this is no estimate (and TimeSpan overflows near 29,000 years at any rate).</summary>
    private static readonly TimeSpan MaxEstimate = TimeSpan.FromDays(365);

    private readonly IProgress<TransferProgress>? _progress;
    private readonly TimeProvider _time;
    private readonly long? _total;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly Func<(int InFlight, TimeSpan Blocked)>? _flow;
    private readonly Lock _reportLock = new();
    private long _done;
    private long _lastProgressTimestamp;
    private long _lastSampleTimestamp;
    private long _lastSampleDone;
    private readonly long _startTimestamp;
    private readonly long _initialDone;
    private double _rate;
    private bool _receiverFailed;

    public ProgressTracker(IProgress<TransferProgress>? progress, long? total, long initialDone, TimeSpan interval, TimeProvider time, Func<(int, TimeSpan)>? flow)
    {
        _progress = progress;
        _total = total;
        _done = initialDone;
        _time = time;
        _flow = flow;
        _lastProgressTimestamp = time.GetTimestamp();
        _lastSampleTimestamp = _startTimestamp = _lastProgressTimestamp;
        _lastSampleDone = _initialDone = initialDone;
        _loop = progress is null ? Task.CompletedTask : Task.Run(() => LoopAsync(interval));
    }

    public TransferPhase Phase { get; set; } = TransferPhase.Transferring;
    public int Attempt { get; set; } = 1;
    public long Done => Interlocked.Read(ref _done);

    /// <summary>Time since bytes were last acknowledged (the stall detector's input).</summary>
    public TimeSpan SinceLastProgress => _time.GetElapsedTime(Interlocked.Read(ref _lastProgressTimestamp));

    public void Add(long bytes)
    {
        Interlocked.Add(ref _done, bytes);
        Interlocked.Exchange(ref _lastProgressTimestamp, _time.GetTimestamp());
    }

    private async Task LoopAsync(TimeSpan interval)
    {
        using var timer = new PeriodicTimer(interval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                Sample();
                Report();
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped at the end of the transfer.
        }
#pragma warning disable CA1031 // Progress reporting must never fail the transfer it reports on (a receiver that throws stops the reports, not the transfer).
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    /// <summary>Takes one rate sample: the bytes since the last one over the time since it, smoothed.</summary>
    internal void Sample()
    {
        long now = _time.GetTimestamp();
        long done = Done;
        double seconds = _time.GetElapsedTime(_lastSampleTimestamp, now).TotalSeconds;
        // The rate is the transfer's: it holds still while flushing and verifying instead of decaying to zero.
        if (seconds > 0 && Phase == TransferPhase.Transferring)
        {
            double sample = (done - _lastSampleDone) / seconds;
            _rate = _rate == 0 ? sample : (RateSmoothing * sample) + ((1 - RateSmoothing) * _rate);
            if (_rate < 1)
            {
                // A stall decays the average geometrically, never to zero: call it zero (and the ETA unknown) rather
                // than divide by a vanishing rate.
                _rate = 0;
            }
        }

        _lastSampleDone = done;
        _lastSampleTimestamp = now;
    }

    /// <summary>Time left at <paramref name="rate"/> bytes/s; null when the rate says nothing (zero, or a time too long to be an estimate).</summary>
    internal static TimeSpan? TimeLeft(long remaining, double rate)
    {
        if (rate < 1)
        {
            return null;
        }

        double seconds = Math.Max(0, remaining) / rate;
        return seconds < MaxEstimate.TotalSeconds ? TimeSpan.FromSeconds(seconds) : null;
    }

    public void Report()
    {
        if (_progress is null)
        {
            return;
        }

        // One report at a time, each built inside the lock: the timer and a phase change can report at once, and
        // the receiver must never see BytesDone go backwards.
        lock (_reportLock)
        {
            var (inFlight, blocked) = _flow?.Invoke() ?? (0, TimeSpan.Zero);
            long done = Done;
            double rate = _rate;
            if (rate == 0 && Phase != TransferPhase.Transferring)
            {
                // A transfer over before the first sample (or a last report after it): its average, not "0 B/s".
                double seconds = _time.GetElapsedTime(_startTimestamp).TotalSeconds;
                rate = seconds > 0 ? (done - _initialDone) / seconds : 0;
            }

            TimeSpan? eta = _total is long t ? TimeLeft(t - done, rate) : null;
            if (_receiverFailed)
            {
                return;
            }

            try
            {
                _progress.Report(new TransferProgress(Phase, done, _total, rate, eta, inFlight, blocked, Attempt));
            }
#pragma warning disable CA1031 // A receiver's bug must not fail the transfer it reports on: it gets no more reports.
            catch (Exception)
#pragma warning restore CA1031
            {
                _receiverFailed = true;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }

    internal static (int, TimeSpan) FlowOf(SshChannel? channel, Func<int> inFlight) =>
        (inFlight(), channel?.Counters.TimeBlockedOnPeerWindow ?? TimeSpan.Zero);
}
