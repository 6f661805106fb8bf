using NativeSftp.Sftp.Protocol;
using static NativeSftp.Tests.Sftp.Protocol.SftpBytes;

namespace NativeSftp.Tests.Sftp.Protocol;

[TestFixture]
public class SftpWriteHeaderTests
{
    [TestCase(0, 0)]
    [TestCase(4, 1)]
    [TestCase(4, 32768)]
    [TestCase(256, 1000)]
    public void WriteHeader_FollowedByData_EqualsGenericWriter(int handleLength, int dataLength)
    {
        byte[] handle = new byte[handleLength];
        byte[] data = new byte[dataLength];
        new Random(handleLength * 31 + dataLength).NextBytes(handle);
        new Random(dataLength).NextBytes(data);
        const uint id = 0xDEADBEEF;
        const ulong offset = 0x0102030405060708;

        int headerSize = SftpWrite.HeaderSize(handleLength);
        byte[] packet = new byte[headerSize + dataLength];
        int written = SftpWrite.WriteHeader(packet, id, handle, offset, dataLength);
        data.CopyTo(packet, written);

        Assert.That(written, Is.EqualTo(25 + handleLength));
        Assert.That(Convert.ToHexString(packet), Is.EqualTo(Capture(o => SftpWrite.Write(o, id, handle, offset, data))));
    }

    [Test]
    public void WriteHeader_AllocatesNothing()
    {
        byte[] handle = [1, 2, 3, 4];
        byte[] buffer = new byte[64];
        SftpWrite.WriteHeader(buffer, 1, handle, 0, 100); // warm up
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            SftpWrite.WriteHeader(buffer, (uint)i, handle, (ulong)i * 32768, 32768);
        }

        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
    }

    [Test]
    public void WriteHeader_RefusesDataThatWouldExceedServerLimit()
    {
        byte[] handle = [1, 2, 3, 4];
        byte[] buffer = new byte[64];
        int max = SftpWrite.MaxDataLength(handle.Length);
        Assert.That(max, Is.EqualTo(256 * 1024 - 25)); // 262,144 - (1 + 4 + 4 + 4 + 8 + 4) with a 4-byte handle
        Assert.That(SftpWrite.WriteHeader(buffer, 1, handle, 0, max), Is.EqualTo(29));
        Assert.Throws<ArgumentOutOfRangeException>(() => SftpWrite.WriteHeader(buffer, 1, handle, 0, max + 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => SftpWrite.WriteHeader(buffer, 1, handle, 0, -1));
    }

    [Test]
    public void WriteHeader_RefusesTooSmallDestination()
    {
        Assert.Throws<ArgumentException>(() => SftpWrite.WriteHeader(new byte[28], 1, [1, 2, 3, 4], 0, 0));
    }
}
