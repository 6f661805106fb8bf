using NativeSftp.Tests.Transport.ScriptedPeer;
using NativeSftp.Wire;

namespace NativeSftp.Tests.Transport;

/// <summary>
/// SSH_MSG_DISCONNECT from the server (RFC 4253 §11.1): every waiter on the client fails with one
/// <see cref="SshConnectionException"/> carrying the server's reason and <see cref="ClosedBy.Server"/>.
/// </summary>
[TestFixture]
public class ScriptedDisconnectTests
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(15);

    [Test]
    public async Task ServerDisconnect_PendingReceiveAndLaterSendFailWithServersReason()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var server = ScriptedSshServer.Create();
        await using var client = await server.ConnectClientAsync(cts.Token);

        var pendingReceive = client.Incoming.ReceiveAsync(cts.Token).AsTask();
        await server.SendDisconnectAsync(DisconnectReason.TooManyConnections, "too many sessions\u001b[2J", cts.Token);

        var ex = Assert.ThrowsAsync<SshConnectionException>(async () => await pendingReceive);
        Assert.That(ex!.Reason, Is.EqualTo(DisconnectReason.TooManyConnections));
        Assert.That(ex.ClosedBy, Is.EqualTo(ClosedBy.Server));
        Assert.That(ex.Message, Does.Contain("too many sessions"));
        // Ordinal: a culture-aware Contains treats ESC as ignorable and would find it in any string.
        Assert.That(ex.Message.Contains('\u001b', StringComparison.Ordinal), Is.False, "control characters from the server are not shown raw");
        Assert.That(client.Failure, Is.SameAs(ex));
        await client.Completion.WaitAsync(cts.Token);

        var later = Assert.ThrowsAsync<SshConnectionException>(async () => await client.SendAsync(StrictKexTests.GlobalRequest("late"), cts.Token));
        Assert.That(later, Is.SameAs(ex), "a later call fails with the same first cause");
    }

    /// <summary>The ssh2 Node.js library's disconnect for an unimplemented group exchange had an empty description: "disconnected: ".</summary>
    [Test]
    public async Task ServerDisconnect_WithNoDescription_SaysSoAndNamesTheReason()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var server = ScriptedSshServer.Create();
        await using var client = await server.ConnectClientAsync(cts.Token);

        var pendingReceive = client.Incoming.ReceiveAsync(cts.Token).AsTask();
        await server.SendDisconnectAsync(DisconnectReason.KeyExchangeFailed, "", cts.Token);

        var ex = Assert.ThrowsAsync<SshConnectionException>(async () => await pendingReceive);
        Assert.That(ex!.Message, Does.Contain("without saying why").And.Contain(nameof(DisconnectReason.KeyExchangeFailed)));
    }

    [Test]
    public async Task ServerDisconnect_WhileSendWaitsOnKeyExchange_FailsTheWaitingSend()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var server = ScriptedSshServer.Create();
        await using var client = await server.ConnectClientAsync(cts.Token);

        // The client starts a re-key; the server reads its KEXINIT and does not answer, so data sends must wait.
        Task rekey = client.RekeyAsync(cts.Token);
        Assert.That((await server.ReceivePacketAsync(cts.Token))[0], Is.EqualTo(MessageNumbers.KexInit));
        Task waitingSend = client.SendAsync(StrictKexTests.GlobalRequest("waits"), cts.Token).AsTask();
        await Task.Delay(50, cts.Token);
        Assert.That(waitingSend.IsCompleted, Is.False, "a data send waits while the key exchange runs");

        await server.SendDisconnectAsync(DisconnectReason.ByApplication, "maintenance", cts.Token);

        var sendEx = Assert.ThrowsAsync<SshConnectionException>(async () => await waitingSend);
        Assert.That(sendEx!.Reason, Is.EqualTo(DisconnectReason.ByApplication));
        Assert.That(sendEx.ClosedBy, Is.EqualTo(ClosedBy.Server));
        var rekeyEx = Assert.ThrowsAsync<SshConnectionException>(async () => await rekey);
        Assert.That(rekeyEx, Is.SameAs(sendEx));
        Assert.That(client.Failure, Is.SameAs(sendEx));
    }

    [Test]
    public async Task ServerDisconnect_InsteadOfKexInit_ConnectFailsWithServersReason()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var server = ScriptedSshServer.Create();
        var script = Task.Run(async () =>
        {
            await server.SendIdentificationAsync(cts.Token);
            await server.ReadClientIdentificationAsync(cts.Token);
            await server.SendDisconnectAsync(DisconnectReason.HostNotAllowedToConnect, "not from your address", cts.Token);
        }, cts.Token);

        var ex = Assert.ThrowsAsync<SshConnectionException>(async () => await server.StartClientAsync(server.ClientSettings(), cts.Token));
        Assert.That(ex!.Reason, Is.EqualTo(DisconnectReason.HostNotAllowedToConnect));
        Assert.That(ex.ClosedBy, Is.EqualTo(ClosedBy.Server));
        Assert.That(ex.Message, Does.Contain("not from your address"));
        await script;
    }
}
