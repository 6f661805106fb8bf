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

    private readonly List<SftpClient> _sessions;
    private readonly ProgressTracker _progress;
    private readonly TimeSpan _timeout;
    private readonly CancellationTokenSource _abort;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public StallWatchdog(SftpClient sftp, ProgressTracker progress, TimeSpan timeout, CancellationToken outer)
    {
        _sessions = [sftp];
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

    /// <summary>
    /// Adds a segment's session to what a stall diagnosis looks at (the transfer's own session is there from the
    /// start): a stuck segment is then named, and only a connection that is really silent is failed.
    /// </summary>
    public void Watch(SftpClient session)
    {
        lock (_sessions)
        {
            _sessions.Add(session);
        }
    }

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
                    (Diagnosis, var silent) = Diagnose(idle);
                    try
                    {
                        foreach (var connection in silent)
                        {
                            // Nothing at all came back on it for the whole stall timeout while a request waited: the
                            // connection is dead by any measure (keepalive would say so too, were it on). Failing it
                            // now makes the CLOSE and channel-close that follow fail at once instead of each waiting
                            // out its own 10 s timeout on a path that will never answer (found by
                            // Resilience/NetworkFaultTests: 20 s per stall).
                            await connection.Transport.FailAsync(new SshConnectionException(
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

    /// <summary>
    /// What was stuck, session by session (named only when there are several), and the connections that were silent
    /// while something waited on them. A session with no request out and an open window is only idle (its share is
    /// done, or it waits for the local file): its connection's quiet is not a fault.
    /// </summary>
    private (string Diagnosis, List<Connection.SshConnection> Silent) Diagnose(TimeSpan idle)
    {
        string secs = $"{idle.TotalSeconds:0.#} s";
        var parts = new List<string> { $"no acknowledged progress for {secs}" };
        var silent = new List<Connection.SshConnection>();
        SftpClient[] sessions;
        lock (_sessions)
        {
            sessions = [.. _sessions];
        }

        bool anyWaiting = false;
        for (int i = 0; i < sessions.Length; i++)
        {
            var session = sessions[i];
            string who = sessions.Length == 1 ? "" : i == 0 ? "main session: " : $"segment session {i + 1}: ";
            int inFlight = session.RequestsInFlight;
            var c = session.Channel?.Counters;
            bool windowShut = c is { BlockedOnPeerWindowNow: true, PeerWindow: 0 };
            bool waiting = inFlight > 0 || windowShut;
            anyWaiting |= waiting;
            // Against the timeout less one check interval, not the idle time: a packet is noticed at the first tick
            // after it arrived, so the silence measured is short by up to one interval.
            if (waiting && c is not null && c.TimeSinceLastPacketReceived >= _timeout - CheckInterval)
            {
                if (session.Connection is { } connection && !silent.Contains(connection))
                {
                    silent.Add(connection);
                }

                parts.Add($"{who}nothing received from the server at all for {c.TimeSinceLastPacketReceived.TotalSeconds:0.#} s (the connection is silent: a dead network path or a frozen server)");
            }

            if (windowShut)
            {
                parts.Add($"{who}the server's channel window for our data is at zero (it stopped reading; {c!.TimeBlockedOnPeerWindow.TotalSeconds:0.#} s blocked on it in all, {c.WindowAdjustsReceived} WINDOW_ADJUSTs received)");
            }

            if (inFlight > 0)
            {
                parts.Add($"{who}{inFlight} SFTP request(s) in flight with no reply for {secs}");
            }
        }

        if (silent.Count > 0)
        {
            // The path is dead for some: the attempt fails anyway, and another connection just as quiet (an idle
            // session that had finished its share, on the same dead path) is failed too, so the CLOSEs that follow
            // fail at once instead of each waiting out its own timeout.
            foreach (var session in sessions)
            {
                if (session.Connection is { } connection && !silent.Contains(connection)
                    && session.Channel?.Counters is { } c && c.TimeSinceLastPacketReceived >= _timeout - CheckInterval)
                {
                    silent.Add(connection);
                }
            }
        }

        if (!anyWaiting)
        {
            parts.Add("no request is waiting on the server and no channel window is shut: the hold-up is on this side (reading or writing the local file)");
        }

        return (string.Join("; ", parts), silent);
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
