namespace NativeSftp.Connection.KeepAlive;

/// <summary>
/// Decides when to probe a silent server and when to give up on it, with OpenSSH's ServerAliveInterval /
/// ServerAliveCountMax semantics: after <c>interval</c> with nothing received, probe; after each further
/// <c>interval</c> with still nothing, probe again; once <c>countMax</c> probes are outstanding and another interval
/// passes, the connection is dead. With ticks on time a dead peer is declared exactly interval × (countMax + 1) after
/// the last packet.
/// </summary>
/// <remarks>
/// <para>No I/O and no timer of its own: the connection calls <see cref="Tick"/> at any rate (faster ticks only make
/// the decisions more punctual) and <see cref="OnPacketReceived"/> for every packet. Any packet proves the peer alive,
/// not only the probe's reply: a server busy streaming a download may queue our probe's reply behind megabytes of
/// data, and must not be declared dead for it.</para>
/// <para>Each deadline is measured from when the previous probe was actually asked for, not from an ideal schedule:
/// after a long pause between ticks (a laptop asleep), the monitor sends one probe and waits a full interval for an
/// answer, instead of firing all the overdue probes and declaring death on the next few ticks without giving the
/// peer a chance to answer.</para>
/// </remarks>
internal sealed class KeepAliveMonitor
{
    private readonly Lock _gate = new();
    private readonly TimeSpan _interval;
    private readonly int _countMax;
    private readonly TimeProvider _time;

    private long _lastReceiveTimestamp;
    // When we last heard from the peer or last asked for a probe, whichever is later: the next deadline runs from it.
    private long _lastActivityTimestamp;
    private int _unanswered;

    /// <param name="interval">how long a silence triggers a probe; <see cref="TimeSpan.Zero"/> disables keepalive.</param>
    /// <param name="countMax">probes left unanswered before the connection is dead (OpenSSH's ServerAliveCountMax,
    /// default 3); 0 declares it dead after one silent interval without probing.</param>
    /// <param name="time">the clock.</param>
    public KeepAliveMonitor(TimeSpan interval, int countMax, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(interval, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfNegative(countMax);
        ArgumentNullException.ThrowIfNull(time);
        _interval = interval;
        _countMax = countMax;
        _time = time;
        _lastReceiveTimestamp = time.GetTimestamp();
        _lastActivityTimestamp = _lastReceiveTimestamp;
    }

    /// <summary>False when constructed with a zero interval: <see cref="Tick"/> then always says None.</summary>
    public bool IsEnabled => _interval > TimeSpan.Zero;

    /// <summary>Probes sent since the last packet from the peer.</summary>
    public int Unanswered
    {
        get { lock (_gate) { return _unanswered; } }
    }

    /// <summary>Time since the last packet from the peer (or since construction, if none yet).</summary>
    public TimeSpan TimeSinceLastReceive
    {
        get
        {
            long last;
            lock (_gate) { last = _lastReceiveTimestamp; }
            return _time.GetElapsedTime(last);
        }
    }

    /// <summary>Any packet from the peer: it is alive, so the silence and the count of unanswered probes restart.</summary>
    public void OnPacketReceived()
    {
        long now = _time.GetTimestamp();
        lock (_gate)
        {
            _lastReceiveTimestamp = now;
            _lastActivityTimestamp = now;
            _unanswered = 0;
        }
    }

    /// <summary>
    /// Returns what is due now. SendProbe counts the probe as sent, so the caller must send it; Dead is returned on
    /// every tick from then on, until a packet arrives.
    /// </summary>
    public KeepAliveAction Tick()
    {
        if (!IsEnabled)
        {
            return KeepAliveAction.None;
        }

        long now = _time.GetTimestamp();
        lock (_gate)
        {
            if (_time.GetElapsedTime(_lastActivityTimestamp, now) < _interval)
            {
                return KeepAliveAction.None;
            }

            if (_unanswered >= _countMax)
            {
                return KeepAliveAction.Dead;
            }

            _unanswered++;
            _lastActivityTimestamp = now;
            return KeepAliveAction.SendProbe;
        }
    }
}
