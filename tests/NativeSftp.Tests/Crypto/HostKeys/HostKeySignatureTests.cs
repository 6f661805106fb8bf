using System.Security.Cryptography;
using NativeSftp.Crypto.HostKeys;
using NativeSftp.Tests.Fixtures;
using NativeSftp.Wire;

namespace NativeSftp.Tests.Crypto.HostKeys;

/// <summary>Host-key signatures made by OpenSSH (ssh-keygen -Y sign) verified by <see cref="HostKeyAlgorithmRegistry"/>.</summary>
[TestFixture]
public class HostKeySignatureTests
{
    private static readonly byte[] Message = "exchange hash stand-in: the quick brown fox"u8.ToArray();

    private OpenSshKeyFolder _folder = null!;
    private readonly Dictionary<string, string> _keys = [];

    [OneTimeSetUp]
    public void GenerateKeys()
    {
        _folder = new OpenSshKeyFolder();
        _keys["ed25519"] = _folder.Generate("ed25519", "ed25519");
        _keys["ecdsa256"] = _folder.Generate("ecdsa256", "ecdsa", 256);
        _keys["ecdsa384"] = _folder.Generate("ecdsa384", "ecdsa", 384);
        _keys["ecdsa521"] = _folder.Generate("ecdsa521", "ecdsa", 521);
        _keys["rsa2048"] = _folder.Generate("rsa2048", "rsa", 2048);
        _keys["rsa3072"] = _folder.Generate("rsa3072", "rsa", 3072);
    }

    [OneTimeTearDown]
    public void DeleteKeys() => _folder.Dispose();

    // ssh-keygen -Y sign signs RSA keys with rsa-sha2-512 (PROTOCOL.sshsig: "rsa-sha2-512 is the recommended").
    [TestCase("ed25519", "ssh-ed25519")]
    [TestCase("ecdsa256", "ecdsa-sha2-nistp256")]
    [TestCase("ecdsa384", "ecdsa-sha2-nistp384")]
    [TestCase("ecdsa521", "ecdsa-sha2-nistp521")]
    [TestCase("rsa2048", "rsa-sha2-512")]
    [TestCase("rsa3072", "rsa-sha2-512")]
    public void Verify_OpenSshSignature_IsTrue_AndFalseAfterOneByteChanges(string key, string algorithm)
    {
        var sig = _folder.SignSshsig(_keys[key], Message);

        Assert.That(HostKeyAlgorithmRegistry.Verify(algorithm, sig.PublicKeyBlob, sig.SignedData, sig.SignatureBlob), Is.True);

        byte[] data = (byte[])sig.SignedData.Clone();
        data[^1] ^= 0x01;
        Assert.That(HostKeyAlgorithmRegistry.Verify(algorithm, sig.PublicKeyBlob, data, sig.SignatureBlob), Is.False, "changed data");

        // The last byte lies inside the raw signature (Ed25519 S, ECDSA s, RSA S), so the blob stays well-formed.
        byte[] signature = (byte[])sig.SignatureBlob.Clone();
        signature[^1] ^= 0x01;
        Assert.That(HostKeyAlgorithmRegistry.Verify(algorithm, sig.PublicKeyBlob, sig.SignedData, signature), Is.False, "changed signature");

        // A byte in the middle of the signature too (ECDSA: inside r).
        signature = (byte[])sig.SignatureBlob.Clone();
        signature[signature.Length - 40] ^= 0x10;
        Assert.That(HostKeyAlgorithmRegistry.Verify(algorithm, sig.PublicKeyBlob, sig.SignedData, signature), Is.False, "changed signature middle");
    }

    [Test]
    public void Verify_RsaSha2_256_MadeByOpenSsh_IsTrue()
    {
        // ssh-keygen -Y always picks rsa-sha2-512, but a CA signs a certificate with the algorithm given by -t, so the
        // certificate's own signature is an OpenSSH rsa-sha2-256 signature over the certificate's leading bytes.
        string ca = _keys["rsa2048"];
        string subject = _folder.Generate("subject-for-256", "ed25519");
        byte[] certBlob = _folder.Certify(ca, subject + ".pub", "-t", "rsa-sha2-256", "-I", "id", "-h", "-n", "h");
        var cert = SshCertificate.Parse(certBlob);
        Assert.That(cert.SignatureAlgorithm, Is.EqualTo("rsa-sha2-256"));
        byte[] signatureBlob = cert.Signature.ToArray();
        byte[] signed = certBlob.AsSpan(0, certBlob.Length - 4 - signatureBlob.Length).ToArray();
        byte[] caBlob = OpenSshKeyFolder.ReadPublicKey(ca + ".pub").ToArray();

        Assert.That(HostKeyAlgorithmRegistry.Verify("rsa-sha2-256", caBlob, signed, signatureBlob), Is.True);
        signed[10] ^= 0x01;
        Assert.That(HostKeyAlgorithmRegistry.Verify("rsa-sha2-256", caBlob, signed, signatureBlob), Is.False);
    }

    [Test]
    public void Verify_RsaSignatureShorterThanModulus_IsLeftPadded()
    {
        // About one RSA signature in 256 starts with a zero byte; some signers send it without that byte and
        // OpenSSH accepts it. Sign with the OpenSSH-generated key (converted to PEM by ssh-keygen) until one does.
        string key = _folder.Generate("rsa-pem", "rsa", 2048);
        TestKeys.Run("/usr/bin/ssh-keygen", ["-q", "-p", "-m", "PEM", "-N", "", "-P", "", "-f", key]);
        using var rsa = RSA.Create();
        rsa.ImportFromPem(File.ReadAllText(key));
        byte[] publicKeyBlob = OpenSshKeyFolder.ReadPublicKey(key + ".pub").ToArray();

        byte[] data = new byte[16];
        byte[] signature;
        int counter = 0;
        do
        {
            BitConverter.TryWriteBytes(data, counter++);
            signature = rsa.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        }
        while (signature[0] != 0 && counter < 20_000);
        Assert.That(signature[0], Is.Zero, "no signature with a leading zero byte found");

        byte[] shortened = signature.AsSpan(1).ToArray();
        Assert.That(HostKeyAlgorithmRegistry.Verify("rsa-sha2-256", publicKeyBlob, data, SignatureBlob("rsa-sha2-256", shortened)), Is.True);
        Assert.That(HostKeyAlgorithmRegistry.Verify("rsa-sha2-256", publicKeyBlob, data, SignatureBlob("rsa-sha2-256", signature)), Is.True);
    }

    [Test]
    public void Verify_RsaSignatureLongerThanModulus_Throws()
    {
        var sig = _folder.SignSshsig(_keys["rsa2048"], Message);
        var inner = InnerSignature(sig.SignatureBlob);
        byte[] longer = [0, .. inner];
        Assert.Throws<SshProtocolException>(() =>
            HostKeyAlgorithmRegistry.Verify("rsa-sha2-512", sig.PublicKeyBlob, sig.SignedData, SignatureBlob("rsa-sha2-512", longer)));
    }

    [Test]
    public void Verify_SignatureAlgorithmOtherThanNegotiated_Throws()
    {
        // The server signed with rsa-sha2-512 while rsa-sha2-256 was negotiated (RFC 8332 §3 forbids it).
        var sig = _folder.SignSshsig(_keys["rsa2048"], Message);
        var e = Assert.Throws<SshProtocolException>(() =>
            HostKeyAlgorithmRegistry.Verify("rsa-sha2-256", sig.PublicKeyBlob, sig.SignedData, sig.SignatureBlob));
        Assert.That(e!.Message, Does.Contain("rsa-sha2-512"));
    }

    [Test]
    public void Verify_SshRsaSha1SignatureName_Throws()
    {
        var sig = _folder.SignSshsig(_keys["rsa2048"], Message);
        byte[] renamed = SignatureBlob("ssh-rsa", InnerSignature(sig.SignatureBlob));
        Assert.Throws<SshProtocolException>(() =>
            HostKeyAlgorithmRegistry.Verify("rsa-sha2-512", sig.PublicKeyBlob, sig.SignedData, renamed));
    }

    [Test]
    public void Verify_KeyOfAnotherTypeThanNegotiated_Throws()
    {
        var sig = _folder.SignSshsig(_keys["ed25519"], Message);
        var e = Assert.Throws<SshProtocolException>(() =>
            HostKeyAlgorithmRegistry.Verify("ecdsa-sha2-nistp256", sig.PublicKeyBlob, sig.SignedData, sig.SignatureBlob));
        Assert.That(e!.Reason, Is.EqualTo(DisconnectReason.KeyExchangeFailed));
    }

    [Test]
    public void Verify_EcdsaKeyOnOtherCurveThanItsType_Throws()
    {
        // A nistp384 signature checked as nistp256: the key blob says nistp384, so the type check refuses it.
        var sig = _folder.SignSshsig(_keys["ecdsa384"], Message);
        Assert.Throws<SshProtocolException>(() =>
            HostKeyAlgorithmRegistry.Verify("ecdsa-sha2-nistp256", sig.PublicKeyBlob, sig.SignedData, sig.SignatureBlob));
    }

    [Test]
    public void Verify_TrailingBytesAfterSignature_Throws()
    {
        var sig = _folder.SignSshsig(_keys["ed25519"], Message);
        byte[] longer = [.. sig.SignatureBlob, 0];
        Assert.Throws<SshProtocolException>(() =>
            HostKeyAlgorithmRegistry.Verify("ssh-ed25519", sig.PublicKeyBlob, sig.SignedData, longer));
    }

    [Test]
    public void Verify_EcdsaSignatureWithRedundantLeadingZero_IsAccepted_AsOpenSshDoes()
    {
        var sig = _folder.SignSshsig(_keys["ecdsa256"], Message);
        var r = new SshReader(InnerSignature(sig.SignatureBlob));
        byte[] rBytes = r.ReadStringAsArray();
        byte[] sBytes = r.ReadStringAsArray();
        using var inner = new PooledBufferWriter();
        var w = new SshWriter(inner);
        w.WriteString([0, 0, .. rBytes]);
        w.WriteString(sBytes);
        byte[] padded = SignatureBlob("ecdsa-sha2-nistp256", inner.ToArray());
        Assert.That(HostKeyAlgorithmRegistry.Verify("ecdsa-sha2-nistp256", sig.PublicKeyBlob, sig.SignedData, padded), Is.True);
    }

    [Test]
    public void Verify_UnsupportedAlgorithmName_ThrowsArgumentException()
    {
        var sig = _folder.SignSshsig(_keys["ed25519"], Message);
        Assert.Throws<ArgumentException>(() => HostKeyAlgorithmRegistry.Verify("ssh-rsa", sig.PublicKeyBlob, sig.SignedData, sig.SignatureBlob));
    }

    internal static byte[] SignatureBlob(string algorithm, byte[] signature)
    {
        using var buffer = new PooledBufferWriter();
        var w = new SshWriter(buffer);
        w.WriteAscii(algorithm);
        w.WriteString(signature);
        return buffer.ToArray();
    }

    private static byte[] InnerSignature(byte[] signatureBlob)
    {
        var r = new SshReader(signatureBlob);
        r.ReadAscii();
        return r.ReadStringAsArray();
    }
}
