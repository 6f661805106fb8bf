using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace NativeSftp.Throughput;

/// <summary>
/// A TCP delay line: every chunk read from one side is stamped on arrival and written to the other side when
/// <see cref="OneWayDelay"/> has passed, while the reader keeps reading. So the link has latency but not a lower
/// bandwidth (a stop-and-wait proxy would cap every connection at chunk ÷ delay). The queue per direction is
/// bounded, so a sender faster than the receiver is pushed back by TCP as on a real link.
/// </summary>
internal sealed class LatencyProxy : IAsyncDisposable
{
    /// <summary>Read size per chunk: 64 KiB, what a loopback socket typically hands over in one read.</summary>
    public const int ChunkSize = 64 * 1024;

    /// <summary>
    /// Chunks queued per direction at most: 1024 × 64 KiB = 64 MiB, well over bandwidth × delay for the rates seen
    /// here (1 GiB/s × 25 ms ≈ 26 MiB), so the bound never throttles, yet memory stays finite.
    /// </summary>
    public const int MaxQueuedChunks = 1024;

    /// <summary>
    /// How early a chunk may leave: 1 ms, about the resolution of .NET timers on Linux. So the one-way delay is
    /// 24 to 25 ms plus scheduling, never less than 24.
    /// </summary>
    public static readonly TimeSpan TimerGranularity = TimeSpan.FromMilliseconds(1);

    private readonly TcpListener _listener;
    private readonly IPEndPoint _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _connections = [];
    private readonly Task _acceptLoop;

    public LatencyProxy(IPEndPoint target, TimeSpan oneWayDelay)
    {
        _target = target;
        OneWayDelay = oneWayDelay;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _acceptLoop = AcceptLoopAsync();
    }

    public TimeSpan OneWayDelay { get; }
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            lock (_connections)
            {
                _connections.RemoveAll(t => t.IsCompleted);
                _connections.Add(RelayAsync(client));
            }
        }
    }

    private async Task RelayAsync(Socket client)
    {
        using (client)
        using (var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            client.NoDelay = true;
            server.NoDelay = true;
            await server.ConnectAsync(_target, _stop.Token).ConfigureAwait(false);
            await Task.WhenAll(PumpAsync(client, server), PumpAsync(server, client)).ConfigureAwait(false);
        }
    }

    /// <summary>One direction: a reader that stamps chunks and a writer that releases each at its time.</summary>
    private async Task PumpAsync(Socket from, Socket to)
    {
        var queue = Channel.CreateBounded<(byte[] Buffer, int Length, long Due)>(
            new BoundedChannelOptions(MaxQueuedChunks) { SingleReader = true, SingleWriter = true });
        long delayTicks = (long)(OneWayDelay.TotalSeconds * Stopwatch.Frequency);
        // Either half failing ends both, so neither waits forever on a queue or socket the other abandoned.
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);

        async Task ReadAsync()
        {
            try
            {
                while (true)
                {
                    byte[] buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
                    int n;
                    try
                    {
                        n = await from.ReceiveAsync(buffer.AsMemory(0, ChunkSize), SocketFlags.None, abort.Token).ConfigureAwait(false);
                    }
                    catch
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                        throw;
                    }

                    if (n == 0)
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                        return;
                    }

                    await queue.Writer.WriteAsync((buffer, n, Stopwatch.GetTimestamp() + delayTicks), abort.Token).ConfigureAwait(false);
                }
            }
            finally
            {
                // End of stream or a reset: the writer drains what arrived, then passes the end on.
                queue.Writer.TryComplete();
            }
        }

        async Task WriteAsync()
        {
            // Sleep until the oldest chunk is due, then send every chunk due within the timer's granularity in one
            // go. Sleeping once per chunk instead would cap the link at one chunk per timer tick (~64 MiB/s).
            long tolerance = (long)(TimerGranularity.TotalSeconds * Stopwatch.Frequency);
            while (await queue.Reader.WaitToReadAsync(abort.Token).ConfigureAwait(false))
            {
                while (queue.Reader.TryRead(out var chunk))
                {
                    try
                    {
                        // A loop, and rounded up: timers count whole milliseconds and may fire up to one early.
                        for (long wait; (wait = chunk.Due - tolerance - Stopwatch.GetTimestamp()) > 0;)
                        {
                            await Task.Delay(TimeSpan.FromMilliseconds(Math.Ceiling(wait * 1000.0 / Stopwatch.Frequency)), abort.Token).ConfigureAwait(false);
                        }

                        for (int sent = 0; sent < chunk.Length;)
                        {
                            sent += await to.SendAsync(chunk.Buffer.AsMemory(sent, chunk.Length - sent), SocketFlags.None, abort.Token).ConfigureAwait(false);
                        }
                    }
                    finally
                    {
                        ArrayPool<byte>.Shared.Return(chunk.Buffer);
                    }
                }
            }

            to.Shutdown(SocketShutdown.Send);
        }

        var reading = ReadAsync();
        var writing = WriteAsync();
        var first = await Task.WhenAny(reading, writing).ConfigureAwait(false);
        if (first.IsFaulted || first.IsCanceled)
        {
            await abort.CancelAsync().ConfigureAwait(false);
        }

        try
        {
            await Task.WhenAll(reading, writing).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // A reset on one side ends this direction; closing both sockets (RelayAsync) passes it on to the peer.
            // The benchmark itself sees the failure through the client's exit code, so nothing is hidden here.
            to.Close();
            from.Close();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        await _acceptLoop.ConfigureAwait(false);
        Task[] pending;
        lock (_connections)
        {
            pending = [.. _connections];
        }

        await Task.WhenAll(pending).ConfigureAwait(false);
        _stop.Dispose();
    }
}
