using System.Numerics;
using System.Security.Cryptography;
using NativeSftp.Crypto.Kex;
using NativeSftp.Wire;

namespace NativeSftp.Tests.Crypto.Kex;

[TestFixture]
public class DhGroupExchangeTests
{
    private const string Name = "diffie-hellman-group-exchange-sha256";

    private static byte[] Group(BigInteger p, BigInteger g) => KexTestPeer.Bytes(w =>
    {
        w.WriteByte(MessageNumbers.KexDhGexGroup);
        w.WriteMPInt(DhGroupKexTests.Magnitude(p));
        w.WriteMPInt(DhGroupKexTests.Magnitude(g));
    });

    [TestCase(DhGroups.Group14PrimeHex, TestName = "{m}(group14 prime)")]
    [TestCase(DhGroups.Group16PrimeHex, TestName = "{m}(group16 prime)")]
    public void Exchange_AgainstIndependentServer_BothSidesAgreeOnKAndH(string primeHex)
    {
        var p = DhGroupKexTests.Hex(primeHex);
        BigInteger g = 2;
        var context = KexTestPeer.Context();
        using var kex = KexRegistry.Create(Name, context);
        // RFC 4419 §5: byte 34, uint32 min, uint32 n, uint32 max.
        byte[] request = KexTestPeer.InitialMessage(kex);
        Assert.That(Convert.ToHexString(request), Is.EqualTo("22" + "00000800" + "00000C00" + "00002000"));

        var afterGroup = KexTestPeer.Handle(kex, Group(p, g), out byte[] init);
        Assert.That(afterGroup, Is.Null, "the group message needs another round");
        var r = new SshReader(init);
        Assert.That(r.ReadByte(), Is.EqualTo(MessageNumbers.KexDhGexInit));
        byte[] eBytes = r.ReadPositiveMPInt().ToArray();
        r.EnsureAtEnd("gex init");

        var (f, k) = DhGroupKexTests.ServerSide(p, g, new BigInteger(eBytes, isUnsigned: true, isBigEndian: true));
        byte[] expectedK = KexTestPeer.EncodedMPInt(DhGroupKexTests.Magnitude(k));
        using var result = KexTestPeer.Finish(kex,
            KexTestPeer.Reply(MessageNumbers.KexDhGexReply, KexTestPeer.EncodedMPInt(DhGroupKexTests.Magnitude(f))));

        // RFC 4419 §3: H = hash(V_C || V_S || I_C || I_S || K_S || min || n || max || p || g || e || f || K).
        byte[] expectedH = KexTestPeer.ExpectedHash(HashAlgorithmName.SHA256, context, w =>
        {
            w.WriteUInt32(2048);
            w.WriteUInt32(DhGroupExchange.PreferredGroupBits);
            w.WriteUInt32(8192);
            w.WriteMPInt(DhGroupKexTests.Magnitude(p));
            w.WriteMPInt(DhGroupKexTests.Magnitude(g));
            w.WriteMPInt(eBytes);
            w.WriteMPInt(DhGroupKexTests.Magnitude(f));
            w.WriteRaw(expectedK);
        });
        Assert.Multiple(() =>
        {
            Assert.That(result.EncodedSharedSecret, Is.EqualTo(expectedK));
            Assert.That(result.ExchangeHash, Is.EqualTo(expectedH));
        });
    }

    [Test]
    public void Group_PrimeTooSmall_ThrowsKeyExchangeFailed()
    {
        // A 1024-bit odd value: the old RFC 4419 minimum, refused under RFC 8270.
        var p = DhGroupKexTests.Hex(DhGroups.Group14PrimeHex) >> 1024;
        Assert.That(p.GetBitLength(), Is.EqualTo(1024));
        AssertGroupRejected(p, 2);
    }

    [Test]
    public void Group_PrimeTooLarge_ThrowsKeyExchangeFailed()
    {
        var p = (BigInteger.One << 8192) + 1; // 8193 bits
        AssertGroupRejected(p, 2);
    }

    [Test]
    public void Group_EvenModulus_ThrowsKeyExchangeFailed()
    {
        AssertGroupRejected(DhGroupKexTests.Hex(DhGroups.Group14PrimeHex) - 1, 2);
    }

    [TestCase("0")]
    [TestCase("1")]
    [TestCase("p-1")]
    [TestCase("p")]
    public void Group_DegenerateGenerator_ThrowsKeyExchangeFailed(string which)
    {
        var p = DhGroupKexTests.Hex(DhGroups.Group14PrimeHex);
        BigInteger g = which switch { "0" => 0, "1" => 1, "p-1" => p - 1, _ => p };
        AssertGroupRejected(p, g);
    }

    private static void AssertGroupRejected(BigInteger p, BigInteger g)
    {
        using var kex = KexRegistry.Create(Name, KexTestPeer.Context());
        KexTestPeer.InitialMessage(kex);
        var e = Assert.Throws<SshProtocolException>(() => KexTestPeer.Handle(kex, Group(p, g), out _));
        Assert.That(e!.Reason, Is.EqualTo(DisconnectReason.KeyExchangeFailed));
    }

    [Test]
    public void Reply_BeforeGroup_ThrowsProtocolError()
    {
        using var kex = KexRegistry.Create(Name, KexTestPeer.Context());
        KexTestPeer.InitialMessage(kex);
        byte[] reply = KexTestPeer.Reply(MessageNumbers.KexDhGexReply, KexTestPeer.EncodedMPInt([5]));
        var e = Assert.Throws<SshProtocolException>(() => KexTestPeer.Handle(kex, reply, out _));
        Assert.That(e!.Reason, Is.EqualTo(DisconnectReason.ProtocolError));
    }

    [Test]
    public void Reply_WithGroupNumberInsteadOfReplyNumber_ThrowsProtocolError()
    {
        var p = DhGroupKexTests.Hex(DhGroups.Group14PrimeHex);
        using var kex = KexRegistry.Create(Name, KexTestPeer.Context());
        KexTestPeer.InitialMessage(kex);
        KexTestPeer.Handle(kex, Group(p, 2), out _);
        byte[] reply = KexTestPeer.Reply(MessageNumbers.KexDhGexGroup, KexTestPeer.EncodedMPInt([5]));
        var e = Assert.Throws<SshProtocolException>(() => KexTestPeer.Handle(kex, reply, out _));
        Assert.That(e!.Reason, Is.EqualTo(DisconnectReason.ProtocolError));
    }

    [Test]
    public void Group_Truncated_ThrowsAtEveryCut()
    {
        byte[] group = Group(DhGroupKexTests.Hex(DhGroups.Group14PrimeHex), 2);
        foreach (int cut in KexTestPeer.TruncationPoints(group.Length))
        {
            using var kex = KexRegistry.Create(Name, KexTestPeer.Context());
            KexTestPeer.InitialMessage(kex);
            Assert.Throws<SshProtocolException>(() => KexTestPeer.Handle(kex, group[..cut], out _), $"cut at {cut}");
        }
    }
}
