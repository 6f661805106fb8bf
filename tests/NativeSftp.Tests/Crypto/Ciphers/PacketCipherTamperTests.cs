using NativeSftp.Crypto;

namespace NativeSftp.Tests.Crypto.Ciphers;

[TestFixture]
public class PacketCipherTamperTests
{
    private const byte Sentinel = 0xA5;

    public enum Where
    {
        Length,
        Body,
        Mac,
    }

    private static IEnumerable<TestCaseData> Cases()
    {
        foreach (CipherCase c in CipherCase.All())
        {
            foreach (Where where in Enum.GetValues<Where>())
            {
                yield return new TestCaseData(c, where).SetArgDisplayNames(c.ToString(), where.ToString());
            }
        }
    }

    private static (byte[] Wire, byte[] Mac, byte[] Plain, IPacketOpener Opener, IPacketSealer Sealer) SealOne(CipherCase c, int seed)
    {
        var random = new Random(seed);
        var (sealer, opener) = c.Create(random);
        byte[] payload = new byte[200];
        random.NextBytes(payload);
        byte[] plain = PacketFraming.Frame(payload, sealer, random);
        byte[] wire = (byte[])plain.Clone();
        byte[] mac = new byte[sealer.MacSize];
        sealer.Seal(42, wire, mac);
        return (wire, mac, plain, opener, sealer);
    }

    private static void Flip(Where where, byte[] wire, byte[] mac)
    {
        switch (where)
        {
            case Where.Length:
                wire[3] ^= 0x01;
                break;
            case Where.Body:
                wire[wire.Length / 2] ^= 0x10;
                break;
            case Where.Mac:
                mac[^1] ^= 0x80;
                break;
        }
    }

    [TestCaseSource(nameof(Cases))]
    public void FlippedBit_IsRejectedWithMacError(CipherCase c, Where where)
    {
        var (wire, mac, _, opener, sealer) = SealOne(c, 11);
        using (sealer)
        using (opener)
        {
            Flip(where, wire, mac);
            var e = Assert.Throws<SshProtocolException>(() => opener.Open(42, wire, mac, new byte[wire.Length]));
            Assert.That(e!.Reason, Is.EqualTo(DisconnectReason.MacError));
        }
    }

    [TestCaseSource(nameof(Cases))]
    public void FailedOpen_ReleasesNoPlaintext(CipherCase c, Where where)
    {
        var (wire, mac, plain, opener, sealer) = SealOne(c, 12);
        using (sealer)
        using (opener)
        {
            Flip(where, wire, mac);
            byte[] output = new byte[wire.Length];
            output.AsSpan().Fill(Sentinel);

            Assert.Throws<SshProtocolException>(() => opener.Open(42, wire, mac, output));

            byte[] body = output[4..];
            if (c.Cipher.Contains("gcm", StringComparison.Ordinal))
            {
                // .NET's AesGcm (OpenSSL underneath) decrypts into the destination and zeroes it when the tag
                // does not match; either way no plaintext byte survives and the length field is not written.
                Assert.That(output[..4], Is.All.EqualTo(Sentinel));
                Assert.That(body.All(b => b == 0) || body.All(b => b == Sentinel), Is.True, "plaintext left in output");
            }
            else if (c.EncryptThenMacOrAead)
            {
                // ETM and chacha20-poly1305 check the tag before decrypting anything.
                Assert.That(output, Is.All.EqualTo(Sentinel));
            }
            else
            {
                // Encrypt-and-MAC must decrypt to check; it wipes what it decrypted before throwing.
                Assert.That(output, Is.All.EqualTo((byte)0));
            }

            Assert.That(output.AsSpan(5, 100).SequenceEqual(plain.AsSpan(5, 100)), Is.False);
        }
    }

    [TestCaseSource(typeof(CipherCase), nameof(CipherCase.All))]
    public void TruncatedMacSpan_IsAnArgumentError(CipherCase c)
    {
        var (wire, mac, _, opener, sealer) = SealOne(c, 13);
        using (sealer)
        using (opener)
        {
            Assert.Throws<ArgumentException>(() => opener.Open(42, wire, mac.AsSpan(1).ToArray(), new byte[wire.Length]));
        }
    }

    [Test]
    public void BodyNotMultipleOfBlock_IsProtocolError()
    {
        foreach (CipherCase c in CipherCase.All())
        {
            if (c.Cipher.StartsWith("chacha", StringComparison.Ordinal))
            {
                continue; // a stream cipher: any length authenticates or fails on the tag
            }

            var (_, _, _, opener, sealer) = SealOne(c, 14);
            using (sealer)
            using (opener)
            {
                byte[] odd = new byte[4 + 21];
                var e = Assert.Throws<SshProtocolException>(() => opener.Open(1, odd, new byte[opener.MacSize], new byte[odd.Length]), c.ToString());
                Assert.That(e!.Reason, Is.EqualTo(DisconnectReason.ProtocolError), c.ToString());
            }
        }
    }
}
