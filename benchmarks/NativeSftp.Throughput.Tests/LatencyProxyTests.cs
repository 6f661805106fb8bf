using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace NativeSftp.Throughput.Tests;

/// <summary>The delay line must add latency both ways without throttling bandwidth, lose nothing and pass the end of stream on.</summary>
[TestFixture]
public sealed class LatencyProxyTests
{
    private static readonly TimeSpan Delay = TimeSpan.FromMilliseconds(25);

    [Test]
    public async Task RoundTrip_ThroughProxy_TakesTwiceTheOneWayDelay()
    {
        using var echo = new TcpListener(IPAddress.Loopback, 0);
        echo.Start();
        var server = EchoOneAsync(echo);
        await using var proxy = new LatencyProxy((IPEndPoint)echo.LocalEndpoint, Delay);
        using var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync(IPAddress.Loopback, proxy.Port);
        var stream = client.GetStream();

        var clock = Stopwatch.StartNew();
        await stream.WriteAsync(new byte[] { 42 });
        byte[] reply = new byte[1];
        await stream.ReadExactlyAsync(reply);
        var rtt = clock.Elapsed;

        Assert.That(reply[0], Is.EqualTo(42));
        // Each direction may release a chunk up to the timer granularity early, never more.
        Assert.That(rtt, Is.GreaterThanOrEqualTo(2 * (Delay - LatencyProxy.TimerGranularity)), $"round trip {rtt.TotalMilliseconds} ms");
        Assert.That(rtt, Is.LessThan(TimeSpan.FromSeconds(1)), "a round trip far above 50 ms means the proxy is stalling");
        client.Client.Shutdown(SocketShutdown.Send);
        await server;
    }

    [Test]
    public async Task Bulk_ThroughProxy_ArrivesIntactAndFarFasterThanStopAndWait()
    {
        const int Bytes = 64 * 1024 * 1024;
        using var sink = new TcpListener(IPAddress.Loopback, 0);
        sink.Start();
        var received = DrainAndHashAsync(sink);
        await using var proxy = new LatencyProxy((IPEndPoint)sink.LocalEndpoint, Delay);
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, proxy.Port);

        byte[] data = RandomNumberGenerator.GetBytes(Bytes);
        var clock = Stopwatch.StartNew();
        await client.GetStream().WriteAsync(data);
        client.Client.Shutdown(SocketShutdown.Send);
        var (count, hash) = await received;
        var elapsed = clock.Elapsed;

        Assert.That(count, Is.EqualTo(Bytes));
        Assert.That(hash, Is.EqualTo(SHA256.HashData(data)), "bytes were lost, reordered or changed");
        // Stop-and-wait would move one 64 KiB chunk per 25 ms: 64 MiB in 25.6 s. A delay line needs ~25 ms plus
        // the copy; 5 s leaves room for a loaded machine while still failing a stop-and-wait or per-chunk-timer proxy
        // (one chunk per ~1 ms tick: 1024 chunks ≥ 1 s only if reads are full, usually far more).
        Assert.That(elapsed, Is.LessThan(TimeSpan.FromSeconds(5)));
    }

    [Test]
    public async Task EndOfStream_FromClient_ReachesServerAfterTheData()
    {
        using var sink = new TcpListener(IPAddress.Loopback, 0);
        sink.Start();
        var received = DrainAndHashAsync(sink);
        await using var proxy = new LatencyProxy((IPEndPoint)sink.LocalEndpoint, Delay);
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, proxy.Port);

        await client.GetStream().WriteAsync(new byte[] { 1, 2, 3 });
        client.Client.Shutdown(SocketShutdown.Send);
        var (count, _) = await received.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.That(count, Is.EqualTo(3));
    }

    private static async Task EchoOneAsync(TcpListener listener)
    {
        using var s = await listener.AcceptTcpClientAsync();
        s.NoDelay = true;
        var stream = s.GetStream();
        byte[] buffer = new byte[1024];
        int n;
        while ((n = await stream.ReadAsync(buffer)) > 0)
        {
            await stream.WriteAsync(buffer.AsMemory(0, n));
        }
    }

    private static async Task<(long Count, byte[] Hash)> DrainAndHashAsync(TcpListener listener)
    {
        using var s = await listener.AcceptTcpClientAsync();
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var stream = s.GetStream();
        byte[] buffer = new byte[256 * 1024];
        long count = 0;
        int n;
        while ((n = await stream.ReadAsync(buffer)) > 0)
        {
            hash.AppendData(buffer, 0, n);
            count += n;
        }

        return (count, hash.GetHashAndReset());
    }
}
