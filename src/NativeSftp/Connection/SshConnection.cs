using System.Buffers.Binary;
using NativeSftp.Connection.FlowControl;
using NativeSftp.Connection.KeepAlive;
using NativeSftp.Transport;
using NativeSftp.Wire;

namespace NativeSftp.Connection;

/// <summary>Connection-layer settings (RFC 4254).</summary>
public sealed class ConnectionSettings
{
    /// <summary>After this long with nothing received, probe with keepalive@openssh.com; zero turns keepalive off.</summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Unanswered probes after which the connection is declared dead (OpenSSH's ServerAliveCountMax).</summary>
    public int KeepAliveCountMax { get; set; } = 3;

    /// <summary>The window we grant each channel; large so long round trips do not cap downloads.</summary>
    public uint WindowSize { get; set; } = InboundWindow.DefaultWindowSize;

    /// <summary>The largest CHANNEL_DATA we accept on each channel.</summary>
    public uint MaxPacketSize { get; set; } = InboundWindow.DefaultMaxPacketSize;

    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}

/// <summary>
/// The connection protocol (RFC 4254) over an authenticated transport: the channel table and dispatch, global
/// requests, and keepalive with dead-peer detection. Dispatch runs on the transport's receive loop and never
/// blocks; sends it must make from there (replies, adjusts) are detached.
/// </summary>
public sealed class SshConnection : IPacketHandler, IAsyncDisposable
{
    /// <summary>Channels open at once on one connection; OpenSSH's default MaxSessions is 10, servers allow more.</summary>
    public const int MaxChannels = 1024;

    /// <summary>How often the keepalive clock ticks; the monitor decides, the tick only has to be finer than the interval.</summary>
    private static readonly TimeSpan MaxKeepAliveTick = TimeSpan.FromSeconds(1);

    private readonly SshTransport _transport;
    private readonly ConnectionSettings _settings;
    private readonly Dictionary<uint, SshChannel> _channels = [];
    private readonly Queue<TaskCompletionSource<byte[]?>> _globalRequests = new();
    private readonly object _lock = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly KeepAliveMonitor _keepAlive;
    private readonly Task _keepAliveLoop;
    private uint _nextId;
    private SshConnectionException? _failure;
    private long _lastPacketsReceived;

    public SshConnection(SshTransport transport, ConnectionSettings? settings = null)
    {
        _transport = transport ?? throw new ArgumentNullException(nameof(transport));
        _settings = settings ?? new ConnectionSettings();
        _keepAlive = new KeepAliveMonitor(_settings.KeepAliveInterval, _settings.KeepAliveCountMax, _settings.TimeProvider);
        _transport.SetPacketHandler(this);
        _keepAliveLoop = _keepAlive.IsEnabled ? Task.Run(KeepAliveLoopAsync) : Task.CompletedTask;
    }

    public SshTransport Transport => _transport;

    /// <summary>Time since the last packet of any kind arrived, as the transport's receive loop records it.</summary>
    public TimeSpan TimeSinceLastPacketReceived => _transport.TimeSinceLastPacketReceived;

    /// <summary>Keepalive probes sent and not yet answered by any packet.</summary>
    public int KeepAlivesUnanswered => _keepAlive.Unanswered;

    /// <summary>
    /// Set once a channel's CLOSE went unanswered for the whole wait (a server that never answers CLOSE, as RFC 4254
    /// §5.3 requires): later channel opens on this connection no longer wait for the CLOSEs of disposed channels.
    /// </summary>
    internal bool PeerLeavesClosesUnanswered
    {
        get => Volatile.Read(ref _peerLeavesClosesUnanswered);
        set => Volatile.Write(ref _peerLeavesClosesUnanswered, value);
    }

    private bool _peerLeavesClosesUnanswered;

    /// <summary>Opens a channel of <paramref name="type"/> ("session") and waits for the server's confirmation.</summary>
    public async Task<SshChannel> OpenChannelAsync(string type, CancellationToken cancellationToken, uint? windowSize = null, uint? maxPacketSize = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(type);
        await WaitForClosingChannelsAsync(cancellationToken).ConfigureAwait(false);
        SshChannel channel;
        lock (_lock)
        {
            ThrowIfFailed();
            if (_channels.Count >= MaxChannels)
            {
                throw new SshChannelException($"more than {MaxChannels} channels open on one connection");
            }

            uint id;
            do
            {
                id = _nextId++;
            }
            while (_channels.ContainsKey(id));

            channel = new SshChannel(this, type, id, windowSize ?? _settings.WindowSize, maxPacketSize ?? _settings.MaxPacketSize);
            _channels.Add(id, channel);
        }

        using (var w = new PooledBufferWriter(64))
        {
            var sw = new SshWriter(w);
            sw.WriteByte(MessageNumbers.ChannelOpen);
            sw.WriteAscii(type);
            sw.WriteUInt32(channel.LocalId);
            sw.WriteUInt32(channel.InitialLocalWindow);
            sw.WriteUInt32(channel.LocalMaxPacketSize);
            try
            {
                await _transport.SendAsync(w.WrittenMemory, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                Release(channel);
                throw;
            }
        }

        try
        {
            await channel.Opened.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The server may still confirm; the channel stays in the table so that reply is understood, and is
            // closed as soon as it arrives (CloseAsync on a not-yet-open channel only marks it).
            _ = channel.DisposeAsync().AsTask();
            throw;
        }

        return channel;
    }

    /// <summary>
    /// Before a new channel: lets the server answer the CLOSE of channels disposed before it, for at most
    /// <see cref="SshChannel.CloseTimeout"/>, so it has freed them (OpenSSH counts open sessions against MaxSessions).
    /// Disposal does not wait itself: the last channel before a disconnect would wait for nothing but a round trip.
    /// </summary>
    private async Task WaitForClosingChannelsAsync(CancellationToken cancellationToken)
    {
        if (PeerLeavesClosesUnanswered)
        {
            return;
        }

        Task[] closing;
        lock (_lock)
        {
            closing = [.. _channels.Values.Where(c => c.AwaitingPeerClose).Select(c => c.PeerClosed)];
        }

        if (closing.Length == 0)
        {
            return;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(SshChannel.CloseTimeout);
        try
        {
            await Task.WhenAll(closing).WaitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // A CLOSE went out and the peer did not answer in time: do not wait again on this connection. (If the
            // connection died meanwhile, the open that follows reports that.)
            if (_transport.Failure is null)
            {
                PeerLeavesClosesUnanswered = true;
            }
        }
    }

    /// <summary>Opens a session channel and runs <paramref name="command"/> in it.</summary>
    public Task<SshChannel> ExecAsync(string command, CancellationToken cancellationToken) =>
        OpenSessionAndAsync(channel => channel.ExecAsync(command, cancellationToken), retryIfCutOff: false, cancellationToken);

    /// <summary>
    /// As <see cref="ExecAsync"/> for a command that may run twice with no harm (our hash commands read and print):
    /// a channel the server closes before answering is opened once more (see <see cref="OpenSessionAndAsync"/>).
    /// Not for a caller's command: the server may have started it before closing the channel.
    /// </summary>
    internal Task<SshChannel> ExecIdempotentAsync(string command, CancellationToken cancellationToken) =>
        OpenSessionAndAsync(channel => channel.ExecAsync(command, cancellationToken), retryIfCutOff: true, cancellationToken);

    /// <summary>
    /// Opens a session channel and makes <paramref name="request"/> on it (exec, subsystem). With
    /// <paramref name="retryIfCutOff"/>, a channel the server closes before answering the request is opened once more:
    /// dropbear before 2024.85 closes a session whose process has not started yet whenever any other child exits
    /// (mkj/dropbear#326), so under segments and a hash command a fresh channel could die at birth, and a transfer
    /// lost an attempt over it. Only for requests that may run twice (a subsystem start, our read-only hash
    /// commands): the server may have started the first before closing it. A refusal (FAILURE) is never retried.
    /// </summary>
    internal async Task<SshChannel> OpenSessionAndAsync(Func<SshChannel, Task> request, bool retryIfCutOff, CancellationToken cancellationToken)
    {
        for (int attempt = 1; ; attempt++)
        {
            var channel = await OpenChannelAsync("session", cancellationToken).ConfigureAwait(false);
            try
            {
                await request(channel).ConfigureAwait(false);
                return channel;
            }
            catch (SshChannelException e) when (retryIfCutOff && attempt == 1 && (e is SshChannelClosedException || e.InnerException is SshChannelClosedException) && _transport.Failure is null)
            {
                await channel.DisposeAsync().ConfigureAwait(false);
            }
            catch
            {
                await channel.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
    }

    /// <summary>
    /// Sends a global request (RFC 4254 §4). With want-reply, returns the REQUEST_SUCCESS payload after the message
    /// number, or null for REQUEST_FAILURE.
    /// </summary>
    public async Task<byte[]?> SendGlobalRequestAsync(string name, bool wantReply, Action<SshWriter>? body, CancellationToken cancellationToken)
    {
        using var w = new PooledBufferWriter(128);
        var sw = new SshWriter(w);
        sw.WriteByte(MessageNumbers.GlobalRequest);
        sw.WriteAscii(name);
        sw.WriteBoolean(wantReply);
        body?.Invoke(sw);
        TaskCompletionSource<byte[]?>? tcs = null;
        if (wantReply)
        {
            tcs = new TaskCompletionSource<byte[]?>(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_lock)
            {
                ThrowIfFailed();
                _globalRequests.Enqueue(tcs);
            }
        }

        await _transport.SendAsync(w.WrittenMemory, cancellationToken).ConfigureAwait(false);
        return tcs is null ? null : await tcs.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    // ---- dispatch (on the transport's receive loop) ----

    public bool HandlePacket(ReadOnlySpan<byte> payload)
    {
        var r = new SshReader(payload);
        byte msg = r.ReadByte();
        switch (msg)
        {
            case MessageNumbers.ChannelData:
            {
                var ch = Lookup(r.ReadUInt32());
                ch.OnData(r.ReadString());
                return true;
            }

            case MessageNumbers.ChannelWindowAdjust:
                Lookup(r.ReadUInt32()).OnWindowAdjust(r.ReadUInt32());
                return true;
            case MessageNumbers.ChannelExtendedData:
            {
                var ch = Lookup(r.ReadUInt32());
                uint type = r.ReadUInt32();
                ch.OnExtendedData(type, r.ReadString());
                return true;
            }

            case MessageNumbers.ChannelEof:
                Lookup(r.ReadUInt32()).OnEof();
                return true;
            case MessageNumbers.ChannelClose:
                Lookup(r.ReadUInt32()).OnClose();
                return true;
            case MessageNumbers.ChannelRequest:
            {
                var ch = Lookup(r.ReadUInt32());
                string type = r.ReadAscii();
                bool wantReply = r.ReadBoolean();
                ch.OnRequest(type, wantReply, r.ReadRemaining());
                return true;
            }

            case MessageNumbers.ChannelSuccess:
            case MessageNumbers.ChannelFailure:
                Lookup(r.ReadUInt32()).OnRequestReply(msg == MessageNumbers.ChannelSuccess);
                return true;
            case MessageNumbers.ChannelOpenConfirmation:
            {
                var ch = Lookup(r.ReadUInt32());
                uint sender = r.ReadUInt32();
                uint window = r.ReadUInt32();
                uint maxPacket = r.ReadUInt32();
                if (maxPacket == 0)
                {
                    throw new SshProtocolException(DisconnectReason.ProtocolError, $"channel {ch.LocalId} confirmed with a maximum packet size of 0");
                }

                ch.OnOpenConfirmed(sender, window, maxPacket, _settings.TimeProvider);
                return true;
            }

            case MessageNumbers.ChannelOpenFailure:
            {
                var ch = Lookup(r.ReadUInt32());
                var reason = (ChannelOpenFailureReason)r.ReadUInt32();
                string description = SshTransport.SanitizeForDisplay(r.ReadUtf8());
                Release(ch);
                ch.OnOpenFailed(new SshChannelOpenException(ch.ChannelType, reason, description));
                return true;
            }

            case MessageNumbers.ChannelOpen:
                RefuseChannelOpen(ref r);
                return true;
            case MessageNumbers.GlobalRequest:
            {
                r.ReadAscii(); // hostkeys-00@openssh.com and the like: nothing we act on
                if (r.ReadBoolean())
                {
                    SendDetached([MessageNumbers.RequestFailure]);
                }

                return true;
            }

            case MessageNumbers.RequestSuccess:
            case MessageNumbers.RequestFailure:
            case MessageNumbers.Unimplemented:
                CompleteGlobalRequest(msg, r.ReadRemaining());
                return true;
            default:
                return false;
        }
    }

    /// <summary>We open no forwarding, so a server's CHANNEL_OPEN is refused (RFC 4254 §5.1).</summary>
    private void RefuseChannelOpen(ref SshReader r)
    {
        r.ReadAscii();
        uint sender = r.ReadUInt32();
        using var w = new PooledBufferWriter(64);
        var sw = new SshWriter(w);
        sw.WriteByte(MessageNumbers.ChannelOpenFailure);
        sw.WriteUInt32(sender);
        sw.WriteUInt32((uint)ChannelOpenFailureReason.AdministrativelyProhibited);
        sw.WriteUtf8("this client accepts no channels");
        sw.WriteUtf8("");
        SendDetached(w.ToArray());
    }

    private void CompleteGlobalRequest(byte msg, ReadOnlySpan<byte> rest)
    {
        TaskCompletionSource<byte[]?>? tcs;
        lock (_lock)
        {
            _globalRequests.TryDequeue(out tcs);
        }

        if (tcs is null)
        {
            if (msg == MessageNumbers.Unimplemented)
            {
                return; // an answer to something other than a global request (a keepalive probe already counted)
            }

            throw new SshProtocolException(DisconnectReason.ProtocolError, $"global request reply {msg} with no request outstanding");
        }

        tcs.TrySetResult(msg == MessageNumbers.RequestSuccess ? rest.ToArray() : null);
    }

    private SshChannel Lookup(uint id)
    {
        lock (_lock)
        {
            if (_channels.TryGetValue(id, out var ch))
            {
                return ch;
            }
        }

        throw new SshProtocolException(DisconnectReason.ProtocolError, $"message for unknown channel {id}");
    }

    internal void Release(SshChannel channel)
    {
        lock (_lock)
        {
            _channels.Remove(channel.LocalId);
        }
    }

    /// <summary>
    /// Sends from a context that must not wait (the receive loop): the send runs on its own; if it fails, the
    /// transport has failed and every waiter learns why from it.
    /// </summary>
    internal void SendDetached(byte[] payload) => _ = SendDetachedAsync(payload);

    private async Task SendDetachedAsync(byte[] payload)
    {
        try
        {
            await _transport.SendAsync(payload, _stop.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SshException or OperationCanceledException)
        {
            // The transport recorded the cause and fails every waiter with it; nothing more to report here.
        }
    }

    public void OnConnectionClosed(SshConnectionException cause)
    {
        SshChannel[] channels;
        TaskCompletionSource<byte[]?>[] requests;
        lock (_lock)
        {
            _failure ??= cause;
            channels = [.. _channels.Values];
            _channels.Clear();
            requests = [.. _globalRequests];
            _globalRequests.Clear();
        }

        foreach (var ch in channels)
        {
            ch.Fail(cause);
        }

        foreach (var r in requests)
        {
            r.TrySetException(cause);
        }

        _stop.Cancel();
    }

    private void ThrowIfFailed()
    {
        if (_failure is not null)
        {
            throw _failure;
        }

        if (_transport.Failure is { } f)
        {
            throw f;
        }
    }

    // ---- keepalive ----

    private void NotePacketsReceived()
    {
        long now = _transport.PacketsReceived;
        if (now != Interlocked.Exchange(ref _lastPacketsReceived, now))
        {
            _keepAlive.OnPacketReceived();
        }
    }

    private async Task KeepAliveLoopAsync()
    {
        TimeSpan tick = _settings.KeepAliveInterval < MaxKeepAliveTick * 4 ? _settings.KeepAliveInterval / 4 : MaxKeepAliveTick;
        using var timer = new PeriodicTimer(tick, _settings.TimeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                NotePacketsReceived();
                switch (_keepAlive.Tick())
                {
                    case KeepAliveAction.SendProbe:
                        // Detached: a probe stuck behind a blocked socket must not stop us from declaring the peer dead.
                        _ = SendGlobalRequestAsync("keepalive@openssh.com", true, null, _stop.Token)
                            .ContinueWith(static t => _ = t.Exception, TaskScheduler.Default);
                        break;
                    case KeepAliveAction.Dead:
                        var dead = new SshConnectionException(
                            $"the server did not answer {_settings.KeepAliveCountMax} keepalives; nothing received for {_keepAlive.TimeSinceLastReceive.TotalSeconds:0.#} s",
                            DisconnectReason.ConnectionLost, ClosedBy.Client);
                        await _transport.FailAsync(dead).ConfigureAwait(false);
                        return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped because the connection closed; its cause is recorded by the transport.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _transport.DisposeAsync().ConfigureAwait(false);
        await _stop.CancelAsync().ConfigureAwait(false);
        await _keepAliveLoop.ConfigureAwait(false);
        _stop.Dispose();
    }
}
