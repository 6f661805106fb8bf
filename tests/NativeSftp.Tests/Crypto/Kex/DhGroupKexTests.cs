using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;
using NativeSftp.Crypto.Kex;
using NativeSftp.Wire;

namespace NativeSftp.Tests.Crypto.Kex;

[TestFixture]
public class DhGroupKexTests
{
    // Leading and trailing words shared by every RFC 3526 MODP prime (2^n - 2^(n-64) - 1 + 2^64 * (...)), so a
    // mangled constant is caught without trusting the constant itself.
    private const string Rfc3526Prefix = "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1";
    private const string Rfc3526Suffix = "FFFFFFFFFFFFFFFF";

    internal static BigInteger Hex(string hex) => BigInteger.Parse("0" + hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture);

    internal static byte[] Magnitude(BigInteger v) => v.ToByteArray(isUnsigned: true, isBigEndian: true);

    [TestCase(DhGroups.Group14PrimeHex, 2048, TestName = "{m}(group14)")]
    [TestCase(DhGroups.Group16PrimeHex, 4096, TestName = "{m}(group16)")]
    [TestCase(DhGroups.Group18PrimeHex, 8192, TestName = "{m}(group18)")]
    public void Primes_HaveRfc3526ShapeAndSize(string hex, int bits)
    {
        var p = Hex(hex);
        Assert.Multiple(() =>
        {
            Assert.That(p.GetBitLength(), Is.EqualTo(bits));
            Assert.That(hex, Does.StartWith(Rfc3526Prefix));
            Assert.That(hex, Does.EndWith(Rfc3526Suffix));
            // Fermat check with base 3 on p and on q = (p-1)/2: a safe prime passes both.
            Assert.That(BigInteger.ModPow(3, p - 1, p), Is.EqualTo(BigInteger.One));
            var q = (p - 1) / 2;
            Assert.That(BigInteger.ModPow(3, q - 1, q), Is.EqualTo(BigInteger.One));
        });
    }

    [TestCase("diffie-hellman-group14-sha256", DhGroups.Group14PrimeHex, "SHA256", TestName = "{m}(diffie-hellman-group14-sha256)")]
    [TestCase("diffie-hellman-group16-sha512", DhGroups.Group16PrimeHex, "SHA512", TestName = "{m}(diffie-hellman-group16-sha512)")]
    [TestCase("diffie-hellman-group18-sha512", DhGroups.Group18PrimeHex, "SHA512", TestName = "{m}(diffie-hellman-group18-sha512)")]
    public void Exchange_AgainstIndependentServer_BothSidesAgreeOnKAndH(string name, string primeHex, string hashName)
    {
        var hash = new HashAlgorithmName(hashName);
        var p = Hex(primeHex);
        var context = KexTestPeer.Context();
        using var kex = KexRegistry.Create(name, context);
        var r = new SshReader(KexTestPeer.InitialMessage(kex));
        Assert.That(r.ReadByte(), Is.EqualTo(MessageNumbers.KexDhInit));
        byte[] eBytes = r.ReadPositiveMPInt().ToArray();
        r.EnsureAtEnd("init");
        var e = new BigInteger(eBytes, isUnsigned: true, isBigEndian: true);
        Assert.That(e > 1 && e < p - 1, Is.True, "1 < e < p-1");

        var (f, k) = ServerSide(p, 2, e);
        byte[] expectedK = KexTestPeer.EncodedMPInt(Magnitude(k));
        using var result = KexTestPeer.Finish(kex, KexTestPeer.Reply(MessageNumbers.KexDhReply, KexTestPeer.EncodedMPInt(Magnitude(f))));

        byte[] expectedH = KexTestPeer.ExpectedHash(hash, context, w =>
        {
            w.WriteMPInt(eBytes);
            w.WriteMPInt(Magnitude(f));
            w.WriteRaw(expectedK);
        });
        Assert.Multiple(() =>
        {
            Assert.That(result.Hash, Is.EqualTo(hash));
            Assert.That(result.EncodedSharedSecret, Is.EqualTo(expectedK));
            Assert.That(result.ExchangeHash, Is.EqualTo(expectedH));
        });
    }

    internal static (BigInteger F, BigInteger K) ServerSide(BigInteger p, BigInteger g, BigInteger e)
    {
        byte[] yBytes = RandomNumberGenerator.GetBytes(64);
        var y = new BigInteger(yBytes, isUnsigned: true, isBigEndian: true) + 2;
        return (BigInteger.ModPow(g, y, p), BigInteger.ModPow(e, y, p));
    }

    [Test]
    public void Exchange_FixedExponent_ProducesEOfThatExponent()
    {
        byte[] x = new byte[64];
        x[^1] = 5;
        using var kex = new DhGroupKeyExchange("diffie-hellman-group14-sha256", KexTestPeer.Context(), x);
        var r = new SshReader(KexTestPeer.InitialMessage(kex));
        r.ReadByte();
        Assert.That(Convert.ToHexString(r.ReadPositiveMPInt()), Is.EqualTo("20")); // 2^5
    }

    [TestCase("0")]     // f = 0
    [TestCase("1")]     // f = 1
    [TestCase("p-1")]   // f = p-1
    [TestCase("p")]     // f = p
    [TestCase("p+1")]   // f > p
    public void Exchange_FOutOfRange_ThrowsKeyExchangeFailed(string which)
    {
        var p = Hex(DhGroups.Group14PrimeHex);
        BigInteger f = which switch { "0" => 0, "1" => 1, "p-1" => p - 1, "p" => p, _ => p + 1 };
        using var kex = KexRegistry.Create("diffie-hellman-group14-sha256", KexTestPeer.Context());
        KexTestPeer.InitialMessage(kex);
        var e = Assert.Throws<SshProtocolException>(() =>
            KexTestPeer.Finish(kex, KexTestPeer.Reply(MessageNumbers.KexDhReply, KexTestPeer.EncodedMPInt(Magnitude(f)))));
        Assert.That(e!.Reason, Is.EqualTo(DisconnectReason.KeyExchangeFailed));
    }

    [Test]
    public void Exchange_NegativeF_ThrowsProtocolError()
    {
        using var kex = KexRegistry.Create("diffie-hellman-group14-sha256", KexTestPeer.Context());
        KexTestPeer.InitialMessage(kex);
        var e = Assert.Throws<SshProtocolException>(() =>
            KexTestPeer.Finish(kex, KexTestPeer.Reply(MessageNumbers.KexDhReply, [0, 0, 0, 1, 0xff])));
        Assert.That(e!.Reason, Is.EqualTo(DisconnectReason.ProtocolError));
    }

    [Test]
    public void Exchange_TruncatedReply_ThrowsAtEveryCut()
    {
        byte[] reply = KexTestPeer.Reply(MessageNumbers.KexDhReply, KexTestPeer.EncodedMPInt(Magnitude(BigInteger.Pow(2, 2000) + 1)));
        foreach (int cut in KexTestPeer.TruncationPoints(reply.Length))
        {
            using var kex = KexRegistry.Create("diffie-hellman-group14-sha256", KexTestPeer.Context());
            KexTestPeer.InitialMessage(kex);
            Assert.Throws<SshProtocolException>(() => KexTestPeer.Finish(kex, reply[..cut]), $"cut at {cut}");
        }
    }
}
