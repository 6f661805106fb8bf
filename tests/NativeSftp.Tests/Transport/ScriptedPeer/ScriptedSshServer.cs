using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using NativeSftp.Crypto;
using NativeSftp.Crypto.Ciphers;
using NativeSftp.Crypto.Keys;
using NativeSftp.Tests.Fixtures;
using NativeSftp.Transport;
using NativeSftp.Wire;

namespace NativeSftp.Tests.Transport.ScriptedPeer;

/// <summary>
/// The server side of an SSH transport (RFC 4253), driven one step at a time by a test, over an in-memory
/// <see cref="DuplexPipeStream"/> whose other end is <see cref="ClientStream"/>. It does what a real server does
/// (identification, a real curve25519-sha256 + ssh-ed25519 key exchange, sealed packets with sequence numbers) and,
/// on request, what real servers never do (packets out of place, wrong sequence numbers, damaged or truncated
/// packets, a close in the middle of a packet), so the client's handling of each can be tested.
/// <para>
/// Framing and sealing here are written independently of the client's PacketEncoder/PacketDecoder; only the
/// cipher implementations (through <see cref="IPacketSealer"/>/<see cref="IPacketOpener"/>) and the RFC 4253 §7.2
/// key derivation are shared. Not thread-safe: one step at a time, from one task.
/// </para>
/// </summary>
public sealed partial class ScriptedSshServer : IAsyncDisposable
{
    /// <summary>The version line the server sends unless told otherwise.</summary>
    public const string DefaultVersion = "SSH-2.0-ScriptedPeer_1.0";

    /// <summary>RFC 4253 §6.1 lets an implementation cap packets; like OpenSSH (and our client) we stop at 256 KiB.</summary>
    private const int MaxPacketLength = 256 * 1024;

    /// <summary>RFC 4253 §6: at least four bytes of random padding.</summary>
    private const int MinPadding = 4;

    /// <summary>RFC 4253 §4.2: an identification line is at most 255 bytes, CR LF included.</summary>
    private const int MaxIdentificationLine = 255;

    private readonly DuplexPipeStream _stream;
    private readonly Queue<byte[]> _held = new();
    private IPacketSealer _sealer = new PlaintextPacketCipher();
    private IPacketOpener _opener = new PlaintextPacketCipher();

    private ScriptedSshServer(DuplexPipeStream serverEnd, DuplexPipeStream clientEnd, Ed25519PrivateKey hostKey)
    {
        _stream = serverEnd;
        ClientStream = clientEnd;
        HostKey = hostKey;
    }

    /// <summary>Creates a server with a fresh ed25519 host key and the in-memory connection to it.</summary>
    public static ScriptedSshServer Create()
    {
        var (server, client) = DuplexPipeStream.CreatePair();
        return new ScriptedSshServer(server, client, NewHostKey());
    }

    private static Ed25519PrivateKey NewHostKey()
    {
        byte[] seed = RandomNumberGenerator.GetBytes(Ed25519PrivateKey.SeedSize);
        try
        {
            return Ed25519PrivateKey.Create(seed, default, "scripted-peer");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
        }
    }

    /// <summary>The client's end of the connection: hand it to <see cref="SshTransport.StartAsync"/>.</summary>
    public Stream ClientStream { get; }

    /// <summary>The host key this server signs H with.</summary>
    public Ed25519PrivateKey HostKey { get; private set; }

    /// <summary>Replaces the host key with a fresh one (a different server, or a changed key in the middle of a connection).</summary>
    public void RotateHostKey()
    {
        Ed25519PrivateKey old = HostKey;
        HostKey = NewHostKey();
        old.Dispose();
    }

    /// <summary>The version line this server sent (V_S), without CR LF.</summary>
    public string ServerVersion { get; private set; } = DefaultVersion;

    /// <summary>The client's version line (V_C) once <see cref="ReadClientIdentificationAsync"/> has read it.</summary>
    public string ClientVersion { get; private set; } = "";

    /// <summary>Sequence number of the next packet this server seals (RFC 4253 §6.4).</summary>
    public uint SendSequence { get; private set; }

    /// <summary>Sequence number of the next packet this server opens.</summary>
    public uint ReceiveSequence { get; private set; }

    /// <summary>Bytes of MAC or AEAD tag the current keys append to each sealed packet (0 before the first NEWKEYS).</summary>
    public int MacLength => _sealer.MacSize;

    /// <summary>
    /// Client settings that trust exactly this server's host key and offer only what the server implements
    /// (curve25519-sha256, ssh-ed25519). <paramref name="cipher"/> narrows the client to one cipher.
    /// </summary>
    public TransportSettings ClientSettings(string? cipher = null) => new()
    {
        Host = "scripted.test",
        Port = 22,
        HostKeyVerifier = new PinnedHostKeyVerifier([HostKey.PublicKey]),
        KeyExchangeAlgorithms = ["curve25519-sha256"],
        HostKeyAlgorithms = ["ssh-ed25519"],
        Ciphers = cipher is null ? [.. CipherRegistry.DefaultCiphers] : [cipher],
    };

    /// <summary>Starts the client transport on <see cref="ClientStream"/>; completes after its initial key exchange.</summary>
    /// <summary>A client transport connected to this server through a plain key exchange, ready for the test's packets.</summary>
    public async Task<SshTransport> ConnectClientAsync(CancellationToken cancellationToken)
    {
        var accept = AcceptAsync(new ServerKexOptions(), cancellationToken);
        var client = await StartClientAsync(ClientSettings(), cancellationToken).ConfigureAwait(false);
        await accept.ConfigureAwait(false);
        return client;
    }

    /// <summary>
    /// Reads the client's next packet, which must be a CHANNEL_OPEN of a session, and confirms it with our channel
    /// number <paramref name="serverIdOffset"/> + the client's (1 MiB window, 32 KiB packets). Returns the client's number.
    /// </summary>
    public async Task<uint> ConfirmSessionOpenAsync(uint serverIdOffset, CancellationToken cancellationToken)
    {
        var open = new SshReader(await ReceivePacketAsync(cancellationToken).ConfigureAwait(false));
        Assert.That(open.ReadByte(), Is.EqualTo(MessageNumbers.ChannelOpen));
        Assert.That(open.ReadAscii(), Is.EqualTo("session"));
        uint clientId = open.ReadUInt32();
        await SendPacketAsync(Payload(w =>
        {
            w.WriteByte(MessageNumbers.ChannelOpenConfirmation);
            w.WriteUInt32(clientId);
            w.WriteUInt32(serverIdOffset + clientId);
            w.WriteUInt32(1 << 20);
            w.WriteUInt32(32768);
        }), cancellationToken).ConfigureAwait(false);
        return clientId;
    }

    public Task<SshTransport> StartClientAsync(TransportSettings settings, CancellationToken cancellationToken) =>
        SshTransport.StartAsync(ClientStream, settings, cancellationToken);

    /// <summary>Sends <paramref name="preamble"/> lines (each with CR LF), then the version line.</summary>
    public async Task SendIdentificationAsync(CancellationToken cancellationToken, IEnumerable<string>? preamble = null, string version = DefaultVersion)
    {
        var text = new StringBuilder();
        foreach (string line in preamble ?? [])
        {
            text.Append(line).Append("\r\n");
        }

        text.Append(version).Append("\r\n");
        ServerVersion = version;
        await SendRawAsync(Encoding.Latin1.GetBytes(text.ToString()), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads the client's version line byte by byte, so no byte of its first packet is consumed.</summary>
    public async Task<string> ReadClientIdentificationAsync(CancellationToken cancellationToken)
    {
        var line = new List<byte>();
        byte[] one = new byte[1];
        while (line.Count < MaxIdentificationLine)
        {
            await _stream.ReadExactlyAsync(one, cancellationToken).ConfigureAwait(false);
            if (one[0] == '\n')
            {
                ClientVersion = Encoding.Latin1.GetString(line.ToArray()).TrimEnd('\r');
                return ClientVersion;
            }

            line.Add(one[0]);
        }

        throw new InvalidDataException($"the client's identification line is longer than {MaxIdentificationLine} bytes");
    }

    /// <summary>Writes bytes as they are: a partial packet, garbage, a tampered sealed packet.</summary>
    public async Task SendRawAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken) =>
        await _stream.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Frames and seals one packet with the current keys and sequence number (which it consumes), without sending
    /// it, so a test can damage it first. <paramref name="paddingLength"/> forces the padding_length byte (which must
    /// still leave the packet block-aligned); null pads correctly with at least four bytes (RFC 4253 §6).
    /// </summary>
    public byte[] SealPacket(ReadOnlySpan<byte> payload, int? paddingLength = null)
    {
        int block = Math.Max(_sealer.BlockSize, 8);
        int covered = (_sealer.LengthExcludedFromPadding ? 0 : 4) + 1 + payload.Length;
        int padding = paddingLength ?? block - (covered % block);
        if (paddingLength is null && padding < MinPadding)
        {
            padding += block;
        }

        if ((covered + padding) % block != 0)
        {
            throw new ArgumentException($"padding {padding} with a {payload.Length}-byte payload is not aligned to {block}", nameof(paddingLength));
        }

        int packetLength = 1 + payload.Length + padding;
        byte[] sealedPacket = new byte[4 + packetLength + _sealer.MacSize];
        BinaryPrimitives.WriteUInt32BigEndian(sealedPacket, (uint)packetLength);
        sealedPacket[4] = (byte)padding;
        payload.CopyTo(sealedPacket.AsSpan(5));
        RandomNumberGenerator.Fill(sealedPacket.AsSpan(5 + payload.Length, padding));
        _sealer.Seal(SendSequence, sealedPacket.AsSpan(0, 4 + packetLength), sealedPacket.AsSpan(4 + packetLength));
        SendSequence = unchecked(SendSequence + 1);
        return sealedPacket;
    }

    /// <summary>Seals and sends one payload (message number first).</summary>
    public Task SendPacketAsync(ReadOnlySpan<byte> payload, CancellationToken cancellationToken) =>
        SendRawAsync(SealPacket(payload), cancellationToken);

    /// <summary>Sends SSH_MSG_DISCONNECT (RFC 4253 §11.1) with a reason and description.</summary>
    public Task SendDisconnectAsync(DisconnectReason reason, string description, CancellationToken cancellationToken) =>
        SendPacketAsync(Payload(w =>
        {
            w.WriteByte(MessageNumbers.Disconnect);
            w.WriteUInt32((uint)reason);
            w.WriteUtf8(description);
            w.WriteUtf8("");
        }), cancellationToken);

    /// <summary>
    /// The client's next packet's payload: first any packets held back during a key exchange (data the client sent
    /// before it saw our KEXINIT), then from the connection. End of stream throws <see cref="EndOfStreamException"/>.
    /// </summary>
    public async Task<byte[]> ReceivePacketAsync(CancellationToken cancellationToken)
    {
        if (_held.TryDequeue(out byte[]? held))
        {
            return held;
        }

        return await ReadPacketAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads packets until the client's DISCONNECT and returns its reason and description.</summary>
    public async Task<(DisconnectReason Reason, string Description)> ExpectDisconnectAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            byte[] payload = await ReceivePacketAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                ClientDisconnectedException.ThrowIfDisconnect(payload);
            }
            catch (ClientDisconnectedException e)
            {
                return (e.Reason, e.Description);
            }
        }
    }

    /// <summary>Reads until the client closes its end; true when it did within the token's time.</summary>
    public async Task<bool> WaitForClientCloseAsync(CancellationToken cancellationToken)
    {
        byte[] sink = new byte[4096];
        try
        {
            while (await _stream.ReadAsync(sink, cancellationToken).ConfigureAwait(false) > 0)
            {
            }

            return true;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>
    /// Closes the server's sending side the way a server process that exits does (TCP FIN): the client reads
    /// end-of-stream exactly where the server stopped writing, and its own last writes (a DISCONNECT) still succeed.
    /// </summary>
    public void CloseSending() => _stream.CompleteWriting();

    /// <summary>Closes both directions at once, like a reset: the client's reads end and its writes fail with IOException.</summary>
    public ValueTask AbortAsync() => _stream.DisposeAsync();

    private async Task<byte[]> ReadPacketAsync(CancellationToken cancellationToken)
    {
        byte[] prefix = new byte[_opener.LengthPrefixSize];
        await _stream.ReadExactlyAsync(prefix, cancellationToken).ConfigureAwait(false);
        uint packetLength = _opener.DecryptLength(ReceiveSequence, prefix);
        if (packetLength < 1 + MinPadding || packetLength > MaxPacketLength)
        {
            throw new InvalidDataException($"the client sent packet length {packetLength}");
        }

        byte[] packet = new byte[4 + packetLength];
        byte[] mac = new byte[_opener.MacSize];
        prefix.CopyTo(packet, 0);
        await _stream.ReadExactlyAsync(packet.AsMemory(prefix.Length), cancellationToken).ConfigureAwait(false);
        await _stream.ReadExactlyAsync(mac, cancellationToken).ConfigureAwait(false);
        _opener.Open(ReceiveSequence, packet, mac, packet);
        ReceiveSequence = unchecked(ReceiveSequence + 1);
        int padding = packet[4];
        if (padding < MinPadding || padding > packetLength - 2)
        {
            throw new InvalidDataException($"the client sent padding length {padding} in a {packetLength}-byte packet");
        }

        return packet.AsSpan(5, (int)packetLength - padding - 1).ToArray();
    }

    /// <summary>Builds a payload with an <see cref="SshWriter"/>.</summary>
    public static byte[] Payload(Action<SshWriter> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        using var buffer = new PooledBufferWriter();
        write(new SshWriter(buffer));
        return buffer.ToArray();
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync().ConfigureAwait(false);
        await ClientStream.DisposeAsync().ConfigureAwait(false);
        _sealer.Dispose();
        _opener.Dispose();
        HostKey.Dispose();
    }
}
