using System.Security.Cryptography;
using NativeSftp.Crypto.Kex;

namespace NativeSftp.Tests.Crypto.Kex;

[TestFixture]
public class KeyDerivationTests
{
    // NIST CAVS 14.1 SSH KDF (SP 800-135 §5.2) vectors, as carried in OpenSSL's
    // test/recipes/30-test_evp_data/evpkdf_ssh.txt ("SSHKDF tests (from NIST CAVS 14.1 test vectors)").
    // K is given there already mpint-encoded, which is exactly KexResult.EncodedSharedSecret.
    private const string Sha256K =
        "000001006ac382eaaca093e125e25c24bebc84640c11987507344b5c739ceb84a9e0b222b9a8b51c839e5ebe49cfadbfb39599764ed522099dc912751950dc7dc97fbdc06328b68f22781fd315af568009a5509e5b87a11bf527c056daffd82ab6cbc25cca37143459e7bc63bcde52757adeb7df01cf12173f1fef8102ec5ab142c213dd9d30696278a8d8bc32dde9592d28c078c6d92b947d825acaab6494846a49de24b9623f4889e8adc38e8c669effef176040ad945e90a7d3eec15efeee78ae71043c96511103a16ba7caf0acd0642efdbe809934faa1a5f1bd11043649b25ccd1fee2e38815d4d5f5fc6b4102969f21c22ae1b0e7d3603a556a13262ff628de222";
    private const string Sha256H = "7b7001185e256d4493445f39a55fb905e6321f4b5dd8bbf3100d51ba0bda3d2d";

    private const string Sha512K =
        "00000100192471d29d9fbc8b61570e4efa053a5f17b2efc0aa5415b3309f7dc3971c64d9f1093f6114941d4912f7bfb771db41d1f166d4bdaec8dde214aeb058e2227277393e3c0b12adc1b6a445870bc26e753e05e27b90b97d781e3e8493eb5e717c243213de4dcdd5a11d467b8d26759118692b10357c28b0efb0228cbe257b9ee0cb77bb7bc8b072edf418768c977e485635b4ab61078587128e9a8b3c6deca2a4e64cf9fd6eca880aebd1043deaf94447ea50b0c11b574259cdcafd208d9657c7177cf394de26dd8364b615786198c38e63c568e22b5263be41d6dd8843ad5254f61cf01b7162948652568c2b42833a95619fa5072adb0bfbf38e3eace7e1596066";
    private const string Sha512H = "a0a53cb8bcc48ffe44fd9e50e0f7532d3e326f93d7ecb10135d4385dab550cd7be03a7374dfc2a92794be13e40c794811a9916c3d1c4e7ea31ed5269537c1c22";
    private const string Sha512SessionId = "9bcf3f3397ff464126cb2a99c04908721871354b842ffd3d873d49407db0382f98cc54d66665d950ec8277c374f19e9f0dd2e727f8759017c49b5b80baa87c63";

    [TestCase('A', "81f0330ef6f05361b3823bfded6e1de9")]
    [TestCase('B', "3f6fd2065eeb2b0b1d93195a1fed48a5")]
    [TestCase('C', "c35471034e6fd6547613178e23435f21")]
    [TestCase('D', "7e9d79032090d99f98b015634dd9f462")]
    [TestCase('E', "24ee559ad7ce712b685d0b2271e443c17ab1d1dceb5a360569d25d5dc243002f")]
    [TestCase('F', "c3419c2b966235869d714ba5ac48ddb7d9e35c8c19aac73422337a373453607e")]
    public void Derive_Sha256_MatchesCavpVector(char letter, string expected)
    {
        // In this CAVP case the session id equals H (the first key exchange of a connection).
        byte[] key = KeyDerivation.Derive(HashAlgorithmName.SHA256, Convert.FromHexString(Sha256K), Convert.FromHexString(Sha256H),
            letter, Convert.FromHexString(Sha256H), expected.Length / 2);
        Assert.That(Convert.ToHexStringLower(key), Is.EqualTo(expected));
    }

    [TestCase('A', "f68353f802d39a43c728641e44087cc5")]
    [TestCase('B', "23c2377f826f77519871941b62cb9fdd")]
    [TestCase('C', "c92b86a099e2605037d531746a6af7cb")]
    [TestCase('D', "1517de253a5b9f7d9c4c3f234b27392e")]
    [TestCase('E', "be48a82cd246cf4d6ddb397a39f1ed62d98b5265e75190624a523033796d05046d63e0810b4b7a6efe9b834cb043871203638557063968910ad1cfa0abe62bb1")]
    [TestCase('F', "0c9af3775d5dc49a1b9b85fa18420ce1ca10d5159f83f9e078c217289688639dbce5f85665f866d8f93b2c6823bc7b2655830d8bb51fba945ce6eac2b0e6ce8a")]
    public void Derive_Sha512_WithDistinctSessionId_MatchesCavpVector(char letter, string expected)
    {
        byte[] key = KeyDerivation.Derive(HashAlgorithmName.SHA512, Convert.FromHexString(Sha512K), Convert.FromHexString(Sha512H),
            letter, Convert.FromHexString(Sha512SessionId), expected.Length / 2);
        Assert.That(Convert.ToHexStringLower(key), Is.EqualTo(expected));
    }

    [Test]
    public void Derive_LongerThanOneHash_ExtendsWithK2K3()
    {
        // The CAVP vectors never need more than one block. This one (80 bytes = 2.5 SHA-256 blocks) was computed with
        //   python3 -c "import hashlib; K=bytes.fromhex(Sha256K); H=bytes.fromhex(Sha256H);
        //     out=hashlib.sha256(K+H+b'C'+H).digest()
        //     while len(out)<80: out+=hashlib.sha256(K+H+out).digest()
        //     print(out[:80].hex())"
        // Its first 16 bytes equal the CAVP 'C' vector above, which cross-checks the script.
        const string expected = "c35471034e6fd6547613178e23435f21c4055df39c6ed6a9ae9b9b7873b57e3b2adbe223b1900788fb4f5d6cd711964438d98b601372512a8f44ed0d5b710af34d6dd9e77394cf3aa324b886c2d0a33c";
        byte[] key = KeyDerivation.Derive(HashAlgorithmName.SHA256, Convert.FromHexString(Sha256K), Convert.FromHexString(Sha256H),
            'C', Convert.FromHexString(Sha256H), 80);
        Assert.That(Convert.ToHexStringLower(key), Is.EqualTo(expected));
    }

    [Test]
    public void Derive_ZeroLength_ReturnsEmpty()
    {
        byte[] key = KeyDerivation.Derive(HashAlgorithmName.SHA256, [0, 0, 0, 0], new byte[32], 'A', new byte[32], 0);
        Assert.That(key, Is.Empty);
    }

    [Test]
    public void Derive_LetterOutsideAtoF_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => KeyDerivation.Derive(HashAlgorithmName.SHA256, [0, 0, 0, 0], new byte[32], 'G', new byte[32], 16));
    }
}
