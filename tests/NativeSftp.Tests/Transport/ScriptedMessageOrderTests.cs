using System.Text;
using NativeSftp.Tests.Transport.ScriptedPeer;
using NativeSftp.Transport;
using NativeSftp.Wire;

namespace NativeSftp.Tests.Transport;

/// <summary>Transport messages out of their place (RFC 4253 §7, §11, RFC 8308) and packet-shape limits, from a scripted server.</summary>
[TestFixture]
public class ScriptedMessageOrderTests
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(15);

    /// <summary>RFC 4253 §6: padding_length is one byte, so 255 is the most padding a packet can have.</summary>
    private const int MaxPadding = 255;

    private static readonly byte[] ServerSigAlgs = ScriptedSshServer.Payload(w =>
    {
        w.WriteByte(MessageNumbers.ExtInfo);
        w.WriteUInt32(1);
        w.WriteAscii("server-sig-algs");
        w.WriteString(Encoding.ASCII.GetBytes("ssh-ed25519,rsa-sha2-512"));
    });

    [Test]
    public async Task ExtInfoAfterNewKeys_IsRecorded()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        var (server, client) = await ConnectAsync(new ServerKexOptions(), cts.Token);
        await using (server)
        await using (client)
        {
            await server.SendPacketAsync(ServerSigAlgs, cts.Token);
            await StrictKexTests.AssertTrafficFlowsAsync(server, client, cts.Token); // EXT_INFO was read before this

            Assert.That(client.ServerSignatureAlgorithms, Is.EqualTo(new[] { "ssh-ed25519", "rsa-sha2-512" }));
        }
    }

    [Test]
    public async Task ExtInfoBeforeFirstNewKeys_IsProtocolError()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var server = ScriptedSshServer.Create();
        // Without strict KEX (which would refuse any non-KEX message here anyway) to reach the EXT_INFO rule itself.
        var accept = server.AcceptAsync(new ServerKexOptions { OfferStrictKex = false, SendDuringExchange = [ServerSigAlgs] }, cts.Token);

        var ex = Assert.ThrowsAsync<SshConnectionException>(async () => await server.StartClientAsync(server.ClientSettings(), cts.Token));
        Assert.That(ex!.Reason, Is.EqualTo(DisconnectReason.ProtocolError));
        Assert.That(ex.Message, Does.Contain("EXT_INFO before the first key exchange completed"));
        Assert.CatchAsync(async () => await accept);
    }

    [Test]
    public async Task NewKeysBeforeTheReply_IsProtocolError()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var server = ScriptedSshServer.Create();
        var accept = server.AcceptAsync(new ServerKexOptions { SendDuringExchange = [[MessageNumbers.NewKeys]] }, cts.Token);

        var ex = Assert.ThrowsAsync<SshConnectionException>(async () => await server.StartClientAsync(server.ClientSettings(), cts.Token));
        Assert.That(ex!.Reason, Is.EqualTo(DisconnectReason.ProtocolError));
        Assert.That(ex.Message, Does.Contain("NEWKEYS before the key exchange reply"));
        Assert.CatchAsync(async () => await accept);
    }

    [Test]
    public async Task SecondKexInitInOneExchange_IsProtocolError()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var server = ScriptedSshServer.Create();
        byte[] another = new KexInitMessage
        {
            Cookie = KexInitMessage.NewCookie(),
            KexAlgorithms = ["curve25519-sha256"],
            ServerHostKeyAlgorithms = ["ssh-ed25519"],
            EncryptionClientToServer = ["aes256-gcm@openssh.com"],
            EncryptionServerToClient = ["aes256-gcm@openssh.com"],
            MacClientToServer = ["hmac-sha2-256"],
            MacServerToClient = ["hmac-sha2-256"],
            CompressionClientToServer = ["none"],
            CompressionServerToClient = ["none"],
        }.ToPayload();
        var accept = server.AcceptAsync(new ServerKexOptions { SendDuringExchange = [another] }, cts.Token);

        var ex = Assert.ThrowsAsync<SshConnectionException>(async () => await server.StartClientAsync(server.ClientSettings(), cts.Token));
        Assert.That(ex!.Message, Does.Contain("a second KEXINIT during one key exchange"));
        Assert.CatchAsync(async () => await accept);
    }

    [Test]
    public async Task KexMethodMessageOutsideAnExchange_IsProtocolError()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        var (server, client) = await ConnectAsync(new ServerKexOptions(), cts.Token);
        await using (server)
        await using (client)
        {
            await server.SendPacketAsync([MessageNumbers.KexDhReply, 0, 0, 0, 0], cts.Token);

            var ex = Assert.ThrowsAsync<SshConnectionException>(async () => await client.Incoming.ReceiveAsync(cts.Token));
            Assert.That(ex!.Reason, Is.EqualTo(DisconnectReason.ProtocolError));
            Assert.That(ex.Message, Does.Contain("key exchange message 31 outside a key exchange"));
        }
    }

    [Test]
    public async Task MaximumPadding_IsAccepted()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        var (server, client) = await ConnectAsync(new ServerKexOptions(), cts.Token);
        await using (server)
        await using (client)
        {
            // padding_length + payload + 255 bytes of padding = 272 = 17 AES blocks (the GCM length is not counted).
            byte[] ignore = new byte[272 - 1 - MaxPadding];
            ignore[0] = MessageNumbers.Ignore;
            await server.SendRawAsync(server.SealPacket(ignore, paddingLength: MaxPadding), cts.Token);

            await StrictKexTests.AssertTrafficFlowsAsync(server, client, cts.Token);
        }
    }

    [Test]
    public async Task ServerFloodsUnreadMessages_ClientRefusesInsteadOfBufferingWithoutBound()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        var (server, client) = await ConnectAsync(new ServerKexOptions(), cts.Token);
        await using (server)
        await using (client)
        {
            // Nobody reads Incoming: the bounded queue holds PacketQueue.Capacity, the next one ends the connection.
            for (int i = 0; i <= PacketQueue.Capacity; i++)
            {
                await server.SendPacketAsync(StrictKexTests.GlobalRequest("unread " + i), cts.Token);
            }

            await client.Completion.WaitAsync(cts.Token);
            Assert.That(client.Failure, Is.Not.Null);
            Assert.That(client.Failure!.Reason, Is.EqualTo(DisconnectReason.ProtocolError));
            Assert.That(client.Failure.Message, Does.Contain($"more than {PacketQueue.Capacity} unanswered messages"));
        }
    }

    private static async Task<(ScriptedSshServer Server, SshTransport Client)> ConnectAsync(ServerKexOptions options, CancellationToken ct)
    {
        var server = ScriptedSshServer.Create();
        var accept = server.AcceptAsync(options, ct);
        var client = await server.StartClientAsync(server.ClientSettings("aes256-gcm@openssh.com"), ct);
        await accept;
        return (server, client);
    }
}
