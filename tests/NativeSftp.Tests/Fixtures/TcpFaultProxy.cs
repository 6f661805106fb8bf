using System.Net;
using System.Net.Sockets;

namespace NativeSftp.Tests.Fixtures;

/// <summary>
/// A loopback TCP proxy between the client and the sshd fixture that can stop forwarding while keeping the sockets
/// open (a blackhole: what a dead NAT or a frozen server looks like), or cut the connection with a reset.
/// </summary>
public sealed class TcpFaultProxy : IAsyncDisposable
{
    private const int BufferSize = 64 * 1024;
    private readonly TcpListener _listener;
    private readonly int _targetPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Socket> _sockets = [];
    private readonly Task _acceptLoop;
    private volatile bool _blackhole;

    public TcpFaultProxy(int targetPort)
    {
        _targetPort = targetPort;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    public int Port { get; }

    /// <summary>From now on bytes are read and dropped in both directions; the sockets stay open.</summary>
    public void Blackhole() => _blackhole = true;

    /// <summary>Resets every proxied connection (RST, not FIN).</summary>
    public void Reset()
    {
        lock (_sockets)
        {
            foreach (var s in _sockets)
            {
                s.LingerState = new LingerOption(true, 0);
                s.Close();
            }
        }
    }

    private async Task AcceptLoopAsync()
    {
        try
        {
            while (true)
            {
                Socket client = await _listener.AcceptSocketAsync(_stop.Token);
                var server = new Socket(SocketType.Stream, ProtocolType.Tcp);
                await server.ConnectAsync(IPAddress.Loopback, _targetPort, _stop.Token);
                lock (_sockets)
                {
                    _sockets.Add(client);
                    _sockets.Add(server);
                }

                _ = PumpAsync(client, server);
                _ = PumpAsync(server, client);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // The proxy is being disposed.
        }
    }

    private async Task PumpAsync(Socket from, Socket to)
    {
        byte[] buffer = new byte[BufferSize];
        try
        {
            while (true)
            {
                int n = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                if (n == 0)
                {
                    to.Shutdown(SocketShutdown.Send);
                    return;
                }

                if (!_blackhole)
                {
                    await to.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, _stop.Token);
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // One side went away or the proxy stopped; the other pump notices on its own.
        }
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
