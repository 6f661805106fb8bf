using NativeSftp.Connection;
using NativeSftp.Tests.Transport.ScriptedPeer;
using NativeSftp.Wire;

namespace NativeSftp.Tests.Connection;

/// <summary>
/// A session channel the server closes before answering its exec (dropbear before 2024.85 does this when another
/// child process exits at the wrong moment, mkj/dropbear#326): the request was cut off, not refused, so a fresh
/// channel is tried once. Found against dropbear 2022.83 (Debian 12), where about 3 % of segmented downloads lost an
/// attempt to it. A refusal (CHANNEL_FAILURE) is not retried.
/// </summary>
[TestFixture]
public class ChannelClosedAtBirthTests
{
    private static async Task<uint> ConfirmNextOpenAsync(ScriptedSshServer server, CancellationToken ct)
    {
        uint clientId = await server.ConfirmSessionOpenAsync(200, ct);
        var request = new SshReader(await server.ReceivePacketAsync(ct));
        Assert.That(request.ReadByte(), Is.EqualTo(MessageNumbers.ChannelRequest));
        Assert.That(request.ReadUInt32(), Is.EqualTo(200 + clientId));
        Assert.That(request.ReadAscii(), Is.EqualTo("exec"));
        return clientId;
    }

    private static Task SendAsync(ScriptedSshServer server, byte message, uint clientId, CancellationToken ct) =>
        server.SendPacketAsync(ScriptedSshServer.Payload(w => { w.WriteByte(message); w.WriteUInt32(clientId); }), ct);

    [Test]
    public async Task ExecOnAChannelClosedBeforeItsReply_IsTriedOnceMoreOnAFreshChannel([Values] bool secondRefuses)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var server = ScriptedSshServer.Create();
        var transport = await server.ConnectClientAsync(cts.Token);
        await using var connection = new SshConnection(transport);

        var exec = connection.ExecIdempotentAsync("true", cts.Token);
        uint first = await ConfirmNextOpenAsync(server, cts.Token);
        await SendAsync(server, MessageNumbers.ChannelEof, first, cts.Token);
        await SendAsync(server, MessageNumbers.ChannelClose, first, cts.Token);
        // Our answering CLOSE, then the second channel.
        var close = new SshReader(await server.ReceivePacketAsync(cts.Token));
        Assert.That(close.ReadByte(), Is.EqualTo(MessageNumbers.ChannelClose));
        uint second = await ConfirmNextOpenAsync(server, cts.Token);
        Assert.That(second, Is.Not.EqualTo(first));
        await SendAsync(server, secondRefuses ? MessageNumbers.ChannelFailure : MessageNumbers.ChannelSuccess, second, cts.Token);

        if (secondRefuses)
        {
            var e = Assert.CatchAsync<SshChannelException>(() => exec);
            Assert.That(e!.Message, Does.Contain("refused"), "a refusal is an answer: reported, not retried");
        }
        else
        {
            var channel = await exec;
            Assert.That(channel.LocalId, Is.EqualTo(second));
        }

        Assert.That(transport.Failure, Is.Null);
    }

    /// <summary>A caller's command is not run again: the server may have started it before closing the channel.</summary>
    [Test]
    public async Task ACallersExec_CutOff_IsReported_NotRunAgain()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var server = ScriptedSshServer.Create();
        var transport = await server.ConnectClientAsync(cts.Token);
        await using var connection = new SshConnection(transport);

        var exec = connection.ExecAsync("rm important.txt", cts.Token);
        uint first = await ConfirmNextOpenAsync(server, cts.Token);
        await SendAsync(server, MessageNumbers.ChannelClose, first, cts.Token);

        Assert.CatchAsync<SshChannelException>(() => exec);
        var next = new SshReader(await server.ReceivePacketAsync(cts.Token));
        Assert.That(next.ReadByte(), Is.EqualTo(MessageNumbers.ChannelClose), "our answering CLOSE, and no second CHANNEL_OPEN");
        Assert.That(transport.Failure, Is.Null);
    }
}
