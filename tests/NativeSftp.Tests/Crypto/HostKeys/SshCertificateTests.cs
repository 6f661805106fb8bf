using NativeSftp.Crypto.HostKeys;
using NativeSftp.Wire;

namespace NativeSftp.Tests.Crypto.HostKeys;

/// <summary>Certificates made by ssh-keygen -s, parsed and checked by <see cref="SshCertificate"/>.</summary>
[TestFixture]
public class SshCertificateTests
{
    // ssh-keygen -V 20300101000000Z:20300102000000Z; 2030-01-01T00:00:00Z is 1893456000 s after the epoch.
    private const ulong Jan1st2030 = 1_893_456_000;
    private const ulong Jan2nd2030 = Jan1st2030 + 86_400;

    private OpenSshKeyFolder _folder = null!;
    private string _edCa = null!;
    private string _rsaCa = null!;
    private string _ecdsaCa = null!;
    private string _hostEd25519 = null!;
    private string _hostRsa = null!;
    private string _hostEcdsa384 = null!;

    [OneTimeSetUp]
    public void GenerateKeys()
    {
        _folder = new OpenSshKeyFolder();
        _edCa = _folder.Generate("ca-ed25519", "ed25519");
        _rsaCa = _folder.Generate("ca-rsa", "rsa", 2048);
        _ecdsaCa = _folder.Generate("ca-ecdsa", "ecdsa", 521);
        _hostEd25519 = _folder.Generate("host-ed25519", "ed25519");
        _hostRsa = _folder.Generate("host-rsa", "rsa", 2048);
        _hostEcdsa384 = _folder.Generate("host-ecdsa384", "ecdsa", 384);
    }

    [OneTimeTearDown]
    public void DeleteKeys() => _folder.Dispose();

    [Test]
    public void Parse_HostCertificate_ReadsEveryField()
    {
        byte[] blob = _folder.Certify(_edCa, _hostEd25519 + ".pub",
            "-I", "host key id", "-h", "-n", "host1,host2", "-z", "42", "-V", "20300101000000Z:20300102000000Z");

        var cert = SshCertificate.Parse(blob);

        Assert.Multiple(() =>
        {
            Assert.That(cert.CertificateKeyType, Is.EqualTo("ssh-ed25519-cert-v01@openssh.com"));
            Assert.That(cert.Nonce.Length, Is.EqualTo(32), "OpenSSH writes a 32-byte random nonce");
            Assert.That(cert.CertifiedKey, Is.EqualTo(OpenSshKeyFolder.ReadPublicKey(_hostEd25519 + ".pub")));
            Assert.That(cert.Serial, Is.EqualTo(42UL));
            Assert.That(cert.Type, Is.EqualTo(SshCertificateType.Host));
            Assert.That(cert.KeyId, Is.EqualTo("host key id"));
            Assert.That(cert.ValidPrincipals, Is.EqualTo(new[] { "host1", "host2" }));
            Assert.That(cert.ValidAfter, Is.EqualTo(Jan1st2030));
            Assert.That(cert.ValidBefore, Is.EqualTo(Jan2nd2030));
            Assert.That(cert.CriticalOptions, Is.Empty);
            Assert.That(cert.Extensions, Is.Empty, "host certificates carry no extensions");
            Assert.That(cert.Reserved.Length, Is.Zero);
            Assert.That(cert.SignatureKey, Is.EqualTo(OpenSshKeyFolder.ReadPublicKey(_edCa + ".pub")));
            Assert.That(cert.SignatureAlgorithm, Is.EqualTo("ssh-ed25519"));
            Assert.That(cert.Blob.SequenceEqual(blob), Is.True);
            Assert.That(cert.VerifySignature(), Is.True);
        });
    }

    [Test]
    public void Parse_UserCertificate_ReadsCriticalOptionsAndExtensions()
    {
        byte[] blob = _folder.Certify(_rsaCa, _hostEcdsa384 + ".pub",
            "-I", "user", "-n", "alice", "-O", "clear", "-O", "force-command=/bin/true", "-O", "source-address=127.0.0.1/32",
            "-O", "permit-pty");

        var cert = SshCertificate.Parse(blob);

        Assert.That(cert.CertificateKeyType, Is.EqualTo("ecdsa-sha2-nistp384-cert-v01@openssh.com"));
        Assert.That(cert.Type, Is.EqualTo(SshCertificateType.User));
        Assert.That(cert.ValidAfter, Is.Zero, "no -V: valid from the beginning");
        Assert.That(cert.ValidBefore, Is.EqualTo(SshCertificate.Forever));
        Assert.That(cert.CriticalOptions.Select(o => o.Name), Is.EqualTo(new[] { "force-command", "source-address" }));
        Assert.That(StringData(cert.CriticalOptions[0].Data), Is.EqualTo("/bin/true"));
        Assert.That(StringData(cert.CriticalOptions[1].Data), Is.EqualTo("127.0.0.1/32"));
        Assert.That(cert.Extensions.Select(o => o.Name), Is.EqualTo(new[] { "permit-pty" }));
        Assert.That(cert.Extensions[0].Data.Length, Is.Zero);
        Assert.That(cert.CertifiedKey, Is.EqualTo(OpenSshKeyFolder.ReadPublicKey(_hostEcdsa384 + ".pub")));
        Assert.That(cert.SignatureAlgorithm, Is.EqualTo("rsa-sha2-512"), "OpenSSH's default for RSA CAs");
        Assert.That(cert.VerifySignature(), Is.True);
    }

    [TestCase("ca-ed25519")]
    [TestCase("ca-rsa")]
    [TestCase("ca-ecdsa")]
    public void VerifySignature_IsTrue_ForEachCaType_AndFalseWhenTampered(string caName)
    {
        string ca = System.IO.Path.Combine(_folder.Path, caName);
        byte[] blob = _folder.Certify(ca, _hostRsa + ".pub", "-I", "id", "-h", "-n", "host1,host2", "-V", "+1h");
        Assert.That(SshCertificate.Parse(blob).VerifySignature(), Is.True);

        // Change one letter of the key id ("id" -> "ie"): still well-formed, no longer what the CA signed.
        byte[] tampered = (byte[])blob.Clone();
        int at = IndexOf(tampered, "\0\0\0\u0002id"u8) + 5;
        tampered[at] = (byte)'e';
        var cert = SshCertificate.Parse(tampered);
        Assert.That(cert.KeyId, Is.EqualTo("ie"));
        Assert.That(cert.VerifySignature(), Is.False);

        // A principal changed the same way: a CA signature cannot be moved to another host name.
        tampered = (byte[])blob.Clone();
        at = IndexOf(tampered, "host2"u8);
        tampered[at + 4] = (byte)'3';
        cert = SshCertificate.Parse(tampered);
        Assert.That(cert.HasPrincipal("host3"), Is.True);
        Assert.That(cert.VerifySignature(), Is.False);

        // The last byte is inside the raw signature.
        tampered = (byte[])blob.Clone();
        tampered[^1] ^= 0x01;
        Assert.That(SshCertificate.Parse(tampered).VerifySignature(), Is.False);
    }

    [Test]
    public void IsValidAt_IsInsideTheWindowOnly()
    {
        byte[] blob = _folder.Certify(_edCa, _hostEd25519 + ".pub", "-I", "id", "-h", "-n", "h", "-V", "20300101000000Z:20300102000000Z");
        var cert = SshCertificate.Parse(blob);
        var start = DateTimeOffset.FromUnixTimeSeconds((long)Jan1st2030);
        var end = DateTimeOffset.FromUnixTimeSeconds((long)Jan2nd2030);

        Assert.That(cert.IsValidAt(start), Is.True, "valid after is inclusive");
        Assert.That(cert.IsValidAt(start.AddHours(12)), Is.True);
        Assert.That(cert.IsValidAt(start.AddSeconds(-1)), Is.False, "not yet valid");
        Assert.That(cert.IsValidAt(end.AddSeconds(-1)), Is.True);
        Assert.That(cert.IsValidAt(end), Is.False, "valid before is exclusive");
        Assert.That(cert.IsValidAt(DateTimeOffset.UnixEpoch.AddDays(-1)), Is.False);
    }

    [Test]
    public void IsValidAt_OneHourCertificate_IsValidNowAndNotInTwoHours()
    {
        byte[] blob = _folder.Certify(_edCa, _hostEd25519 + ".pub", "-I", "id", "-h", "-n", "h", "-V", "+1h");
        var cert = SshCertificate.Parse(blob);
        Assert.That(cert.IsValidAt(DateTimeOffset.UtcNow), Is.True);
        Assert.That(cert.IsValidAt(DateTimeOffset.UtcNow.AddHours(2)), Is.False);
        Assert.That(cert.IsValidAt(DateTimeOffset.UtcNow.AddHours(-1)), Is.False);
    }

    [Test]
    public void ForeverCertificate_IsValidFarInTheFuture()
    {
        byte[] blob = _folder.Certify(_edCa, _hostEd25519 + ".pub", "-I", "id", "-h", "-n", "h");
        var cert = SshCertificate.Parse(blob);
        Assert.That(cert.ValidBefore, Is.EqualTo(SshCertificate.Forever));
        Assert.That(cert.IsValidAt(DateTimeOffset.MaxValue), Is.True);
    }

    [Test]
    public void HasPrincipal_MatchesListedNamesExactly()
    {
        byte[] blob = _folder.Certify(_edCa, _hostEd25519 + ".pub", "-I", "id", "-h", "-n", "host1,host2.example.com");
        var cert = SshCertificate.Parse(blob);
        Assert.That(cert.HasPrincipal("host1"), Is.True);
        Assert.That(cert.HasPrincipal("host2.example.com"), Is.True);
        Assert.That(cert.HasPrincipal("HOST1"), Is.False);
        Assert.That(cert.HasPrincipal("host"), Is.False);
        Assert.That(cert.HasPrincipal("host3"), Is.False);
    }

    [TestCase("rsa-sha2-512-cert-v01@openssh.com", "host-rsa")]
    [TestCase("rsa-sha2-256-cert-v01@openssh.com", "host-rsa")]
    [TestCase("ssh-ed25519-cert-v01@openssh.com", "host-ed25519")]
    [TestCase("ecdsa-sha2-nistp384-cert-v01@openssh.com", "host-ecdsa384")]
    public void RegistryVerify_WithCertificateBlob_UsesTheCertifiedKey(string algorithm, string hostKey)
    {
        string key = System.IO.Path.Combine(_folder.Path, hostKey);
        byte[] certBlob = _folder.Certify(_edCa, key + ".pub", "-I", "id", "-h", "-n", "h");
        var sig = _folder.SignSshsig(key, "H"u8.ToArray());
        byte[] signatureBlob = sig.SignatureBlob;
        if (algorithm.StartsWith("rsa-sha2-256", StringComparison.Ordinal))
        {
            // ssh-keygen -Y signs RSA with rsa-sha2-512 only: check that a 512 signature under a 256 negotiation is refused.
            Assert.Throws<SshProtocolException>(() => HostKeyAlgorithmRegistry.Verify(algorithm, certBlob, sig.SignedData, signatureBlob));
            return;
        }

        Assert.That(HostKeyAlgorithmRegistry.Verify(algorithm, certBlob, sig.SignedData, signatureBlob), Is.True);
        byte[] data = (byte[])sig.SignedData.Clone();
        data[0] ^= 1;
        Assert.That(HostKeyAlgorithmRegistry.Verify(algorithm, certBlob, data, signatureBlob), Is.False);

        // The plain algorithm with the certificate blob (or the reverse) is a type mismatch.
        string plain = algorithm.Replace("-cert-v01@openssh.com", "", StringComparison.Ordinal);
        Assert.Throws<SshProtocolException>(() => HostKeyAlgorithmRegistry.Verify(plain, certBlob, sig.SignedData, signatureBlob));
        Assert.Throws<SshProtocolException>(() => HostKeyAlgorithmRegistry.Verify(algorithm, sig.PublicKeyBlob, sig.SignedData, signatureBlob));
    }

    [Test]
    public void Parse_CaKeyThatIsACertificate_IsRefused()
    {
        byte[] caCert = _folder.Certify(_rsaCa, _edCa + ".pub", "-I", "ca", "-n", "x");
        byte[] blob = _folder.Certify(_edCa, _hostEd25519 + ".pub", "-I", "id", "-h", "-n", "h");
        var cert = SshCertificate.Parse(blob);
        byte[] forged = ReplaceTail(blob, cert.SignatureKey.Blob.Length, cert.Signature.Length, caCert, cert.Signature.ToArray());

        var e = Assert.Throws<SshProtocolException>(() => SshCertificate.Parse(forged));
        Assert.That(e!.Message, Does.Contain("itself a certificate"));
    }

    [Test]
    public void VerifySignature_WithSha1RsaCaSignature_IsFalse()
    {
        byte[] blob = _folder.Certify(_rsaCa, _hostEd25519 + ".pub", "-I", "id", "-h", "-n", "h");
        var cert = SshCertificate.Parse(blob);
        var r = new SshReader(cert.Signature);
        r.ReadAscii();
        byte[] raw = r.ReadStringAsArray();
        byte[] renamed = HostKeySignatureTests.SignatureBlob("ssh-rsa", raw);
        byte[] forged = ReplaceTail(blob, cert.SignatureKey.Blob.Length, cert.Signature.Length, cert.SignatureKey.ToArray(), renamed);

        var parsed = SshCertificate.Parse(forged);
        Assert.That(parsed.SignatureAlgorithm, Is.EqualTo("ssh-rsa"));
        Assert.That(parsed.VerifySignature(), Is.False);
    }

    [Test]
    public void VerifySignature_WithSignatureAlgorithmNotFittingTheCaKey_Throws()
    {
        byte[] blob = _folder.Certify(_edCa, _hostEd25519 + ".pub", "-I", "id", "-h", "-n", "h");
        var cert = SshCertificate.Parse(blob);
        var r = new SshReader(cert.Signature);
        r.ReadAscii();
        byte[] renamed = HostKeySignatureTests.SignatureBlob("rsa-sha2-512", r.ReadStringAsArray());
        byte[] forged = ReplaceTail(blob, cert.SignatureKey.Blob.Length, cert.Signature.Length, cert.SignatureKey.ToArray(), renamed);

        Assert.Throws<SshProtocolException>(() => SshCertificate.Parse(forged).VerifySignature());
    }

    private static string StringData(ReadOnlyMemory<byte> data)
    {
        var r = new SshReader(data.Span);
        string s = r.ReadUtf8();
        Assert.That(r.IsAtEnd, Is.True);
        return s;
    }

    private static int IndexOf(byte[] haystack, ReadOnlySpan<byte> needle)
    {
        int i = haystack.AsSpan().IndexOf(needle);
        Assert.That(i, Is.GreaterThanOrEqualTo(0), "marker not found in certificate");
        return i;
    }

    /// <summary>Rebuilds a certificate with a new signature key and signature (the last two fields).</summary>
    internal static byte[] ReplaceTail(byte[] blob, int caLength, int signatureLength, byte[] newCa, byte[] newSignature)
    {
        int prefix = blob.Length - (4 + caLength) - (4 + signatureLength);
        using var buffer = new PooledBufferWriter();
        var w = new SshWriter(buffer);
        w.WriteRaw(blob.AsSpan(0, prefix));
        w.WriteString(newCa);
        w.WriteString(newSignature);
        return buffer.ToArray();
    }
}
