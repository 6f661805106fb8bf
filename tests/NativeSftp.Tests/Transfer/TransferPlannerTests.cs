using NativeSftp.Transfer;

namespace NativeSftp.Tests.Transfer;

/// <summary>How a segmented download shares its in-flight budget.</summary>
[TestFixture]
public class TransferPlannerTests
{
    private const int Chunk = 261120; // OpenSSH's max-read, 255 KiB

    [TestCase(1, 64, 64)] // one segment: the one-channel depth, untouched
    [TestCase(2, 64, 64)] // 2 × 64 × 255 KiB ≈ 32 MiB: within the budget
    [TestCase(4, 64, 32)] // 4 × 32 × 255 KiB ≈ 32 MiB
    [TestCase(8, 64, 16)]
    [TestCase(64, 64, 2)] // never below two requests each
    [TestCase(4, 10, 10)] // never above the one-channel depth
    public void DownloadSegmentDepth_KeepsTheTotalInFlightNearTheBudget(int segments, int depth, int expected)
    {
        int d = TransferPlanner.DownloadSegmentDepth(null, depth, segments, Chunk);

        Assert.That(d, Is.EqualTo(expected));
        if (segments > 1 && d > TransferPlanner.MinDepth)
        {
            Assert.That((long)d * Chunk * segments, Is.LessThanOrEqualTo(TransferPlanner.MaxDownloadBytesInFlight));
        }
    }

    [Test]
    public void DownloadSegmentDepth_TakesAnExplicitDepthAsItIs() =>
        Assert.That(TransferPlanner.DownloadSegmentDepth(50, 50, 8, Chunk), Is.EqualTo(50));

    // A server without limits@openssh.com: 32 KiB, cut to what fits one channel packet (ProFTPD's mod_sftp: 32768 max
    // packet, 4-byte handle, so 32768 - 29 = 32739); OpenSSH's limits are taken as they are; an explicit size is kept.
    [TestCase(null, 261_120, false, 32_739, 32_739)]
    [TestCase(null, 261_120, false, 65_000, 32_768)]
    [TestCase(null, 261_120, false, null, 32_768)]
    [TestCase(null, 261_120, false, 100, 32_768)] // a tiny packet: not worth fitting into
    [TestCase(null, 261_120, true, 32_739, 261_120)]
    [TestCase(65_536, 261_120, false, 32_739, 65_536)]
    public void ChunkSize_FitsOneChannelPacket_WhenTheServerSaysNothing(int? requested, int serverMax, bool limits, int? singlePacket, int expected) =>
        Assert.That(TransferPlanner.ChunkSize(requested, serverMax, limits, singlePacket), Is.EqualTo(expected));
}
