using System.Security.Cryptography;
using NativeSftp.Crypto.Ciphers;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Parameters;
using BcPoly1305 = Org.BouncyCastle.Crypto.Macs.Poly1305;

namespace NativeSftp.Tests.Crypto.Ciphers;

/// <summary>
/// Known-answer vectors, checked in as hex, for each primitive the packet ciphers stand on. Sources:
/// RFC 8439 §2.3.2 (ChaCha20 block) and §2.5.2 (Poly1305); NIST SP 800-38A F.5.1 (CTR-AES128);
/// McGrew and Viega, "The Galois/Counter Mode of Operation", test cases 3 and 4 (AES-128-GCM, also in NIST's
/// GCM test data).
/// </summary>
[TestFixture]
public class PrimitiveKnownAnswerTests
{
    private static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));

    [Test]
    public void ChaCha20Block_MatchesRfc8439Section2_3_2()
    {
        byte[] key = Hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
        uint[] words = new uint[ChaCha20.KeyWords];
        ChaCha20.LoadKey(key, words);

        // RFC 8439 puts a 32-bit counter (1) in word 12 and nonce 000000090000004a00000000 in words 13-15. In the
        // original 64/64 layout the same state is counter = word12 | word13 << 32 and nonce = words 14-15.
        ulong counter = 1 | ((ulong)0x09000000 << 32);
        byte[] nonce = Hex("0000004a00000000");
        byte[] block = new byte[64];
        ChaCha20.Block(words, counter, nonce, block);

        Assert.That(Convert.ToHexString(block), Is.EqualTo(
            "10F1E7E4D13B5915500FDD1FA32071C4C7D1F4C733C068030422AA9AC3D46C4E" +
            "D2826446079FAA0914C2D705D98B02A2B5129CD1DE164EB9CBD083E8A2503C4E"));
    }

    [Test]
    public void ChaCha20Xor_MatchesBouncyCastleChaChaEngine_AcrossBlocks()
    {
        var random = new Random(8439);
        byte[] key = new byte[32];
        byte[] nonce = new byte[8];
        byte[] data = new byte[1000];
        random.NextBytes(key);
        random.NextBytes(nonce);
        random.NextBytes(data);

        var engine = new ChaChaEngine(20);
        engine.Init(true, new ParametersWithIV(new KeyParameter(key), nonce));
        byte[] expected = new byte[data.Length];
        engine.ProcessBytes(data, 0, data.Length, expected, 0);

        uint[] words = new uint[ChaCha20.KeyWords];
        ChaCha20.LoadKey(key, words);
        byte[] actual = new byte[data.Length];
        ChaCha20.Xor(words, 0, nonce, data, actual);

        Assert.That(actual, Is.EqualTo(expected));
    }

    // 14 blocks run as one eight-block batch (AVX2), one four-block batch and two single blocks; the two starts
    // put the 32-bit counter carry inside the eight-block and inside the four-block batch respectively.
    [TestCase(0xFFFFFFFEUL)]
    [TestCase(0xFFFFFFF6UL)]
    public void ChaCha20Xor_VectorPaths_MatchSingleBlocks_AcrossThe32BitCounterCarry(ulong start)
    {
        var random = new Random(32);
        byte[] key = new byte[32];
        byte[] nonce = new byte[8];
        random.NextBytes(key);
        random.NextBytes(nonce);
        uint[] words = new uint[ChaCha20.KeyWords];
        ChaCha20.LoadKey(key, words);
        const int Blocks = 14;

        byte[] expected = new byte[Blocks * 64];
        for (int b = 0; b < Blocks; b++)
        {
            ChaCha20.Block(words, start + (ulong)b, nonce, expected.AsSpan(b * 64, 64));
        }

        byte[] actual = new byte[expected.Length];
        ChaCha20.Xor(words, start, nonce, new byte[expected.Length], actual);
        Assert.That(actual, Is.EqualTo(expected));
    }

    [Test]
    public void Poly1305_MatchesRfc8439Section2_5_2()
    {
        byte[] key = Hex("85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b");
        byte[] message = "Cryptographic Forum Research Group"u8.ToArray();
        byte[] tag = new byte[16];
        Poly1305.Compute(key, message, tag);
        Assert.That(Convert.ToHexString(tag), Is.EqualTo("A8061DC1305136C6C22B8BAF0C0127A9"));
    }

    [TestCase(0)]
    [TestCase(1)]
    [TestCase(15)]
    [TestCase(16)]
    [TestCase(17)]
    [TestCase(255)]
    [TestCase(4096)]
    public void Poly1305_MatchesBouncyCastle_ForEveryTailLength(int length)
    {
        var random = new Random(length);
        byte[] key = new byte[32];
        byte[] message = new byte[length];
        random.NextBytes(key);
        random.NextBytes(message);
        // s all ones makes the final 128-bit addition of s carry through every word.
        key.AsSpan(16).Fill(0xff);

        var reference = new BcPoly1305();
        reference.Init(new KeyParameter(key));
        reference.BlockUpdate(message, 0, message.Length);
        byte[] expected = new byte[16];
        reference.DoFinal(expected, 0);

        byte[] actual = new byte[16];
        Poly1305.Compute(key, message, actual);
        Assert.That(actual, Is.EqualTo(expected));
    }

    [Test]
    public void AesCtr_MatchesNistSp800_38A_F51()
    {
        byte[] key = Hex("2b7e151628aed2a6abf7158809cf4f3c");
        byte[] counter = Hex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
        byte[] plain = Hex(
            "6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51" +
            "30c81c46a35ce411e5fbc1191a0a52ef f69f2445df4f9b17ad2b417be66c3710");
        using var ctr = new AesCtr(key, counter);

        // Two calls, so the counter is carried across "packets".
        byte[] output = new byte[plain.Length];
        ctr.Transform(plain.AsSpan(0, 32), output.AsSpan(0, 32));
        ctr.Transform(plain.AsSpan(32), output.AsSpan(32));

        Assert.That(Convert.ToHexString(output), Is.EqualTo(
            "874D6191B620E3261BEF6864990DB6CE9806F66B7970FDFF8617187BB9FFFDFF" +
            "5AE4DF3EDBD5D35E5B4F09020DB03EAB1E031DDA2FBE03D1792170A0F3009CEE"));
    }

    [Test]
    public void AesGcm_MatchesGcmSpecTestCases3And4()
    {
        byte[] key = Hex("feffe9928665731c6d6a8f9467308308");
        byte[] iv = Hex("cafebabefacedbaddecaf888");
        byte[] plain = Hex(
            "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72" +
            "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255");
        const string Cipher =
            "42831EC2217774244B7221B784D0D49CE3AA212F2C02A4E035C17E2329ACA12E" +
            "21D514B25466931C7D8F6A5AAC84AA051BA30B396A0AAC973D58E091473F5985";
        using var gcm = new AesGcm(key, 16);

        byte[] c3 = new byte[64];
        byte[] t3 = new byte[16];
        gcm.Encrypt(iv, plain, c3, t3);
        Assert.That(Convert.ToHexString(c3), Is.EqualTo(Cipher));
        Assert.That(Convert.ToHexString(t3), Is.EqualTo("4D5C2AF327CD64A62CF35ABD2BA6FAB4"));

        byte[] aad = Hex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
        byte[] c4 = new byte[60];
        byte[] t4 = new byte[16];
        gcm.Encrypt(iv, plain.AsSpan(0, 60), c4, t4, aad);
        Assert.That(Convert.ToHexString(c4), Is.EqualTo(Cipher[..120]));
        Assert.That(Convert.ToHexString(t4), Is.EqualTo("5BC94FBC3221A5DB94FAE95AE7121A47"));
    }
}
