using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace NativeSftp.Tests.Fixtures;

/// <summary>What a <see cref="TcpFaultProxy"/> does to a stream once the fault's byte offset is reached.</summary>
public enum FaultKind
{
    None,

    /// <summary>Every later byte is held back for <see cref="ProxyFault.Latency"/> (a delay line: throughput is kept).</summary>
    Delay,

    /// <summary>Later bytes flow at <see cref="ProxyFault.BytesPerSecond"/>.</summary>
    Throttle,

    /// <summary>Bytes before the offset are delivered, then both sockets of the connection are reset (RST, not FIN).</summary>
    Reset,

    /// <summary>Bytes before the offset are delivered; later ones in that direction are read and dropped, sockets stay open.</summary>
    Blackhole,

    /// <summary>One bit of the byte at the offset is inverted (which bit comes from the seed).</summary>
    BitFlip,
}

/// <summary>Which stream of a proxied connection a fault applies to.</summary>
public enum FaultDirection
{
    ClientToServer,
    ServerToClient,
}

/// <summary>
/// One fault: applied to the stream in <see cref="Direction"/> once <see cref="AfterBytes"/> bytes of it have been
/// forwarded, on the first <see cref="Connections"/> connections only (so a retry's fresh connection is clean by
/// default). Everything random about it (the flipped bit) comes from <see cref="Seed"/>, so a run can be replayed.
/// </summary>
public sealed record ProxyFault(FaultKind Kind, FaultDirection Direction, long AfterBytes)
{
    public TimeSpan Latency { get; init; }
    public long BytesPerSecond { get; init; }
    public int Connections { get; init; } = 1;
    public int Seed { get; init; }

    /// <summary>The bit (0..7) <see cref="FaultKind.BitFlip"/> inverts.</summary>
    public int FlippedBit => new Random(Seed).Next(8);

    public override string ToString() => Kind switch
    {
        FaultKind.Delay => $"delay {Latency.TotalMilliseconds:0} ms {Direction} after {AfterBytes} bytes",
        FaultKind.Throttle => $"throttle {BytesPerSecond} B/s {Direction} after {AfterBytes} bytes",
        FaultKind.BitFlip => $"bitflip bit {FlippedBit} of byte {AfterBytes} {Direction}",
        _ => $"{Kind} {Direction} after {AfterBytes} bytes",
    } + (Connections == 1 ? "" : $" (first {Connections} connections)");
}

/// <summary>
/// A loopback TCP proxy between the client and the sshd fixture. By hand: stop forwarding while keeping the
/// sockets open (<see cref="Blackhole"/>: a dead NAT or a frozen server) or cut every connection with a reset. By
/// plan: a <see cref="ProxyFault"/> applied per direction at an exact byte offset (delay, throttle, reset,
/// blackhole, bit flip) to the first connections only.
/// </summary>
public sealed class TcpFaultProxy : IAsyncDisposable
{
    private const int BufferSize = 64 * 1024;

    /// <summary>Throttled bytes go out in slices of 1/20 s of the rate, so the pacing is smooth, not bursty.</summary>
    private const int ThrottleSlicesPerSecond = 20;

    private readonly TcpListener _listener;
    private readonly ProxyFault? _fault;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Socket> _sockets = [];
    private readonly Task _acceptLoop;
    private volatile bool _blackhole;
    private int _connections;
    private int _faultsFired;
    private long _firstFaultTimestamp;
    private long _bytesClientToServer;
    private long _bytesServerToClient;

    public TcpFaultProxy(int targetPort)
        : this(targetPort, null)
    {
    }

    public TcpFaultProxy(int targetPort, ProxyFault? fault)
    {
        TargetPort = targetPort;
        _fault = fault is { Kind: FaultKind.None } ? null : fault;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    public int Port { get; }

    /// <summary>Where new connections go (changeable, e.g. to follow a restarted server).</summary>
    public int TargetPort { get; set; }

    /// <summary>Connections accepted so far.</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>How many connections the planned fault actually hit (0: the streams ended before its offset).</summary>
    public int FaultsFired => Volatile.Read(ref _faultsFired);

    /// <summary>When the planned fault first fired (a <see cref="System.Diagnostics.Stopwatch"/> timestamp), for measuring detection time.</summary>
    public long? FirstFaultTimestamp => Interlocked.Read(ref _firstFaultTimestamp) is var t && t != 0 ? t : null;

    /// <summary>Bytes forwarded per direction over all connections (dropped and held-back bytes not counted).</summary>
    public long BytesForwarded(FaultDirection direction) =>
        Interlocked.Read(ref direction == FaultDirection.ClientToServer ? ref _bytesClientToServer : ref _bytesServerToClient);

    /// <summary>From now on bytes are read and dropped in both directions; the sockets stay open.</summary>
    public void Blackhole() => _blackhole = true;

    /// <summary>Resets every proxied connection (RST, not FIN).</summary>
    public void Reset()
    {
        lock (_sockets)
        {
            foreach (var s in _sockets)
            {
                Abort(s);
            }
        }
    }

    private static void Abort(Socket s)
    {
        try
        {
            s.LingerState = new LingerOption(true, 0);
        }
        catch (ObjectDisposedException)
        {
            return; // already closed by the other pump
        }

        s.Close();
    }

    private async Task AcceptLoopAsync()
    {
        try
        {
            while (true)
            {
                Socket client = await _listener.AcceptSocketAsync(_stop.Token);
                int index = Interlocked.Increment(ref _connections) - 1;
                var server = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                client.NoDelay = true;
                try
                {
                    await server.ConnectAsync(IPAddress.Loopback, TargetPort, _stop.Token);
                }
                catch (SocketException)
                {
                    // Nobody listens there (a server being restarted): the client sees a reset, as it would.
                    Abort(client);
                    server.Dispose();
                    continue;
                }

                lock (_sockets)
                {
                    _sockets.Add(client);
                    _sockets.Add(server);
                }

                var pair = new[] { client, server };
                ProxyFault? fault = _fault is not null && index < _fault.Connections ? _fault : null;
                _ = PumpAsync(client, server, pair, fault?.Direction == FaultDirection.ClientToServer ? fault : null, FaultDirection.ClientToServer);
                _ = PumpAsync(server, client, pair, fault?.Direction == FaultDirection.ServerToClient ? fault : null, FaultDirection.ServerToClient);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // The proxy is being disposed.
        }
    }

    private async Task PumpAsync(Socket from, Socket to, Socket[] pair, ProxyFault? fault, FaultDirection direction)
    {
        byte[] buffer = new byte[BufferSize];
        long offset = 0; // bytes of this direction's stream read so far
        bool fired = false;
        Channel<(long Due, byte[] Data)>? delayLine = null;
        Task? delaySender = null;
        long throttleStart = 0, throttled = 0;
        try
        {
            while (true)
            {
                int n = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                if (n == 0)
                {
                    delayLine?.Writer.TryComplete();
                    if (delaySender is not null)
                    {
                        await delaySender;
                    }

                    to.Shutdown(SocketShutdown.Send);
                    return;
                }

                long start = offset;
                offset += n;
                if (_blackhole)
                {
                    continue;
                }

                if (fault is null || offset <= fault.AfterBytes)
                {
                    await SendAsync(to, buffer.AsMemory(0, n), direction);
                    continue;
                }

                // The fault's offset lies in or before this chunk.
                int before = (int)Math.Max(0, fault.AfterBytes - start);
                if (!fired)
                {
                    fired = true;
                    Interlocked.Increment(ref _faultsFired);
                    Interlocked.CompareExchange(ref _firstFaultTimestamp, System.Diagnostics.Stopwatch.GetTimestamp(), 0);
                }

                switch (fault.Kind)
                {
                    case FaultKind.BitFlip:
                        if (before < n && fault.AfterBytes >= start)
                        {
                            buffer[before] ^= (byte)(1 << fault.FlippedBit);
                        }

                        await SendAsync(to, buffer.AsMemory(0, n), direction);
                        break;
                    case FaultKind.Reset:
                        await SendAsync(to, buffer.AsMemory(0, before), direction);
                        foreach (var s in pair)
                        {
                            Abort(s);
                        }

                        return;
                    case FaultKind.Blackhole:
                        await SendAsync(to, buffer.AsMemory(0, before), direction);
                        await DrainAsync(from);
                        return;
                    case FaultKind.Delay:
                        await SendAsync(to, buffer.AsMemory(0, before), direction);
                        if (delayLine is null)
                        {
                            delayLine = Channel.CreateUnbounded<(long, byte[])>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
                            delaySender = SendDelayedAsync(delayLine.Reader, to, direction);
                        }

                        long due = Environment.TickCount64 + (long)fault.Latency.TotalMilliseconds;
                        await delayLine.Writer.WriteAsync((due, buffer.AsSpan(before, n - before).ToArray()), _stop.Token);
                        break;
                    case FaultKind.Throttle:
                        await SendAsync(to, buffer.AsMemory(0, before), direction);
                        if (throttleStart == 0)
                        {
                            throttleStart = Environment.TickCount64;
                        }

                        int slice = (int)Math.Max(1, fault.BytesPerSecond / ThrottleSlicesPerSecond);
                        for (int i = before; i < n; i += slice)
                        {
                            int len = Math.Min(slice, n - i);
                            throttled += len;
                            long dueMs = throttleStart + (throttled * 1000 / fault.BytesPerSecond);
                            long wait = dueMs - Environment.TickCount64;
                            if (wait > 0)
                            {
                                await Task.Delay(TimeSpan.FromMilliseconds(wait), _stop.Token);
                            }

                            await SendAsync(to, buffer.AsMemory(i, len), direction);
                        }

                        break;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException or ChannelClosedException)
        {
            // One side went away or the proxy stopped; the other pump notices on its own.
        }
    }

    /// <summary>A blackholed direction: keep reading (so the sender's TCP does not notice) and drop everything.</summary>
    private async Task DrainAsync(Socket from)
    {
        byte[] sink = new byte[BufferSize];
        try
        {
            while (await from.ReceiveAsync(sink, SocketFlags.None, _stop.Token) > 0)
            {
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // The connection or the proxy ended.
        }
    }

    private async Task SendDelayedAsync(ChannelReader<(long Due, byte[] Data)> reader, Socket to, FaultDirection direction)
    {
        try
        {
            await foreach (var (due, data) in reader.ReadAllAsync(_stop.Token))
            {
                long wait = due - Environment.TickCount64;
                if (wait > 0)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(wait), _stop.Token);
                }

                await SendAsync(to, data, direction);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // The connection or the proxy ended.
        }
    }

    private async Task SendAsync(Socket to, ReadOnlyMemory<byte> data, FaultDirection direction)
    {
        if (data.Length == 0)
        {
            return;
        }

        await to.SendAsync(data, SocketFlags.None, _stop.Token);
        Interlocked.Add(ref direction == FaultDirection.ClientToServer ? ref _bytesClientToServer : ref _bytesServerToClient, data.Length);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        lock (_sockets)
        {
            foreach (var s in _sockets)
            {
                s.Dispose();
            }
        }

        await _acceptLoop;
        _stop.Dispose();
    }
}
