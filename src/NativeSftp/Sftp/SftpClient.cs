using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using NativeSftp.Connection;
using NativeSftp.Sftp.Protocol;
using NativeSftp.Sftp.Protocol.Extensions;
using NativeSftp.Wire;

namespace NativeSftp.Sftp;

/// <summary>
/// An SFTP v3 session (draft-ietf-secsh-filexfer-02). Many requests may be in flight: one receive loop matches
/// replies to requests by id, in any order; every STATUS is checked; a reply for an unknown id or of the wrong type
/// fails the session, and when the channel or connection dies every outstanding request fails with the cause.
/// </summary>
public sealed partial class SftpClient : IAsyncDisposable
{
    /// <summary>What we ask for in INIT and accept in VERSION.</summary>
    public const uint ProtocolVersion = SftpProtocolLimits.ProtocolVersion;

    private readonly ISftpChannel _channel;
    private readonly Dictionary<uint, PendingRequest> _pending = [];
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource<(uint Version, IReadOnlyList<SftpExtensionAnnouncement> Extensions)> _version =
        new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _receiveLoop = Task.CompletedTask;
    private uint _nextId;
    private Exception? _failure;

    private SftpClient(ISftpChannel channel, SshConnection? connection)
    {
        _channel = channel;
        Connection = connection;
    }

    /// <summary>The SSH connection this session runs on (null over a test stream): remote hash commands use it.</summary>
    public SshConnection? Connection { get; }

    /// <summary>Extensions the server announced in VERSION, in order, with their data (e.g. "posix-rename@openssh.com" = "1").</summary>
    public IReadOnlyDictionary<string, string> Extensions { get; private set; } = new Dictionary<string, string>();

    /// <summary>The server's limits@openssh.com answer, when it announced the extension.</summary>
    public SftpServerLimits? Limits { get; private set; }

    /// <summary>Requests sent and not yet answered.</summary>
    public int RequestsInFlight
    {
        get
        {
            lock (_pending)
            {
                return _pending.Count;
            }
        }
    }

    /// <summary>The SSH channel under this session (null over a test stream), for its flow counters.</summary>
    public SshChannel? Channel => (_channel as SshChannelSftpChannel)?.Channel;

    public bool Supports(string extension) => Extensions.ContainsKey(extension);

    /// <summary>Opens a session channel, starts the "sftp" subsystem and runs INIT/VERSION.</summary>
    public static async Task<SftpClient> OpenAsync(SshConnection connection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        // Not pipelined with INIT: OpenSSH opens a session channel with a window of 0 and opens it only once the
        // subsystem runs, so INIT could not go any earlier.
        var channel = await connection.OpenSessionAndAsync(c => c.StartSubsystemAsync("sftp", cancellationToken), retryIfCutOff: true, cancellationToken).ConfigureAwait(false);

        return await StartAsync(new SshChannelSftpChannel(channel), connection, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs SFTP over an arbitrary duplex stream (tests use a scripted peer).</summary>
    internal static Task<SftpClient> OpenAsync(Stream stream, CancellationToken cancellationToken) =>
        StartAsync(new StreamSftpChannel(stream), null, cancellationToken);

    private static async Task<SftpClient> StartAsync(ISftpChannel channel, SshConnection? connection, CancellationToken cancellationToken)
    {
        var client = new SftpClient(channel, connection);
        try
        {
            await client.InitializeAsync(cancellationToken).ConfigureAwait(false);
            return client;
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task InitializeAsync(CancellationToken cancellationToken)
    {
        _receiveLoop = Task.Run(ReceiveLoopAsync, CancellationToken.None);
        using (var w = new PooledBufferWriter(16))
        {
            SftpInit.Write(w);
            await SendAsync(w.WrittenMemory, cancellationToken).ConfigureAwait(false);
        }

        var (version, extensions) = await _version.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (version != ProtocolVersion)
        {
            // We asked for 3; a v3 server answers 3 and a newer one must answer min(3, its own) (draft-02 §4).
            throw new SshProtocolException(DisconnectReason.ProtocolError, $"the server answered INIT 3 with SFTP version {version}");
        }

        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var e in extensions)
        {
            map.TryAdd(e.Name, e.DataText);
        }

        Extensions = map;
        if (Supports(SftpExtensionNames.Limits))
        {
            Limits = await GetLimitsAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    // ---- requests ----

    /// <summary>A request waiting for its reply.</summary>
    private sealed class PendingRequest
    {
        public PendingRequest(byte type, string? path, Memory<byte> readDestination)
        {
            Type = type;
            Path = path;
            ReadDestination = readDestination;
        }

        public byte Type { get; }
        public string? Path { get; }
        public Memory<byte> ReadDestination { get; }

        /// <summary>The caller gave up (cancellation): the reply is still awaited so its id stays known, then dropped.</summary>
        public bool Abandoned { get; set; }

        public TaskCompletionSource<SftpReply> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>A reply: its type and body (for DATA replies to reads, only the count copied into the destination).</summary>
    private readonly record struct SftpReply(byte Type, byte[] Body, int DataLength);

    private uint NextId() => Interlocked.Increment(ref _nextId);

    /// <summary>Sends one request written by <paramref name="write"/> and waits for its reply.</summary>
    private async Task<SftpReply> RequestAsync(byte type, string? path, Action<PooledBufferWriter, uint> write, CancellationToken cancellationToken, Memory<byte> readDestination = default)
    {
        using var w = new PooledBufferWriter(256);
        return await RequestAsync(type, path, id =>
        {
            w.Reset();
            write(w, id);
            return w.WrittenMemory;
        }, cancellationToken, readDestination).ConfigureAwait(false);
    }

    /// <summary>
    /// Sends one request whose whole packet <paramref name="buildPacket"/> returns for the id it is given (the data
    /// path builds WRITE headers in place in front of file bytes), and waits for its reply.
    /// </summary>
    private async Task<SftpReply> RequestAsync(byte type, string? path, Func<uint, ReadOnlyMemory<byte>> buildPacket, CancellationToken cancellationToken, Memory<byte> readDestination = default)
    {
        uint id = NextId();
        var pending = new PendingRequest(type, path, readDestination);
        lock (_pending)
        {
            ThrowIfFailed();
            _pending.Add(id, pending);
        }

        try
        {
            await SendAsync(buildPacket(id), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or ArgumentException)
        {
            // Nothing was sent, so no reply will come for this id.
            lock (_pending)
            {
                _pending.Remove(id);
            }

            throw;
        }

        try
        {
            return await pending.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            lock (_pending)
            {
                pending.Abandoned = true;
            }

            throw;
        }
    }

    private async ValueTask SendAsync(ReadOnlyMemory<byte> packet, CancellationToken cancellationToken)
    {
        // One packet at a time: a packet split across CHANNEL_DATA messages by the window must not interleave with another.
        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfFailed();
            await _channel.SendAsync(packet, cancellationToken).ConfigureAwait(false);
        }
        catch (SshException e)
        {
            Fail(e);
            throw;
        }
        finally
        {
            _sendLock.Release();
        }
    }

    private void ThrowIfFailed()
    {
        if (Volatile.Read(ref _failure) is { } f)
        {
            throw f as SshException ?? new SshException("the SFTP session failed", f);
        }
    }

    /// <summary>Checks a reply that must be STATUS OK; a non-OK status becomes an <see cref="SftpException"/>.</summary>
    private static void ExpectOk(SftpReply reply, byte requestType, string? path)
    {
        var status = SftpStatus.Read(reply.Body);
        if (!status.IsOk)
        {
            throw status.ToException(requestType, path);
        }
    }

    /// <summary>Returns the body of a reply of <paramref name="expected"/> type, or throws the STATUS it got instead.</summary>
    private static byte[] Expect(SftpReply reply, byte expected, byte requestType, string? path)
    {
        if (reply.Type == expected)
        {
            return reply.Body;
        }

        var status = SftpStatus.Read(reply.Body);
        throw status.IsOk
            ? new SshProtocolException(DisconnectReason.ProtocolError, $"{SftpPacketType.NameOf(requestType)} answered with STATUS OK instead of {SftpPacketType.NameOf(expected)}")
            : status.ToException(requestType, path);
    }

    // ---- the receive loop ----

    private async Task ReceiveLoopAsync()
    {
        try
        {
            while (true)
            {
                ReadResult result = await _channel.ReadAsync(_stop.Token).ConfigureAwait(false);
                ReadOnlySequence<byte> buffer = result.Buffer;
                long before = buffer.Length;
                try
                {
                    while (SftpFramer.TryReadPacket(ref buffer, out SftpPacket packet))
                    {
                        Dispatch(packet);
                    }
                }
                finally
                {
                    _channel.AdvanceTo(buffer.Start, buffer.End, (int)(before - buffer.Length));
                }

                if (result.IsCompleted)
                {
                    int outstanding = RequestsInFlight;
                    throw new SshChannelException(buffer.Length > 0
                        ? $"the SFTP channel closed in the middle of a reply ({buffer.Length} bytes of it received)"
                        : $"the server closed the SFTP channel with {outstanding} request(s) outstanding");
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            Fail(new SshChannelException("the SFTP session was closed"));
        }
        catch (Exception e)
        {
            Fail(e);
        }
    }

    private void Dispatch(in SftpPacket packet)
    {
        if (packet.Type == SftpPacketType.Version)
        {
            if (_version.Task.IsCompleted)
            {
                throw new SshProtocolException(DisconnectReason.ProtocolError, "a second SFTP VERSION");
            }

            _version.TrySetResult((packet.RequestId, SftpVersion.Read(packet.RequestId, packet.ContiguousBody())));
            return;
        }

        if (!_version.Task.IsCompleted)
        {
            throw new SshProtocolException(DisconnectReason.ProtocolError, $"SFTP {SftpPacketType.NameOf(packet.Type)} before VERSION");
        }

        PendingRequest? pending;
        lock (_pending)
        {
            if (!_pending.TryGetValue(packet.RequestId, out pending))
            {
                throw new SshProtocolException(DisconnectReason.ProtocolError,
                    $"SFTP {SftpPacketType.NameOf(packet.Type)} for request id {packet.RequestId}, which is not outstanding");
            }
        }

        // The request leaves the table only once its reply is accepted: a reply of the wrong type or a bad DATA
        // throws with the request still in the table, so failing the session fails it too instead of leaving
        // its caller waiting forever.
        CheckReplyType(pending.Type, packet.Type);
        int dataLength = packet.Type == SftpPacketType.Data ? CopyData(packet.Body, pending) : 0;
        lock (_pending)
        {
            _pending.Remove(packet.RequestId);
        }

        pending.Completion.TrySetResult(packet.Type == SftpPacketType.Data
            ? new SftpReply(packet.Type, [], dataLength)
            : new SftpReply(packet.Type, packet.Body.ToArray(), 0));
    }

    /// <summary>Copies a DATA reply straight into the reader's buffer (one copy from the channel's receive buffer).</summary>
    private int CopyData(ReadOnlySequence<byte> body, PendingRequest pending)
    {
        if (body.Length < 4)
        {
            throw new SshProtocolException(DisconnectReason.ProtocolError, "truncated SFTP DATA");
        }

        Span<byte> lengthBytes = stackalloc byte[4];
        body.Slice(0, 4).CopyTo(lengthBytes);
        uint length = BinaryPrimitives.ReadUInt32BigEndian(lengthBytes);
        if (length != body.Length - 4)
        {
            throw new SshProtocolException(DisconnectReason.ProtocolError, $"SFTP DATA claims {length} bytes and carries {body.Length - 4}");
        }

        if (length > (uint)pending.ReadDestination.Length)
        {
            // A server that returns more than was asked for is lying about something; nothing of it is used.
            throw new SshProtocolException(DisconnectReason.ProtocolError, $"SFTP DATA of {length} bytes for a READ of {pending.ReadDestination.Length}");
        }

        lock (_pending)
        {
            if (!pending.Abandoned)
            {
                body.Slice(4).CopyTo(pending.ReadDestination.Span);
            }
        }

        return (int)length;
    }

    /// <summary>Which reply types each request may get besides STATUS (draft-02 §7); anything else fails the session.</summary>
    private static void CheckReplyType(byte request, byte reply)
    {
        if (reply == SftpPacketType.Status)
        {
            return;
        }

        bool ok = request switch
        {
            SftpPacketType.Open or SftpPacketType.Opendir => reply == SftpPacketType.Handle,
            SftpPacketType.Read => reply == SftpPacketType.Data,
            SftpPacketType.Readdir or SftpPacketType.Realpath or SftpPacketType.Readlink => reply == SftpPacketType.Name,
            SftpPacketType.Stat or SftpPacketType.Lstat or SftpPacketType.Fstat => reply == SftpPacketType.Attrs,
            SftpPacketType.Extended => reply is SftpPacketType.ExtendedReply or SftpPacketType.Name,
            _ => false,
        };
        if (!ok)
        {
            throw new SshProtocolException(DisconnectReason.ProtocolError,
                $"SFTP {SftpPacketType.NameOf(reply)} is not a valid reply to {SftpPacketType.NameOf(request)}");
        }
    }

    /// <summary>Fails the session: every outstanding and later request gets <paramref name="cause"/>.</summary>
    private void Fail(Exception cause)
    {
        if (cause is SshProtocolException pe)
        {
            cause = new SshChannelException("SFTP protocol error: " + pe.Message, pe);
        }

        PendingRequest[] pending;
        lock (_pending)
        {
            if (_failure is not null)
            {
                return;
            }

            _failure = cause;
            pending = [.. _pending.Values];
            _pending.Clear();
        }

        _version.TrySetException(cause);
        foreach (var p in pending)
        {
            p.Completion.TrySetException(cause);
        }

        _stop.Cancel();
    }

    public async ValueTask DisposeAsync()
    {
        Fail(new SshChannelException("the SFTP session was closed"));
        await _receiveLoop.ConfigureAwait(false);
        await _channel.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }
}
