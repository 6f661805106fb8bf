using NativeSftp.Crypto;
using NativeSftp.Crypto.Keys;
using NativeSftp.Wire;

namespace NativeSftp.Tests.Crypto.Keys;

/// <summary>Every key type in every file format ssh-keygen writes: loads, matches ssh-keygen, and signs verifiably.</summary>
public class KeyFileInteropTests
{
    private const string Message = "NativeSftp signs this for ssh-keygen -Y check-novalidate\n";

    private static GeneratedKeyFiles Files => GeneratedKeyFiles.Shared;

    [TestCaseSource(typeof(GeneratedKeyFiles), nameof(GeneratedKeyFiles.AllCases))]
    public async Task Load_KeyWrittenBySshKeygen_MatchesItsPublicKeyAndSignsVerifiably(string type, string format)
    {
        string path = Files.PathOf(type, format);
        string? passphrase = IsUnencrypted(format) ? null : GeneratedKeyFiles.Passphrase;

        using SshPrivateKey key = PrivateKeyFile.Load(path, passphrase);

        var yArgs = new List<string> { "-y", "-f", path };
        if (passphrase is not null)
        {
            yArgs.AddRange(["-P", passphrase]);
        }

        var expectedPublic = SshPublicKey.ParseOpenSsh(GeneratedKeyFiles.Keygen([.. yArgs]));
        string fingerprintLine = GeneratedKeyFiles.Keygen("-l", "-E", "sha256", "-f", Files.PublicKeyPathOf(type));
        string expectedFingerprint = fingerprintLine.Split(' ')[1];
        string expectedComment = format.StartsWith("openssh", StringComparison.Ordinal) ? GeneratedKeyFiles.CommentOf(type) : "";

        Assert.Multiple(() =>
        {
            Assert.That(key.PublicKey, Is.EqualTo(expectedPublic));
            Assert.That(key.PublicKey.Sha256Fingerprint, Is.EqualTo(expectedFingerprint));
            Assert.That(key.Comment, Is.EqualTo(expectedComment));
        });

        string algorithm = key.SignatureAlgorithms[0];
        string output = await SshSig.SignAndCheckWithSshKeygenAsync(key, algorithm, Message, Files.Directory);
        Assert.That(output, Does.Contain("Good \"file\" signature"));
    }

    [TestCase("ed25519", new[] { "ssh-ed25519" })]
    [TestCase("ecdsa256", new[] { "ecdsa-sha2-nistp256" })]
    [TestCase("ecdsa384", new[] { "ecdsa-sha2-nistp384" })]
    [TestCase("ecdsa521", new[] { "ecdsa-sha2-nistp521" })]
    [TestCase("rsa3072", new[] { "rsa-sha2-512", "rsa-sha2-256" })]
    public void SignatureAlgorithms_PerKeyType_AreTheModernOnesBestFirst(string type, string[] expected)
    {
        using SshPrivateKey key = PrivateKeyFile.Load(Files.PathOf(type, "openssh"));

        Assert.That(key.SignatureAlgorithms, Is.EqualTo(expected));
    }

    [Test]
    public async Task SignAsync_RsaSha256_VerifiesWithSshKeygen()
    {
        using SshPrivateKey key = PrivateKeyFile.Load(Files.PathOf("rsa3072", "openssh"));

        string output = await SshSig.SignAndCheckWithSshKeygenAsync(key, "rsa-sha2-256", Message, Files.Directory);

        Assert.That(output, Does.Contain("Good \"file\" signature"));
    }

    [Test]
    public async Task SignAsync_RsaSignature_IsModulusLengthAndNamesItsAlgorithm()
    {
        using SshPrivateKey key = PrivateKeyFile.Load(Files.PathOf("rsa3072", "pem"));

        byte[] blob = await key.SignAsync("rsa-sha2-512", "data"u8.ToArray(), CancellationToken.None);

        var reader = new SshReader(blob);
        Assert.That(reader.ReadAscii(), Is.EqualTo("rsa-sha2-512"));
        Assert.That(reader.ReadString().Length, Is.EqualTo(3072 / 8));
        Assert.That(reader.IsAtEnd, Is.True);
    }

    [Test]
    public async Task SignAsync_TamperedSignature_IsRejectedBySshKeygen()
    {
        // Proves the verification used above can fail: one flipped bit and ssh-keygen refuses.
        using SshPrivateKey key = PrivateKeyFile.Load(Files.PathOf("ed25519", "openssh"));
        byte[] blob = await key.SignAsync("ssh-ed25519", SshSig.SignedData("x"u8), CancellationToken.None);
        blob[^1] ^= 0x01;

        Assert.That(() => SshSig.CheckWithSshKeygen(key.PublicKey, blob, "x", Files.Directory), Throws.InvalidOperationException);
    }

    [Test]
    public void Sign_AlgorithmTheKeyDoesNotOffer_Throws()
    {
        using SshPrivateKey key = PrivateKeyFile.Load(Files.PathOf("rsa3072", "openssh"));

        Assert.That(() => key.Sign("ssh-rsa", "data"u8), Throws.ArgumentException.With.Message.Contains("rsa-sha2-512"));
    }

    [Test]
    public void Sign_AfterDispose_ThrowsObjectDisposed()
    {
        SshPrivateKey key = PrivateKeyFile.Load(Files.PathOf("ed25519", "openssh"));
        key.Dispose();

        Assert.That(() => key.Sign("ssh-ed25519", "data"u8), Throws.TypeOf<ObjectDisposedException>());
    }

    [Test]
    public void Parse_TextOfTheFile_GivesTheSameKeyAsLoad()
    {
        string path = Files.PathOf("ecdsa384", "pkcs8");
        using SshPrivateKey loaded = PrivateKeyFile.Load(path);
        using SshPrivateKey parsed = PrivateKeyFile.Parse(File.ReadAllText(path));

        Assert.That(parsed.PublicKey, Is.EqualTo(loaded.PublicKey));
    }

    [TestCase("ed25519", "openssh-aes256-gcm")]
    [TestCase("rsa3072", "pem-encrypted")]
    [TestCase("ecdsa256", "pkcs8")]
    public void Parse_WindowsLineEndings_GiveTheSameKey(string type, string format)
    {
        string path = Files.PathOf(type, format);
        string crlf = File.ReadAllText(path).Replace("\n", "\r\n", StringComparison.Ordinal);
        string? passphrase = IsUnencrypted(format) ? null : GeneratedKeyFiles.Passphrase;
        using SshPrivateKey loaded = PrivateKeyFile.Load(path, passphrase);

        using SshPrivateKey parsed = PrivateKeyFile.Parse(crlf, passphrase);

        Assert.That(parsed.PublicKey, Is.EqualTo(loaded.PublicKey));
    }

    [Test]
    public void SignAsync_CancelledToken_ThrowsOperationCanceled()
    {
        using SshPrivateKey key = PrivateKeyFile.Load(Files.PathOf("ecdsa256", "openssh"));
        using var cts = new CancellationTokenSource();
        cts.Cancel();

        Assert.That(async () => await key.SignAsync("ecdsa-sha2-nistp256", new byte[1], cts.Token), Throws.InstanceOf<OperationCanceledException>());
    }

    [Test]
    public void Load_MissingFile_ThrowsFileNotFound()
    {
        Assert.That(() => PrivateKeyFile.Load(Path.Combine(Files.Directory, "no-such-key")), Throws.TypeOf<FileNotFoundException>());
    }

    private static bool IsUnencrypted(string format) => format is "openssh" or "pem" or "pkcs8";
}
