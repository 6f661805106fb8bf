using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Text;
using NativeSftp.Crypto;
using NativeSftp.Crypto.Ciphers;
using NativeSftp.Wire;

namespace NativeSftp.Transport;

/// <summary>
/// One SSH transport connection (RFC 4253): identification, the binary packet protocol, key exchange and re-key,
/// strict KEX, and DISCONNECT. One receive loop owns reading and dispatch; sends are serialized under one lock so
/// sequence numbers go out in order. When the connection dies, the first cause is kept and every pending and later
/// operation fails with it.
/// </summary>
public sealed partial class SshTransport : IAsyncDisposable
{
    /// <summary>How long a best-effort DISCONNECT may take before we close the socket anyway.</summary>
    private static readonly TimeSpan DisconnectSendTimeout = TimeSpan.FromSeconds(2);

    /// <summary>Default TCP connect timeout.</summary>
    public static readonly TimeSpan DefaultConnectTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Pipe segment size: one 32 KiB SFTP payload plus headers fits one segment most of the time.</summary>
    private const int PipeSegmentSize = 64 * 1024;

    private readonly Stream _stream;
    private readonly PipeReader _reader;
    private readonly TransportSettings _settings;
    private readonly PacketDecoder _decoder;
    private readonly PacketEncoder _encoder;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly CancellationTokenSource _lifetime = new();
    private readonly TaskCompletionSource _initialKex = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly byte[] _clientVersion;
    private byte[] _serverVersion = [];
    private IPacketHandler _handler;
    private Task _receiveLoop = Task.CompletedTask;

    // Key-exchange state; changed under _writeLock (so no non-KEX packet can be sealed after our KEXINIT).
    private KeyExchangeRound? _kex;
    private TaskCompletionSource? _kexGate;
    private IPacketOpener? _pendingOpener;
    private bool _strictKex;
    private bool _initialKexComplete;
    private long _bytesAtLastKex;
    private long _lastKexTimestamp;

    private SshConnectionException? _failure;

    private SshTransport(Stream stream, TransportSettings settings)
    {
        _stream = stream;
        _settings = settings;
        _reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: PipeSegmentSize, minimumReadSize: PipeSegmentSize / 4, leaveOpen: true));
        _decoder = new PacketDecoder(new PlaintextPacketCipher());
        _encoder = new PacketEncoder(new PlaintextPacketCipher());
        _clientVersion = Encoding.ASCII.GetBytes(settings.ClientVersion);
        _handler = Incoming;
        _lastKexTimestamp = settings.TimeProvider.GetTimestamp();
        _lastReceivedTimestamp = _lastKexTimestamp;
    }

    /// <summary>Where packets for the layers above go until <see cref="SetPacketHandler"/> is called (user authentication reads here).</summary>
    public PacketQueue Incoming { get; } = new();

    public string ServerVersion => Encoding.ASCII.GetString(_serverVersion);
    public string ClientVersion => _settings.ClientVersion;

    /// <summary>The server's most recent KEXINIT: everything it offered (for diagnostics such as <c>nsftp info</c>).</summary>
    public KexInitMessage? ServerKexInit { get; private set; }

    /// <summary>The algorithms of the most recent key exchange.</summary>
    public NegotiatedAlgorithms? Algorithms { get; private set; }

    /// <summary>The server's host key, verified in the initial exchange.</summary>
    public SshPublicKey? HostKey { get; private set; }

    /// <summary>The exchange hash of the first key exchange (RFC 4253 §7.2); user authentication signs it.</summary>
    public byte[] SessionId { get; private set; } = [];

    /// <summary>Whether strict KEX (kex-strict-*-v00@openssh.com) is in force on this connection.</summary>
    public bool IsStrictKex => _strictKex;

    /// <summary>The server's RFC 8308 extensions (e.g. server-sig-algs), from its EXT_INFO.</summary>
    public IReadOnlyDictionary<string, byte[]> ServerExtensions { get; private set; } = new Dictionary<string, byte[]>();

    /// <summary>server-sig-algs from EXT_INFO, empty when the server sent none.</summary>
    public IReadOnlyList<string> ServerSignatureAlgorithms =>
        ServerExtensions.TryGetValue("server-sig-algs", out byte[]? v) ? Encoding.ASCII.GetString(v).Split(',', StringSplitOptions.RemoveEmptyEntries) : [];

    public long BytesSent => Interlocked.Read(ref _bytesSent);
    public long BytesReceived => Interlocked.Read(ref _bytesReceived);
    public long PacketsSent => Interlocked.Read(ref _packetsSent);
    public long PacketsReceived => Interlocked.Read(ref _packetsReceived);

    /// <summary>Time since the last packet of any kind arrived (what keepalive and stall diagnosis reason about).</summary>
    public TimeSpan TimeSinceLastPacketReceived => _settings.TimeProvider.GetElapsedTime(Volatile.Read(ref _lastReceivedTimestamp));

    private long _lastReceivedTimestamp;

    /// <summary>Completed key exchanges, the initial one included.</summary>
    public int KeyExchangeCount => Volatile.Read(ref _kexCount);

    /// <summary>The failure that ended the connection, or null while it is alive.</summary>
    public SshConnectionException? Failure => Volatile.Read(ref _failure);

    /// <summary>Completes when the connection has died; never faults.</summary>
    public Task Completion => _closed.Task;

    private long _bytesSent;
    private long _bytesReceived;
    private long _packetsSent;
    private long _packetsReceived;
    private int _kexCount;
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Opens a TCP connection and runs identification and the initial key exchange.</summary>
    public static async Task<SshTransport> ConnectAsync(TransportSettings settings, TimeSpan connectTimeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(connectTimeout);
            try
            {
                await socket.ConnectAsync(settings.Host, settings.Port, timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new SshConnectionException($"could not connect to {settings.Host}:{settings.Port} within {connectTimeout.TotalSeconds:0.#} s",
                    DisconnectReason.ConnectionLost, ClosedBy.Network);
            }
            catch (SocketException e)
            {
                throw new SshConnectionException($"could not connect to {settings.Host}:{settings.Port}: {e.Message}",
                    DisconnectReason.ConnectionLost, ClosedBy.Network, e);
            }
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        // The timeout also covers the version and key exchange: a server (or middlebox) that accepts TCP and then
        // says nothing must not hang the caller, and keepalive does not run before the connection layer exists.
        using var handshake = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        handshake.CancelAfter(connectTimeout);
        try
        {
            return await StartAsync(new NetworkStream(socket, ownsSocket: true), settings, handshake.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new SshConnectionException(
                $"{settings.Host}:{settings.Port} accepted the connection but did not complete the SSH version and key exchange within {connectTimeout.TotalSeconds:0.#} s",
                DisconnectReason.ConnectionLost, ClosedBy.Network);
        }
    }

    /// <summary>Runs the protocol over an already-open stream (a socket, or an in-memory pipe in tests).</summary>
    public static async Task<SshTransport> StartAsync(Stream stream, TransportSettings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        var transport = new SshTransport(stream, settings);
        try
        {
            await transport.HandshakeAsync(cancellationToken).ConfigureAwait(false);
            return transport;
        }
        catch (Exception e)
        {
            await transport.DisposeAsync().ConfigureAwait(false);
            if (e is OperationCanceledException && cancellationToken.IsCancellationRequested)
            {
                throw;
            }

            // A refused host key is the caller's business in its own terms.
            if (e is SshConnectionException { InnerException: HostKeyVerificationException hk })
            {
                throw hk;
            }

            throw;
        }
    }

    private async Task HandshakeAsync(CancellationToken cancellationToken)
    {
        byte[] line = IdentificationExchange.FormatClientLine(_settings.ClientVersion);
        string server;
        try
        {
            await _stream.WriteAsync(line, cancellationToken).ConfigureAwait(false);
            server = await IdentificationExchange.ReadServerVersionAsync(_reader, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            // A reset before the banner is a lost connection like any other, not a raw I/O error.
            throw new SshConnectionException("connection lost during the version exchange: " + e.Message,
                DisconnectReason.ConnectionLost, ClosedBy.Network, e);
        }
        _serverVersion = Encoding.Latin1.GetBytes(server);

        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await SendKexInitLockedAsync(initial: true).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }

        _receiveLoop = Task.Run(ReceiveLoopAsync, CancellationToken.None);
        await _initialKex.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Replaces the queue with the connection layer's dispatcher. Packets already queued stay in <see cref="Incoming"/>.</summary>
    public void SetPacketHandler(IPacketHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        lock (_handlerLock)
        {
            // Packets that arrived after authentication but before this call (hostkeys-00@openssh.com, say) are
            // handed over first, in order, so nothing is lost or reordered across the switch.
            while (Incoming.TryDequeue(out byte[]? queued))
            {
                if (!handler.HandlePacket(queued))
                {
                    throw new SshProtocolException(DisconnectReason.ProtocolError, $"message {queued[0]} queued before the connection layer started was not understood");
                }
            }

            _handler = handler;
        }

        if (_failure is { } f)
        {
            handler.OnConnectionClosed(f);
        }
    }

    private readonly object _handlerLock = new();

    private async Task ReceiveLoopAsync()
    {
        try
        {
            while (true)
            {
                ReadResult result = await _reader.ReadAsync(_lifetime.Token).ConfigureAwait(false);
                ReadOnlySequence<byte> buffer = result.Buffer;
                try
                {
                    while (_decoder.TryDecode(ref buffer, out InboundPacket packet))
                    {
                        using (packet)
                        {
                            Interlocked.Exchange(ref _bytesReceived, _decoder.ByteCount);
                            Interlocked.Increment(ref _packetsReceived);
                            Volatile.Write(ref _lastReceivedTimestamp, _settings.TimeProvider.GetTimestamp());
                            _settings.Tracer?.OnPacket(Diagnostics.PacketDirection.Received, packet.Payload, packet.WireLength, KeyExchangeCount);
                            await DispatchAsync(packet).ConfigureAwait(false);
                        }
                    }
                }
                finally
                {
                    _reader.AdvanceTo(buffer.Start, buffer.End);
                }

                if (result.IsCompleted)
                {
                    throw new SshConnectionException(
                        buffer.Length > 0 ? $"the connection closed in the middle of a packet ({buffer.Length} bytes of it received)" : "the server closed the connection without a DISCONNECT",
                        DisconnectReason.ConnectionLost, ClosedBy.Network);
                }
            }
        }
        catch (Exception e)
        {
            await FailAsync(e).ConfigureAwait(false);
        }
    }

    private async ValueTask DispatchAsync(InboundPacket packet)
    {
        byte msg = packet.MessageNumber;
        var kex = _kex;
        bool inInitialKex = !_initialKexComplete;
        if (inInitialKex && packet.Sequence == uint.MaxValue)
        {
            // Strict KEX forbids the sequence number wrapping before the first NEWKEYS; nobody honest gets near it.
            throw new SshProtocolException(DisconnectReason.ProtocolError, "sequence number wrapped during the initial key exchange");
        }

        if (inInitialKex && _strictKex && !IsKexMessage(msg) && msg != MessageNumbers.Disconnect)
        {
            throw new SshProtocolException(DisconnectReason.ProtocolError,
                $"strict KEX violation: message {msg} during the initial key exchange");
        }

        switch (msg)
        {
            case MessageNumbers.Disconnect:
                throw ParseDisconnect(packet.Payload);
            case MessageNumbers.Ignore:
            case MessageNumbers.Debug:
                return;
            case MessageNumbers.KexInit:
                await OnKexInitAsync(packet).ConfigureAwait(false);
                return;
            case MessageNumbers.NewKeys:
                await OnNewKeysAsync(packet.Payload.Length).ConfigureAwait(false);
                return;
            case >= MessageNumbers.KexFirst and <= MessageNumbers.KexLast:
                await OnKexMethodMessageAsync(packet).ConfigureAwait(false);
                return;
            case MessageNumbers.ExtInfo:
                OnExtInfo(packet.Payload);
                return;
            case MessageNumbers.Unimplemented when kex is not null && RefersToOurKexInit(packet.Payload):
                // Waiting for a KEXINIT that will never come would hang every sender; say why instead.
                throw new SshProtocolException(DisconnectReason.ProtocolError,
                    "the server refused our KEXINIT with UNIMPLEMENTED (OpenSSH does not re-key before authentication)");
        }

        if (kex?.ServerKexInit is not null && !kex.NewKeysReceived && msg != MessageNumbers.Unimplemented)
        {
            // RFC 4253 §7.1: after its KEXINIT the server may send only transport and KEX messages until NEWKEYS.
            throw new SshProtocolException(DisconnectReason.ProtocolError, $"message {msg} in the middle of a key exchange");
        }

        bool handled = false;
        if (msg == MessageNumbers.ServiceAccept || msg == MessageNumbers.Unimplemented || msg >= MessageNumbers.UserauthRequest)
        {
            lock (_handlerLock)
            {
                handled = _handler.HandlePacket(packet.Payload);
            }
        }
        if (!handled)
        {
            await SendUnimplementedAsync(packet.Sequence).ConfigureAwait(false);
        }

        await MaybeStartRekeyAsync().ConfigureAwait(false);
    }

    private bool RefersToOurKexInit(ReadOnlySpan<byte> payload) =>
        payload.Length >= 5 && System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(payload[1..]) == _kexInitSequence;

    private static bool IsKexMessage(byte msg) => msg is MessageNumbers.KexInit or MessageNumbers.NewKeys or (>= MessageNumbers.KexFirst and <= MessageNumbers.KexLast);

    private static SshConnectionException ParseDisconnect(ReadOnlySpan<byte> payload)
    {
        var r = new SshReader(payload);
        r.ReadByte();
        var reason = (DisconnectReason)r.ReadUInt32();
        string description = r.Remaining >= 4 ? r.ReadUtf8() : "";
        string said = SanitizeForDisplay(description).Trim();
        return new SshConnectionException(
            said.Length > 0 ? $"the server disconnected: {said}" : $"the server disconnected without saying why ({reason})", reason, ClosedBy.Server);
    }

    /// <summary>Server text is shown to people: strip control characters so it cannot rewrite a terminal.</summary>
    internal static string SanitizeForDisplay(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (char c in text)
        {
            sb.Append(char.IsControl(c) && c != '\n' && c != '\t' ? '?' : c);
        }

        return sb.ToString();
    }

    private void OnExtInfo(ReadOnlySpan<byte> payload)
    {
        // RFC 8308 §2.4: the server may send EXT_INFO right after its first NEWKEYS (and before USERAUTH_SUCCESS).
        if (KeyExchangeCount == 0)
        {
            throw new SshProtocolException(DisconnectReason.ProtocolError, "EXT_INFO before the first key exchange completed");
        }

        // Extensions a server sends are a handful (OpenSSH sends 2-4); 64 is generous and bounds the dictionary.
        const int MaxExtensions = 64;
        var r = new SshReader(payload);
        r.ReadByte();
        uint count = r.ReadUInt32();
        if (count > MaxExtensions)
        {
            throw new SshProtocolException(DisconnectReason.ProtocolError, $"EXT_INFO with {count} extensions (at most {MaxExtensions})");
        }

        var map = new Dictionary<string, byte[]>(ServerExtensions);
        for (uint i = 0; i < count; i++)
        {
            string name = r.ReadAscii();
            map[name] = r.ReadStringAsArray();
        }

        ServerExtensions = map;
    }
}
