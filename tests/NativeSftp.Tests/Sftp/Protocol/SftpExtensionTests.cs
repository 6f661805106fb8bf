using NativeSftp.Sftp.Protocol;
using NativeSftp.Sftp.Protocol.Extensions;
using static NativeSftp.Tests.Sftp.Protocol.SftpBytes;

namespace NativeSftp.Tests.Sftp.Protocol;

/// <summary>
/// Extension requests (OpenSSH PROTOCOL §4, draft-ietf-secsh-filexfer-extensions-00) against hand-counted
/// layouts: length, 0xc8, id 7, string request-name, fields. Lengths are 5 (type + id) + the fields.
/// </summary>
[TestFixture]
public class SftpExtensionTests
{
    private const uint Id = 7;
    private static readonly byte[] Handle = [0x00, 0x01, 0x02, 0x03];
    private static readonly byte[] Handle2 = [0x0a, 0x0b, 0x0c, 0x0d];

    private static string Extended(uint length, string name, params string[] fields) =>
        Hex([U32(length), "c8", U32(Id), S(name), .. fields]);

    [Test]
    public void PosixRename_WritesOldAndNewPath()
    {
        // 5 + (4 + 24) + 6 + 6
        Assert.That(Capture(o => SftpPosixRename.Write(o, Id, "/a", "/b")),
            Is.EqualTo(Extended(45, "posix-rename@openssh.com", "00000002 2f61", "00000002 2f62")));
    }

    [Test]
    public void Hardlink_WritesOldAndNewPath()
    {
        // 5 + (4 + 20) + 6 + 6
        Assert.That(Capture(o => SftpHardlink.Write(o, Id, "/a", "/b")),
            Is.EqualTo(Extended(41, "hardlink@openssh.com", "00000002 2f61", "00000002 2f62")));
    }

    [Test]
    public void Fsync_WritesHandle()
    {
        // 5 + (4 + 17) + 8
        Assert.That(Capture(o => SftpFsync.Write(o, Id, Handle)),
            Is.EqualTo(Extended(34, "fsync@openssh.com", "00000004 00010203")));
    }

    [Test]
    public void Statvfs_WritesPath_AndFstatvfsWritesHandle()
    {
        Assert.That(Capture(o => SftpStatvfs.Write(o, Id, "/a")),
            Is.EqualTo(Extended(34, "statvfs@openssh.com", "00000002 2f61")));
        Assert.That(Capture(o => SftpStatvfs.WriteForHandle(o, Id, Handle)),
            Is.EqualTo(Extended(37, "fstatvfs@openssh.com", "00000004 00010203")));
    }

    [Test]
    public void StatvfsReply_ReadsElevenFieldsInOrder()
    {
        string body = string.Concat(Enumerable.Range(1, 11).Select(i => U64((ulong)i)));
        var info = SftpStatvfs.ReadReply(Bytes(body));
        Assert.That(info, Is.EqualTo(new SftpFileSystemInfo(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)));
    }

    [Test]
    public void StatvfsReply_ReadOnlyFlagAndAvailableBytes()
    {
        // f_frsize 4096, f_bavail 10, f_flag ST_RDONLY|ST_NOSUID.
        var info = SftpStatvfs.ReadReply(Bytes(U64(4096), U64(4096), U64(100), U64(50), U64(10), U64(0), U64(0), U64(0), U64(0), U64(3), U64(255)));
        Assert.That(info.IsReadOnly, Is.True);
        Assert.That(info.AvailableBytes, Is.EqualTo(40960ul));
        var huge = info with { AvailableBlocks = ulong.MaxValue };
        Assert.That(huge.AvailableBytes, Is.EqualTo(ulong.MaxValue), "saturates instead of wrapping");
    }

    [Test]
    public void Limits_IsAnEmptyRequest_AndTheReplyHasFourFields()
    {
        Assert.That(Capture(o => SftpLimits.Write(o, Id)), Is.EqualTo(Extended(27, "limits@openssh.com")));
        var limits = SftpLimits.ReadReply(Bytes(U64(262144), U64(261120), U64(261120), U64(1024)));
        Assert.That(limits, Is.EqualTo(new SftpServerLimits(262144, 261120, 261120, 1024)));
    }

    [Test]
    public void Lsetstat_WritesPathAndAttributes()
    {
        // 5 + (4 + 20) + 6 + (4 + 8)
        Assert.That(Capture(o => SftpLsetstat.Write(o, Id, "/l", new SftpAttributes { AccessTime = 1, ModifyTime = 2 })),
            Is.EqualTo(Extended(47, "lsetstat@openssh.com", "00000002 2f6c", "00000008 00000001 00000002")));
    }

    [Test]
    public void ExpandPath_WritesPath()
    {
        // 5 + (4 + 23) + (4 + 3)
        Assert.That(Capture(o => SftpExpandPath.Write(o, Id, "~/x")),
            Is.EqualTo(Extended(39, "expand-path@openssh.com", "00000003 7e2f78")));
    }

    [Test]
    public void HomeDirectory_WritesUserName_EmptyForOurselves()
    {
        Assert.That(Capture(o => SftpHomeDirectory.Write(o, Id, "")), Is.EqualTo(Extended(27, "home-directory", "00000000")));
        Assert.That(Capture(o => SftpHomeDirectory.Write(o, Id, "bob")), Is.EqualTo(Extended(30, "home-directory", "00000003 626f62")));
    }

    [Test]
    public void CopyData_WritesBothHandlesOffsetsAndLength()
    {
        // 5 + (4 + 9) + 8 + 8 + 8 + 8 + 8
        Assert.That(Capture(o => SftpCopyData.Write(o, Id, Handle, 0x100, 0x200, Handle2, 0x300)),
            Is.EqualTo(Extended(58, "copy-data",
                "00000004 00010203", U64(0x100), U64(0x200), "00000004 0a0b0c0d", U64(0x300))));
    }

    [Test]
    public void CheckFileHandle_WritesHandleAlgorithmsRangeAndBlockSize()
    {
        // 5 + (4 + 17) + 8 + (4 + 10) + 8 + 8 + 4
        Assert.That(Capture(o => SftpCheckFile.WriteForHandle(o, Id, Handle, ["sha256", "md5"], 0x10, 0x20, 0)),
            Is.EqualTo(Extended(68, "check-file-handle", "00000004 00010203", S("sha256,md5"), U64(0x10), U64(0x20), "00000000")));
    }

    [Test]
    public void CheckFileName_WritesPathAlgorithmsRangeAndBlockSize()
    {
        // 5 + (4 + 15) + 6 + (4 + 10) + 8 + 8 + 4
        Assert.That(Capture(o => SftpCheckFile.WriteForName(o, Id, "/a", ["sha256", "md5"], 0, 0, 256)),
            Is.EqualTo(Extended(64, "check-file-name", "00000002 2f61", S("sha256,md5"), U64(0), U64(0), "00000100")));
    }

    [TestCase(1u)]
    [TestCase(255u)]
    public void CheckFile_BlockSizeBelow256_IsRefused(uint blockSize)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Capture(o => SftpCheckFile.WriteForName(o, Id, "/a", ["md5"], 0, 0, blockSize)));
    }

    [Test]
    public void CheckFile_AlgorithmListMemberWithComma_IsRefused()
    {
        Assert.Throws<ArgumentException>(() => Capture(o => SftpCheckFile.WriteForName(o, Id, "/a", ["md5,sha1"], 0, 0, 0)));
    }

    [Test]
    public void CheckFileReply_SplitsHashes()
    {
        string two = new string('1', 32) + new string('2', 32); // two MD5 digests
        var r = SftpCheckFile.ReadReply(Bytes(S("check-file"), S("md5"), two), ["sha256", "md5"]);
        Assert.That((r.Algorithm, r.HashSize, r.Count), Is.EqualTo(("md5", 16, 2)));
        Assert.That(Convert.ToHexString(r.GetHash(1)), Is.EqualTo(new string('2', 32)));
    }

    [TestCase("check-file", "sha1", 20)]     // known, but not asked for
    [TestCase("check-file", "whirlpool", 64)] // unknown digest size
    [TestCase("check-fil", "md5", 16)]       // wrong tag
    [TestCase("check-file", "md5", 15)]      // not a whole digest
    public void CheckFileReply_Malformed_IsProtocolError(string tag, string algorithm, int hashBytes)
    {
        byte[] body = Bytes(S(tag), S(algorithm), new string('0', hashBytes * 2));
        Assert.Throws<SshProtocolException>(() => SftpCheckFile.ReadReply(body, ["md5", "whirlpool"]));
    }
}
