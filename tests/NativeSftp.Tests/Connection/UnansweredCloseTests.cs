using System.Diagnostics;
using NativeSftp.Connection;
using NativeSftp.Tests.Transport.ScriptedPeer;
using NativeSftp.Wire;

namespace NativeSftp.Tests.Connection;

/// <summary>
/// A server that never answers CHANNEL_CLOSE (RFC 4254 §5.3 says it must): the ssh2 Node.js library does this on
/// SFTP channels and on sessions whose exec it refused. Found by hand against it: every channel we closed waited
/// 10 s, so every nsftp command took 10 s more, a put 20 s, four segments 40 s. Now the first close waits 2 s, and
/// after that nothing on this connection waits; the CLOSE is still sent every time.
/// </summary>
[TestFixture]
public class UnansweredCloseTests
{
    [Test]
    public async Task AfterOneUnansweredClose_LaterChannelsCloseWithoutWaiting_AndStillSendTheirClose()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var server = ScriptedSshServer.Create();
        var transport = await server.ConnectClientAsync(cts.Token);
        await using var connection = new SshConnection(transport);

        var times = new List<TimeSpan>();
        for (int i = 0; i < 3; i++)
        {
            var opening = connection.OpenChannelAsync("session", cts.Token);
            uint clientId = await server.ConfirmSessionOpenAsync(100, cts.Token);
            var channel = await opening;

            var clock = Stopwatch.StartNew();
            await channel.DisposeAsync();
            times.Add(clock.Elapsed);

            var close = new SshReader(await server.ReceivePacketAsync(cts.Token));
            Assert.That(close.ReadByte(), Is.EqualTo(MessageNumbers.ChannelClose), $"channel {i} sent its CLOSE");
            Assert.That(close.ReadUInt32(), Is.EqualTo(100 + clientId));
        }

        TestContext.Out.WriteLine(string.Join(", ", times.Select(t => $"{t.TotalMilliseconds:0} ms")));
        Assert.That(times[0], Is.GreaterThan(TimeSpan.FromSeconds(1.5)).And.LessThan(TimeSpan.FromSeconds(5)), "the first close waits, briefly");
        Assert.That(times[1], Is.LessThan(TimeSpan.FromSeconds(0.5)), "then no more waiting on this connection");
        Assert.That(times[2], Is.LessThan(TimeSpan.FromSeconds(0.5)));
        Assert.That(transport.Failure, Is.Null, "not a failure: the connection goes on");
    }
}
