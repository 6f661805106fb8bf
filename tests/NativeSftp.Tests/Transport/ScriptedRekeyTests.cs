using System.Buffers.Binary;
using NativeSftp.Tests.Transport.ScriptedPeer;
using NativeSftp.Transport;
using NativeSftp.Wire;

namespace NativeSftp.Tests.Transport;

/// <summary>
/// Re-keys in the middle of traffic against a scripted server (RFC 4253 §9): nothing the client sends is lost or
/// reordered across the key change, and between its KEXINIT and its NEWKEYS it sends only key-exchange messages
/// (§7.1), its data sends waiting instead.
/// </summary>
[TestFixture]
public class ScriptedRekeyTests
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Packets the server reads before it starts the re-key, so the client is surely in full flow.</summary>
    private const int PacketsBeforeRekey = 200;

    /// <summary>Packets the server reads under the new keys before telling the sender to stop.</summary>
    private const int PacketsAfterRekey = 200;

    [TestCase("aes256-gcm@openssh.com")]
    [TestCase("chacha20-poly1305@openssh.com")]
    public async Task ServerStartedRekey_DuringClientSendLoop_LosesNothingAndReordersNothing(string cipher)
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var server = ScriptedSshServer.Create();
        var accept = server.AcceptAsync(new ServerKexOptions(), cts.Token);
        await using var client = await server.StartClientAsync(server.ClientSettings(cipher), cts.Token);
        await accept;

        using var stop = new CancellationTokenSource();
        Task<uint> sender = Task.Run(async () =>
        {
            uint sent = 0;
            while (!stop.IsCancellationRequested)
            {
                await client.SendAsync(Numbered(sent), cts.Token);
                sent++;
            }

            // The end marker lets the server read to the end without waiting on this task, which may itself be
            // waiting for the server to read (the in-memory socket buffer is full).
            await client.SendAsync(EndMarker, cts.Token);
            return sent;
        }, CancellationToken.None);

        uint expected = 0;
        for (int i = 0; i < PacketsBeforeRekey; i++)
        {
            Assert.That(NumberOf(await server.ReceivePacketAsync(cts.Token)), Is.EqualTo(expected++));
        }

        KexTranscript kex = await server.KeyExchangeAsync(new ServerKexOptions(), cts.Token);
        Assert.That(kex.ClientMessagesDuringExchange, Is.EqualTo(new[] { MessageNumbers.KexDhInit }),
            "between its KEXINIT and its NEWKEYS the client sent only KEX_ECDH_INIT: its data sends waited");

        // The held packets (sent before the client saw our KEXINIT) come first, then those under the new keys.
        for (int i = 0; i < kex.HeldBeforeClientKexInit + PacketsAfterRekey; i++)
        {
            Assert.That(NumberOf(await server.ReceivePacketAsync(cts.Token)), Is.EqualTo(expected++));
        }

        await stop.CancelAsync();
        while (await server.ReceivePacketAsync(cts.Token) is var p && !p.AsSpan().SequenceEqual(EndMarker))
        {
            Assert.That(NumberOf(p), Is.EqualTo(expected++));
        }

        Assert.That(expected, Is.EqualTo(await sender), "every numbered packet arrived, in order");

        Assert.That(client.KeyExchangeCount, Is.EqualTo(2));
        Assert.That(client.SessionId, Is.EqualTo(server.SessionId), "the session id is the first exchange's H (RFC 4253 §7.2)");
        Assert.That(kex.ExchangeHash, Is.Not.EqualTo(server.SessionId));
        Assert.That(client.Failure, Is.Null);
        await StrictKexTests.AssertTrafficFlowsAsync(server, client, cts.Token);
    }

    [Test]
    public async Task ClientStartedRekey_ServerAnswers_NewKeysCarryTraffic()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var server = ScriptedSshServer.Create();
        var accept = server.AcceptAsync(new ServerKexOptions(), cts.Token);
        await using var client = await server.StartClientAsync(server.ClientSettings(), cts.Token);
        await accept;

        Task rekey = client.RekeyAsync(cts.Token);
        byte[] clientKexInit = await server.ReceivePacketAsync(cts.Token);
        Assert.That(clientKexInit[0], Is.EqualTo(MessageNumbers.KexInit));
        var parsed = KexInitMessage.Parse(clientKexInit);
        Assert.That(parsed.KexAlgorithms, Does.Not.Contain(AlgorithmNegotiator.StrictKexClient), "markers go in the first KEXINIT only");

        await server.KeyExchangeAsync(new ServerKexOptions(), cts.Token, clientKexInit);
        await rekey;

        Assert.That(client.KeyExchangeCount, Is.EqualTo(2));
        await StrictKexTests.AssertTrafficFlowsAsync(server, client, cts.Token);
    }

    private static readonly byte[] EndMarker = StrictKexTests.GlobalRequest("end-of-numbers");

    /// <summary>A CHANNEL_DATA-shaped payload carrying a counter: byte 94, uint32 channel 0, string (uint32 n).</summary>
    private static byte[] Numbered(uint n) => ScriptedSshServer.Payload(w =>
    {
        w.WriteByte(MessageNumbers.ChannelData);
        w.WriteUInt32(0);
        Span<byte> data = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(data, n);
        w.WriteString(data);
    });

    private static uint NumberOf(byte[] payload)
    {
        Assert.That(payload[0], Is.EqualTo(MessageNumbers.ChannelData), "only numbered data was sent");
        return BinaryPrimitives.ReadUInt32BigEndian(payload.AsSpan(9));
    }
}
