using NativeSftp.Transport;

namespace NativeSftp.Tests.Transport;

/// <summary>RFC 4253 §7.1 negotiation as a table: the first client algorithm the server also lists, per category.</summary>
[TestFixture]
public class AlgorithmNegotiatorTests
{
    private static KexInitMessage Init(string kex, string hostKey, string cipher, string mac, bool guess = false) => new()
    {
        KexAlgorithms = kex.Split(','),
        ServerHostKeyAlgorithms = hostKey.Split(','),
        EncryptionClientToServer = cipher.Split(','),
        EncryptionServerToClient = cipher.Split(','),
        MacClientToServer = mac.Split(','),
        MacServerToClient = mac.Split(','),
        CompressionClientToServer = ["none"],
        CompressionServerToClient = ["none"],
        FirstKexPacketFollows = guess,
    };

    private static bool IsAead(string c) => c.Contains("gcm", StringComparison.Ordinal) || c.StartsWith("chacha", StringComparison.Ordinal);

    // client kex | server kex | expected
    [TestCase("curve25519-sha256,ecdh-sha2-nistp256", "ecdh-sha2-nistp256,curve25519-sha256", "curve25519-sha256", TestName = "Client order wins")]
    [TestCase("mlkem768x25519-sha256,curve25519-sha256", "curve25519-sha256", "curve25519-sha256", TestName = "Skips what the server lacks")]
    [TestCase("curve25519-sha256,ext-info-c,kex-strict-c-v00@openssh.com", "kex-strict-s-v00@openssh.com,ext-info-s,curve25519-sha256", "curve25519-sha256", TestName = "Markers never match")]
    public void KeyExchange_IsFirstClientChoiceTheServerHas(string client, string server, string expected)
    {
        var n = AlgorithmNegotiator.Negotiate(
            Init(client, "ssh-ed25519", "aes128-ctr", "hmac-sha2-256"), Init(server, "ssh-ed25519", "aes128-ctr", "hmac-sha2-256"), IsAead);
        Assert.That(n.KeyExchange, Is.EqualTo(expected));
    }

    [Test]
    public void AeadCipher_SkipsMacNegotiation_EvenWithNoMacInCommon()
    {
        var n = AlgorithmNegotiator.Negotiate(
            Init("curve25519-sha256", "ssh-ed25519", "aes256-gcm@openssh.com", "hmac-sha2-256"),
            Init("curve25519-sha256", "ssh-ed25519", "aes256-gcm@openssh.com", "umac-128@openssh.com"), IsAead);
        Assert.That(n.EncryptionClientToServer, Is.EqualTo("aes256-gcm@openssh.com"));
        Assert.That(n.MacClientToServer, Is.Null);
        Assert.That(n.MacServerToClient, Is.Null);
    }

    [Test]
    public void NonAeadCipher_NegotiatesMac()
    {
        var n = AlgorithmNegotiator.Negotiate(
            Init("curve25519-sha256", "ssh-ed25519", "aes128-ctr", "hmac-sha2-512-etm@openssh.com,hmac-sha2-256"),
            Init("curve25519-sha256", "ssh-ed25519", "aes128-ctr", "hmac-sha2-256,hmac-sha2-512-etm@openssh.com"), IsAead);
        Assert.That(n.MacClientToServer, Is.EqualTo("hmac-sha2-512-etm@openssh.com"));
    }

    [Test]
    public void DirectionsAreNegotiatedIndependently()
    {
        var client = Init("curve25519-sha256", "ssh-ed25519", "aes128-gcm@openssh.com,aes256-ctr", "hmac-sha2-256");
        var server = new KexInitMessage
        {
            KexAlgorithms = ["curve25519-sha256"],
            ServerHostKeyAlgorithms = ["ssh-ed25519"],
            EncryptionClientToServer = ["aes256-ctr"],
            EncryptionServerToClient = ["aes128-gcm@openssh.com"],
            MacClientToServer = ["hmac-sha2-256"],
            MacServerToClient = ["hmac-sha2-256"],
            CompressionClientToServer = ["none"],
            CompressionServerToClient = ["none"],
        };
        var n = AlgorithmNegotiator.Negotiate(client, server, IsAead);
        Assert.That(n.EncryptionClientToServer, Is.EqualTo("aes256-ctr"));
        Assert.That(n.MacClientToServer, Is.EqualTo("hmac-sha2-256"));
        Assert.That(n.EncryptionServerToClient, Is.EqualTo("aes128-gcm@openssh.com"));
        Assert.That(n.MacServerToClient, Is.Null);
    }

    [TestCase("kex", TestName = "No common key exchange")]
    [TestCase("hostkey", TestName = "No common host key algorithm")]
    [TestCase("cipher", TestName = "No common cipher")]
    [TestCase("mac", TestName = "No common MAC")]
    public void NothingInCommon_FailsNamingTheCategoryAndBothLists(string what)
    {
        var client = Init("curve25519-sha256", "ssh-ed25519", "aes128-ctr", "hmac-sha2-256");
        var server = Init(
            what == "kex" ? "diffie-hellman-group1-sha1" : "curve25519-sha256",
            what == "hostkey" ? "ssh-rsa" : "ssh-ed25519",
            what == "cipher" ? "aes128-cbc" : "aes128-ctr",
            what == "mac" ? "hmac-sha1" : "hmac-sha2-256");
        var ex = Assert.Throws<SshProtocolException>(() => AlgorithmNegotiator.Negotiate(client, server, IsAead));
        Assert.That(ex!.Reason, Is.EqualTo(DisconnectReason.KeyExchangeFailed));
        Assert.That(ex.Message, Does.Contain(what switch { "kex" => "key exchange", "hostkey" => "host key", "cipher" => "cipher", _ => "MAC" }));
        Assert.That(ex.Message, Does.Contain("we offer").And.Contain("the server offers"));
    }

    // RFC 4253 §7.1: the guess is right only if both the first kex and the first host-key algorithm are the negotiated ones.
    [TestCase("curve25519-sha256,ecdh-sha2-nistp256", "ssh-ed25519", true, false, TestName = "Right guess is kept")]
    [TestCase("ecdh-sha2-nistp256,curve25519-sha256", "ssh-ed25519", true, true, TestName = "Wrong kex guess is ignored")]
    [TestCase("curve25519-sha256", "rsa-sha2-512,ssh-ed25519", true, true, TestName = "Wrong host key guess is ignored")]
    [TestCase("ecdh-sha2-nistp256,curve25519-sha256", "ssh-ed25519", false, false, TestName = "No guess, nothing to ignore")]
    public void FirstKexPacketFollows_WrongGuessIsDetected(string serverKex, string serverHostKey, bool guess, bool wrong)
    {
        var client = Init("curve25519-sha256,ecdh-sha2-nistp256", "ssh-ed25519,rsa-sha2-512", "aes128-ctr", "hmac-sha2-256");
        var server = Init(serverKex, serverHostKey, "aes128-ctr", "hmac-sha2-256", guess);
        var n = AlgorithmNegotiator.Negotiate(client, server, IsAead);
        Assert.That(n.KeyExchange, Is.EqualTo("curve25519-sha256"));
        Assert.That(AlgorithmNegotiator.GuessWasWrong(server, n), Is.EqualTo(wrong));
    }

    [Test]
    public void KexInit_RoundTripsByteForByte()
    {
        var m = Init("curve25519-sha256,ext-info-c", "ssh-ed25519", "aes128-gcm@openssh.com", "hmac-sha2-256", guess: true);
        byte[] bytes = m.ToPayload();
        var back = KexInitMessage.Parse(bytes);
        Assert.That(back.ToPayload(), Is.EqualTo(bytes));
        Assert.That(back.FirstKexPacketFollows, Is.True);
        Assert.That(back.KexAlgorithms, Is.EqualTo(new[] { "curve25519-sha256", "ext-info-c" }));
        // Cookie (16 bytes) follows the message number; then ten name-lists, the guess flag and the reserved uint32.
        Assert.That(bytes[0], Is.EqualTo(20));
        Assert.That(bytes[^5], Is.EqualTo(1));
        Assert.That(bytes[^4..], Is.EqualTo(new byte[4]));
    }
}
