namespace NativeSftp.Tests.Crypto.Ciphers;

/// <summary>The per-packet path must not allocate (STYLE: hot path). Measured on this thread after a warm-up.</summary>
[TestFixture]
public class PacketCipherAllocationTests
{
    private const int Packets = 50;

    [TestCaseSource(typeof(CipherCase), nameof(CipherCase.All))]
    public void SealDecryptLengthOpen_AllocateNothingPerPacket(CipherCase c)
    {
        var random = new Random(9);
        var (sealer, opener) = c.Create(random);
        using (sealer)
        using (opener)
        {
            byte[] packet = PacketFraming.Frame(new byte[32 * 1024], sealer, random);
            byte[] mac = new byte[sealer.MacSize];
            uint seq = 0;

            void OnePacket()
            {
                sealer.Seal(seq, packet, mac);
                opener.DecryptLength(seq, packet.AsSpan(0, opener.LengthPrefixSize));
                opener.Open(seq, packet, mac, packet);
                seq++;
            }

            OnePacket(); // first-call JIT and lazy native state are not per-packet costs
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < Packets; i++)
            {
                OnePacket();
            }

            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.That(allocated, Is.Zero, $"{allocated} bytes over {Packets} packets");
        }
    }
}
