using System.Security.Cryptography;
using NativeSftp.Crypto.Kex;
using NativeSftp.Wire;

namespace NativeSftp.Tests.Crypto.Kex;

[TestFixture]
public class EcdhKexTests
{
    private static readonly object[] Curves =
    [
        new object[] { "ecdh-sha2-nistp256", "SHA256", 32 },
        new object[] { "ecdh-sha2-nistp384", "SHA384", 48 },
        new object[] { "ecdh-sha2-nistp521", "SHA512", 66 },
    ];

    private static ECCurve CurveOf(int fieldBytes) => fieldBytes switch
    {
        32 => ECCurve.NamedCurves.nistP256,
        48 => ECCurve.NamedCurves.nistP384,
        _ => ECCurve.NamedCurves.nistP521,
    };

    private static byte[] Point(ECParameters p, int fieldBytes)
    {
        var q = new byte[1 + 2 * fieldBytes];
        q[0] = 4;
        p.Q.X!.CopyTo(q, 1 + fieldBytes - p.Q.X!.Length);
        p.Q.Y!.CopyTo(q, 1 + 2 * fieldBytes - p.Q.Y!.Length);
        return q;
    }

    [TestCaseSource(nameof(Curves))]
    public void Exchange_AgainstIndependentServer_BothSidesAgreeOnKAndH(string name, string hashName, int fieldBytes)
    {
        var hash = new HashAlgorithmName(hashName);
        var context = KexTestPeer.Context();
        using var kex = KexRegistry.Create(name, context);
        var r = new SshReader(KexTestPeer.InitialMessage(kex));
        Assert.That(r.ReadByte(), Is.EqualTo(MessageNumbers.KexDhInit));
        byte[] qc = r.ReadStringAsArray();
        r.EnsureAtEnd("init");
        Assert.That(qc, Has.Length.EqualTo(1 + 2 * fieldBytes));
        Assert.That(qc[0], Is.EqualTo(4));

        using var server = ECDiffieHellman.Create(CurveOf(fieldBytes));
        byte[] qs = Point(server.ExportParameters(false), fieldBytes);
        using var client = ECDiffieHellman.Create(new ECParameters
        {
            Curve = CurveOf(fieldBytes),
            Q = new ECPoint { X = qc[1..(1 + fieldBytes)], Y = qc[(1 + fieldBytes)..] },
        });
        byte[] x = server.DeriveRawSecretAgreement(client.PublicKey);
        byte[] expectedK = KexTestPeer.EncodedMPInt(x);

        using var result = KexTestPeer.Finish(kex, KexTestPeer.Reply(MessageNumbers.KexDhReply, KexTestPeer.EncodedString(qs)));

        byte[] expectedH = KexTestPeer.ExpectedHash(hash, context, w =>
        {
            w.WriteString(qc);
            w.WriteString(qs);
            w.WriteRaw(expectedK);
        });
        Assert.Multiple(() =>
        {
            Assert.That(result.Hash, Is.EqualTo(hash));
            Assert.That(result.EncodedSharedSecret, Is.EqualTo(expectedK));
            Assert.That(result.ExchangeHash, Is.EqualTo(expectedH));
        });
    }

    [TestCaseSource(nameof(Curves))]
    public void Exchange_PointNotOnCurve_ThrowsKeyExchangeFailed(string name, string hashName, int fieldBytes)
    {
        using var server = ECDiffieHellman.Create(CurveOf(fieldBytes));
        byte[] qs = Point(server.ExportParameters(false), fieldBytes);
        qs[^1] ^= 0x01; // y changed by one: (x, y') is not on the curve
        using var kex = KexRegistry.Create(name, KexTestPeer.Context());
        KexTestPeer.InitialMessage(kex);
        var e = Assert.Throws<SshProtocolException>(() =>
            KexTestPeer.Finish(kex, KexTestPeer.Reply(MessageNumbers.KexDhReply, KexTestPeer.EncodedString(qs))));
        Assert.That(e!.Reason, Is.EqualTo(DisconnectReason.KeyExchangeFailed));
    }

    [TestCase(0x02)] // compressed
    [TestCase(0x00)] // point at infinity marker
    public void Exchange_PointNotUncompressed_ThrowsKeyExchangeFailed(int tag)
    {
        using var server = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        byte[] qs = Point(server.ExportParameters(false), 32);
        qs[0] = (byte)tag;
        using var kex = KexRegistry.Create("ecdh-sha2-nistp256", KexTestPeer.Context());
        KexTestPeer.InitialMessage(kex);
        var e = Assert.Throws<SshProtocolException>(() =>
            KexTestPeer.Finish(kex, KexTestPeer.Reply(MessageNumbers.KexDhReply, KexTestPeer.EncodedString(qs))));
        Assert.That(e!.Reason, Is.EqualTo(DisconnectReason.KeyExchangeFailed));
    }

    [Test]
    public void Exchange_PointFromAnotherCurve_ThrowsKeyExchangeFailed()
    {
        using var server = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP384);
        byte[] qs = Point(server.ExportParameters(false), 48);
        using var kex = KexRegistry.Create("ecdh-sha2-nistp256", KexTestPeer.Context());
        KexTestPeer.InitialMessage(kex);
        var e = Assert.Throws<SshProtocolException>(() =>
            KexTestPeer.Finish(kex, KexTestPeer.Reply(MessageNumbers.KexDhReply, KexTestPeer.EncodedString(qs))));
        Assert.That(e!.Reason, Is.EqualTo(DisconnectReason.KeyExchangeFailed));
    }

    [Test]
    public void Exchange_TruncatedReply_ThrowsAtEveryCut()
    {
        using var server = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        byte[] reply = KexTestPeer.Reply(MessageNumbers.KexDhReply, KexTestPeer.EncodedString(Point(server.ExportParameters(false), 32)));
        foreach (int cut in KexTestPeer.TruncationPoints(reply.Length))
        {
            using var kex = KexRegistry.Create("ecdh-sha2-nistp256", KexTestPeer.Context());
            KexTestPeer.InitialMessage(kex);
            Assert.Throws<SshProtocolException>(() => KexTestPeer.Finish(kex, reply[..cut]), $"cut at {cut}");
        }
    }
}
