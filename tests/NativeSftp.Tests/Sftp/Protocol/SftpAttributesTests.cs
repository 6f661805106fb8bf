using NativeSftp.Sftp.Protocol;
using NativeSftp.Wire;
using static NativeSftp.Tests.Sftp.Protocol.SftpBytes;

namespace NativeSftp.Tests.Sftp.Protocol;

[TestFixture]
public class SftpAttributesTests
{
    private static byte[] Encode(SftpAttributes a)
    {
        byte[] bytes = new byte[a.EncodedLength];
        Assert.That(a.WriteTo(bytes), Is.EqualTo(bytes.Length));
        return bytes;
    }

    private static SftpAttributes Decode(byte[] bytes)
    {
        var reader = new SshReader(bytes);
        var a = SftpAttributes.Read(ref reader);
        reader.EnsureAtEnd("test attrs");
        return a;
    }

    [Test]
    public void AllFields_EncodeInDraftOrder()
    {
        var a = new SftpAttributes
        {
            Size = 0x1122334455667788,
            Uid = 1000,
            Gid = 100,
            Permissions = 0x81A4, // S_IFREG | 0644
            AccessTime = 0x5F5E1000,
            ModifyTime = 0x5F5E1001,
            Extended = [new SftpExtendedAttribute("a@b", [0x01])],
        };
        Assert.That(Convert.ToHexString(Encode(a)), Is.EqualTo(Hex(
            "8000000f",
            "1122334455667788",
            "000003e8 00000064",
            "000081a4",
            "5f5e1000 5f5e1001",
            "00000001", "00000003 614062", "00000001 01")));
    }

    /// <summary>All 32 combinations of the five v3 flags survive write then read, field for field and byte for byte.</summary>
    [Test]
    public void EveryFlagCombination_RoundTrips([Range(0, 31)] int combination)
    {
        var a = new SftpAttributes();
        if ((combination & 1) != 0) { a.Size = 123456789012; }
        if ((combination & 2) != 0) { a.Uid = 501; a.Gid = 20; }
        if ((combination & 4) != 0) { a.Permissions = 0x41ED; }
        if ((combination & 8) != 0) { a.AccessTime = 1; a.ModifyTime = uint.MaxValue; }
        if ((combination & 16) != 0) { a.Extended = [new SftpExtendedAttribute("x", []), new SftpExtendedAttribute("y", [9, 8])]; }

        byte[] bytes = Encode(a);
        var b = Decode(bytes);

        Assert.Multiple(() =>
        {
            Assert.That(b.Flags, Is.EqualTo(a.Flags));
            Assert.That(b.Size, Is.EqualTo(a.Size));
            Assert.That(b.Uid, Is.EqualTo(a.Uid));
            Assert.That(b.Gid, Is.EqualTo(a.Gid));
            Assert.That(b.Permissions, Is.EqualTo(a.Permissions));
            Assert.That(b.AccessTime, Is.EqualTo(a.AccessTime));
            Assert.That(b.ModifyTime, Is.EqualTo(a.ModifyTime));
            Assert.That(b.Extended?.Count, Is.EqualTo(a.Extended?.Count));
            Assert.That(Encode(b), Is.EqualTo(bytes));
        });
    }

    [Test]
    public void ExtendedFlagWithZeroPairs_RoundTripsExactly()
    {
        byte[] bytes = Bytes("80000000 00000000");
        var a = Decode(bytes);
        Assert.That(a.Extended, Is.Empty);
        Assert.That(Encode(a), Is.EqualTo(bytes));
    }

    [TestCase(0x00000010u)]
    [TestCase(0x00000020u)]
    [TestCase(0x40000000u)]
    public void UnknownFlagBit_IsProtocolError(uint flag)
    {
        var ex = Assert.Throws<SshProtocolException>(() => Decode(Bytes(U32(flag | 1), "0000000000000001")));
        Assert.That(ex!.Message, Does.Contain("flag"));
    }

    [Test]
    public void AbsurdExtendedCount_IsRefusedBeforeAllocating()
    {
        byte[] bytes = Bytes("80000000 ffffffff 00000000 00000000");
        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Throws<SshProtocolException>(() => Decode(bytes));
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.LessThan(16 * 1024));
    }

    [Test]
    public void EachCutShortPrefix_IsProtocolError()
    {
        var a = new SftpAttributes { Size = 1, Uid = 2, Gid = 3, Permissions = 4, AccessTime = 5, ModifyTime = 6, Extended = [new("n", [7])] };
        byte[] bytes = Encode(a);
        for (int cut = 0; cut < bytes.Length; cut++)
        {
            byte[] prefix = bytes[..cut];
            Assert.Throws<SshProtocolException>(() => Decode(prefix), $"cut at {cut}");
        }
    }

    [TestCase(0x41EDu, true, false, false)]   // S_IFDIR | 0755
    [TestCase(0x81A4u, false, true, false)]   // S_IFREG | 0644
    [TestCase(0xA1FFu, false, false, true)]   // S_IFLNK | 0777
    [TestCase(0x61B0u, false, false, false)]  // S_IFBLK: none of the three
    [TestCase(0xC1EDu, false, false, false)]  // S_IFSOCK shares bits with S_IFDIR/S_IFREG but is neither
    public void FileType_ComesFromModeBits(uint mode, bool dir, bool file, bool link)
    {
        var a = new SftpAttributes { Permissions = mode };
        Assert.That((a.IsDirectory, a.IsRegularFile, a.IsSymbolicLink), Is.EqualTo((dir, file, link)));
    }

    [Test]
    public void NoPermissions_MeansNoKnownFileType()
    {
        var a = new SftpAttributes();
        Assert.That(a.IsDirectory || a.IsRegularFile || a.IsSymbolicLink, Is.False);
    }

    [Test]
    public void Times_ConvertToAndFromUnixSeconds()
    {
        var a = new SftpAttributes();
        a.SetTimes(new DateTimeOffset(2001, 9, 9, 1, 46, 40, TimeSpan.Zero), new DateTimeOffset(2106, 2, 7, 6, 28, 15, TimeSpan.Zero));
        Assert.That(a.AccessTime, Is.EqualTo(1_000_000_000u));
        Assert.That(a.ModifyTime, Is.EqualTo(uint.MaxValue));
        Assert.That(a.LastAccessTime, Is.EqualTo(DateTimeOffset.FromUnixTimeSeconds(1_000_000_000)));
        Assert.That(a.LastWriteTime!.Value.Year, Is.EqualTo(2106));
    }

    [Test]
    public void TimesOutsideUInt32Seconds_AreRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => SftpAttributes.ToUnixSeconds(new DateTimeOffset(1969, 12, 31, 23, 59, 59, TimeSpan.Zero)));
        Assert.Throws<ArgumentOutOfRangeException>(() => SftpAttributes.ToUnixSeconds(new DateTimeOffset(2106, 2, 7, 6, 28, 16, TimeSpan.Zero)));
    }

    [Test]
    public void AccessTimeWithoutModifyTime_IsRefusedOnWrite()
    {
        Assert.Throws<InvalidOperationException>(() => _ = new SftpAttributes { AccessTime = 1 }.EncodedLength);
    }
}
