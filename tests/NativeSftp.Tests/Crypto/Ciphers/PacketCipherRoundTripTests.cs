using System.Buffers.Binary;
using NativeSftp.Crypto;
using NativeSftp.Crypto.Ciphers;

namespace NativeSftp.Tests.Crypto.Ciphers;

[TestFixture]
public class PacketCipherRoundTripTests
{
    private const int PacketsPerCase = 12;
    private const int MaxPayload = 3000;

    private static IEnumerable<CipherCase> Cases() => CipherCase.All();

    [TestCaseSource(nameof(Cases))]
    public void SealThenOpen_RecoversEveryPacket_AsSequenceAndCountersAdvance(CipherCase c)
    {
        var random = new Random(4253);
        var (sealer, opener) = c.Create(random);
        using (sealer)
        using (opener)
        {
            uint seq = 3;
            for (int i = 0; i < PacketsPerCase; i++, seq++)
            {
                byte[] payload = new byte[i == 0 ? 0 : random.Next(1, MaxPayload)];
                random.NextBytes(payload);
                byte[] plain = PacketFraming.Frame(payload, sealer, random);
                byte[] wire = (byte[])plain.Clone();
                byte[] mac = new byte[sealer.MacSize];

                sealer.Seal(seq, wire, mac);

                Assert.That(wire.AsSpan(sizeof(uint)).SequenceEqual(plain.AsSpan(sizeof(uint))), Is.False, "body was not encrypted");
                uint length = opener.DecryptLength(seq, wire.AsSpan(0, opener.LengthPrefixSize));
                Assert.That(length, Is.EqualTo((uint)(plain.Length - sizeof(uint))));

                // Alternate between a separate output buffer and decrypting in place, as the transport may do either.
                byte[] output = i % 2 == 0 ? new byte[wire.Length] : wire;
                opener.Open(seq, wire, mac, output);
                Assert.That(output, Is.EqualTo(plain));
                Assert.That(PacketFraming.PayloadOf(output), Is.EqualTo(payload));
            }
        }
    }

    [TestCaseSource(nameof(Cases))]
    public void IdenticalPackets_EncryptDifferently_BecauseNonceOrCounterMoves(CipherCase c)
    {
        var random = new Random(1);
        var (sealer, opener) = c.Create(random);
        using (sealer)
        using (opener)
        {
            byte[] plain = PacketFraming.Frame(new byte[64], sealer, random);
            byte[] first = (byte[])plain.Clone();
            byte[] second = (byte[])plain.Clone();
            byte[] mac1 = new byte[sealer.MacSize];
            byte[] mac2 = new byte[sealer.MacSize];
            sealer.Seal(0, first, mac1);
            sealer.Seal(1, second, mac2);

            Assert.That(second.AsSpan(sizeof(uint)).SequenceEqual(first.AsSpan(sizeof(uint))), Is.False);
            Assert.That(mac2, Is.Not.EqualTo(mac1));
        }
    }

    [TestCaseSource(nameof(Cases))]
    public void PaddingRule_MatchesWhetherLengthIsCovered(CipherCase c)
    {
        var (sealer, opener) = c.Create(new Random(2));
        using (sealer)
        using (opener)
        {
            bool lengthOutsideCipher = c.EncryptThenMacOrAead;
            Assert.That(sealer.LengthExcludedFromPadding, Is.EqualTo(lengthOutsideCipher));
            Assert.That(opener.LengthExcludedFromPadding, Is.EqualTo(lengthOutsideCipher));
            Assert.That(opener.LengthPrefixSize, Is.EqualTo(lengthOutsideCipher ? 4 : 16));
            Assert.That(sealer.MacSize, Is.EqualTo(opener.MacSize));
        }
    }

    // GCM's nonce does not involve the sequence number (RFC 5647 §7.1): its replay defence is the invocation counter.
    private static IEnumerable<CipherCase> SequenceBoundCases() =>
        CipherCase.All().Where(c => !c.Cipher.Contains("gcm", StringComparison.Ordinal));

    [TestCaseSource(nameof(SequenceBoundCases))]
    public void WrongSequenceNumber_IsRejected(CipherCase c)
    {
        var random = new Random(3);
        var (sealer, opener) = c.Create(random);
        using (sealer)
        using (opener)
        {
            byte[] wire = PacketFraming.Frame(new byte[100], sealer, random);
            byte[] mac = new byte[sealer.MacSize];
            sealer.Seal(10, wire, mac);

            var e = Assert.Throws<SshProtocolException>(() => opener.Open(11, wire, mac, new byte[wire.Length]));
            Assert.That(e!.Reason, Is.EqualTo(DisconnectReason.MacError));
        }
    }

    [Test]
    public void SequenceNumberWrap_StillRoundTrips()
    {
        var random = new Random(5);
        foreach (CipherCase c in CipherCase.All())
        {
            var (sealer, opener) = c.Create(random);
            using (sealer)
            using (opener)
            {
                foreach (uint seq in new[] { uint.MaxValue, 0u })
                {
                    byte[] plain = PacketFraming.Frame(new byte[40], sealer, random);
                    byte[] wire = (byte[])plain.Clone();
                    byte[] mac = new byte[sealer.MacSize];
                    sealer.Seal(seq, wire, mac);
                    opener.Open(seq, wire, mac, wire);
                    Assert.That(wire, Is.EqualTo(plain), c.ToString());
                }
            }
        }
    }

    [Test]
    public void PlaintextCipher_IsIdentityWithEightBytePaddingOverWholePacket()
    {
        using var plain = new PlaintextPacketCipher();
        var random = new Random(6);
        byte[] packet = PacketFraming.Frame(new byte[] { 20, 1, 2, 3 }, plain.BlockSize, plain.LengthExcludedFromPadding, random);
        byte[] copy = (byte[])packet.Clone();

        plain.Seal(0, packet, Span<byte>.Empty);
        byte[] output = new byte[packet.Length];
        plain.Open(0, packet, ReadOnlySpan<byte>.Empty, output);

        Assert.That(packet, Is.EqualTo(copy));
        Assert.That(output, Is.EqualTo(copy));
        Assert.That(packet.Length % 8, Is.Zero);
        Assert.That(plain.DecryptLength(0, packet), Is.EqualTo(BinaryPrimitives.ReadUInt32BigEndian(packet)));
        Assert.That((plain.BlockSize, plain.MacSize, plain.LengthPrefixSize, plain.LengthExcludedFromPadding), Is.EqualTo((8, 0, 4, false)));
    }

    [Test]
    public void Dispose_ThenUse_Throws()
    {
        foreach (CipherCase c in CipherCase.All())
        {
            var (sealer, opener) = c.Create(new Random(7));
            sealer.Dispose();
            opener.Dispose();
            opener.Dispose(); // idempotent
            Assert.Throws<ObjectDisposedException>(() => sealer.Seal(0, new byte[32], new byte[sealer.MacSize]), c.ToString());
        }
    }
}
