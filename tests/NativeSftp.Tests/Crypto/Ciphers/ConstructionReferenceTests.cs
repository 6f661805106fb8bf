using System.Buffers.Binary;
using System.Security.Cryptography;
using NativeSftp.Crypto.Ciphers;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Modes;
using Org.BouncyCastle.Crypto.Parameters;
using BcPoly1305 = Org.BouncyCastle.Crypto.Macs.Poly1305;

namespace NativeSftp.Tests.Crypto.Ciphers;

/// <summary>
/// Each SSH construction against a straightforward reference written here from the specification, on primitives
/// other than the ones the library uses (BouncyCastle's ChaChaEngine, Poly1305 and GCM; a block-at-a-time CTR on
/// Aes.EncryptEcb with a UInt128 counter; HMACSHA256/512.HashData). Interop in both directions: ours seals and the
/// reference opens, the reference seals and ours opens.
/// </summary>
[TestFixture]
public class ConstructionReferenceTests
{
    private static readonly Random Random = new(5647);

    private static byte[] RandomBytes(int n)
    {
        byte[] b = new byte[n];
        Random.NextBytes(b);
        return b;
    }

    // ---- chacha20-poly1305@openssh.com, PROTOCOL.chacha20poly1305 ----

    private static (byte[] Wire, byte[] Tag) ReferenceChaChaSeal(byte[] key64, uint seq, byte[] plain)
    {
        byte[] k2 = key64[..32];
        byte[] k1 = key64[32..];
        byte[] nonce = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(nonce, seq);

        byte[] wire = new byte[plain.Length];
        var lengthEngine = new ChaChaEngine();
        lengthEngine.Init(true, new ParametersWithIV(new KeyParameter(k1), nonce));
        lengthEngine.ProcessBytes(plain, 0, 4, wire, 0);

        var mainEngine = new ChaChaEngine();
        mainEngine.Init(true, new ParametersWithIV(new KeyParameter(k2), nonce));
        byte[] block0 = new byte[64];
        mainEngine.ProcessBytes(new byte[64], 0, 64, block0, 0); // keystream block 0; the engine now sits at block 1
        mainEngine.ProcessBytes(plain, 4, plain.Length - 4, wire, 4);

        var poly = new BcPoly1305();
        poly.Init(new KeyParameter(block0[..32]));
        poly.BlockUpdate(wire, 0, wire.Length);
        byte[] tag = new byte[16];
        poly.DoFinal(tag, 0);
        return (wire, tag);
    }

    [Test]
    public void ChaCha20Poly1305_AgreesWithBouncyCastleReference_BothWays()
    {
        byte[] key = RandomBytes(64);
        using var sealer = CipherRegistry.CreateSealer("chacha20-poly1305@openssh.com", null, key, [], []);
        using var opener = CipherRegistry.CreateOpener("chacha20-poly1305@openssh.com", null, key, [], []);
        foreach (uint seq in new uint[] { 0, 1, 2, 0x01020304, uint.MaxValue })
        {
            byte[] plain = PacketFraming.Frame(RandomBytes(Random.Next(0, 700)), sealer, Random);
            var (refWire, refTag) = ReferenceChaChaSeal(key, seq, plain);

            byte[] wire = (byte[])plain.Clone();
            byte[] tag = new byte[16];
            sealer.Seal(seq, wire, tag);
            Assert.That(wire, Is.EqualTo(refWire), $"ciphertext, seq {seq}");
            Assert.That(tag, Is.EqualTo(refTag), $"tag, seq {seq}");

            Assert.That(opener.DecryptLength(seq, refWire.AsSpan(0, 4)), Is.EqualTo((uint)(plain.Length - 4)));
            byte[] opened = new byte[refWire.Length];
            opener.Open(seq, refWire, refTag, opened);
            Assert.That(opened, Is.EqualTo(plain));
        }
    }

    // ---- aes*-gcm@openssh.com, RFC 5647 ----

    private static (byte[] Wire, byte[] Tag) ReferenceGcmSeal(byte[] key, byte[] nonce, byte[] plain)
    {
        var gcm = new GcmBlockCipher(new AesEngine());
        gcm.Init(true, new AeadParameters(new KeyParameter(key), 128, nonce, plain[..4]));
        byte[] output = new byte[plain.Length - 4 + 16];
        int n = gcm.ProcessBytes(plain, 4, plain.Length - 4, output, 0);
        gcm.DoFinal(output, n);
        byte[] wire = [.. plain[..4], .. output[..^16]];
        return (wire, output[^16..]);
    }

    [TestCase("aes128-gcm@openssh.com", 16)]
    [TestCase("aes256-gcm@openssh.com", 32)]
    public void AesGcm_AgreesWithBouncyCastleReference_AndIncrementsOnlyTheInvocationCounter(string name, int keyLength)
    {
        byte[] key = RandomBytes(keyLength);
        // The invocation counter starts two below 2^64 so the test also crosses its wrap; the fixed field stays put.
        byte[] iv = Convert.FromHexString("0A0B0C0DFFFFFFFFFFFFFFFE");
        string[] expectedNonces = ["0A0B0C0DFFFFFFFFFFFFFFFE", "0A0B0C0DFFFFFFFFFFFFFFFF", "0A0B0C0D0000000000000000", "0A0B0C0D0000000000000001"];
        using var sealer = CipherRegistry.CreateSealer(name, "hmac-sha2-256", key, iv, []);
        using var opener = CipherRegistry.CreateOpener(name, null, key, iv, []);

        for (int i = 0; i < expectedNonces.Length; i++)
        {
            byte[] plain = PacketFraming.Frame(RandomBytes(Random.Next(0, 700)), sealer, Random);
            var (refWire, refTag) = ReferenceGcmSeal(key, Convert.FromHexString(expectedNonces[i]), plain);

            byte[] wire = (byte[])plain.Clone();
            byte[] tag = new byte[16];
            // Sequence numbers deliberately jump: they must not influence the GCM nonce.
            sealer.Seal((uint)(i * 1000), wire, tag);
            Assert.That(wire, Is.EqualTo(refWire), $"ciphertext, packet {i}");
            Assert.That(tag, Is.EqualTo(refTag), $"tag, packet {i}");

            byte[] opened = new byte[wire.Length];
            opener.Open(7, refWire, refTag, opened);
            Assert.That(opened, Is.EqualTo(plain));
        }
    }

    // ---- aes*-ctr (RFC 4344) with hmac-sha2-* (RFC 6668), plain and -etm@openssh.com ----

    private sealed class NaiveCtr(byte[] key, byte[] iv)
    {
        private UInt128 _counter = new(BinaryPrimitives.ReadUInt64BigEndian(iv), BinaryPrimitives.ReadUInt64BigEndian(iv.AsSpan(8)));

        public void Apply(Span<byte> data)
        {
            using var aes = Aes.Create();
            aes.Key = key;
            byte[] counterBlock = new byte[16];
            for (int offset = 0; offset < data.Length; offset += 16)
            {
                BinaryPrimitives.WriteUInt128BigEndian(counterBlock, _counter);
                byte[] ks = aes.EncryptEcb(counterBlock, PaddingMode.None);
                for (int j = 0; j < 16; j++)
                {
                    data[offset + j] ^= ks[j];
                }

                _counter++; // UInt128 wraps modulo 2^128, exactly RFC 4344 §4
            }
        }
    }

    private static byte[] ReferenceHmac(string mac, byte[] macKey, uint seq, ReadOnlySpan<byte> packet)
    {
        byte[] input = new byte[4 + packet.Length];
        BinaryPrimitives.WriteUInt32BigEndian(input, seq);
        packet.CopyTo(input.AsSpan(4));
        return mac.Contains("512", StringComparison.Ordinal) ? HMACSHA512.HashData(macKey, input) : HMACSHA256.HashData(macKey, input);
    }

    private static IEnumerable<TestCaseData> CtrCases()
    {
        string[] ivs =
        [
            "000102030405060708090A0B0C0D0E0F",
            "0011223344556677FFFFFFFFFFFFFFFD", // low 64 bits about to carry into the high 64 bits
            "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFE", // the whole 128-bit counter wraps to zero
        ];
        foreach (var (cipher, keyLength) in new[] { ("aes128-ctr", 16), ("aes192-ctr", 24), ("aes256-ctr", 32) })
        {
            foreach (string mac in new[] { "hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com", "hmac-sha2-256", "hmac-sha2-512" })
            {
                foreach (string iv in ivs)
                {
                    yield return new TestCaseData(cipher, keyLength, mac, iv);
                }
            }
        }
    }

    [TestCaseSource(nameof(CtrCases))]
    public void AesCtrHmac_AgreesWithNaiveReference_IncludingCounterCarry(string cipher, int keyLength, string mac, string ivHex)
    {
        bool etm = mac.EndsWith("-etm@openssh.com", StringComparison.Ordinal);
        int macLength = mac.Contains("512", StringComparison.Ordinal) ? 64 : 32;
        byte[] key = RandomBytes(keyLength);
        byte[] iv = Convert.FromHexString(ivHex);
        byte[] macKey = RandomBytes(macLength);
        using var sealer = CipherRegistry.CreateSealer(cipher, mac, key, iv, macKey);
        using var opener = CipherRegistry.CreateOpener(cipher, mac, key, iv, macKey);
        var refSeal = new NaiveCtr(key, iv);
        var refOpen = new NaiveCtr(key, iv);

        for (uint seq = 5; seq < 9; seq++)
        {
            byte[] plain = PacketFraming.Frame(RandomBytes(Random.Next(0, 100)), sealer, Random);

            // Reference encrypt: RFC 4253 §6.4 (MAC the plaintext, encrypt all) or OpenSSH ETM (encrypt after the length, MAC the result).
            byte[] refWire = (byte[])plain.Clone();
            byte[] refMac;
            if (etm)
            {
                refSeal.Apply(refWire.AsSpan(4));
                refMac = ReferenceHmac(mac, macKey, seq, refWire);
            }
            else
            {
                refMac = ReferenceHmac(mac, macKey, seq, plain);
                refSeal.Apply(refWire);
            }

            byte[] wire = (byte[])plain.Clone();
            byte[] tag = new byte[macLength];
            sealer.Seal(seq, wire, tag);
            Assert.That(wire, Is.EqualTo(refWire), $"ciphertext, seq {seq}");
            Assert.That(tag, Is.EqualTo(refMac), $"mac, seq {seq}");

            // And our opener reads what the reference produced.
            Assert.That(opener.DecryptLength(seq, refWire.AsSpan(0, opener.LengthPrefixSize)), Is.EqualTo((uint)(plain.Length - 4)));
            byte[] opened = new byte[refWire.Length];
            opener.Open(seq, refWire, refMac, opened);
            Assert.That(opened, Is.EqualTo(plain));

            byte[] check = (byte[])refWire.Clone();
            refOpen.Apply(etm ? check.AsSpan(4) : check);
            Assert.That(check, Is.EqualTo(plain));
        }
    }

    [Test]
    public void AesCtr_CarriesAcrossThe64BitBoundary_WithinOneCall()
    {
        byte[] key = RandomBytes(16);
        byte[] iv = Convert.FromHexString("0000000000000007FFFFFFFFFFFFFFFF");
        using var ctr = new AesCtr(key, iv);
        byte[] output = new byte[32];
        ctr.Transform(new byte[32], output); // zeros in, so the output is the raw keystream

        using var aes = Aes.Create();
        aes.Key = key;
        byte[] expected = aes.EncryptEcb(Convert.FromHexString("0000000000000007FFFFFFFFFFFFFFFF" + "00000000000000080000000000000000"), PaddingMode.None);
        Assert.That(output, Is.EqualTo(expected));
    }

    [Test]
    public void AesCtr_DecryptLength_DoesNotConsumeKeystream()
    {
        byte[] key = RandomBytes(16);
        byte[] iv = RandomBytes(16);
        byte[] macKey = RandomBytes(32);
        using var sealer = CipherRegistry.CreateSealer("aes128-ctr", "hmac-sha2-256", key, iv, macKey);
        using var opener = CipherRegistry.CreateOpener("aes128-ctr", "hmac-sha2-256", key, iv, macKey);
        byte[] plain = PacketFraming.Frame(RandomBytes(33), sealer, Random);
        byte[] wire = (byte[])plain.Clone();
        byte[] mac = new byte[32];
        sealer.Seal(0, wire, mac);

        uint first = opener.DecryptLength(0, wire.AsSpan(0, 16));
        uint again = opener.DecryptLength(0, wire.AsSpan(0, 16));
        opener.Open(0, wire, mac, wire);

        Assert.That((first, again), Is.EqualTo(((uint)(plain.Length - 4), (uint)(plain.Length - 4))));
        Assert.That(wire, Is.EqualTo(plain));
    }
}
