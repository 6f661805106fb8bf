using System.Buffers.Binary;
using NativeSftp.Tests.Transport.ScriptedPeer;
using NativeSftp.Transport;
using NativeSftp.Wire;

namespace NativeSftp.Tests.Transport;

/// <summary>Key-exchange corners a real server rarely shows, played by the scripted server.</summary>
[TestFixture]
public class ScriptedKexEdgeTests
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(15);

    [Test]
    public async Task NoCipherInCommon_FailsNamingTheCategoryAndBothLists()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var server = ScriptedSshServer.Create();
        var accept = server.AcceptAsync(new ServerKexOptions { Ciphers = ["aes128-ctr"] }, cts.Token);

        var ex = Assert.ThrowsAsync<SshConnectionException>(async () =>
            await server.StartClientAsync(server.ClientSettings("chacha20-poly1305@openssh.com"), cts.Token));
        Assert.That(ex!.Reason, Is.EqualTo(DisconnectReason.KeyExchangeFailed));
        Assert.That(ex.Message, Does.Contain("no cipher client->server algorithm in common"));
        Assert.That(ex.Message, Does.Contain("aes128-ctr"));
        Assert.CatchAsync(async () => await accept, "the server cannot complete either");
    }

    [Test]
    public async Task ServerDataMessageInTheMiddleOfRekey_ClientRefuses()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var server = ScriptedSshServer.Create();
        var accept = server.AcceptAsync(new ServerKexOptions(), cts.Token);
        await using var client = await server.StartClientAsync(server.ClientSettings(), cts.Token);
        await accept;

        // RFC 4253 §7.1: after its KEXINIT a server may send only transport and key-exchange messages until NEWKEYS.
        var rekey = server.KeyExchangeAsync(new ServerKexOptions { SendDuringExchange = [StrictKexTests.GlobalRequest("too early")] }, cts.Token);

        var ex = Assert.ThrowsAsync<SshConnectionException>(async () => await client.Incoming.ReceiveAsync(cts.Token));
        Assert.That(ex!.Reason, Is.EqualTo(DisconnectReason.ProtocolError));
        Assert.That(ex.Message, Does.Contain($"message {MessageNumbers.GlobalRequest} in the middle of a key exchange"));
        Assert.CatchAsync(async () => await rekey);
    }

    [Test]
    public async Task CrossingKexInits_BothSidesStartRekey_OneExchangeCompletes()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var server = ScriptedSshServer.Create();
        var accept = server.AcceptAsync(new ServerKexOptions(), cts.Token);
        await using var client = await server.StartClientAsync(server.ClientSettings(), cts.Token);
        await accept;

        // The client's KEXINIT is on its way before the server's arrives: each side takes the other's as the answer.
        Task clientRekey = client.RekeyAsync(cts.Token);
        await server.KeyExchangeAsync(new ServerKexOptions(), cts.Token);
        await clientRekey;

        Assert.That(client.KeyExchangeCount, Is.EqualTo(2));
        await StrictKexTests.AssertTrafficFlowsAsync(server, client, cts.Token);
    }

    [Test]
    public async Task ByteLimitReached_ClientStartsRekeyItself_AndTrafficContinues()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var server = ScriptedSshServer.Create();
        var accept = server.AcceptAsync(new ServerKexOptions(), cts.Token);
        var settings = server.ClientSettings();
        settings.RekeyBytes = 16 * 1024; // a few dozen 1 KiB packets past the key exchange's own bytes
        await using var client = await server.StartClientAsync(settings, cts.Token);
        await accept;

        const int Packets = 100;
        Task sender = Task.Run(async () =>
        {
            for (int i = 0; i < Packets; i++)
            {
                byte[] payload = new byte[1024];
                payload[0] = MessageNumbers.ChannelData;
                BinaryPrimitives.WriteInt32BigEndian(payload.AsSpan(1), i);
                await client.SendAsync(payload, cts.Token);
            }
        }, cts.Token);

        int received = 0;
        int rekeys = 0;
        while (received < Packets)
        {
            byte[] p = await server.ReceivePacketAsync(cts.Token);
            if (p[0] == MessageNumbers.KexInit)
            {
                rekeys++;
                KexTranscript kex = await server.KeyExchangeAsync(new ServerKexOptions(), cts.Token, p);
                Assert.That(kex.ClientMessagesDuringExchange, Is.EqualTo(new[] { MessageNumbers.KexDhInit }), "data waited for NEWKEYS");
                continue;
            }

            Assert.That(BinaryPrimitives.ReadInt32BigEndian(p.AsSpan(1)), Is.EqualTo(received++));
        }

        await sender;
        Assert.That(rekeys, Is.GreaterThanOrEqualTo(1), "100 KiB sent with a 16 KiB limit");
        Assert.That(client.KeyExchangeCount, Is.EqualTo(1 + rekeys));
    }

    [Test]
    public async Task UnknownTransportMessage_ClientAnswersUnimplementedWithItsSequenceNumber()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var server = ScriptedSshServer.Create();
        var accept = server.AcceptAsync(new ServerKexOptions(), cts.Token);
        await using var client = await server.StartClientAsync(server.ClientSettings(), cts.Token);
        await accept;

        await server.SendPacketAsync([MessageNumbers.Ignore, 0, 0, 0, 0], cts.Token);
        uint sequence = server.SendSequence;
        const byte Unassigned = 15; // RFC 4250 §4.1.2: 8-19 transport range; 15 is unassigned
        await server.SendPacketAsync([Unassigned], cts.Token);

        byte[] reply = await server.ReceivePacketAsync(cts.Token);
        Assert.That(reply[0], Is.EqualTo(MessageNumbers.Unimplemented));
        Assert.That(BinaryPrimitives.ReadUInt32BigEndian(reply.AsSpan(1)), Is.EqualTo(sequence),
            "RFC 4253 §11.4: UNIMPLEMENTED carries the rejected packet's sequence number");
        Assert.That(client.Failure, Is.Null);
    }

    [Test]
    public async Task BadHostKeySignature_IsKeyExchangeFailedBeforeTrustIsAsked()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var server = ScriptedSshServer.Create();
        var accept = server.AcceptAsync(new ServerKexOptions { CorruptSignature = true }, cts.Token);
        var settings = server.ClientSettings();
        var verifier = (Fixtures.PinnedHostKeyVerifier)settings.HostKeyVerifier!;

        var ex = Assert.ThrowsAsync<SshConnectionException>(async () => await server.StartClientAsync(settings, cts.Token));
        Assert.That(ex!.Reason, Is.EqualTo(DisconnectReason.KeyExchangeFailed));
        Assert.That(ex.Message, Does.Contain("signature of the exchange hash does not verify"));
        Assert.That(verifier.Seen, Is.Empty, "a key that did not prove itself is never shown to the trust decision");
        var told = Assert.ThrowsAsync<ClientDisconnectedException>(async () => await accept);
        Assert.That(told!.Reason, Is.EqualTo(DisconnectReason.KeyExchangeFailed));
    }

    [Test]
    public async Task UntrustedHostKey_IsHostKeyVerificationException()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var server = ScriptedSshServer.Create();
        var settings = server.ClientSettings(); // pins the key the server has now...
        server.RotateHostKey();                 // ...which is not the one it will present
        var accept = server.AcceptAsync(new ServerKexOptions(), cts.Token);

        var ex = Assert.ThrowsAsync<HostKeyVerificationException>(async () => await server.StartClientAsync(settings, cts.Token));
        Assert.That(ex!.Fingerprint, Is.EqualTo(server.HostKey.PublicKey.Sha256Fingerprint));
        Assert.CatchAsync(async () => await accept);
    }

    [Test]
    public async Task HostKeyChangedDuringRekey_ClientRefuses()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var server = ScriptedSshServer.Create();
        var accept = server.AcceptAsync(new ServerKexOptions(), cts.Token);
        await using var client = await server.StartClientAsync(server.ClientSettings(), cts.Token);
        await accept;

        server.RotateHostKey();
        var rekey = server.KeyExchangeAsync(new ServerKexOptions(), cts.Token);

        var ex = Assert.ThrowsAsync<SshConnectionException>(async () => await client.Incoming.ReceiveAsync(cts.Token));
        Assert.That(ex!.Reason, Is.EqualTo(DisconnectReason.HostKeyNotVerifiable));
        Assert.That(ex.Message, Does.Contain("host key changed during a re-key"));
        Assert.CatchAsync(async () => await rekey);
    }
}
