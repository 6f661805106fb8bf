using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using NativeSftp.Tests.Fixtures;
using NativeSftp.Transport;

namespace NativeSftp.Tests.Transport;

/// <summary>A server that accepts TCP and then says nothing must not hang ConnectAsync.</summary>
[TestFixture]
public class HandshakeTimeoutTests
{
    [Test]
    public async Task SilentServer_AfterTcpAccept_FailsWithinTheConnectTimeout()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            int port = ((IPEndPoint)listener.LocalEndpoint).Port;
            var accept = listener.AcceptSocketAsync();
            var settings = new TransportSettings { Host = "127.0.0.1", Port = port, HostKeyVerifier = PinnedHostKeyVerifier.ForFixture() };
            var sw = Stopwatch.StartNew();
            var ex = Assert.ThrowsAsync<SshConnectionException>(async () =>
                await SshTransport.ConnectAsync(settings, TimeSpan.FromSeconds(1), CancellationToken.None));
            sw.Stop();
            Assert.That(ex!.Message, Does.Contain("did not complete the SSH version and key exchange"));
            Assert.That(ex.ClosedBy, Is.EqualTo(ClosedBy.Network));
            Assert.That(sw.Elapsed, Is.LessThan(TimeSpan.FromSeconds(10)));
            using var s = await accept;
        }
        finally
        {
            listener.Stop();
        }
    }
}
