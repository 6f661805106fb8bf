using NativeSftp.Sftp.Protocol;
using static NativeSftp.Tests.Sftp.Protocol.SftpBytes;

namespace NativeSftp.Tests.Sftp.Protocol;

/// <summary>
/// Every v3 request against bytes written by hand from draft-ietf-secsh-filexfer-02's layouts:
/// uint32 length, byte type, uint32 id, then the fields. Request id 7, handle 00010203 throughout.
/// </summary>
[TestFixture]
public class SftpRequestEncodingTests
{
    private const uint Id = 7;
    private static readonly byte[] Handle = [0x00, 0x01, 0x02, 0x03];

    [Test]
    public void Init_IsVersion3WithNoExtensions()
    {
        Assert.That(Capture(SftpInit.Write), Is.EqualTo(Hex("00000005 01 00000003")));
    }

    [Test]
    public void Open_WritesPathFlagsAndAttributes()
    {
        var attrs = new SftpAttributes { Permissions = 0x1A4 }; // 0644
        string hex = Capture(o => SftpOpen.Write(o, Id, "/a",
            SftpOpenFlags.Read | SftpOpenFlags.Write | SftpOpenFlags.Create | SftpOpenFlags.Truncate, attrs));
        Assert.That(hex, Is.EqualTo(Hex("00000017 03 00000007", "00000002 2f61", "0000001b", "00000004 000001a4")));
    }

    [Test]
    public void Open_WithoutAttributes_SendsEmptyAttrs()
    {
        string hex = Capture(o => SftpOpen.Write(o, Id, "/a", SftpOpenFlags.Read));
        Assert.That(hex, Is.EqualTo(Hex("00000013 03 00000007", "00000002 2f61", "00000001", "00000000")));
    }

    [TestCase(4, "04")]   // CLOSE
    [TestCase(8, "08")]   // FSTAT
    [TestCase(12, "0c")]  // READDIR
    public void HandleOnlyRequests_WriteIdAndHandle(int type, string typeHex)
    {
        string hex = Capture(o =>
        {
            switch (type)
            {
                case 4: SftpClose.Write(o, Id, Handle); break;
                case 8: SftpFstat.Write(o, Id, Handle); break;
                default: SftpReaddir.Write(o, Id, Handle); break;
            }
        });
        Assert.That(hex, Is.EqualTo(Hex("0000000d", typeHex, "00000007", "00000004 00010203")));
    }

    [TestCase("LSTAT", "07")]
    [TestCase("OPENDIR", "0b")]
    [TestCase("REMOVE", "0d")]
    [TestCase("RMDIR", "0f")]
    [TestCase("REALPATH", "10")]
    [TestCase("STAT", "11")]
    [TestCase("READLINK", "13")]
    public void PathOnlyRequests_WriteIdAndPath(string kind, string typeHex)
    {
        string hex = Capture(o =>
        {
            switch (kind)
            {
                case "LSTAT": SftpLstat.Write(o, Id, "/a"); break;
                case "OPENDIR": SftpOpendir.Write(o, Id, "/a"); break;
                case "REMOVE": SftpRemove.Write(o, Id, "/a"); break;
                case "RMDIR": SftpRmdir.Write(o, Id, "/a"); break;
                case "REALPATH": SftpRealpath.Write(o, Id, "/a"); break;
                case "STAT": SftpStat.Write(o, Id, "/a"); break;
                default: SftpReadlink.Write(o, Id, "/a"); break;
            }
        });
        Assert.That(hex, Is.EqualTo(Hex("0000000b", typeHex, "00000007", "00000002 2f61")));
    }

    [Test]
    public void Read_WritesHandleOffsetAndLength()
    {
        string hex = Capture(o => SftpRead.Write(o, Id, Handle, 0x1_0000_0000, 32768));
        Assert.That(hex, Is.EqualTo(Hex("00000019 05 00000007", "00000004 00010203", "0000000100000000", "00008000")));
    }

    [Test]
    public void Write_WritesHandleOffsetAndData()
    {
        string hex = Capture(o => SftpWrite.Write(o, Id, Handle, 0x10, "abc"u8));
        Assert.That(hex, Is.EqualTo(Hex("0000001c 06 00000007", "00000004 00010203", "0000000000000010", "00000003 616263")));
    }

    [Test]
    public void Setstat_WritesPathAndAttributes()
    {
        string hex = Capture(o => SftpSetstat.Write(o, Id, "/a", new SftpAttributes { Size = 5 }));
        Assert.That(hex, Is.EqualTo(Hex("00000017 09 00000007", "00000002 2f61", "00000001 0000000000000005")));
    }

    [Test]
    public void Fsetstat_WritesHandleAndAttributes()
    {
        string hex = Capture(o => SftpFsetstat.Write(o, Id, Handle, new SftpAttributes { AccessTime = 1, ModifyTime = 2 }));
        Assert.That(hex, Is.EqualTo(Hex("00000019 0a 00000007", "00000004 00010203", "00000008 00000001 00000002")));
    }

    [Test]
    public void Mkdir_WithoutAttributes_SendsEmptyAttrs()
    {
        string hex = Capture(o => SftpMkdir.Write(o, Id, "/d"));
        Assert.That(hex, Is.EqualTo(Hex("0000000f 0e 00000007", "00000002 2f64", "00000000")));
    }

    [Test]
    public void Rename_WritesOldThenNew()
    {
        string hex = Capture(o => SftpRename.Write(o, Id, "/a", "/b"));
        Assert.That(hex, Is.EqualTo(Hex("00000011 12 00000007", "00000002 2f61", "00000002 2f62")));
    }

    [Test]
    public void Symlink_WritesTargetBeforeLink_InOpenSshOrder()
    {
        string hex = Capture(o => SftpSymlink.Write(o, Id, linkPath: "/l", targetPath: "/t"));
        Assert.That(hex, Is.EqualTo(Hex("00000011 14 00000007", "00000002 2f74", "00000002 2f6c")));
    }

    [Test]
    public void Extended_WritesNameThenRawBody()
    {
        string hex = Capture(o => SftpExtended.Write(o, Id, "x@y", [0xAA, 0xBB]));
        Assert.That(hex, Is.EqualTo(Hex("0000000e c8 00000007", "00000003 784079", "aabb")));
    }

    [Test]
    public void Path_IsEncodedAsUtf8()
    {
        string hex = Capture(o => SftpStat.Write(o, Id, "/é"));
        Assert.That(hex, Is.EqualTo(Hex("0000000c 11 00000007", "00000003 2fc3a9")));
    }

    [Test]
    public void Path_GivenAsRawBytes_IsSentUnchanged()
    {
        byte[] notUtf8 = [0x2f, 0xff, 0xfe];
        string hex = Capture(o => SftpRemove.Write(o, Id, notUtf8));
        Assert.That(hex, Is.EqualTo(Hex("0000000c 0d 00000007", "00000003 2ffffe")));
    }

    [Test]
    public void Path_WithLoneSurrogate_IsRefusedNotReplaced()
    {
        Assert.Throws<ArgumentException>(() => Capture(o => SftpStat.Write(o, Id, "/a\uD800")));
    }

    [Test]
    public void Handle_LongerThan256Bytes_IsRefused()
    {
        Assert.Throws<ArgumentException>(() => Capture(o => SftpClose.Write(o, Id, new byte[257])));
    }

    [Test]
    public void Request_LargerThanServersAccept_IsRefused()
    {
        // 256 KiB of data plus the header is over OpenSSH's 262,144-byte SFTP_MAX_MSG_LENGTH.
        Assert.Throws<ArgumentException>(() => Capture(o => SftpWrite.Write(o, Id, Handle, 0, new byte[256 * 1024])));
    }

    [Test]
    public void Attributes_WithUidButNoGid_IsRefused()
    {
        Assert.Throws<InvalidOperationException>(() => Capture(o => SftpSetstat.Write(o, Id, "/a", new SftpAttributes { Uid = 1 })));
    }
}
