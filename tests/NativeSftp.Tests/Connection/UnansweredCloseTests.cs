using System.Diagnostics;
using NativeSftp.Connection;
using NativeSftp.Tests.Transport.ScriptedPeer;
using NativeSftp.Wire;

namespace NativeSftp.Tests.Connection;

/// <summary>
/// A server that never answers CHANNEL_CLOSE (RFC 4254 §5.3 says it must): the ssh2 Node.js library does this on
/// SFTP channels and on sessions whose exec it refused. Found by hand against it: every channel we closed waited
/// 10 s, so every nsftp command took 10 s more, a put 20 s, four segments 40 s. Now disposal never waits; the next
/// open on the connection waits for the earlier CLOSEs at most 2 s, once, and after that nothing on this connection
/// waits; the CLOSE is still sent every time. Also here: the CLOSE of a channel given up while it was opening.
/// </summary>
[TestFixture]
public class UnansweredCloseTests
{
    [Test]
    public async Task AfterOneUnansweredClose_LaterOpensDoNotWait_AndEveryChannelStillSendsItsClose()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var server = ScriptedSshServer.Create();
        var transport = await server.ConnectClientAsync(cts.Token);
        await using var connection = new SshConnection(transport);

        var opens = new List<TimeSpan>();
        var disposals = new List<TimeSpan>();
        for (int i = 0; i < 4; i++)
        {
            var clock = Stopwatch.StartNew();
            var opening = connection.OpenChannelAsync("session", cts.Token);
            uint clientId = await server.ConfirmSessionOpenAsync(100, cts.Token);
            var channel = await opening;
            opens.Add(clock.Elapsed);

            clock.Restart();
            await channel.DisposeAsync();
            disposals.Add(clock.Elapsed);

            var close = new SshReader(await server.ReceivePacketAsync(cts.Token));
            Assert.That(close.ReadByte(), Is.EqualTo(MessageNumbers.ChannelClose), $"channel {i} sent its CLOSE");
            Assert.That(close.ReadUInt32(), Is.EqualTo(100 + clientId));
        }

        TestContext.Out.WriteLine($"opens: {string.Join(", ", opens.Select(t => $"{t.TotalMilliseconds:0} ms"))}; disposals: {string.Join(", ", disposals.Select(t => $"{t.TotalMilliseconds:0} ms"))}");
        Assert.That(disposals, Has.All.LessThan(TimeSpan.FromSeconds(0.5)), "disposal only sends CLOSE");
        Assert.That(opens[0], Is.LessThan(TimeSpan.FromSeconds(0.5)), "nothing was closing before the first");
        Assert.That(opens[1], Is.GreaterThan(TimeSpan.FromSeconds(1.5)).And.LessThan(TimeSpan.FromSeconds(5)), "the second open waits for the first CLOSE, briefly");
        Assert.That(opens[2], Is.LessThan(TimeSpan.FromSeconds(0.5)), "then no more waiting on this connection");
        Assert.That(opens[3], Is.LessThan(TimeSpan.FromSeconds(0.5)));
        Assert.That(transport.Failure, Is.Null, "not a failure: the connection goes on");
    }

    [Test]
    public async Task Disposal_DoesNotWaitForThePeersClose_TheNextOpenDoes()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var server = ScriptedSshServer.Create();
        var transport = await server.ConnectClientAsync(cts.Token);
        await using var connection = new SshConnection(transport);

        var opening = connection.OpenChannelAsync("session", cts.Token);
        await server.ConfirmSessionOpenAsync(100, cts.Token);
        var first = await opening;
        var clock = Stopwatch.StartNew();
        await first.DisposeAsync();
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(0.5)), "the last channel before a disconnect would wait a round trip for nothing");
        var close = new SshReader(await server.ReceivePacketAsync(cts.Token));
        Assert.That(close.ReadByte(), Is.EqualTo(MessageNumbers.ChannelClose));
        Assert.That(first.AwaitingPeerClose, Is.True);

        // A second channel: its CHANNEL_OPEN waits until the server has answered the first CLOSE.
        var second = connection.OpenChannelAsync("session", cts.Token);
        using (var quiet = CancellationTokenSource.CreateLinkedTokenSource(cts.Token))
        {
            quiet.CancelAfter(TimeSpan.FromMilliseconds(500));
            Assert.That(async () => await server.ReceivePacketAsync(quiet.Token), Throws.InstanceOf<OperationCanceledException>(),
                "no CHANNEL_OPEN while the first channel's CLOSE is unanswered");
        }

        await server.SendPacketAsync(ScriptedSshServer.Payload(w => { w.WriteByte(MessageNumbers.ChannelClose); w.WriteUInt32(first.LocalId); }), cts.Token);
        await server.ConfirmSessionOpenAsync(101, cts.Token);
        await using var channel = await second;
        Assert.That(first.CloseReceived, Is.True);
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(1.9)), "answered, so no timeout was waited out");
        Assert.That(connection.PeerLeavesClosesUnanswered, Is.False);
    }

    [Test]
    public async Task AnOpenGivenUpBeforeTheServerConfirms_IsClosedWhenTheConfirmationComes()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var server = ScriptedSshServer.Create();
        var transport = await server.ConnectClientAsync(cts.Token);
        await using var connection = new SshConnection(transport);

        using var giveUp = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);
        var opening = connection.OpenChannelAsync("session", giveUp.Token);
        var open = new SshReader(await server.ReceivePacketAsync(cts.Token));
        Assert.That(open.ReadByte(), Is.EqualTo(MessageNumbers.ChannelOpen));
        open.ReadAscii();
        uint clientId = open.ReadUInt32();
        await giveUp.CancelAsync();
        Assert.That(async () => await opening, Throws.InstanceOf<OperationCanceledException>());

        // The confirmation arrives after all: the server now holds a session nobody will use, until we close it.
        await server.SendPacketAsync(ScriptedSshServer.Payload(w =>
        {
            w.WriteByte(MessageNumbers.ChannelOpenConfirmation);
            w.WriteUInt32(clientId);
            w.WriteUInt32(200);
            w.WriteUInt32(1 << 20);
            w.WriteUInt32(32768);
        }), cts.Token);

        var close = new SshReader(await server.ReceivePacketAsync(cts.Token));
        Assert.That(close.ReadByte(), Is.EqualTo(MessageNumbers.ChannelClose));
        Assert.That(close.ReadUInt32(), Is.EqualTo(200u), "addressed to the server's channel");
    }
}
