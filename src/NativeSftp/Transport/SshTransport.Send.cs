using System.Buffers;
using NativeSftp.Wire;

namespace NativeSftp.Transport;

// Sending: serialized under _writeLock, gated during key exchange (RFC 4253 §7.1), and failure handling.
public sealed partial class SshTransport
{
    /// <summary>Bytes a packet buffer needs besides its payload: the 5-byte header, padding and MAC.</summary>
    public const int PacketOverhead = PacketEncoder.HeaderSize + PacketEncoder.MaxTrailerSize;

    /// <summary>
    /// Rents a buffer for a packet whose payload the caller writes in place at <see cref="OutgoingPacket.Payload"/>
    /// (the data path: CHANNEL_DATA headers and file bytes go straight in, then are sealed in place).
    /// </summary>
    public OutgoingPacket RentPacket(int payloadCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(payloadCapacity);
        return new OutgoingPacket(ArrayPool<byte>.Shared.Rent(PacketOverhead + payloadCapacity), payloadCapacity);
    }

    /// <summary>
    /// Sends a payload (message number first). Cold path: copies it, and clears the copy afterwards since it may
    /// hold a password. Waits while a key exchange is running unless the message is one RFC 4253 §7.1 allows then.
    /// </summary>
    public async ValueTask SendAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        var packet = RentPacket(payload.Length);
        payload.Span.CopyTo(packet.Payload);
        await SendPacketAsync(packet, payload.Length, cancellationToken, clear: true).ConfigureAwait(false);
    }

    /// <summary>Sends a rented packet and returns its buffer to the pool, whatever happens.</summary>
    public ValueTask SendPacketAsync(OutgoingPacket packet, int payloadLength, CancellationToken cancellationToken) =>
        SendPacketAsync(packet, payloadLength, cancellationToken, clear: false);

    // Pooled builder: the data path's awaits complete asynchronously often (window, lock, socket); without it each
    // would allocate a state machine box per packet.
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SendPacketAsync(OutgoingPacket packet, int payloadLength, CancellationToken cancellationToken, bool clear)
    {
        try
        {
            if (payloadLength < 1 || payloadLength > packet.PayloadCapacity)
            {
                throw new ArgumentOutOfRangeException(nameof(payloadLength));
            }

            bool gated = !AllowedDuringKex(packet.Buffer[PacketEncoder.HeaderSize]);
            while (true)
            {
                ThrowIfFailed();
                if (gated && Volatile.Read(ref _kexGate) is { } gate)
                {
                    await gate.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
                }

                await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    ThrowIfFailed();
                    if (gated && _kex is not null)
                    {
                        continue;
                    }

                    if (gated && NeedsRekey())
                    {
                        await SendKexInitLockedAsync(initial: false).ConfigureAwait(false);
                        continue;
                    }

                    Trace(packet.Buffer.AsSpan(PacketEncoder.HeaderSize, payloadLength));
                    int total = _encoder.Seal(packet.Buffer, payloadLength);
                    await WriteSealedLockedAsync(packet.Buffer.AsMemory(0, total)).ConfigureAwait(false);
                    return;
                }
                finally
                {
                    _writeLock.Release();
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(packet.Buffer, clearArray: clear);
        }
    }

    /// <summary>RFC 4253 §7.1: during a key exchange only 1-19 (not SERVICE_REQUEST/ACCEPT) and 20-49 may be sent.</summary>
    private static bool AllowedDuringKex(byte msg) =>
        msg is (>= 1 and <= 19) and not MessageNumbers.ServiceRequest and not MessageNumbers.ServiceAccept and not MessageNumbers.ExtInfo
            or (>= 20 and <= 49);

    /// <summary>Sends a transport or KEX message from the receive loop; never waits on the key-exchange gate.</summary>
    private async ValueTask SendTransportMessageAsync(ReadOnlyMemory<byte> payload)
    {
        await _writeLock.WaitAsync(_lifetime.Token).ConfigureAwait(false);
        try
        {
            ThrowIfFailed();
            await WriteLockedAsync(payload, clear: false).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private ValueTask SendUnimplementedAsync(uint sequence)
    {
        byte[] payload = new byte[5];
        payload[0] = MessageNumbers.Unimplemented;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(payload.AsSpan(1), sequence);
        return SendTransportMessageAsync(payload);
    }

    /// <summary>Seals and writes one payload. Caller holds _writeLock.</summary>
    private async ValueTask WriteLockedAsync(ReadOnlyMemory<byte> payload, bool clear)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(PacketOverhead + payload.Length);
        try
        {
            payload.Span.CopyTo(buffer.AsSpan(PacketEncoder.HeaderSize));
            Trace(payload.Span);
            int total = _encoder.Seal(buffer, payload.Length);
            await WriteSealedLockedAsync(buffer.AsMemory(0, total)).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer, clearArray: clear);
        }
    }

    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WriteSealedLockedAsync(ReadOnlyMemory<byte> sealedPacket)
    {
        try
        {
            // Never the caller's token: a packet cancelled half-way would corrupt the stream for everyone.
            await _stream.WriteAsync(sealedPacket, _lifetime.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException)
        {
            await FailAsync(e).ConfigureAwait(false);
            throw Failure!;
        }

        Interlocked.Exchange(ref _bytesSent, _encoder.ByteCount);
        Interlocked.Increment(ref _packetsSent);
    }

    private void Trace(ReadOnlySpan<byte> payload)
    {
        if (_settings.Tracer is { } tracer)
        {
            // Wire length is known only after sealing; the payload length plus framing is close enough for a trace.
            tracer.OnPacket(Diagnostics.PacketDirection.Sent, payload, payload.Length + PacketEncoder.HeaderSize, KeyExchangeCount);
        }
    }

    private void ThrowIfFailed()
    {
        if (Volatile.Read(ref _failure) is { } f)
        {
            throw f;
        }
    }

    /// <summary>Records the first cause, tells the peer why when it is our decision, and fails every waiter.</summary>
    internal async ValueTask FailAsync(Exception cause)
    {
        var failure = ToConnectionException(cause);
        if (Interlocked.CompareExchange(ref _failure, failure, null) is not null)
        {
            return;
        }

        if (failure.ClosedBy == ClosedBy.Client && cause is not IOException)
        {
            await TrySendDisconnectAsync(failure.Reason, cause is SshConnectionException ? "closed by the application" : cause.Message).ConfigureAwait(false);
        }

        await _lifetime.CancelAsync().ConfigureAwait(false);
        _initialKex.TrySetException(failure);
        Volatile.Read(ref _kexGate)?.TrySetException(failure);
        NotifyClosed(_handler, failure);
        if (!ReferenceEquals(_handler, Incoming))
        {
            NotifyClosed(Incoming, failure);
        }

        await _stream.DisposeAsync().ConfigureAwait(false);
        _closed.TrySetResult();
    }

    private static void NotifyClosed(IPacketHandler handler, SshConnectionException failure) => handler.OnConnectionClosed(failure);

    private async ValueTask TrySendDisconnectAsync(DisconnectReason reason, string description)
    {
        using var timeout = new CancellationTokenSource(DisconnectSendTimeout);
        try
        {
            if (!await _writeLock.WaitAsync(DisconnectSendTimeout).ConfigureAwait(false))
            {
                return; // a writer is stuck on a full socket; the close that follows says enough.
            }

            try
            {
                using var w = new PooledBufferWriter(128);
                var sw = new SshWriter(w);
                sw.WriteByte(MessageNumbers.Disconnect);
                sw.WriteUInt32((uint)reason);
                sw.WriteUtf8(description.Length > 200 ? description[..200] : description);
                sw.WriteUtf8("");
                byte[] buffer = ArrayPool<byte>.Shared.Rent(PacketOverhead + w.WrittenCount);
                try
                {
                    w.WrittenSpan.CopyTo(buffer.AsSpan(PacketEncoder.HeaderSize));
                    int total = _encoder.Seal(buffer, w.WrittenCount);
                    await _stream.WriteAsync(buffer.AsMemory(0, total), timeout.Token).ConfigureAwait(false);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
            finally
            {
                _writeLock.Release();
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException)
        {
            // Best effort by definition: the connection is being torn down for the reason already recorded.
        }
    }

    private SshConnectionException ToConnectionException(Exception e)
    {
        SshConnectionException core = e switch
        {
            SshConnectionException ce => ce,
            SshProtocolException pe => new SshConnectionException("protocol error: " + pe.Message, pe.Reason, ClosedBy.Client, pe),
            HostKeyVerificationException hk => new SshConnectionException("host key not trusted: " + hk.Message, DisconnectReason.HostKeyNotVerifiable, ClosedBy.Client, hk),
            IOException or ObjectDisposedException => new SshConnectionException("connection lost: " + e.Message, DisconnectReason.ConnectionLost, ClosedBy.Network, e),
            OperationCanceledException => new SshConnectionException("the connection was closed", DisconnectReason.ByApplication, ClosedBy.Client, e),
            _ => new SshConnectionException("internal error: " + e.Message, DisconnectReason.ByApplication, ClosedBy.Client, e),
        };
        return core.WithCounters(BytesSent, BytesReceived, PacketsSent, PacketsReceived);
    }

    public async ValueTask DisposeAsync()
    {
        await FailAsync(new SshConnectionException("the connection was closed by the application", DisconnectReason.ByApplication, ClosedBy.Client)).ConfigureAwait(false);
        await _receiveLoop.ConfigureAwait(false);
        await _reader.CompleteAsync().ConfigureAwait(false);
        await _writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            _decoder.Dispose();
            _encoder.Dispose();
            _pendingOpener?.Dispose();
            _kex?.Dispose();
        }
        finally
        {
            _writeLock.Release();
        }

        _lifetime.Dispose();
    }
}

/// <summary>A pooled buffer for one outbound packet; the payload is written at <see cref="Payload"/>.</summary>
public readonly struct OutgoingPacket
{
    internal OutgoingPacket(byte[] buffer, int payloadCapacity)
    {
        Buffer = buffer;
        PayloadCapacity = payloadCapacity;
    }

    internal byte[] Buffer { get; }
    public int PayloadCapacity { get; }
    public Span<byte> Payload => Buffer.AsSpan(PacketEncoder.HeaderSize, PayloadCapacity);
    public Memory<byte> PayloadMemory => Buffer.AsMemory(PacketEncoder.HeaderSize, PayloadCapacity);
}
