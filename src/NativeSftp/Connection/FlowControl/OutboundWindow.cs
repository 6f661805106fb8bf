namespace NativeSftp.Connection.FlowControl;

/// <summary>
/// The peer's window for what we send on one channel (RFC 4254 §5.2). Senders reserve bytes before writing
/// CHANNEL_DATA; the receive loop adds bytes on CHANNEL_WINDOW_ADJUST; the connection closes it when the channel or
/// the connection ends. No I/O and no timers: time spent blocked is measured with the injected
/// <see cref="TimeProvider"/>.
/// </summary>
/// <remarks>
/// <para>Fairness: blocked senders are served strictly in arrival order, and a newcomer never overtakes a queued
/// sender. The invariant that makes this cheap: <b>while anyone is queued, the window is zero</b> (every
/// <see cref="Add"/> hands what it brings to the queue before it returns), so a caller that finds a non-zero window
/// may take from it at once without looking at the queue.</para>
/// <para>Hot path: a reservation that finds window is synchronous and allocation-free. Only a sender that has to
/// wait allocates its waiter (and that sender is stalled on the network anyway).</para>
/// <para>Cancellation: a waiter is removed under the lock, so it either got its bytes (and its caller receives them,
/// even if the token fired a moment later) or it got nothing; window is never handed to a cancelled waiter and lost.</para>
/// </remarks>
internal sealed class OutboundWindow
{
    private readonly Lock _gate = new();
    private readonly LinkedList<Waiter> _waiters = new();
    private readonly uint _maxPacketSize;
    private readonly TimeProvider _time;

    private uint _available;
    private long _bytesReserved;
    private int _adjustsReceived;
    private Exception? _closedBy;

    // Wall-clock time during which at least one sender was queued: finished periods, plus the one in progress.
    private long _blockedTicksTotal;
    private long? _blockedSince;

    /// <param name="initialWindow">initial window size from the peer's CHANNEL_OPEN(_CONFIRMATION); zero is allowed
    /// (the peer opens it later with WINDOW_ADJUST).</param>
    /// <param name="maxPacketSize">the peer's maximum packet size from the same message. The caller caps its own
    /// <c>wanted</c> by what our transport will send in one packet.</param>
    /// <param name="time">the clock used for <see cref="TimeBlocked"/>.</param>
    /// <exception cref="SshProtocolException">maxPacketSize is 0: no data could ever be sent, and waiting for a window
    /// would hang the sender forever.</exception>
    public OutboundWindow(uint initialWindow, uint maxPacketSize, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        if (maxPacketSize == 0)
        {
            throw new SshProtocolException(DisconnectReason.ProtocolError,
                "the peer's channel maximum packet size is 0, so no data could ever be sent (RFC 4254 §5.1)");
        }

        _available = initialWindow;
        _maxPacketSize = maxPacketSize;
        _time = time;
    }

    /// <summary>The peer's maximum packet size: no reservation is larger, so a sender can size its buffer by it.</summary>
    public uint MaxPacketSize => _maxPacketSize;

    /// <summary>Bytes the peer currently allows us to send.</summary>
    public uint Available
    {
        get { lock (_gate) { return _available; } }
    }

    /// <summary>Total bytes handed out by <see cref="ReserveAsync"/> since the channel opened.</summary>
    public long BytesReserved
    {
        get { lock (_gate) { return _bytesReserved; } }
    }

    /// <summary>WINDOW_ADJUST messages applied.</summary>
    public int AdjustsReceived
    {
        get { lock (_gate) { return _adjustsReceived; } }
    }

    /// <summary>
    /// Total time at least one sender waited with the window at zero, including a wait in progress. Concurrent waiters
    /// are not double-counted: this is how long the channel was stalled by the peer, not the sum of waits.
    /// </summary>
    public TimeSpan TimeBlocked
    {
        get
        {
            lock (_gate)
            {
                long ticks = _blockedTicksTotal;
                if (_blockedSince is long since)
                {
                    ticks += _time.GetElapsedTime(since).Ticks;
                }

                return TimeSpan.FromTicks(ticks);
            }
        }
    }

    /// <summary>The <see cref="TimeProvider.GetTimestamp"/> at which the current stall began; null when nobody waits.</summary>
    public long? BlockedSinceTimestamp
    {
        get { lock (_gate) { return _blockedSince; } }
    }

    /// <summary>
    /// Waits until the window is non-zero (behind any sender already waiting), then reserves and returns
    /// min(<paramref name="wanted"/>, window, maximum packet size). The result may be less than asked; it is 0 only
    /// when <paramref name="wanted"/> is 0. The caller must send exactly that many bytes (the window is consumed).
    /// </summary>
    /// <exception cref="OperationCanceledException">the token fired before any window was granted.</exception>
    /// <exception cref="Exception">the exception given to <see cref="Close"/>, as is.</exception>
    public ValueTask<int> ReserveAsync(int wanted, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(wanted);
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<int>(cancellationToken);
        }

        Waiter waiter;
        lock (_gate)
        {
            if (_closedBy is not null)
            {
                return ValueTask.FromException<int>(_closedBy);
            }

            if (wanted == 0)
            {
                return ValueTask.FromResult(0);
            }

            if (_available > 0)
            {
                // Invariant: a non-zero window means the queue is empty, so taking now cannot overtake anyone.
                return ValueTask.FromResult(TakeLocked(wanted));
            }

            waiter = new Waiter(wanted);
            waiter.Node = _waiters.AddLast(waiter);
            if (_waiters.Count == 1)
            {
                _blockedSince = _time.GetTimestamp();
            }
        }

        return WaitAsync(waiter, cancellationToken);
    }

    /// <summary>
    /// Applies CHANNEL_WINDOW_ADJUST and hands the new window to queued senders in order.
    /// </summary>
    /// <exception cref="SshProtocolException">the sum would exceed 2^32-1, which RFC 4254 §5.2 forbids; OpenSSH treats
    /// it as fatal too. The window is left as it was; the connection must fail.</exception>
    public void Add(uint bytes)
    {
        lock (_gate)
        {
            if (_closedBy is not null)
            {
                // The channel is gone and nobody can send on it again; a late adjust (one crossing our CLOSE) has
                // nothing left to open.
                return;
            }

            if (bytes > uint.MaxValue - _available)
            {
                throw new SshProtocolException(DisconnectReason.ProtocolError,
                    $"WINDOW_ADJUST of {bytes} bytes on a window of {_available} exceeds 2^32-1 (RFC 4254 §5.2)");
            }

            _available += bytes;
            _adjustsReceived++;

            while (_available > 0 && _waiters.First is { } node)
            {
                Waiter waiter = node.Value;
                RemoveLocked(waiter);
                // Completed under the lock so a racing cancellation sees the waiter already gone; the continuation
                // runs asynchronously (RunContinuationsAsynchronously), never inside this lock.
                waiter.Completion.SetResult(TakeLocked(waiter.Wanted));
            }
        }
    }

    /// <summary>
    /// Fails every queued sender and every later <see cref="ReserveAsync"/> with <paramref name="cause"/>. The first
    /// cause wins; later calls are ignored, so every caller learns the same reason.
    /// </summary>
    public void Close(Exception cause)
    {
        ArgumentNullException.ThrowIfNull(cause);
        lock (_gate)
        {
            if (_closedBy is not null)
            {
                return;
            }

            _closedBy = cause;
            while (_waiters.First is { } node)
            {
                RemoveLocked(node.Value);
                node.Value.Completion.SetException(cause);
            }
        }
    }

    private async ValueTask<int> WaitAsync(Waiter waiter, CancellationToken cancellationToken)
    {
        // Registered outside the lock: a token that fires during registration runs the callback inline, and the
        // callback takes the lock. Disposing after completion waits for a running callback, which only needs the lock
        // briefly and never waits on us.
        using CancellationTokenRegistration registration = cancellationToken.UnsafeRegister(
            static (state, token) =>
            {
                var (window, w) = ((OutboundWindow, Waiter))state!;
                window.Cancel(w, token);
            },
            (this, waiter));
        return await waiter.Completion.Task.ConfigureAwait(false);
    }

    private void Cancel(Waiter waiter, CancellationToken token)
    {
        lock (_gate)
        {
            if (waiter.Node is null)
            {
                // Already granted (or failed by Close): the caller keeps what it was given, nothing is lost.
                return;
            }

            // The window is zero while anyone is queued, so removing this waiter frees nothing for the others.
            RemoveLocked(waiter);
            waiter.Completion.SetCanceled(token);
        }
    }

    private int TakeLocked(int wanted)
    {
        uint granted = Math.Min(Math.Min((uint)wanted, _available), _maxPacketSize);
        _available -= granted;
        _bytesReserved += granted;
        return (int)granted;
    }

    private void RemoveLocked(Waiter waiter)
    {
        _waiters.Remove(waiter.Node!);
        waiter.Node = null;
        if (_waiters.Count == 0 && _blockedSince is long since)
        {
            _blockedTicksTotal += _time.GetElapsedTime(since).Ticks;
            _blockedSince = null;
        }
    }

    private sealed class Waiter(int wanted)
    {
        public int Wanted { get; } = wanted;

        public TaskCompletionSource<int> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>The waiter's place in the queue; null once it has been granted, cancelled or failed.</summary>
        public LinkedListNode<Waiter>? Node { get; set; }
    }
}
