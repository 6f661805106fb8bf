using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Text;
using NativeSftp.Connection.FlowControl;
using NativeSftp.Transport;
using NativeSftp.Wire;

namespace NativeSftp.Connection;

/// <summary>The exit-signal a command died with (RFC 4254 §6.10).</summary>
public sealed record ExitSignal(string SignalName, bool CoreDumped, string ErrorMessage);

/// <summary>
/// One channel (RFC 4254 §5). Sends wait on the peer's window (never exceeding it or the peer's maximum packet size);
/// received data is buffered up to the window we granted and re-granted with WINDOW_ADJUST as the reader consumes
/// it. When the server closes the channel or the connection dies, every waiter fails with the reason.
/// </summary>
public sealed class SshChannel : IAsyncDisposable
{
    /// <summary>CHANNEL_DATA header: byte 94, uint32 recipient channel, uint32 data length (RFC 4254 §5.2).</summary>
    internal const int DataHeaderSize = 9;

    /// <summary>stderr kept for error messages; a command that writes more has the rest counted, not kept.</summary>
    private const int MaxStderrKept = 64 * 1024;

    /// <summary>
    /// How long the next channel open on the connection waits for the peer's CLOSE of channels disposed before it
    /// (<see cref="SshConnection.OpenChannelAsync"/>). Disposal itself only sends CLOSE: the wait matters only if
    /// another channel follows, where it lets the server free the channel (and, for OpenSSH, its session slot
    /// against MaxSessions) first; the last channel of a connection about to disconnect waits for nothing, which
    /// saves every command one round trip at its end. If the CLOSE comes later the channel's number stays reserved
    /// until it does. Some servers never answer (the ssh2 Node.js library on SFTP channels and on sessions whose exec
    /// it refused): after one unanswered wait on a connection, opens there wait no more.
    /// </summary>
    internal static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(2);

    /// <summary>How long disposal may wait to send its CLOSE (behind a key exchange, or a full socket).</summary>
    private static readonly TimeSpan CloseSendTimeout = TimeSpan.FromSeconds(10);

    private readonly SshConnection _connection;
    private readonly InboundWindow _inbound;
    private readonly Pipe _input = new(new PipeOptions(pauseWriterThreshold: 0, resumeWriterThreshold: 0, useSynchronizationContext: false));
    private readonly TaskCompletionSource _opened = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _remoteClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<int?> _exitStatus = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Queue<TaskCompletionSource<bool>> _pendingRequests = new();
    private readonly object _lock = new();
    private readonly MemoryStream _stderr = new();
    private readonly SemaphoreSlim _readLock = new(1, 1);
    private OutboundWindow? _outbound;
    private Exception? _failure;
    private bool _closeSent;

    /// <summary>Our CLOSE reached the transport (not merely decided on): only then can the peer's answer be awaited.</summary>
    private volatile bool _closeWentOut;
    private bool _eofSent;
    private long _bytesSent;
    private long _stderrBytes;

    internal SshChannel(SshConnection connection, string type, uint localId, uint windowSize, uint maxPacketSize)
    {
        _connection = connection;
        ChannelType = type;
        LocalId = localId;
        _inbound = new InboundWindow(windowSize, maxPacketSize);
    }

    public string ChannelType { get; }
    public uint LocalId { get; }
    public uint RemoteId { get; private set; }

    /// <summary>The peer's maximum packet size: the most data one CHANNEL_DATA may carry.</summary>
    public uint PeerMaxPacketSize { get; private set; }

    public bool EofReceived { get; private set; }
    public bool CloseReceived => _remoteClosed.Task.IsCompleted;

    /// <summary>Completes when the peer's CLOSE arrives (or the connection dies).</summary>
    internal Task PeerClosed => _remoteClosed.Task;

    /// <summary>Our CLOSE went out on an opened channel and the peer's has not come yet.</summary>
    internal bool AwaitingPeerClose => _closeWentOut && !_remoteClosed.Task.IsCompleted;

    /// <summary>The command's exit status (RFC 4254 §6.10), or null when the channel closed without one.</summary>
    public Task<int?> ExitStatus => _exitStatus.Task;

    public ExitSignal? ExitSignal { get; private set; }

    /// <summary>What the command wrote to stderr (the first 64 KiB), decoded as UTF-8.</summary>
    public string StandardError
    {
        get
        {
            lock (_lock)
            {
                return Encoding.UTF8.GetString(_stderr.GetBuffer(), 0, (int)_stderr.Length);
            }
        }
    }

    public ChannelCounters Counters => new(
        LocalId,
        Interlocked.Read(ref _bytesSent),
        _inbound.BytesReceived,
        _outbound?.Available ?? 0,
        _inbound.Available,
        _outbound?.TimeBlocked ?? TimeSpan.Zero,
        _outbound?.BlockedSinceTimestamp is not null,
        _outbound?.AdjustsReceived ?? 0,
        _inbound.AdjustsSent,
        _connection.TimeSinceLastPacketReceived);

    internal uint InitialLocalWindow => _inbound.InitialWindow;
    internal uint LocalMaxPacketSize => _inbound.MaxPacketSize;
    internal Task Opened => _opened.Task;

    // ---- called on the receive loop (must not block) ----

    internal void OnOpenConfirmed(uint remoteId, uint window, uint maxPacket, TimeProvider time)
    {
        RemoteId = remoteId;
        PeerMaxPacketSize = maxPacket;
        _outbound = new OutboundWindow(window, maxPacket, time);
        bool disposedWhileOpening;
        lock (_lock)
        {
            _opened.TrySetResult();
            disposedWhileOpening = _closeSent;
        }

        if (disposedWhileOpening)
        {
            // Given up before the server confirmed (a cancelled open): close it now, or the server keeps the session
            // (and, for OpenSSH, a MaxSessions slot) for the life of the connection. CloseAsync sent nothing then:
            // it only marks a channel that is not open yet.
            _connection.SendDetached(BuildSimple(MessageNumbers.ChannelClose));
            _closeWentOut = true;
        }
    }

    internal void OnOpenFailed(SshChannelOpenException e) => Fail(e);

    internal void OnWindowAdjust(uint bytes) => Outbound.Add(bytes);

    internal void OnData(ReadOnlySpan<byte> data)
    {
        _inbound.OnDataReceived(data.Length);
        if (EofReceived)
        {
            throw new SshProtocolException(DisconnectReason.ProtocolError, $"CHANNEL_DATA after EOF on channel {LocalId}");
        }

        _input.Writer.Write(data);
        var flush = _input.Writer.FlushAsync();
        // With pauseWriterThreshold 0 the pipe never applies back-pressure (the window does), so this is complete.
        flush.GetAwaiter().GetResult();
    }

    internal void OnExtendedData(uint dataType, ReadOnlySpan<byte> data)
    {
        _inbound.OnDataReceived(data.Length);
        lock (_lock)
        {
            _stderrBytes += data.Length;
            int keep = (int)Math.Min(data.Length, MaxStderrKept - _stderr.Length);
            if (keep > 0 && dataType == 1)
            {
                _stderr.Write(data[..keep]);
            }
        }

        // We keep stderr ourselves (bounded above), so it is consumed as soon as it arrives.
        _inbound.OnDataConsumed(data.Length);
        MaybeAdjustDetached();
    }

    internal void OnEof()
    {
        EofReceived = true;
        _input.Writer.Complete();
    }

    internal void OnClose()
    {
        var cause = new SshChannelClosedException($"the server closed channel {LocalId} ({ChannelType})");
        _remoteClosed.TrySetResult();
        _exitStatus.TrySetResult(null);
        FailPending(cause, completeInput: true);
        bool sendClose;
        lock (_lock)
        {
            sendClose = !_closeSent;
            _closeSent = true;
        }

        if (sendClose)
        {
            _connection.SendDetached(BuildSimple(MessageNumbers.ChannelClose));
        }

        _connection.Release(this);
    }

    internal void OnRequest(string type, bool wantReply, ReadOnlySpan<byte> body)
    {
        var r = new SshReader(body);
        switch (type)
        {
            case "exit-status":
                _exitStatus.TrySetResult((int)r.ReadUInt32());
                break;
            case "exit-signal":
                ExitSignal = new ExitSignal(r.ReadAscii(), r.ReadBoolean(), SshTransport.SanitizeForDisplay(r.ReadUtf8()));
                break;
        }

        if (wantReply)
        {
            // We ask nothing of the server's requests (keepalive@openssh.com, say): FAILURE is the polite answer.
            _connection.SendDetached(BuildSimple(MessageNumbers.ChannelFailure));
        }
    }

    internal void OnRequestReply(bool success)
    {
        TaskCompletionSource<bool>? tcs;
        lock (_lock)
        {
            _pendingRequests.TryDequeue(out tcs);
        }

        if (tcs is null)
        {
            throw new SshProtocolException(DisconnectReason.ProtocolError, $"CHANNEL_{(success ? "SUCCESS" : "FAILURE")} with no request outstanding on channel {LocalId}");
        }

        tcs.TrySetResult(success);
    }

    /// <summary>The connection died (or the channel failed to open): everything waiting fails with <paramref name="cause"/>.</summary>
    internal void Fail(Exception cause)
    {
        _opened.TrySetException(cause);
        _remoteClosed.TrySetResult();
        _exitStatus.TrySetResult(null);
        FailPending(cause, completeInput: false);
        _input.Writer.Complete(cause);
    }

    private void FailPending(Exception cause, bool completeInput)
    {
        TaskCompletionSource<bool>[] pending;
        lock (_lock)
        {
            _failure ??= cause;
            pending = [.. _pendingRequests];
            _pendingRequests.Clear();
        }

        foreach (var p in pending)
        {
            p.TrySetException(cause);
        }

        _outbound?.Close(cause);
        if (completeInput)
        {
            _input.Writer.Complete();
        }
    }

    // ---- the application's side ----

    private OutboundWindow Outbound => _outbound ?? throw new InvalidOperationException("the channel is not open");

    /// <summary>Sends all of <paramref name="data"/>, waiting on the peer's window; throws if the channel or connection dies first.</summary>
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        ThrowIfClosedForWriting();
        while (!data.IsEmpty)
        {
            int n = await Outbound.ReserveAsync(data.Length, cancellationToken).ConfigureAwait(false);
            ThrowIfClosedForWriting();
            var packet = _connection.Transport.RentPacket(DataHeaderSize + n);
            Span<byte> p = packet.Payload;
            p[0] = MessageNumbers.ChannelData;
            BinaryPrimitives.WriteUInt32BigEndian(p[1..], RemoteId);
            BinaryPrimitives.WriteUInt32BigEndian(p[5..], (uint)n);
            data.Span[..n].CopyTo(p[DataHeaderSize..]);
            await _connection.Transport.SendPacketAsync(packet, DataHeaderSize + n, cancellationToken).ConfigureAwait(false);
            Interlocked.Add(ref _bytesSent, n);
            data = data[n..];
        }
    }

    private void ThrowIfClosedForWriting()
    {
        if (_connection.Transport.Failure is { } f)
        {
            throw f;
        }

        lock (_lock)
        {
            if (_failure is not null)
            {
                throw _failure as SshException ?? new SshChannelException("the channel failed", _failure);
            }

            if (_eofSent || _closeSent)
            {
                throw new InvalidOperationException("the channel was already closed for writing");
            }
        }
    }

    /// <summary>Reads up to <paramref name="buffer"/>.Length bytes; 0 at end of stream (EOF or CLOSE from the server).</summary>
    public async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        await _readLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ReadResult result = await _input.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            ReadOnlySequence<byte> data = result.Buffer;
            int n = (int)Math.Min(buffer.Length, data.Length);
            data.Slice(0, n).CopyTo(buffer.Span);
            _input.Reader.AdvanceTo(data.GetPosition(n));
            if (n > 0)
            {
                await ConsumedAsync(n, cancellationToken).ConfigureAwait(false);
            }

            return n;
        }
        finally
        {
            _readLock.Release();
        }
    }

    /// <summary>
    /// Low-level access to the received bytes for a parser that frames its own messages (SFTP): the caller must
    /// call <see cref="AdvanceInput"/> after each read.
    /// </summary>
    internal ValueTask<ReadResult> ReadInputAsync(CancellationToken cancellationToken) => _input.Reader.ReadAsync(cancellationToken);

    /// <summary>Marks <paramref name="consumed"/> bytes as used, which may re-open the window for the server.</summary>
    internal void AdvanceInput(SequencePosition consumed, SequencePosition examined, int consumedBytes)
    {
        _input.Reader.AdvanceTo(consumed, examined);
        if (consumedBytes > 0)
        {
            _inbound.OnDataConsumed(consumedBytes);
            MaybeAdjustDetached();
        }
    }

    private async ValueTask ConsumedAsync(int n, CancellationToken cancellationToken)
    {
        _inbound.OnDataConsumed(n);
        if (_inbound.TryGetAdjust(out uint add))
        {
            await _connection.Transport.SendAsync(BuildAdjust(add), cancellationToken).ConfigureAwait(false);
        }
    }

    private void MaybeAdjustDetached()
    {
        if (_inbound.TryGetAdjust(out uint add))
        {
            _connection.SendDetached(BuildAdjust(add));
        }
    }

    private byte[] BuildAdjust(uint add)
    {
        byte[] m = new byte[9];
        m[0] = MessageNumbers.ChannelWindowAdjust;
        BinaryPrimitives.WriteUInt32BigEndian(m.AsSpan(1), RemoteId);
        BinaryPrimitives.WriteUInt32BigEndian(m.AsSpan(5), add);
        return m;
    }

    private byte[] BuildSimple(byte messageNumber)
    {
        byte[] m = new byte[5];
        m[0] = messageNumber;
        BinaryPrimitives.WriteUInt32BigEndian(m.AsSpan(1), RemoteId);
        return m;
    }

    /// <summary>Sends a CHANNEL_REQUEST (RFC 4254 §5.4); with <paramref name="wantReply"/>, returns whether it succeeded.</summary>
    public async Task<bool> SendRequestAsync(string requestType, bool wantReply, Action<SshWriter>? body, CancellationToken cancellationToken)
    {
        using var w = new PooledBufferWriter(256);
        var sw = new SshWriter(w);
        sw.WriteByte(MessageNumbers.ChannelRequest);
        sw.WriteUInt32(RemoteId);
        sw.WriteAscii(requestType);
        sw.WriteBoolean(wantReply);
        body?.Invoke(sw);
        TaskCompletionSource<bool>? tcs = null;
        if (wantReply)
        {
            tcs = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_lock)
            {
                if (_failure is not null)
                {
                    throw new SshChannelException($"channel {LocalId} is closed", _failure);
                }

                _pendingRequests.Enqueue(tcs);
            }
        }

        await _connection.Transport.SendAsync(w.WrittenMemory, cancellationToken).ConfigureAwait(false);
        return tcs is null || await tcs.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Starts a command (RFC 4254 §6.5); throws when the server refuses.</summary>
    public async Task ExecAsync(string command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (!await SendRequestAsync("exec", true, w => w.WriteUtf8(command), cancellationToken).ConfigureAwait(false))
        {
            throw new SshChannelException($"the server refused to run a command on channel {LocalId}");
        }
    }

    /// <summary>Starts a subsystem such as "sftp" (RFC 4254 §6.5); throws when the server refuses.</summary>
    public async Task StartSubsystemAsync(string name, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!await SendRequestAsync("subsystem", true, w => w.WriteAscii(name), cancellationToken).ConfigureAwait(false))
        {
            throw new SshChannelException($"the server refused the '{name}' subsystem");
        }
    }

    /// <summary>Tells the server we will send no more data (RFC 4254 §5.3).</summary>
    public async ValueTask SendEofAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_eofSent || _closeSent)
            {
                return;
            }

            _eofSent = true;
        }

        await _connection.Transport.SendAsync(BuildSimple(MessageNumbers.ChannelEof), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends CLOSE (if not yet sent) and waits for the server's CLOSE.</summary>
    public ValueTask CloseAsync(CancellationToken cancellationToken) => CloseAsync(waitForPeer: true, cancellationToken);

    private async ValueTask CloseAsync(bool waitForPeer, CancellationToken cancellationToken)
    {
        bool send;
        lock (_lock)
        {
            send = !_closeSent && _opened.Task.IsCompletedSuccessfully;
            _closeSent = true;
        }

        if (send && _connection.Transport.Failure is null)
        {
            await _connection.Transport.SendAsync(BuildSimple(MessageNumbers.ChannelClose), cancellationToken).ConfigureAwait(false);
            _closeWentOut = true;
        }

        if (waitForPeer && _opened.Task.IsCompletedSuccessfully)
        {
            await _remoteClosed.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            // Sending may wait (a key exchange holds data sends): it gets the long bound. The peer's answer is
            // waited for by the next channel open, if there is one, and only for a CLOSE that went out (CloseTimeout).
            using var sending = new CancellationTokenSource(CloseSendTimeout);
            await CloseAsync(waitForPeer: false, sending.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SshException or OperationCanceledException)
        {
            // Disposal must not throw; the connection (if it died) reports the cause to whoever uses it next.
        }

        _readLock.Dispose();
    }
}
