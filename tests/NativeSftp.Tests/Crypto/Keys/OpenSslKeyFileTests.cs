using NativeSftp.Crypto;
using NativeSftp.Crypto.Keys;
using NativeSftp.Tests.Fixtures;

namespace NativeSftp.Tests.Crypto.Keys;

/// <summary>
/// Key files only OpenSSL writes: Ed25519 PKCS#8 (ssh-keygen 9.x writes Ed25519 only in its own format), the
/// legacy PEM encryption with other ciphers than ssh-keygen's AES-128-CBC, PKCS#12-PBE PKCS#8, and a curve SSH
/// does not use.
/// </summary>
public class OpenSslKeyFileTests
{
    private const string OpenSsl = "/usr/bin/openssl";
    private const string Message = "signed by an OpenSSL-made key\n";
    private const string Passphrase = "openssl pass 9";

    private static GeneratedKeyFiles Files => GeneratedKeyFiles.Shared;

    [OneTimeSetUp]
    public void RequireOpenSsl()
    {
        if (!File.Exists(OpenSsl))
        {
            Assert.Fail($"{OpenSsl} is required for these tests (apt-get install openssl)");
        }
    }

    [TestCase(false)]
    [TestCase(true)]
    public async Task Load_Ed25519Pkcs8_MatchesOpenSslPublicKeyAndSignsVerifiably(bool encrypted)
    {
        string plain = Temp("ed25519.p8");
        TestKeys.Run(OpenSsl, ["genpkey", "-algorithm", "ed25519", "-out", plain]);
        string path = plain;
        if (encrypted)
        {
            path = Temp("ed25519-enc.p8");
            TestKeys.Run(OpenSsl, ["pkcs8", "-topk8", "-in", plain, "-v2", "aes-256-cbc", "-passout", "pass:" + Passphrase, "-out", path]);
        }

        using SshPrivateKey key = PrivateKeyFile.Load(path, encrypted ? Passphrase : null);

        // SubjectPublicKeyInfo for Ed25519 (RFC 8410 §4) is 12 bytes of header then the 32-byte public key.
        string derPath = Temp("ed25519.pub.der");
        TestKeys.Run(OpenSsl, ["pkey", "-in", plain, "-pubout", "-outform", "DER", "-out", derPath]);
        byte[] spki = File.ReadAllBytes(derPath);
        var expected = SshPublicKey.ParseOpenSsh("ssh-ed25519 " + Convert.ToBase64String(Ed25519Blob(spki.AsSpan(spki.Length - 32))));
        Assert.That(key.PublicKey, Is.EqualTo(expected));

        string output = await SshSig.SignAndCheckWithSshKeygenAsync(key, "ssh-ed25519", Message, Files.Directory);
        Assert.That(output, Does.Contain("Good \"file\" signature"));
    }

    [Test]
    public void Load_Ed25519Pkcs8EncryptedWrongPassphrase_ThrowsPassphraseException()
    {
        string plain = Temp("ed25519.p8");
        TestKeys.Run(OpenSsl, ["genpkey", "-algorithm", "ed25519", "-out", plain]);
        string path = Temp("ed25519-enc.p8");
        TestKeys.Run(OpenSsl, ["pkcs8", "-topk8", "-in", plain, "-v2", "aes-256-cbc", "-passout", "pass:" + Passphrase, "-out", path]);

        Assert.That(() => PrivateKeyFile.Load(path, "wrong"), Throws.TypeOf<PrivateKeyPassphraseException>());
    }

    [TestCase("rsa3072", "rsa", "-aes256")]
    [TestCase("rsa3072", "rsa", "-des3")]
    [TestCase("ecdsa384", "ec", "-aes192")]
    [TestCase("ecdsa256", "ec", "-des3")]
    public void Load_LegacyPemWithOtherCipher_MatchesSshKeygenPublicKey(string type, string tool, string cipher)
    {
        string path = Temp(type + cipher + ".pem");
        var args = new List<string> { tool, "-in", Files.PathOf(type, "pem"), cipher, "-passout", "pass:" + Passphrase, "-out", path };
        if (tool == "rsa")
        {
            args.Add("-traditional");
        }

        TestKeys.Run(OpenSsl, args);
        Assume.That(File.ReadAllText(path), Does.Contain("Proc-Type: 4,ENCRYPTED"));

        using SshPrivateKey key = PrivateKeyFile.Load(path, Passphrase);

        var expected = SshPublicKey.ParseOpenSsh(GeneratedKeyFiles.Keygen("-y", "-f", Files.PathOf(type, "openssh")));
        Assert.That(key.PublicKey, Is.EqualTo(expected));
        Assert.That(() => PrivateKeyFile.Load(path, "wrong"), Throws.TypeOf<PrivateKeyPassphraseException>());
    }

    [Test]
    public void Load_Pkcs8WithPkcs12Pbe_MatchesSshKeygenPublicKey()
    {
        string path = Temp("ecdsa521-pbe.p8");
        TestKeys.Run(OpenSsl, ["pkcs8", "-topk8", "-in", Files.PathOf("ecdsa521", "pem"), "-v1", "PBE-SHA1-3DES",
            "-passout", "pass:" + Passphrase, "-out", path]);

        using SshPrivateKey key = PrivateKeyFile.Load(path, Passphrase);

        var expected = SshPublicKey.ParseOpenSsh(GeneratedKeyFiles.Keygen("-y", "-f", Files.PathOf("ecdsa521", "openssh")));
        Assert.That(key.PublicKey, Is.EqualTo(expected));
    }

    [Test]
    public void Load_EcKeyOnCurveSshDoesNotUse_ThrowsFormatExceptionNamingIt()
    {
        string path = Temp("secp256k1.pem");
        TestKeys.Run(OpenSsl, ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:secp256k1", "-out", path]);

        Assert.That(() => PrivateKeyFile.Load(path),
            Throws.TypeOf<PrivateKeyFormatException>().With.Message.Contains("1.3.132.0.10"));
    }

    private static string Temp(string name) => Path.Combine(Files.Directory, Guid.NewGuid().ToString("N")[..8] + "-" + name);

    private static byte[] Ed25519Blob(ReadOnlySpan<byte> publicKey)
    {
        using var buffer = new NativeSftp.Wire.PooledBufferWriter();
        var w = new NativeSftp.Wire.SshWriter(buffer);
        w.WriteAscii("ssh-ed25519");
        w.WriteString(publicKey);
        return buffer.ToArray();
    }
}
