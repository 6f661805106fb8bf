using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using NativeSftp.Tests.Fixtures;

namespace NativeSftp.Tests.Resilience;

/// <summary>The fault proxy itself, against a plain TCP sink: each fault lands exactly where and when it is told to.</summary>
[TestFixture]
public class TcpFaultProxyTests
{
    private const int Payload = 256 * 1024;

    /// <summary>A loopback server that collects everything one connection sends it until FIN or reset.</summary>
    private sealed class Sink : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);

        public Sink()
        {
            _listener.Start();
            Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        }

        public int Port { get; }

        public async Task<(byte[] Data, bool Reset)> ReceiveOneAsync(CancellationToken ct)
        {
            using var s = await _listener.AcceptSocketAsync(ct);
            var ms = new MemoryStream();
            byte[] buffer = new byte[64 * 1024];
            try
            {
                int n;
                while ((n = await s.ReceiveAsync(buffer, SocketFlags.None, ct)) > 0)
                {
                    ms.Write(buffer, 0, n);
                }
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
            {
                return (ms.ToArray(), true);
            }

            return (ms.ToArray(), false);
        }

        public void Dispose() => _listener.Stop();
    }

    private static byte[] Data()
    {
        byte[] d = new byte[Payload];
        new Random(7).NextBytes(d);
        return d;
    }

    private static async Task SendAllAsync(int port, byte[] data, CancellationToken ct)
    {
        using var c = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await c.ConnectAsync(IPAddress.Loopback, port, ct);
        try
        {
            await c.SendAsync(data, SocketFlags.None, ct);
            c.Shutdown(SocketShutdown.Send);
            // Wait for the far side to close, so the sink has everything before we go.
            await c.ReceiveAsync(new byte[1], SocketFlags.None, ct);
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.Shutdown)
        {
            // The reset fault: what the test is about.
        }
    }

    private static CancellationToken Timeout() => new CancellationTokenSource(TimeSpan.FromSeconds(20)).Token;

    [Test]
    public async Task BitFlip_InvertsExactlyOneBitAtTheOffset_OnTheFirstConnectionOnly()
    {
        var ct = Timeout();
        using var sink = new Sink();
        var fault = new ProxyFault(FaultKind.BitFlip, FaultDirection.ClientToServer, 100_003) { Seed = 42 };
        await using var proxy = new TcpFaultProxy(sink.Port, fault);
        byte[] data = Data();

        var first = sink.ReceiveOneAsync(ct);
        await SendAllAsync(proxy.Port, data, ct);
        var (got, _) = await first;
        Assert.That(got, Has.Length.EqualTo(data.Length));
        var diffs = Enumerable.Range(0, data.Length).Where(i => got[i] != data[i]).ToList();
        Assert.That(diffs, Is.EqualTo(new[] { 100_003 }));
        Assert.That(got[100_003] ^ data[100_003], Is.EqualTo(1 << fault.FlippedBit));
        Assert.That(proxy.FaultsFired, Is.EqualTo(1));

        var second = sink.ReceiveOneAsync(ct);
        await SendAllAsync(proxy.Port, data, ct);
        Assert.That((await second).Data, Is.EqualTo(data), "the second connection is clean");
    }

    [Test]
    public async Task Reset_DeliversExactlyTheBytesBeforeTheOffset_ThenResets()
    {
        var ct = Timeout();
        using var sink = new Sink();
        await using var proxy = new TcpFaultProxy(sink.Port, new ProxyFault(FaultKind.Reset, FaultDirection.ClientToServer, 70_000));
        byte[] data = Data();
        var received = sink.ReceiveOneAsync(ct);
        await SendAllAsync(proxy.Port, data, ct);
        var (got, reset) = await received;
        Assert.That(reset, Is.True, "RST, not FIN");
        Assert.That(got.Length, Is.LessThanOrEqualTo(70_000));
        Assert.That(got, Is.EqualTo(data.AsSpan(0, got.Length).ToArray()));
    }

    [Test]
    public async Task Blackhole_DeliversTheBytesBeforeTheOffset_ThenNothing_WithTheConnectionOpen()
    {
        var ct = Timeout();
        using var sink = new Sink();
        await using var proxy = new TcpFaultProxy(sink.Port, new ProxyFault(FaultKind.Blackhole, FaultDirection.ClientToServer, 50_000));
        using var c = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await c.ConnectAsync(IPAddress.Loopback, proxy.Port, ct);
        var received = sink.ReceiveOneAsync(ct);
        await c.SendAsync(Data(), SocketFlags.None, ct);
        await Task.Delay(500, ct);
        Assert.That(received.IsCompleted, Is.False, "the server side stays open");
        Assert.That(proxy.BytesForwarded(FaultDirection.ClientToServer), Is.EqualTo(50_000));
        c.Shutdown(SocketShutdown.Send);
        await Task.Delay(300, ct);
        Assert.That(received.IsCompleted, Is.False, "even a FIN is swallowed by a blackhole");
    }

    [Test]
    public async Task Throttle_HoldsTheRate()
    {
        var ct = Timeout();
        using var sink = new Sink();
        const long rate = 200_000;
        await using var proxy = new TcpFaultProxy(sink.Port, new ProxyFault(FaultKind.Throttle, FaultDirection.ClientToServer, 0) { BytesPerSecond = rate });
        var sw = Stopwatch.StartNew();
        var received = sink.ReceiveOneAsync(ct);
        await SendAllAsync(proxy.Port, Data(), ct);
        var (got, _) = await received;
        double expected = (double)Payload / rate; // 1.31 s
        Assert.That(got, Has.Length.EqualTo(Payload));
        Assert.That(sw.Elapsed.TotalSeconds, Is.InRange(expected * 0.9, expected * 3));
    }

    [Test]
    public async Task Delay_AddsLatency_InTheChosenDirectionOnly()
    {
        var ct = Timeout();
        using var sink = new Sink();
        var latency = TimeSpan.FromMilliseconds(400);
        await using var proxy = new TcpFaultProxy(sink.Port, new ProxyFault(FaultKind.Delay, FaultDirection.ClientToServer, 0) { Latency = latency });
        var sw = Stopwatch.StartNew();
        var received = sink.ReceiveOneAsync(ct);
        await SendAllAsync(proxy.Port, [1, 2, 3], ct);
        var (got, _) = await received;
        Assert.That(got, Is.EqualTo(new byte[] { 1, 2, 3 }));
        Assert.That(sw.Elapsed, Is.GreaterThanOrEqualTo(latency - TimeSpan.FromMilliseconds(20)));
    }

    [Test]
    public async Task Connections_AppliesTheFaultToTheFirstMConnections()
    {
        var ct = Timeout();
        using var sink = new Sink();
        var fault = new ProxyFault(FaultKind.BitFlip, FaultDirection.ClientToServer, 10) { Connections = 2, Seed = 1 };
        await using var proxy = new TcpFaultProxy(sink.Port, fault);
        byte[] data = Data();
        var results = new List<bool>();
        for (int i = 0; i < 3; i++)
        {
            var r = sink.ReceiveOneAsync(ct);
            await SendAllAsync(proxy.Port, data, ct);
            results.Add((await r).Data.AsSpan().SequenceEqual(data));
        }

        Assert.That(results, Is.EqualTo(new[] { false, false, true }));
        Assert.That(proxy.FaultsFired, Is.EqualTo(2));
    }
}
