namespace NativeSftp.Connection.FlowControl;

/// <summary>
/// The window we grant the peer on one channel (RFC 4254 §5.2): checks each CHANNEL_DATA / CHANNEL_EXTENDED_DATA
/// against what we allowed, and decides when to re-grant what the application has consumed. No I/O: the connection
/// sends the WINDOW_ADJUST that <see cref="TryGetAdjust"/> asks for.
/// </summary>
/// <remarks>
/// Bytes are in one of three states, and the three always sum to the initial window:
/// granted to the peer and not yet received (<see cref="Available"/>), received and still in the application's buffer,
/// consumed by the application and not yet re-granted. Re-granting only consumed bytes is what makes the window
/// backpressure: a slow application stops the peer, instead of making the receive loop buffer without bound or stop
/// reading (which would also stop WINDOW_ADJUSTs and keepalive replies on every other channel).
/// </remarks>
internal sealed class InboundWindow
{
    /// <summary>
    /// 16 MiB = 16 * 1024 * 1024. A sender can have at most one window in flight per round trip, so throughput is capped
    /// at window / RTT: OpenSSH's 2 MiB session window (CHAN_SES_WINDOW_DEFAULT = 64 * 32 KiB) gives 2 MiB / 0.1 s =
    /// 20 MiB/s on a 100 ms path; 16 MiB gives 160 MiB/s there, past what one core seals. It is memory we promise to
    /// buffer only if the application stops reading, per channel.
    /// </summary>
    public const uint DefaultWindowSize = 16 * 1024 * 1024;

    /// <summary>
    /// 255 KiB = 256 * 1024 - 1024 = 261120 bytes of data per CHANNEL_DATA. OpenSSH accepts packet_length up to
    /// 256 KiB (PACKET_MAX_SIZE, and our <c>PacketDecoder.MaxPacketLength</c>); around the data sit
    /// padding_length (1) + message number (1) + recipient channel (4) + data length (4) [+ data type code (4) for
    /// EXTENDED_DATA] + padding (at most 255) = 269 bytes, so 1 KiB of headroom always fits. OpenSSH's sftp-server
    /// uses the same figure for its largest READ reply (SFTP_MAX_MSG_LENGTH - 1024), so one SFTP DATA reply can come
    /// in one channel packet. RFC 4254 §5.1 counts maximum packet size against the data, as OpenSSH does.
    /// </summary>
    public const uint DefaultMaxPacketSize = 256 * 1024 - 1024;

    /// <summary>
    /// Re-grant once consumed bytes reach initial / 2: OpenSSH sends WINDOW_ADJUST when its window falls below half
    /// its maximum (channels.c channel_check_window). Batching keeps adjusts to about two per window's worth of data,
    /// while the peer always still has at least half a window in hand and never stalls waiting for us.
    /// </summary>
    private const uint AdjustThresholdDivisor = 2;

    private readonly Lock _gate = new();
    private readonly uint _initialWindow;
    private readonly uint _maxPacketSize;
    private readonly uint _adjustThreshold;

    private uint _available;
    private uint _buffered;
    private uint _consumedNotGranted;
    private long _bytesReceived;
    private int _adjustsSent;

    /// <param name="initialWindow">the window we advertise in CHANNEL_OPEN; must be non-zero (nothing could ever
    /// arrive, so nothing would ever be consumed and re-granted).</param>
    /// <param name="maxPacketSize">the maximum packet size we advertise in CHANNEL_OPEN.</param>
    public InboundWindow(uint initialWindow = DefaultWindowSize, uint maxPacketSize = DefaultMaxPacketSize)
    {
        ArgumentOutOfRangeException.ThrowIfZero(initialWindow);
        ArgumentOutOfRangeException.ThrowIfZero(maxPacketSize);
        _initialWindow = initialWindow;
        _maxPacketSize = maxPacketSize;
        _available = initialWindow;
        _adjustThreshold = Math.Max(1u, initialWindow / AdjustThresholdDivisor);
    }

    /// <summary>Bytes the peer may still send before our next WINDOW_ADJUST.</summary>
    public uint Available
    {
        get { lock (_gate) { return _available; } }
    }

    /// <summary>Data bytes received on the channel (both CHANNEL_DATA and EXTENDED_DATA count).</summary>
    public long BytesReceived
    {
        get { lock (_gate) { return _bytesReceived; } }
    }

    /// <summary>WINDOW_ADJUSTs <see cref="TryGetAdjust"/> has asked for.</summary>
    public int AdjustsSent
    {
        get { lock (_gate) { return _adjustsSent; } }
    }

    /// <summary>The window we advertised when the channel opened.</summary>
    public uint InitialWindow => _initialWindow;

    /// <summary>The maximum packet size we advertised when the channel opened.</summary>
    public uint MaxPacketSize => _maxPacketSize;

    /// <summary>
    /// Accounts for the data of one CHANNEL_DATA or CHANNEL_EXTENDED_DATA (RFC 4254 §5.2: both consume the same window).
    /// </summary>
    /// <exception cref="SshProtocolException">more than <see cref="MaxPacketSize"/> in one message, or more than the
    /// window we granted: either breaks RFC 4254 §5.2 and a peer that ignores our window would make us buffer without
    /// bound. Nothing is accounted; the connection must fail.</exception>
    public void OnDataReceived(int bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        lock (_gate)
        {
            if ((uint)bytes > _maxPacketSize)
            {
                throw new SshProtocolException(DisconnectReason.ProtocolError,
                    $"channel data of {bytes} bytes exceeds the maximum packet size {_maxPacketSize} we advertised (RFC 4254 §5.2)");
            }

            if ((uint)bytes > _available)
            {
                throw new SshProtocolException(DisconnectReason.ProtocolError,
                    $"channel data of {bytes} bytes exceeds the {_available} bytes of window we granted (RFC 4254 §5.2)");
            }

            _available -= (uint)bytes;
            _buffered += (uint)bytes;
            _bytesReceived += bytes;
        }
    }

    /// <summary>The application took <paramref name="bytes"/> out of the channel's receive buffer.</summary>
    /// <exception cref="InvalidOperationException">more consumed than was received and not yet consumed: a bug in the
    /// caller, not the peer.</exception>
    public void OnDataConsumed(int bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        lock (_gate)
        {
            if ((uint)bytes > _buffered)
            {
                throw new InvalidOperationException(
                    $"consumed {bytes} bytes but only {_buffered} received bytes are waiting to be consumed");
            }

            _buffered -= (uint)bytes;
            _consumedNotGranted += (uint)bytes;
        }
    }

    /// <summary>
    /// When consumed-but-not-re-granted bytes reach half the initial window, returns true with the amount to send in
    /// CHANNEL_WINDOW_ADJUST and records the grant at once (the peer cannot use it before the message arrives, so
    /// counting it early is safe, and two callers can never both send the same bytes). Otherwise false.
    /// </summary>
    public bool TryGetAdjust(out uint bytesToAdd)
    {
        lock (_gate)
        {
            if (_consumedNotGranted < _adjustThreshold)
            {
                bytesToAdd = 0;
                return false;
            }

            // Cannot overflow: available + buffered + consumed-not-granted == initial window, a uint.
            bytesToAdd = _consumedNotGranted;
            _available += _consumedNotGranted;
            _consumedNotGranted = 0;
            _adjustsSent++;
            return true;
        }
    }
}
