using System.Security.Cryptography;
using NativeSftp.Crypto.Kex;
using NativeSftp.Wire;
using Org.BouncyCastle.Crypto.Agreement;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;

namespace NativeSftp.Tests.Crypto.Kex;

[TestFixture]
public class Curve25519KexTests
{
    // RFC 7748 §6.1: Alice's private key and public key, Bob's public key, and their shared secret.
    private const string AlicePrivate = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
    private const string AlicePublic = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
    private const string BobPublic = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";
    private const string Shared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";

    [TestCase("curve25519-sha256")]
    [TestCase("curve25519-sha256@libssh.org")]
    public void Exchange_AgainstIndependentServer_BothSidesAgreeOnKAndH(string name)
    {
        var context = KexTestPeer.Context();
        using var kex = KexRegistry.Create(name, context);
        byte[] init = KexTestPeer.InitialMessage(kex);

        var r = new SshReader(init);
        Assert.That(r.ReadByte(), Is.EqualTo(MessageNumbers.KexDhInit));
        byte[] qc = r.ReadStringAsArray();
        r.EnsureAtEnd("init");
        Assert.That(qc, Has.Length.EqualTo(32));

        var server = new X25519PrivateKeyParameters(new SecureRandom());
        byte[] qs = server.GeneratePublicKey().GetEncoded();
        var agreement = new X25519Agreement();
        agreement.Init(server);
        byte[] secret = new byte[32];
        agreement.CalculateAgreement(new X25519PublicKeyParameters(qc), secret, 0);
        byte[] expectedK = KexTestPeer.EncodedMPInt(secret);

        using var result = KexTestPeer.Finish(kex, KexTestPeer.Reply(MessageNumbers.KexDhReply, KexTestPeer.EncodedString(qs)));

        byte[] expectedH = KexTestPeer.ExpectedHash(HashAlgorithmName.SHA256, context, w =>
        {
            w.WriteString(qc);
            w.WriteString(qs);
            w.WriteRaw(expectedK);
        });
        Assert.Multiple(() =>
        {
            Assert.That(result.Hash, Is.EqualTo(HashAlgorithmName.SHA256));
            Assert.That(result.EncodedSharedSecret, Is.EqualTo(expectedK));
            Assert.That(result.ExchangeHash, Is.EqualTo(expectedH));
            Assert.That(result.HostKeyBlob, Is.EqualTo(KexTestPeer.HostKey));
            Assert.That(result.SignatureBlob, Is.EqualTo(KexTestPeer.Signature));
        });
    }

    [Test]
    public void Exchange_Rfc7748Vector_KIsSharedSecretReadBigEndianAsMPInt()
    {
        using var kex = new Curve25519KeyExchange("curve25519-sha256", KexTestPeer.Context(), Convert.FromHexString(AlicePrivate));
        var r = new SshReader(KexTestPeer.InitialMessage(kex));
        r.ReadByte();
        Assert.That(Convert.ToHexStringLower(r.ReadString()), Is.EqualTo(AlicePublic));

        using var result = KexTestPeer.Finish(kex,
            KexTestPeer.Reply(MessageNumbers.KexDhReply, KexTestPeer.EncodedString(Convert.FromHexString(BobPublic))));

        // RFC 8731 §3.1: the 32 bytes are taken as-is in network order; 0x4a has the top bit clear, so no pad byte.
        Assert.That(Convert.ToHexStringLower(result.EncodedSharedSecret), Is.EqualTo("00000020" + Shared));
    }

    [TestCase("0000000000000000000000000000000000000000000000000000000000000000")] // u = 0
    [TestCase("0100000000000000000000000000000000000000000000000000000000000000")] // u = 1
    [TestCase("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800")] // order-8 point, RFC 7748 §6.1 note
    public void Exchange_SmallOrderServerKey_ThrowsKeyExchangeFailed(string qsHex)
    {
        using var kex = KexRegistry.Create("curve25519-sha256", KexTestPeer.Context());
        KexTestPeer.InitialMessage(kex);
        var e = Assert.Throws<SshProtocolException>(() =>
            KexTestPeer.Finish(kex, KexTestPeer.Reply(MessageNumbers.KexDhReply, KexTestPeer.EncodedString(Convert.FromHexString(qsHex)))));
        Assert.That(e!.Reason, Is.EqualTo(DisconnectReason.KeyExchangeFailed));
    }

    [TestCase(31)]
    [TestCase(33)]
    public void Exchange_ServerKeyOfWrongLength_ThrowsKeyExchangeFailed(int length)
    {
        using var kex = KexRegistry.Create("curve25519-sha256", KexTestPeer.Context());
        KexTestPeer.InitialMessage(kex);
        var e = Assert.Throws<SshProtocolException>(() =>
            KexTestPeer.Finish(kex, KexTestPeer.Reply(MessageNumbers.KexDhReply, KexTestPeer.EncodedString(new byte[length]))));
        Assert.That(e!.Reason, Is.EqualTo(DisconnectReason.KeyExchangeFailed));
    }

    [Test]
    public void Exchange_WrongMessageNumber_ThrowsProtocolError()
    {
        using var kex = KexRegistry.Create("curve25519-sha256", KexTestPeer.Context());
        KexTestPeer.InitialMessage(kex);
        byte[] qs = Convert.FromHexString(BobPublic);
        var e = Assert.Throws<SshProtocolException>(() =>
            KexTestPeer.Finish(kex, KexTestPeer.Reply(MessageNumbers.KexDhGexReply, KexTestPeer.EncodedString(qs))));
        Assert.That(e!.Reason, Is.EqualTo(DisconnectReason.ProtocolError));
    }

    [Test]
    public void Exchange_TruncatedReply_ThrowsAtEveryCut()
    {
        byte[] reply = KexTestPeer.Reply(MessageNumbers.KexDhReply, KexTestPeer.EncodedString(Convert.FromHexString(BobPublic)));
        foreach (int cut in KexTestPeer.TruncationPoints(reply.Length))
        {
            using var kex = KexRegistry.Create("curve25519-sha256", KexTestPeer.Context());
            KexTestPeer.InitialMessage(kex);
            Assert.Throws<SshProtocolException>(() => KexTestPeer.Finish(kex, reply[..cut]), $"cut at {cut}");
        }
    }

    [Test]
    public void Exchange_TrailingBytesAfterSignature_ThrowsProtocolError()
    {
        byte[] reply = [.. KexTestPeer.Reply(MessageNumbers.KexDhReply, KexTestPeer.EncodedString(Convert.FromHexString(BobPublic))), 0];
        using var kex = KexRegistry.Create("curve25519-sha256", KexTestPeer.Context());
        KexTestPeer.InitialMessage(kex);
        var e = Assert.Throws<SshProtocolException>(() => KexTestPeer.Finish(kex, reply));
        Assert.That(e!.Reason, Is.EqualTo(DisconnectReason.ProtocolError));
    }

    [Test]
    public void Exchange_EmptyHostKey_ThrowsKeyExchangeFailed()
    {
        using var kex = KexRegistry.Create("curve25519-sha256", KexTestPeer.Context());
        KexTestPeer.InitialMessage(kex);
        byte[] reply = KexTestPeer.Reply(MessageNumbers.KexDhReply, KexTestPeer.EncodedString(Convert.FromHexString(BobPublic)), hostKey: []);
        var e = Assert.Throws<SshProtocolException>(() => KexTestPeer.Finish(kex, reply));
        Assert.That(e!.Reason, Is.EqualTo(DisconnectReason.KeyExchangeFailed));
    }

    [Test]
    public void HandleMessage_BeforeInitOrAfterCompletion_ThrowsInvalidOperation()
    {
        byte[] reply = KexTestPeer.Reply(MessageNumbers.KexDhReply, KexTestPeer.EncodedString(Convert.FromHexString(BobPublic)));
        using var kex = KexRegistry.Create("curve25519-sha256", KexTestPeer.Context());
        Assert.Throws<InvalidOperationException>(() => KexTestPeer.Handle(kex, reply, out _));
        KexTestPeer.InitialMessage(kex);
        using var result = KexTestPeer.Finish(kex, reply);
        Assert.Throws<InvalidOperationException>(() => KexTestPeer.Handle(kex, reply, out _));
    }
}
