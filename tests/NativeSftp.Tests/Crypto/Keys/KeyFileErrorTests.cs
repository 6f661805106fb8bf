using System.Buffers.Binary;
using System.Diagnostics;

using NativeSftp.Crypto.Keys;

namespace NativeSftp.Tests.Crypto.Keys;

/// <summary>Wrong or missing passphrases, and damaged files: a clear exception, quickly, never a hang.</summary>
public class KeyFileErrorTests
{
    /// <summary>A parse that fails must fail fast; 2 s is generous for "-a 2" bcrypt plus RSA-3072 import.</summary>
    private static readonly TimeSpan Quick = TimeSpan.FromSeconds(2);

    /// <summary>openssh-key-v1: "openssh-key-v1\0" (15) + string "none" (8) + string "none" (8) + string "" (4) = 35.</summary>
    private const int KeyCountOffset = 35;

    /// <summary>Strings in a private key entry: ed25519 type, pub, secret, comment; ecdsa type, curve, Q, d, comment.</summary>
    private const int Ed25519Strings = 4;
    private const int EcdsaStrings = 5;

    private static GeneratedKeyFiles Files => GeneratedKeyFiles.Shared;

    [TestCaseSource(typeof(GeneratedKeyFiles), nameof(GeneratedKeyFiles.EncryptedCases))]
    public void Load_EncryptedWithoutPassphrase_ThrowsPassphraseExceptionSayingNoneGiven(string type, string format)
    {
        string path = Files.PathOf(type, format);

        var e = Assert.Throws<PrivateKeyPassphraseException>(() => PrivateKeyFile.Load(path));

        Assert.That(e!.PassphraseWasGiven, Is.False);
        Assert.That(e.Path, Is.EqualTo(path));
        Assert.That(e.Message, Does.Contain("no passphrase"));
    }

    [TestCaseSource(typeof(GeneratedKeyFiles), nameof(GeneratedKeyFiles.EncryptedCases))]
    public void Load_EncryptedWithWrongPassphrase_ThrowsPassphraseException(string type, string format)
    {
        string path = Files.PathOf(type, format);

        var e = Assert.Throws<PrivateKeyPassphraseException>(() => PrivateKeyFile.Load(path, "not the passphrase"));

        Assert.That(e!.PassphraseWasGiven, Is.True);
        Assert.That(e.Message, Does.Contain("wrong passphrase"));
    }

    [TestCase("openssh-aes256-ctr", "aes256-ctr")]
    [TestCase("openssh-aes128-ctr", "aes128-ctr")]
    [TestCase("openssh-aes256-gcm", "aes256-gcm@openssh.com")]
    [TestCase("openssh-chacha20-poly1305", "chacha20-poly1305@openssh.com")]
    [TestCase("openssh-aes256-cbc", "aes256-cbc")]
    public void Load_OpenSshEncryptedFile_UsesTheCipherSshKeygenWasAskedFor(string format, string cipher)
    {
        // Guards the interop matrix: ssh-keygen really wrote the cipher each case claims to test.
        var e = Assert.Throws<PrivateKeyPassphraseException>(() => PrivateKeyFile.Load(Files.PathOf("ecdsa256", format)));

        Assert.That(e!.Message, Does.Contain("(" + cipher + ")"));
    }

    [TestCase("ed25519", "openssh")]
    [TestCase("rsa3072", "openssh")]
    [TestCase("ecdsa521", "openssh-aes256-gcm")]
    [TestCase("ecdsa256", "openssh-chacha20-poly1305")]
    [TestCase("rsa3072", "pem")]
    [TestCase("ecdsa384", "pem")]
    [TestCase("rsa3072", "pkcs8")]
    [TestCase("ecdsa256", "pkcs8")]
    public void Parse_BodyTruncatedAnywhere_ThrowsFormatExceptionQuickly(string type, string format)
    {
        var (label, body) = Unarmor(File.ReadAllText(Files.PathOf(type, format)));
        int step = Math.Max(1, body.Length / 97);
        var clock = Stopwatch.StartNew();
        for (int length = 0; length < body.Length; length += step)
        {
            string damaged = Armor(label, body.AsSpan(0, length));
            var started = clock.Elapsed;
            Assert.That(() => PrivateKeyFile.Parse(damaged, GeneratedKeyFiles.Passphrase),
                Throws.TypeOf<PrivateKeyFormatException>(), $"truncated to {length} of {body.Length} bytes");
            Assert.That(clock.Elapsed - started, Is.LessThan(Quick), $"truncated to {length} bytes");
        }
    }

    [Test]
    public void Parse_TextCutBeforeEndLine_ThrowsFormatException()
    {
        string text = File.ReadAllText(Files.PathOf("ed25519", "openssh"));

        Assert.That(() => PrivateKeyFile.Parse(text.AsSpan(0, text.Length / 2)),
            Throws.TypeOf<PrivateKeyFormatException>().With.Message.Contains("no END line"));
    }

    [Test]
    public void Parse_BodyNotBase64_ThrowsFormatException()
    {
        string text = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn*NzaC1rZXk!\n-----END OPENSSH PRIVATE KEY-----\n";

        Assert.That(() => PrivateKeyFile.Parse(text), Throws.TypeOf<PrivateKeyFormatException>().With.Message.Contains("base64"));
    }

    [Test]
    public void Parse_WrongMagic_ThrowsFormatException()
    {
        var (label, body) = Unarmor(File.ReadAllText(Files.PathOf("ed25519", "openssh")));
        body[0] ^= 0x20;

        Assert.That(() => PrivateKeyFile.Parse(Armor(label, body)),
            Throws.TypeOf<PrivateKeyFormatException>().With.Message.Contains("openssh-key-v1"));
    }

    [Test]
    public void Parse_FileClaimingTwoKeys_IsRefusedClearly()
    {
        var (label, body) = Unarmor(File.ReadAllText(Files.PathOf("ed25519", "openssh")));
        BinaryPrimitives.WriteUInt32BigEndian(body.AsSpan(KeyCountOffset), 2);

        Assert.That(() => PrivateKeyFile.Parse(Armor(label, body)),
            Throws.TypeOf<PrivateKeyFormatException>().With.Message.Contains("holds 2 keys"));
    }

    [Test]
    public void Parse_SecondKeyHiddenInPrivateSection_IsRefused()
    {
        // Count says 1, but the private section carries the key twice: more than a block of "padding" follows.
        var (label, body) = Unarmor(File.ReadAllText(Files.PathOf("ed25519", "openssh")));
        byte[] forged = DuplicatePrivateKey(body);

        Assert.That(() => PrivateKeyFile.Parse(Armor(label, forged)),
            Throws.TypeOf<PrivateKeyFormatException>().With.Message.Contains("a second key"));
    }

    [Test]
    public void Parse_UnencryptedCheckIntsDiffer_ThrowsFormatException()
    {
        var (label, body) = Unarmor(File.ReadAllText(Files.PathOf("ecdsa256", "openssh")));
        int privateStart = PrivateSectionOffset(body);
        body[privateStart] ^= 0xff;

        Assert.That(() => PrivateKeyFile.Parse(Armor(label, body)),
            Throws.TypeOf<PrivateKeyFormatException>().With.Message.Contains("check-ints"));
    }

    [Test]
    public void Parse_BadPaddingByte_ThrowsFormatException()
    {
        // ecdsa-sha2-nistp256 sections (check-ints, type, curve, Q, d, comment) are never 8-aligned: padding follows.
        var (label, body) = Unarmor(File.ReadAllText(Files.PathOf("ecdsa256", "openssh")));
        int privateStart = PrivateSectionOffset(body);
        int privateLength = (int)BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(privateStart - 4));
        int keyEnd = privateStart + KeyAndCommentEnd(body.AsSpan(privateStart), EcdsaStrings);
        Assume.That(keyEnd, Is.LessThan(privateStart + privateLength), "the ecdsa section has padding");
        body[privateStart + privateLength - 1]++;

        Assert.That(() => PrivateKeyFile.Parse(Armor(label, body)),
            Throws.TypeOf<PrivateKeyFormatException>().With.Message.Contains("padding byte"));
    }

    [Test]
    public void Parse_PublicKeyNotMatchingPrivate_ThrowsFormatException()
    {
        // Flip a bit inside the outer public key blob (its last byte): the private section no longer matches it.
        var (label, body) = Unarmor(File.ReadAllText(Files.PathOf("ed25519", "openssh")));
        int privateStart = PrivateSectionOffset(body);
        body[privateStart - 4 - 1] ^= 0x01;

        Assert.That(() => PrivateKeyFile.Parse(Armor(label, body)),
            Throws.TypeOf<PrivateKeyFormatException>().With.Message.Contains("does not match"));
    }

    [Test]
    public void Parse_EcdsaScalarNotMatchingPoint_ThrowsFormatException()
    {
        // Flip a bit in d (the string before the comment): a key that would sign with the wrong secret is refused.
        var (label, body) = Unarmor(File.ReadAllText(Files.PathOf("ecdsa256", "openssh")));
        int privateStart = PrivateSectionOffset(body);
        int scalarEnd = privateStart + KeyAndCommentEnd(body.AsSpan(privateStart), EcdsaStrings - 1);
        body[scalarEnd - 1] ^= 0x01;

        Assert.That(() => PrivateKeyFile.Parse(Armor(label, body)), Throws.TypeOf<PrivateKeyFormatException>());
    }

    [TestCase(2, "d")]
    [TestCase(3, "iqmp")]
    public void Parse_RsaPrivateFieldDamaged_ThrowsFormatException(int fieldIndex, string field)
    {
        // RSA fields after the type: n, e, d, iqmp, p, q. Flipping the low bit of d or iqmp breaks the key's algebra.
        var (label, body) = Unarmor(File.ReadAllText(Files.PathOf("rsa3072", "openssh")));
        int privateStart = PrivateSectionOffset(body);
        int fieldEnd = privateStart + KeyAndCommentEnd(body.AsSpan(privateStart), 2 + fieldIndex);
        body[fieldEnd - 1] ^= 0x01;

        var e = Assert.Throws<PrivateKeyFormatException>(() => PrivateKeyFile.Parse(Armor(label, body)), field);
        Assert.That(e!.Message, Does.Contain("RSA"));
    }

    [Test]
    public void Parse_HugeBcryptRounds_IsRefusedWithoutRunningThem()
    {
        var (label, body) = Unarmor(File.ReadAllText(Files.PathOf("ed25519", "openssh-aes256-ctr")));
        // After magic (15), string "aes256-ctr" (4+10), string "bcrypt" (4+6): string kdfoptions = string salt(16), uint32 rounds.
        int kdfOptions = 15 + 14 + 10;
        int saltLength = (int)BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(kdfOptions + 4));
        BinaryPrimitives.WriteUInt32BigEndian(body.AsSpan(kdfOptions + 8 + saltLength), uint.MaxValue);
        var clock = Stopwatch.StartNew();

        Assert.That(() => PrivateKeyFile.Parse(Armor(label, body), GeneratedKeyFiles.Passphrase),
            Throws.TypeOf<PrivateKeyFormatException>().With.Message.Contains("rounds"));
        Assert.That(clock.Elapsed, Is.LessThan(Quick));
    }

    [Test]
    public void Parse_PublicKeyLine_SaysItIsAPublicKey()
    {
        string pub = File.ReadAllText(Files.PublicKeyPathOf("ed25519"));

        Assert.That(() => PrivateKeyFile.Parse(pub), Throws.TypeOf<PrivateKeyFormatException>().With.Message.Contains("public key"));
    }

    [Test]
    public void Parse_EmptyText_ThrowsFormatException()
    {
        Assert.That(() => PrivateKeyFile.Parse(""), Throws.TypeOf<PrivateKeyFormatException>());
    }

    [Test]
    public void Parse_UnsupportedPemLabel_NamesTheLabel()
    {
        string text = "-----BEGIN DSA PRIVATE KEY-----\nAAAA\n-----END DSA PRIVATE KEY-----\n";

        Assert.That(() => PrivateKeyFile.Parse(text), Throws.TypeOf<PrivateKeyFormatException>().With.Message.Contains("DSA PRIVATE KEY"));
    }

    [Test]
    public void Load_FileLargerThanAnyKey_IsRefusedBeforeReading()
    {
        string path = Path.Combine(Files.Directory, "huge-" + Guid.NewGuid().ToString("N"));
        using (var f = File.Create(path))
        {
            f.SetLength(PrivateKeyFile.MaxFileLength + 1);
        }

        try
        {
            Assert.That(() => PrivateKeyFile.Load(path), Throws.TypeOf<PrivateKeyFormatException>().With.Message.Contains("larger than"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    internal static (string Label, byte[] Body) Unarmor(string text)
    {
        string[] lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        string label = lines[0]["-----BEGIN ".Length..^"-----".Length];
        return (label, Convert.FromBase64String(string.Concat(lines[1..^1])));
    }

    internal static string Armor(string label, ReadOnlySpan<byte> body)
    {
        string base64 = Convert.ToBase64String(body, Base64FormattingOptions.InsertLineBreaks);
        return $"-----BEGIN {label}-----\n{base64}\n-----END {label}-----\n";
    }

    /// <summary>Offset of the private section's first byte in an unencrypted openssh-key-v1 body.</summary>
    private static int PrivateSectionOffset(byte[] body)
    {
        int publicLength = (int)BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(KeyCountOffset + 4));
        return KeyCountOffset + 4 + 4 + publicLength + 4;
    }

    /// <summary>Where a private section's key and comment end: two check-ints then <paramref name="strings"/> strings.</summary>
    private static int KeyAndCommentEnd(ReadOnlySpan<byte> section, int strings)
    {
        var reader = new NativeSftp.Wire.SshReader(section);
        reader.ReadUInt32();
        reader.ReadUInt32();
        for (int i = 0; i < strings; i++)
        {
            reader.ReadString();
        }

        return reader.Position;
    }

    private static byte[] DuplicatePrivateKey(byte[] body)
    {
        int start = PrivateSectionOffset(body);
        int length = (int)BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(start - 4));
        ReadOnlySpan<byte> section = body.AsSpan(start, length);
        ReadOnlySpan<byte> checkInts = section[..8];
        ReadOnlySpan<byte> keyAndComment = section[8..KeyAndCommentEnd(section, Ed25519Strings)];

        var forged = new List<byte>();
        forged.AddRange(checkInts.ToArray());
        forged.AddRange(keyAndComment.ToArray());
        forged.AddRange(keyAndComment.ToArray());
        for (byte p = 1; forged.Count % 8 != 0; p++)
        {
            forged.Add(p);
        }

        var result = new List<byte>(body.AsSpan(0, start - 4).ToArray());
        var len = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(len, (uint)forged.Count);
        result.AddRange(len);
        result.AddRange(forged);
        return [.. result];
    }

}
