using System.Diagnostics;
using NativeSftp.Crypto.HostKeys;
using NativeSftp.Wire;

namespace NativeSftp.Tests.Crypto.HostKeys;

/// <summary>Hostile or broken key, signature and certificate blobs fail fast with <see cref="SshProtocolException"/>.</summary>
[TestFixture]
public class MalformedHostKeyTests
{
    private static readonly byte[] Data = "H"u8.ToArray();

    /// <summary>A uint32 length of 0xFFFFFFF0: about 4 GiB, far beyond any blob.</summary>
    private static readonly byte[] AbsurdLength = [0xFF, 0xFF, 0xFF, 0xF0];

    private OpenSshKeyFolder _folder = null!;
    private SshsigSignature _ed25519 = null!;
    private SshsigSignature _ecdsa256 = null!;
    private SshsigSignature _rsa = null!;
    private byte[] _cert = null!;
    private byte[] _edCaBlob = null!;

    [OneTimeSetUp]
    public void GenerateKeys()
    {
        _folder = new OpenSshKeyFolder();
        string ed = _folder.Generate("ed", "ed25519");
        _ed25519 = _folder.SignSshsig(ed, Data);
        _ecdsa256 = _folder.SignSshsig(_folder.Generate("ec", "ecdsa", 256), Data);
        _rsa = _folder.SignSshsig(_folder.Generate("rsa", "rsa", 2048), Data);
        string host = _folder.Generate("host", "rsa", 2048);
        _cert = _folder.Certify(ed, host + ".pub", "-I", "id", "-h", "-n", "host1,host2", "-O", "no-touch-required");
        _edCaBlob = _ed25519.PublicKeyBlob;
    }

    [OneTimeTearDown]
    public void DeleteKeys() => _folder.Dispose();

    [Test]
    public void EveryTruncation_OfKeysSignaturesAndCertificates_ThrowsQuickly()
    {
        var watch = Stopwatch.StartNew();
        foreach (var (algorithm, sig) in new[] { ("ssh-ed25519", _ed25519), ("ecdsa-sha2-nistp256", _ecdsa256), ("rsa-sha2-512", _rsa) })
        {
            for (int n = 0; n < sig.PublicKeyBlob.Length; n++)
            {
                byte[] key = sig.PublicKeyBlob[..n];
                Assert.Throws<SshProtocolException>(() => HostKeyAlgorithmRegistry.Verify(algorithm, key, sig.SignedData, sig.SignatureBlob), $"{algorithm} key cut at {n}");
            }

            for (int n = 0; n < sig.SignatureBlob.Length; n++)
            {
                byte[] signature = sig.SignatureBlob[..n];
                Assert.Throws<SshProtocolException>(() => HostKeyAlgorithmRegistry.Verify(algorithm, sig.PublicKeyBlob, sig.SignedData, signature), $"{algorithm} signature cut at {n}");
            }
        }

        for (int n = 0; n < _cert.Length; n++)
        {
            byte[] cert = _cert[..n];
            Assert.Throws<SshProtocolException>(() => SshCertificate.Parse(cert), $"certificate cut at {n}");
        }

        Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)));
    }

    [Test]
    public void AbsurdLengthFields_ThrowWithoutAllocating()
    {
        // The certificate's type-name length (offset 0) and nonce length (4 + len("ssh-rsa-cert-v01@openssh.com")).
        foreach (int offset in new[] { 0, 4 + 28 })
        {
            byte[] broken = (byte[])_cert.Clone();
            AbsurdLength.CopyTo(broken, offset);
            Assert.Throws<SshProtocolException>(() => SshCertificate.Parse(broken));
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        byte[] key = [.. AbsurdLength, .. "ssh-ed25519"u8];
        Assert.Throws<SshProtocolException>(() => HostKeyAlgorithmRegistry.Verify("ssh-ed25519", key, Data, _ed25519.SignatureBlob));
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.LessThan(64 * 1024));
    }

    [Test]
    public void AbsurdLengthAtAnyOffset_ParsesOrThrowsProtocolException()
    {
        for (int offset = 0; offset + 4 <= _cert.Length; offset++)
        {
            byte[] broken = (byte[])_cert.Clone();
            AbsurdLength.CopyTo(broken, offset);
            ParseAndVerifyMustNotSucceed(broken, $"length at {offset}");
        }
    }

    [Test]
    public void AnySingleByteChange_InACertificate_NeverVerifies()
    {
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < _cert.Length; i++)
        {
            byte[] broken = (byte[])_cert.Clone();
            broken[i] ^= 0xFF;
            ParseAndVerifyMustNotSucceed(broken, $"byte {i}");
        }

        Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(10)));
    }

    /// <summary>A damaged certificate either fails to parse with a protocol error or parses and fails its CA check.</summary>
    private static void ParseAndVerifyMustNotSucceed(byte[] blob, string what)
    {
        try
        {
            Assert.That(SshCertificate.Parse(blob).VerifySignature(), Is.False, what);
        }
        catch (SshProtocolException)
        {
            // Refused as malformed: the other acceptable outcome.
        }
    }

    [Test]
    public void WrongKeyTypeString_Throws()
    {
        byte[] key = Blob(w =>
        {
            w.WriteAscii("ssh-ed25519x");
            w.WriteString(new byte[32]);
        });
        Assert.Throws<SshProtocolException>(() => HostKeyAlgorithmRegistry.Verify("ssh-ed25519", key, Data, _ed25519.SignatureBlob));
    }

    [Test]
    public void Rsa768BitKey_IsRefused()
    {
        byte[] modulus = new byte[768 / 8];
        Array.Fill(modulus, (byte)0xC3); // top bit set (exactly 768 bits) and odd
        byte[] key = RsaKey([0x01, 0x00, 0x01], modulus);
        byte[] signature = HostKeySignatureTests.SignatureBlob("rsa-sha2-256", new byte[modulus.Length]);

        var e = Assert.Throws<SshProtocolException>(() => HostKeyAlgorithmRegistry.Verify("rsa-sha2-256", key, Data, signature));
        Assert.That(e!.Message, Does.Contain("768"));
    }

    [Test]
    public void Rsa1024BitKey_IsAccepted_AndAWrongSignatureIsFalse()
    {
        using var rsa = System.Security.Cryptography.RSA.Create(1024);
        var p = rsa.ExportParameters(false);
        byte[] key = RsaKey(p.Exponent!, p.Modulus!);
        byte[] signature = HostKeySignatureTests.SignatureBlob("rsa-sha2-256", new byte[128]);
        Assert.That(HostKeyAlgorithmRegistry.Verify("rsa-sha2-256", key, Data, signature), Is.False);
    }

    [TestCase(new byte[] { 0x01 })]              // e = 1: every value is its own signature
    [TestCase(new byte[] { 0x01, 0x00, 0x00 })]  // even
    [TestCase(new byte[0])]                      // zero
    [TestCase(new byte[] { 0x01, 0, 0, 0, 0, 0, 0, 0, 1 })] // 65 bits
    public void RsaKeyWithBadExponent_IsRefused(byte[] exponent)
    {
        byte[] modulus = new byte[256];
        Array.Fill(modulus, (byte)0xC3);
        byte[] signature = HostKeySignatureTests.SignatureBlob("rsa-sha2-256", new byte[256]);
        Assert.Throws<SshProtocolException>(() => HostKeyAlgorithmRegistry.Verify("rsa-sha2-256", RsaKey(exponent, modulus), Data, signature));
    }

    [Test]
    public void RsaEmptySignature_Throws()
    {
        byte[] signature = HostKeySignatureTests.SignatureBlob("rsa-sha2-512", []);
        Assert.Throws<SshProtocolException>(() => HostKeyAlgorithmRegistry.Verify("rsa-sha2-512", _rsa.PublicKeyBlob, _rsa.SignedData, signature));
    }

    [TestCase(31)]
    [TestCase(33)]
    public void Ed25519KeyOfWrongLength_Throws(int length)
    {
        byte[] key = Blob(w =>
        {
            w.WriteAscii("ssh-ed25519");
            w.WriteString(new byte[length]);
        });
        Assert.Throws<SshProtocolException>(() => HostKeyAlgorithmRegistry.Verify("ssh-ed25519", key, Data, _ed25519.SignatureBlob));
    }

    [Test]
    public void Ed25519KeyNotOnTheCurve_Throws()
    {
        // y = p = 2^255 - 19 is not a canonical field element, so no point encodes to it (RFC 8032 §5.1.3 step 1).
        byte[] point = new byte[32];
        Array.Fill(point, (byte)0xFF);
        point[0] = 0xED;
        point[31] = 0x7F;
        byte[] key = Blob(w =>
        {
            w.WriteAscii("ssh-ed25519");
            w.WriteString(point);
        });
        Assert.Throws<SshProtocolException>(() => HostKeyAlgorithmRegistry.Verify("ssh-ed25519", key, Data, _ed25519.SignatureBlob));
    }

    [TestCase(63)]
    [TestCase(65)]
    public void Ed25519SignatureOfWrongLength_Throws(int length)
    {
        byte[] signature = HostKeySignatureTests.SignatureBlob("ssh-ed25519", new byte[length]);
        Assert.Throws<SshProtocolException>(() => HostKeyAlgorithmRegistry.Verify("ssh-ed25519", _ed25519.PublicKeyBlob, _ed25519.SignedData, signature));
    }

    [Test]
    public void EcdsaKeyNamingAnotherCurve_Throws()
    {
        var (_, q) = EcdsaParts(_ecdsa256.PublicKeyBlob);
        byte[] key = Blob(w =>
        {
            w.WriteAscii("ecdsa-sha2-nistp256");
            w.WriteAscii("nistp384");
            w.WriteString(q);
        });
        Assert.Throws<SshProtocolException>(() => HostKeyAlgorithmRegistry.Verify("ecdsa-sha2-nistp256", key, _ecdsa256.SignedData, _ecdsa256.SignatureBlob));
    }

    [Test]
    public void EcdsaCompressedPoint_Throws()
    {
        var (curve, q) = EcdsaParts(_ecdsa256.PublicKeyBlob);
        byte[] compressed = [(byte)(0x02 | (q[^1] & 1)), .. q.AsSpan(1, 32)];
        byte[] key = EcdsaKey(curve, compressed);
        Assert.Throws<SshProtocolException>(() => HostKeyAlgorithmRegistry.Verify("ecdsa-sha2-nistp256", key, _ecdsa256.SignedData, _ecdsa256.SignatureBlob));
    }

    [Test]
    public void EcdsaPointOffTheCurve_Throws()
    {
        var (curve, q) = EcdsaParts(_ecdsa256.PublicKeyBlob);
        q[^1] ^= 0x01;
        var e = Assert.Throws<SshProtocolException>(() =>
            HostKeyAlgorithmRegistry.Verify("ecdsa-sha2-nistp256", EcdsaKey(curve, q), _ecdsa256.SignedData, _ecdsa256.SignatureBlob));
        Assert.That(e!.Message, Does.Contain("not on"));
    }

    [Test]
    public void EcdsaSignatureWithROrSWiderThanTheOrder_Throws()
    {
        byte[] inner = Blob(w =>
        {
            w.WriteMPInt([1, .. new byte[32]]); // 33 bytes: wider than the 256-bit order
            w.WriteMPInt([1]);
        });
        byte[] signature = HostKeySignatureTests.SignatureBlob("ecdsa-sha2-nistp256", inner);
        Assert.Throws<SshProtocolException>(() => HostKeyAlgorithmRegistry.Verify("ecdsa-sha2-nistp256", _ecdsa256.PublicKeyBlob, _ecdsa256.SignedData, signature));
    }

    [Test]
    public void EcdsaSignatureWithNegativeR_Throws()
    {
        byte[] inner = Blob(w =>
        {
            w.WriteString([0x80, 1]);
            w.WriteMPInt([1]);
        });
        byte[] signature = HostKeySignatureTests.SignatureBlob("ecdsa-sha2-nistp256", inner);
        Assert.Throws<SshProtocolException>(() => HostKeyAlgorithmRegistry.Verify("ecdsa-sha2-nistp256", _ecdsa256.PublicKeyBlob, _ecdsa256.SignedData, signature));
    }

    [Test]
    public void EcdsaSignatureWithZeroRAndS_IsFalse()
    {
        byte[] inner = Blob(w =>
        {
            w.WriteMPInt([]);
            w.WriteMPInt([]);
        });
        byte[] signature = HostKeySignatureTests.SignatureBlob("ecdsa-sha2-nistp256", inner);
        Assert.That(HostKeyAlgorithmRegistry.Verify("ecdsa-sha2-nistp256", _ecdsa256.PublicKeyBlob, _ecdsa256.SignedData, signature), Is.False);
    }

    [Test]
    public void TrailingBytesAfterKey_Throw()
    {
        byte[] key = [.. _ed25519.PublicKeyBlob, 0];
        Assert.Throws<SshProtocolException>(() => HostKeyAlgorithmRegistry.Verify("ssh-ed25519", key, _ed25519.SignedData, _ed25519.SignatureBlob));
        byte[] cert = [.. _cert, 0];
        Assert.Throws<SshProtocolException>(() => SshCertificate.Parse(cert));
    }

    [Test]
    public void Certificate_OfUnknownCertificateType_Throws()
    {
        byte[] cert = CertificateBuilder.Build(_edCaBlob, type: 3);
        Assert.That(SshCertificate.Parse(CertificateBuilder.Build(_edCaBlob)).Type, Is.EqualTo(SshCertificateType.Host), "builder baseline parses");
        Assert.Throws<SshProtocolException>(() => SshCertificate.Parse(cert));
    }

    [Test]
    public void Certificate_WithUnsupportedKeyType_Throws()
    {
        byte[] cert = Blob(w =>
        {
            w.WriteAscii("ssh-dss-cert-v01@openssh.com");
            w.WriteString(new byte[32]);
        });
        Assert.Throws<SshProtocolException>(() => SshCertificate.Parse(cert));
    }

    [Test]
    public void Certificate_WithTooManyPrincipals_Throws()
    {
        var names = Enumerable.Range(0, SshCertificate.MaxPrincipals + 1).Select(i => "h" + i).ToArray();
        Assert.That(SshCertificate.Parse(CertificateBuilder.Build(_edCaBlob, principals: names[..SshCertificate.MaxPrincipals])).ValidPrincipals, Has.Count.EqualTo(SshCertificate.MaxPrincipals));
        Assert.Throws<SshProtocolException>(() => SshCertificate.Parse(CertificateBuilder.Build(_edCaBlob, principals: names)));
    }

    [Test]
    public void Certificate_WithNulInPrincipal_Throws()
    {
        Assert.Throws<SshProtocolException>(() => SshCertificate.Parse(CertificateBuilder.Build(_edCaBlob, principals: ["host1\0.evil"])));
    }

    [Test]
    public void Certificate_WithRepeatedExtension_Throws()
    {
        Assert.Throws<SshProtocolException>(() => SshCertificate.Parse(CertificateBuilder.Build(_edCaBlob, extensions: ["permit-pty", "permit-pty"])));
    }

    [Test]
    public void Certificate_WithMalformedSignatureBlob_Throws()
    {
        Assert.Throws<SshProtocolException>(() => SshCertificate.Parse(CertificateBuilder.Build(_edCaBlob, signatureBlob: [0, 0, 0, 1])));
    }

    internal static byte[] Blob(Action<SshWriter> write)
    {
        using var buffer = new PooledBufferWriter();
        write(new SshWriter(buffer));
        return buffer.ToArray();
    }

    private static byte[] RsaKey(byte[] e, byte[] n) => Blob(w =>
    {
        w.WriteAscii("ssh-rsa");
        w.WriteMPInt(e);
        w.WriteMPInt(n);
    });

    private static byte[] EcdsaKey(string curve, byte[] q) => Blob(w =>
    {
        w.WriteAscii("ecdsa-sha2-" + curve);
        w.WriteAscii(curve);
        w.WriteString(q);
    });

    private static (string Curve, byte[] Q) EcdsaParts(byte[] blob)
    {
        var r = new SshReader(blob);
        r.ReadAscii();
        return (r.ReadAscii(), r.ReadStringAsArray());
    }
}
