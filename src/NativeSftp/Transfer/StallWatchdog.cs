using NativeSftp.Sftp;

namespace NativeSftp.Transfer;

/// <summary>
/// Ends a transfer attempt that has made no acknowledged progress for the stall timeout, and says what was stuck,
/// from the connection layer's counters: the server's window at zero (it stopped reading), requests in flight with
/// no reply (the server or the network stopped answering), or nothing received at all (the connection is silent).
/// </summary>
internal sealed class StallWatchdog : IAsyncDisposable
{
    /// <summary>How often the watchdog looks; a stall is reported at most this much after the timeout.</summary>
    private static readonly TimeSpan MaxCheckInterval = TimeSpan.FromSeconds(1);

    private readonly SftpClient _sftp;
    private readonly ProgressTracker _progress;
    private readonly TimeSpan _timeout;
    private readonly CancellationTokenSource _abort;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public StallWatchdog(SftpClient sftp, ProgressTracker progress, TimeSpan timeout, CancellationToken outer)
    {
        _sftp = sftp;
        _progress = progress;
        _timeout = timeout;
        _abort = CancellationTokenSource.CreateLinkedTokenSource(outer);
        _loop = timeout > TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan ? Task.Run(LoopAsync) : Task.CompletedTask;
    }

    private TimeSpan CheckInterval => _timeout / 4 < MaxCheckInterval ? _timeout / 4 : MaxCheckInterval;

    /// <summary>The token the transfer runs under: cancelled by the caller, or by us on a stall.</summary>
    public CancellationToken Token => _abort.Token;

    /// <summary>Set when we ended the attempt for a stall.</summary>
    public string? Diagnosis { get; private set; }

    /// <summary>The stall was a silent connection (nothing received for the whole timeout); we failed the connection.</summary>
    public bool IsSilent { get; private set; }

    private async Task LoopAsync()
    {
        TimeSpan interval = CheckInterval;
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                TimeSpan idle = _progress.SinceLastProgress;
                if (idle >= _timeout)
                {
                    Diagnosis = Diagnose(idle);
                    try
                    {
                        if (IsSilent)
                        {
                            // Nothing at all came back for the whole stall timeout: the connection is dead by any
                            // measure (keepalive would say so too, were it on). Failing it now makes the CLOSE and
                            // channel-close that follow fail at once instead of each waiting out its own 10 s timeout
                            // on a path that will never answer (found by Resilience/NetworkFaultTests: 20 s per stall).
                            await _sftp.Connection!.Transport.FailAsync(new SshConnectionException(
                                $"the transfer stalled on a silent connection: {Diagnosis}", DisconnectReason.ConnectionLost, ClosedBy.Client)).ConfigureAwait(false);
                        }
                    }
                    finally
                    {
                        // Whatever failing the connection did, the stalled transfer is always released.
                        await _abort.CancelAsync().ConfigureAwait(false);
                    }

                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The transfer ended first.
        }
    }

    private string Diagnose(TimeSpan idle)
    {
        string secs = $"{idle.TotalSeconds:0.#} s";
        var parts = new List<string> { $"no acknowledged progress for {secs}" };
        if (_sftp.Channel?.Counters is { } c)
        {
            // Against the timeout less one check interval, not the idle time: a packet is noticed at the first tick
            // after it arrived, so the silence measured is short by up to one interval.
            if (c.TimeSinceLastPacketReceived >= _timeout - CheckInterval)
            {
                IsSilent = _sftp.Connection is not null;
                parts.Add($"nothing received from the server at all for {c.TimeSinceLastPacketReceived.TotalSeconds:0.#} s (the connection is silent: a dead network path or a frozen server)");
            }

            if (c.BlockedOnPeerWindowNow && c.PeerWindow == 0)
            {
                parts.Add($"the server's channel window for our data is at zero (it stopped reading; {c.TimeBlockedOnPeerWindow.TotalSeconds:0.#} s blocked on it in all, {c.WindowAdjustsReceived} WINDOW_ADJUSTs received)");
            }
        }

        int inFlight = _sftp.RequestsInFlight;
        if (inFlight > 0)
        {
            parts.Add($"{inFlight} SFTP request(s) in flight with no reply for {secs}");
        }

        return string.Join("; ", parts);
    }

    public TransferException ToException(Exception cause, long acknowledged) =>
        new($"the transfer stalled: {Diagnosis}", TransferPhase.Transferring, acknowledged, cause) { StallDiagnosis = Diagnosis };

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
        _abort.Dispose();
    }
}
