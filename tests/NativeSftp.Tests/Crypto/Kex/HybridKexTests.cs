using System.Security.Cryptography;
using NativeSftp.Crypto.Kex;
using NativeSftp.Wire;
using Org.BouncyCastle.Crypto.Agreement;
using Org.BouncyCastle.Crypto.Kems;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Pqc.Crypto.NtruPrime;
using Org.BouncyCastle.Security;

namespace NativeSftp.Tests.Crypto.Kex;

[TestFixture]
public class HybridKexTests
{
    public sealed record Kem(string Name, HashAlgorithmName Hash, int PublicKeyLength, int CiphertextLength);

    private static readonly Kem MlKem = new("mlkem768x25519-sha256", HashAlgorithmName.SHA256, 1184, 1088);
    private static readonly Kem Sntrup = new("sntrup761x25519-sha512", HashAlgorithmName.SHA512, 1158, 1039);
    private static readonly Kem SntrupOpenSsh = new("sntrup761x25519-sha512@openssh.com", HashAlgorithmName.SHA512, 1158, 1039);

    private static IEnumerable<TestCaseData> Methods()
    {
        yield return new TestCaseData(MlKem).SetArgDisplayNames(MlKem.Name);
        yield return new TestCaseData(Sntrup).SetArgDisplayNames(Sntrup.Name);
        yield return new TestCaseData(SntrupOpenSsh).SetArgDisplayNames(SntrupOpenSsh.Name);
    }

    /// <summary>The server's encapsulation, done with BouncyCastle's encapsulators (the client uses the decapsulators).</summary>
    private static (byte[] Ciphertext, byte[] Secret) Encapsulate(Kem kem, byte[] publicKey)
    {
        if (kem.Hash == HashAlgorithmName.SHA256)
        {
            var encapsulator = new MLKemEncapsulator(MLKemParameters.ml_kem_768);
            encapsulator.Init(MLKemPublicKeyParameters.FromEncoding(MLKemParameters.ml_kem_768, publicKey));
            var ct = new byte[encapsulator.EncapsulationLength];
            var ss = new byte[encapsulator.SecretLength];
            encapsulator.Encapsulate(ct, ss);
            return (ct, ss);
        }

        using var enc = new SNtruPrimeKemGenerator(new SecureRandom())
            .GenerateEncapsulated(new SNtruPrimePublicKeyParameters(SNtruPrimeParameters.sntrup761, publicKey));
        return (enc.GetEncapsulation(), enc.GetSecret());
    }

    private static byte[] X25519Server(byte[] clientPublic, out byte[] serverPublic)
    {
        var server = new X25519PrivateKeyParameters(new SecureRandom());
        serverPublic = server.GeneratePublicKey().GetEncoded();
        var agreement = new X25519Agreement();
        agreement.Init(server);
        var secret = new byte[32];
        agreement.CalculateAgreement(new X25519PublicKeyParameters(clientPublic), secret, 0);
        return secret;
    }

    [TestCaseSource(nameof(Methods))]
    public void Exchange_AgainstIndependentServer_BothSidesAgreeOnKAndH(Kem kem)
    {
        var context = KexTestPeer.Context();
        using var kex = KexRegistry.Create(kem.Name, context);
        var r = new SshReader(KexTestPeer.InitialMessage(kex));
        Assert.That(r.ReadByte(), Is.EqualTo(MessageNumbers.KexDhInit));
        byte[] cInit = r.ReadStringAsArray();
        r.EnsureAtEnd("hybrid init");
        Assert.That(cInit, Has.Length.EqualTo(kem.PublicKeyLength + 32));

        var (ct, kemSecret) = Encapsulate(kem, cInit[..kem.PublicKeyLength]);
        Assert.That(ct, Has.Length.EqualTo(kem.CiphertextLength));
        Assert.That(kemSecret, Has.Length.EqualTo(32));
        byte[] ecdhSecret = X25519Server(cInit[kem.PublicKeyLength..], out byte[] serverPublic);
        byte[] sReply = [.. ct, .. serverPublic];

        byte[] combined = CryptographicOperations.HashData(kem.Hash, [.. kemSecret, .. ecdhSecret]);
        byte[] expectedK = KexTestPeer.EncodedString(combined);

        using var result = KexTestPeer.Finish(kex, KexTestPeer.Reply(MessageNumbers.KexDhReply, KexTestPeer.EncodedString(sReply)));

        byte[] expectedH = KexTestPeer.ExpectedHash(kem.Hash, context, w =>
        {
            w.WriteString(cInit);
            w.WriteString(sReply);
            w.WriteRaw(expectedK);
        });
        Assert.Multiple(() =>
        {
            Assert.That(result.Hash, Is.EqualTo(kem.Hash));
            Assert.That(result.EncodedSharedSecret, Is.EqualTo(expectedK));
            Assert.That(result.ExchangeHash, Is.EqualTo(expectedH));
        });
    }

    [TestCaseSource(nameof(Methods))]
    public void Exchange_ReplyOneByteShortOrLong_ThrowsKeyExchangeFailed(Kem kem)
    {
        foreach (int delta in new[] { -1, 1 })
        {
            using var kex = KexRegistry.Create(kem.Name, KexTestPeer.Context());
            KexTestPeer.InitialMessage(kex);
            byte[] sReply = new byte[kem.CiphertextLength + 32 + delta];
            sReply[^1] = 9; // a valid X25519 point, so only the length is wrong
            var e = Assert.Throws<SshProtocolException>(() =>
                KexTestPeer.Finish(kex, KexTestPeer.Reply(MessageNumbers.KexDhReply, KexTestPeer.EncodedString(sReply))));
            Assert.That(e!.Reason, Is.EqualTo(DisconnectReason.KeyExchangeFailed), $"delta {delta}");
        }
    }

    [TestCaseSource(nameof(Methods))]
    public void Exchange_AllZeroX25519Secret_ThrowsKeyExchangeFailed(Kem kem)
    {
        using var kex = KexRegistry.Create(kem.Name, KexTestPeer.Context());
        var r = new SshReader(KexTestPeer.InitialMessage(kex));
        r.ReadByte();
        byte[] cInit = r.ReadStringAsArray();
        var (ct, _) = Encapsulate(kem, cInit[..kem.PublicKeyLength]);
        byte[] sReply = [.. ct, .. new byte[32]]; // u = 0: the X25519 output is all zero
        var e = Assert.Throws<SshProtocolException>(() =>
            KexTestPeer.Finish(kex, KexTestPeer.Reply(MessageNumbers.KexDhReply, KexTestPeer.EncodedString(sReply))));
        Assert.That(e!.Reason, Is.EqualTo(DisconnectReason.KeyExchangeFailed));
    }

    [Test]
    public void Exchange_TruncatedReply_ThrowsAtEveryCut()
    {
        byte[] reply = KexTestPeer.Reply(MessageNumbers.KexDhReply, KexTestPeer.EncodedString(new byte[MlKem.CiphertextLength + 32]));
        foreach (int cut in KexTestPeer.TruncationPoints(reply.Length))
        {
            using var kex = KexRegistry.Create(MlKem.Name, KexTestPeer.Context());
            KexTestPeer.InitialMessage(kex);
            Assert.Throws<SshProtocolException>(() => KexTestPeer.Finish(kex, reply[..cut]), $"cut at {cut}");
        }
    }

    [Test]
    public void Combiner_Sha256_MatchesIndependentHash()
    {
        // python3 -c "import hashlib; print(hashlib.sha256(bytes(range(32))+bytes(range(32,64))).hexdigest())"
        byte[] k = SharedSecretEncoding.CombineAsString(HashAlgorithmName.SHA256,
            Enumerable.Range(0, 32).Select(i => (byte)i).ToArray(), Enumerable.Range(32, 32).Select(i => (byte)i).ToArray());
        Assert.That(Convert.ToHexStringLower(k),
            Is.EqualTo("00000020" + "fdeab9acf3710362bd2658cdc9a29e8f9c757fcf9811603a8c447cd1d9151108"));
    }

    [Test]
    public void Combiner_Sha512_MatchesIndependentHash()
    {
        // python3 -c "import hashlib; print(hashlib.sha512(bytes(range(32))+bytes(range(32,64))).hexdigest())"
        byte[] k = SharedSecretEncoding.CombineAsString(HashAlgorithmName.SHA512,
            Enumerable.Range(0, 32).Select(i => (byte)i).ToArray(), Enumerable.Range(32, 32).Select(i => (byte)i).ToArray());
        Assert.That(Convert.ToHexStringLower(k), Is.EqualTo("00000040" +
            "ee4320ebaf3fdb4f2c832b137200c08e235e0fa7bbd0eb1740c7063ba8a0d151da77e003398e1714a955d475b05e3e950b639503b452ec185de4229bc4873949"));
    }

    [Test]
    public void Combiner_KeepsLeadingZeroBytes_BecauseKIsAStringNotAnMPInt()
    {
        // Search for inputs whose SHA-256 starts with 0x00 (about 1 in 256), then check K keeps all 32 bytes.
        byte[] a = new byte[32];
        byte[] b = new byte[32];
        for (int i = 0; ; i++)
        {
            a[0] = (byte)i;
            a[1] = (byte)(i >> 8);
            if (SHA256.HashData([.. a, .. b])[0] == 0)
            {
                break;
            }
        }

        byte[] k = SharedSecretEncoding.CombineAsString(HashAlgorithmName.SHA256, a, b);
        Assert.That(k, Has.Length.EqualTo(36));
        Assert.That(k[..5], Is.EqualTo(new byte[] { 0, 0, 0, 32, 0 }));
    }

    [Test]
    public void MlKem768_KeyAndCiphertextSizes_MatchFips203()
    {
        using var kem = new MlKem768();
        Assert.Multiple(() =>
        {
            Assert.That(kem.PublicKey.Length, Is.EqualTo(1184));
            Assert.That(kem.CiphertextLength, Is.EqualTo(1088));
            Assert.That(kem.SharedSecretLength, Is.EqualTo(32));
        });
    }

    [Test]
    public void Sntrup761_KeyAndCiphertextSizes_MatchOpenSsh()
    {
        using var kem = new Sntrup761();
        Assert.Multiple(() =>
        {
            Assert.That(kem.PublicKey.Length, Is.EqualTo(1158));
            Assert.That(kem.CiphertextLength, Is.EqualTo(1039));
            Assert.That(kem.SharedSecretLength, Is.EqualTo(32));
        });
    }

    [Test]
    public void MlKem768_FromSeed_IsDeterministicAndRoundTrips()
    {
        byte[] seed = Enumerable.Range(0, 64).Select(i => (byte)i).ToArray();
        using var a = new MlKem768(seed);
        using var b = new MlKem768(seed);
        Assert.That(a.PublicKey.ToArray(), Is.EqualTo(b.PublicKey.ToArray()));

        var (ct, ss) = Encapsulate(MlKem, a.PublicKey.ToArray());
        byte[] decapsulated = new byte[32];
        a.Decapsulate(ct, decapsulated);
        Assert.That(decapsulated, Is.EqualTo(ss));
    }

    [Test]
    public void Sntrup761_SeededRandom_IsDeterministicAndRoundTrips()
    {
        static SecureRandom Seeded()
        {
            var r = SecureRandom.GetInstance("SHA256PRNG", false);
            r.SetSeed([1, 2, 3, 4]);
            return r;
        }

        using var a = new Sntrup761(Seeded());
        using var b = new Sntrup761(Seeded());
        Assert.That(a.PublicKey.ToArray(), Is.EqualTo(b.PublicKey.ToArray()));

        var (ct, ss) = Encapsulate(Sntrup, a.PublicKey.ToArray());
        byte[] decapsulated = new byte[32];
        a.Decapsulate(ct, decapsulated);
        Assert.That(decapsulated, Is.EqualTo(ss));
    }
}
