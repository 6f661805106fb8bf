using NativeSftp.Tests.Transport.ScriptedPeer;
using NativeSftp.Transport;
using NativeSftp.Wire;

namespace NativeSftp.Tests.Transport;

/// <summary>
/// Strict KEX (OpenSSH PROTOCOL §1.10, the Terrapin fix) against a scripted server: the server's KEXINIT must be its
/// first packet, nothing but KEX messages may arrive during the initial exchange, and sequence numbers restart at
/// zero after each NEWKEYS. Without strict KEX all three are tolerated / not done, as RFC 4253 says.
/// </summary>
[TestFixture]
public class StrictKexTests
{
    /// <summary>Every test here completes in well under a second; the bound only stops a hang.</summary>
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(15);

    private static readonly byte[] MsgIgnore = ScriptedSshServer.Payload(w =>
    {
        w.WriteByte(MessageNumbers.Ignore);
        w.WriteString("padding the handshake"u8);
    });

    private static readonly byte[] MsgDebug = ScriptedSshServer.Payload(w =>
    {
        w.WriteByte(MessageNumbers.Debug);
        w.WriteBoolean(false);
        w.WriteUtf8("debug during the exchange");
        w.WriteUtf8("");
    });

    [Test]
    public async Task Connect_HonestStrictServer_NegotiatesStrictKexAndTalksBothWays()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var server = ScriptedSshServer.Create();
        var accept = server.AcceptAsync(new ServerKexOptions(), cts.Token);
        await using var client = await server.StartClientAsync(server.ClientSettings(), cts.Token);
        KexTranscript kex = await accept;

        Assert.That(client.IsStrictKex, Is.True);
        Assert.That(kex.StrictKex, Is.True);
        Assert.That(client.SessionId, Is.EqualTo(server.SessionId));
        Assert.That(client.ServerVersion, Is.EqualTo(ScriptedSshServer.DefaultVersion));
        Assert.That(server.ClientVersion, Is.EqualTo(client.ClientVersion));
        Assert.That(kex.ClientMessagesDuringExchange, Is.EqualTo(new[] { MessageNumbers.KexDhInit }));
        await AssertTrafficFlowsAsync(server, client, cts.Token);
    }

    [Test]
    public async Task Strict_IgnoreBeforeServerKexInit_ClientRefusesNamingStrictKex()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var server = ScriptedSshServer.Create();
        var accept = server.AcceptAsync(new ServerKexOptions { SendBeforeKexInit = [MsgIgnore] }, cts.Token);

        var ex = Assert.ThrowsAsync<SshConnectionException>(async () => await server.StartClientAsync(server.ClientSettings(), cts.Token));
        Assert.That(ex!.Message, Does.Contain("strict KEX"));
        Assert.That(ex.Message, Does.Contain("not the first packet"));
        Assert.That(ex.Reason, Is.EqualTo(DisconnectReason.ProtocolError));
        Assert.That(ex.ClosedBy, Is.EqualTo(ClosedBy.Client));

        // The client tells the server why before closing.
        var disconnect = Assert.ThrowsAsync<ClientDisconnectedException>(async () => await accept);
        Assert.That(disconnect!.Reason, Is.EqualTo(DisconnectReason.ProtocolError));
    }

    [Test]
    public async Task NotStrict_IgnoreBeforeServerKexInit_IsAccepted()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var server = ScriptedSshServer.Create();
        var accept = server.AcceptAsync(new ServerKexOptions { OfferStrictKex = false, SendBeforeKexInit = [MsgIgnore, MsgDebug] }, cts.Token);
        await using var client = await server.StartClientAsync(server.ClientSettings(), cts.Token);
        await accept;

        Assert.That(client.IsStrictKex, Is.False);
        await AssertTrafficFlowsAsync(server, client, cts.Token);
    }

    [TestCase(MessageNumbers.Ignore)]
    [TestCase(MessageNumbers.Debug)]
    public async Task Strict_TransportMessageDuringInitialExchange_ClientRefuses(byte message)
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var server = ScriptedSshServer.Create();
        byte[] payload = message == MessageNumbers.Ignore ? MsgIgnore : MsgDebug;
        var accept = server.AcceptAsync(new ServerKexOptions { SendDuringExchange = [payload] }, cts.Token);

        var ex = Assert.ThrowsAsync<SshConnectionException>(async () => await server.StartClientAsync(server.ClientSettings(), cts.Token));
        Assert.That(ex!.Message, Does.Contain("strict KEX violation"));
        Assert.That(ex.Message, Does.Contain($"message {message}"));
        Assert.That(ex.Reason, Is.EqualTo(DisconnectReason.ProtocolError));
        Assert.CatchAsync(async () => await accept, "the server's exchange cannot complete");
    }

    [TestCase(MessageNumbers.Ignore)]
    [TestCase(MessageNumbers.Debug)]
    public async Task NotStrict_TransportMessageDuringInitialExchange_IsIgnored(byte message)
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var server = ScriptedSshServer.Create();
        byte[] payload = message == MessageNumbers.Ignore ? MsgIgnore : MsgDebug;
        var accept = server.AcceptAsync(new ServerKexOptions { OfferStrictKex = false, SendDuringExchange = [payload] }, cts.Token);
        await using var client = await server.StartClientAsync(server.ClientSettings(), cts.Token);
        await accept;

        Assert.That(client.IsStrictKex, Is.False);
        await AssertTrafficFlowsAsync(server, client, cts.Token);
    }

    // chacha20-poly1305 and the HMAC take the sequence number into the tag, so traffic flowing proves both sides
    // counted from zero; with AES-GCM (nonce independent of it) only the server's counters are checked.
    [TestCase("aes256-gcm@openssh.com")]
    [TestCase("chacha20-poly1305@openssh.com")]
    [TestCase("aes128-ctr")]
    public async Task Strict_BothSidesResetSequenceNumbersAfterNewKeys(string cipher)
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var server = ScriptedSshServer.Create();
        var accept = server.AcceptAsync(new ServerKexOptions(), cts.Token);
        await using var client = await server.StartClientAsync(server.ClientSettings(cipher), cts.Token);
        KexTranscript kex = await accept;

        Assert.That(kex.Algorithms.EncryptionServerToClient, Is.EqualTo(cipher));
        // Both counters restarted at zero on NEWKEYS: nothing has been sealed or opened under the new keys yet.
        Assert.That(server.SendSequence, Is.Zero);
        Assert.That(server.ReceiveSequence, Is.Zero);
        // The client opens packet 0 and the server opens the client's packet 0: both reset.
        await AssertTrafficFlowsAsync(server, client, cts.Token);
    }

    // AES-GCM's nonce is its own invocation counter (RFC 5647 §7.1), not the sequence number, so a sequence
    // mismatch is invisible there; chacha20-poly1305 (nonce = sequence number) and the HMACs (which cover it) catch it.
    [TestCase("chacha20-poly1305@openssh.com")]
    [TestCase("aes128-ctr")]
    public async Task Strict_ServerThatDoesNotResetSequenceNumbers_ClientFailsWithMacError(string cipher)
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var server = ScriptedSshServer.Create();
        var accept = server.AcceptAsync(new ServerKexOptions { ResetSequenceNumbers = false }, cts.Token);
        await using var client = await server.StartClientAsync(server.ClientSettings(cipher), cts.Token);
        await accept;
        Assert.That(server.SendSequence, Is.Not.Zero, "the server kept counting across NEWKEYS");

        await SendUnderWrongSequenceAsync(server, cts.Token);

        var ex = Assert.ThrowsAsync<SshConnectionException>(async () => await client.Incoming.ReceiveAsync(cts.Token));
        AssertSequenceMismatchDetected(ex!, cipher);
        Assert.That(client.Failure, Is.SameAs(ex));
    }

    [TestCase("chacha20-poly1305@openssh.com")]
    [TestCase("aes128-ctr")]
    public async Task NotStrict_SequenceNumbersContinueAcrossNewKeys(string cipher)
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var server = ScriptedSshServer.Create();
        var accept = server.AcceptAsync(new ServerKexOptions { OfferStrictKex = false }, cts.Token);
        await using var client = await server.StartClientAsync(server.ClientSettings(cipher), cts.Token);
        await accept;

        // KEXINIT, KEX_ECDH_REPLY, NEWKEYS went out under the plaintext keys: packet 3 is the first under the new ones.
        Assert.That(server.SendSequence, Is.EqualTo(3));
        Assert.That(server.ReceiveSequence, Is.EqualTo(3));
        await AssertTrafficFlowsAsync(server, client, cts.Token);
    }

    // AES-GCM's nonce is its own invocation counter (RFC 5647 §7.1), not the sequence number, so a sequence
    // mismatch is invisible there; chacha20-poly1305 (nonce = sequence number) and the HMACs (which cover it) catch it.
    [TestCase("chacha20-poly1305@openssh.com")]
    [TestCase("aes128-ctr")]
    public async Task NotStrict_ServerThatResetsSequenceNumbers_ClientFailsWithMacError(string cipher)
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var server = ScriptedSshServer.Create();
        var accept = server.AcceptAsync(new ServerKexOptions { OfferStrictKex = false, ResetSequenceNumbers = true }, cts.Token);
        await using var client = await server.StartClientAsync(server.ClientSettings(cipher), cts.Token);
        await accept;

        await SendUnderWrongSequenceAsync(server, cts.Token);

        var ex = Assert.ThrowsAsync<SshConnectionException>(async () => await client.Incoming.ReceiveAsync(cts.Token));
        AssertSequenceMismatchDetected(ex!, cipher);
    }

    [Test]
    public async Task WrongGuess_GuessedPacketIsIgnoredAndExchangeCompletes()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var server = ScriptedSshServer.Create();
        var accept = server.AcceptAsync(new ServerKexOptions { WrongGuess = true }, cts.Token);
        await using var client = await server.StartClientAsync(server.ClientSettings(), cts.Token);
        KexTranscript kex = await accept;

        Assert.That(kex.Algorithms.KeyExchange, Is.EqualTo("curve25519-sha256"), "the server's first choice was not negotiated");
        Assert.That(client.KeyExchangeCount, Is.EqualTo(1));
        await AssertTrafficFlowsAsync(server, client, cts.Token);
    }

    /// <summary>
    /// A packet the client will open with a different sequence number than it was sealed with, then filler: with
    /// chacha20-poly1305 the length is decrypted with a sequence-derived nonce, so the client reads a random length;
    /// 256 KiB + 1 KiB of filler (the largest length it accepts, plus tag) makes sure it gets far enough to check the
    /// tag rather than wait for bytes that never come.
    /// </summary>
    private static async Task SendUnderWrongSequenceAsync(ScriptedSshServer server, CancellationToken ct)
    {
        // One write: the client may close as soon as it sees the packet, and a second write would then fail.
        byte[] packet = server.SealPacket(GlobalRequest("after-newkeys"));
        await server.SendRawAsync((byte[])[.. packet, .. new byte[PacketDecoder.MaxPacketLength + 1024]], ct);
    }

    /// <summary>
    /// With an HMAC the length decrypts fine (CTR does not use the sequence number) and the MAC fails. With
    /// chacha20-poly1305 the length is garbage first: almost always out of range (a protocol error naming the
    /// length, as OpenSSH reports it), else the tag fails.
    /// </summary>
    private static void AssertSequenceMismatchDetected(SshConnectionException ex, string cipher)
    {
        if (cipher == "aes128-ctr")
        {
            Assert.That(ex.Reason, Is.EqualTo(DisconnectReason.MacError));
            return;
        }

        Assert.That(ex.Reason == DisconnectReason.MacError || (ex.Reason == DisconnectReason.ProtocolError && ex.Message.Contains("packet length", StringComparison.Ordinal)),
            ex.Message);
    }

    internal static byte[] GlobalRequest(string name) => ScriptedSshServer.Payload(w =>
    {
        w.WriteByte(MessageNumbers.GlobalRequest);
        w.WriteAscii(name);
        w.WriteBoolean(false);
    });

    /// <summary>One packet each way under the current keys, opened correctly at the other end.</summary>
    internal static async Task AssertTrafficFlowsAsync(ScriptedSshServer server, SshTransport client, CancellationToken ct)
    {
        await server.SendPacketAsync(GlobalRequest("to-client"), ct);
        byte[] atClient = await client.Incoming.ReceiveAsync(ct);
        Assert.That(atClient, Is.EqualTo(GlobalRequest("to-client")));

        await client.SendAsync(GlobalRequest("to-server"), ct);
        byte[] atServer = await server.ReceivePacketAsync(ct);
        Assert.That(atServer, Is.EqualTo(GlobalRequest("to-server")));
        Assert.That(client.Failure, Is.Null);
    }
}
