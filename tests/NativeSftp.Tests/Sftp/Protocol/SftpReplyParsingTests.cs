using System.Text;
using NativeSftp.Sftp.Protocol;
using static NativeSftp.Tests.Sftp.Protocol.SftpBytes;

namespace NativeSftp.Tests.Sftp.Protocol;

/// <summary>Reply parsers on hand-written bodies (the bytes after the request id, as the framer hands them over).</summary>
[TestFixture]
public class SftpReplyParsingTests
{
    [Test]
    public void Status_ReadsCodeMessageAndLanguage()
    {
        var s = SftpStatus.Read(Bytes("00000002", S("No such file"), S("en")));
        Assert.That(s, Is.EqualTo(new SftpStatus(SftpStatusCode.NoSuchFile, "No such file", "en")));
        Assert.That(s.IsOk, Is.False);
    }

    [Test]
    public void Status_WithoutMessageAndLanguage_ReadsAsEmpty()
    {
        Assert.That(SftpStatus.Read(Bytes("00000000")), Is.EqualTo(new SftpStatus(SftpStatusCode.Ok, "", "")));
    }

    [Test]
    public void Status_WithMessageButNoLanguage_ReadsLanguageAsEmpty()
    {
        Assert.That(SftpStatus.Read(Bytes("00000001", S("End of file"))), Is.EqualTo(new SftpStatus(SftpStatusCode.Eof, "End of file", "")));
    }

    [Test]
    public void Status_WithUnknownCode_KeepsTheNumber()
    {
        var s = SftpStatus.Read(Bytes("0000001f", S(""), S("")));
        Assert.That((uint)s.Code, Is.EqualTo(31u));
        Assert.That(SftpStatusCodes.Name(s.Code), Is.EqualTo("31"));
    }

    [Test]
    public void Status_InvalidUtf8Message_IsReplacedNotFatal()
    {
        var s = SftpStatus.Read(Bytes("00000004", "00000003 41ff42", S("")));
        Assert.That(s.Message, Is.EqualTo("A\uFFFDB"));
    }

    [Test]
    public void Status_WithTrailingBytes_IsProtocolError()
    {
        Assert.Throws<SshProtocolException>(() => SftpStatus.Read(Bytes("00000000", S(""), S(""), "00")));
    }

    [Test]
    public void Handle_ReturnsACopyOfTheHandle()
    {
        byte[] body = Bytes("00000004 00010203");
        byte[] handle = SftpHandle.Read(body);
        body[4] = 0xFF;
        Assert.That(handle, Is.EqualTo(new byte[] { 0, 1, 2, 3 }));
    }

    [Test]
    public void Handle_Of256Bytes_IsAccepted_And257IsProtocolError()
    {
        Assert.That(SftpHandle.Read(Bytes(U32(256), new string('a', 512))), Has.Length.EqualTo(256));
        var ex = Assert.Throws<SshProtocolException>(() => SftpHandle.Read(Bytes(U32(257), new string('a', 514))));
        Assert.That(ex!.Message, Does.Contain("256"));
    }

    [Test]
    public void Data_ReturnsASliceOfTheBody()
    {
        byte[] body = Bytes("00000003 616263");
        var data = SftpData.Read(body);
        Assert.That(data.ToArray(), Is.EqualTo("abc"u8.ToArray()));
        body[4] = (byte)'z';
        Assert.That(data[0], Is.EqualTo((byte)'z'), "DATA must be a view of the receive buffer, not a copy");
    }

    [Test]
    public void Data_WithTheV6EndOfFileByte_IsAccepted_ButTwoTrailingBytesAreNot()
    {
        Assert.That(SftpData.Read(Bytes("00000003 616263 01")).ToArray(), Is.EqualTo("abc"u8.ToArray()));
        Assert.Throws<SshProtocolException>(() => SftpData.Read(Bytes("00000003 616263 0100")));
    }

    [Test]
    public void Data_Empty_IsAllowed()
    {
        Assert.That(SftpData.Read(Bytes("00000000")).Length, Is.Zero);
    }

    [Test]
    public void Name_ReadsEveryEntry()
    {
        byte[] body = Bytes(
            "00000002",
            S("a.txt"), S("-rw-r--r--    1 u g  3 Jan  1 00:00 a.txt"), "00000005 0000000000000003 000081a4",
            S("dir"), S("drwxr-xr-x    2 u g  0 Jan  1 00:00 dir"), "00000004 000041ed");
        var entries = SftpName.Read(body);
        Assert.That(entries, Has.Length.EqualTo(2));
        Assert.That(entries[0].Name, Is.EqualTo("a.txt"));
        Assert.That(entries[0].NameIsUtf8, Is.True);
        Assert.That(entries[0].LongName, Does.StartWith("-rw-r--r--"));
        Assert.That(entries[0].Attributes.Size, Is.EqualTo(3ul));
        Assert.That(entries[0].Attributes.IsRegularFile, Is.True);
        Assert.That(entries[1].Name, Is.EqualTo("dir"));
        Assert.That(entries[1].Attributes.IsDirectory, Is.True);
        Assert.That(entries[1].Attributes.Size, Is.Null);
    }

    [Test]
    public void Name_WithInvalidUtf8_KeepsRawBytesThatRoundTripIntoARequest()
    {
        byte[] body = Bytes("00000001", "00000003 61ff62", S("l"), "00000000");
        var entry = SftpName.ReadSingle(body);
        Assert.That(entry.NameIsUtf8, Is.False);
        Assert.That(entry.Name, Is.EqualTo("a\uFFFDb"));
        Assert.That(entry.RawName, Is.EqualTo(new byte[] { 0x61, 0xFF, 0x62 }));

        string request = Capture(o => SftpRemove.Write(o, 1, entry.RawName));
        Assert.That(request, Is.EqualTo(Hex("0000000c 0d 00000001", "00000003 61ff62")));
    }

    [Test]
    public void Name_ZeroEntries_IsAnEmptyList_ButReadSingleRefusesIt()
    {
        Assert.That(SftpName.Read(Bytes("00000000")), Is.Empty);
        Assert.Throws<SshProtocolException>(() => SftpName.ReadSingle(Bytes("00000000")));
    }

    [Test]
    public void Attrs_ReadsTheStructure_AndRefusesTrailingBytes()
    {
        var a = SftpAttributes.ReadReply(Bytes("00000001 0000000000000400"));
        Assert.That(a.Size, Is.EqualTo(1024ul));
        Assert.Throws<SshProtocolException>(() => SftpAttributes.ReadReply(Bytes("00000000 00")));
    }

    [Test]
    public void Version_KeepsExtensionsInOrder()
    {
        byte[] body = Bytes(
            S("posix-rename@openssh.com"), S("1"),
            S("statvfs@openssh.com"), S("2"),
            S("posix-rename@openssh.com"), S("2"));
        var ext = SftpVersion.Read(3, body);
        Assert.That(ext.Select(e => e.Name + "=" + e.DataText), Is.EqualTo(new[]
        {
            "posix-rename@openssh.com=1", "statvfs@openssh.com=2", "posix-rename@openssh.com=2",
        }));
    }

    [Test]
    public void Version_WithoutExtensions_IsEmpty()
    {
        Assert.That(SftpVersion.Read(3, []), Is.Empty);
    }

    [TestCase(2u)]
    [TestCase(4u)]
    [TestCase(6u)]
    public void Version_OtherThan3_IsRefused(uint version)
    {
        var ex = Assert.Throws<SshProtocolException>(() => SftpVersion.Read(version, []));
        Assert.That(ex!.Message, Does.Contain("version " + version.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Test]
    public void Version_WithHalfAPair_IsProtocolError()
    {
        Assert.Throws<SshProtocolException>(() => SftpVersion.Read(3, Bytes(S("a@b"))));
    }

    [Test]
    public void ExtendedReply_BodyGoesRawToTheExtensionParser()
    {
        byte[] packet = Bytes("0000000d c9 00000009", "0000000000000001");
        var seq = Sequence(packet);
        Assert.That(SftpFramer.TryReadPacket(ref seq, out var p), Is.True);
        Assert.That(p.Type, Is.EqualTo(SftpPacketType.ExtendedReply));
        Assert.That(p.RequestId, Is.EqualTo(9u));
        Assert.That(Convert.ToHexString(p.ContiguousBody()), Is.EqualTo("0000000000000001"));
    }

    [Test]
    public void StatusToException_CarriesRequestAndPath()
    {
        var s = new SftpStatus(SftpStatusCode.PermissionDenied, "Permission denied", "en");
        var ex = s.ToException(SftpPacketType.Open, "/etc/shadow");
        Assert.That(ex.Message, Is.EqualTo("OPEN /etc/shadow failed: SSH_FX_PERMISSION_DENIED (3): Permission denied"));
        Assert.That(Encoding.UTF8.GetByteCount(ex.ServerMessage), Is.EqualTo(17));

        var ext = new SftpStatus(SftpStatusCode.OpUnsupported, "", "").ToException("posix-rename@openssh.com", "/a");
        Assert.That(ext.Message, Is.EqualTo("posix-rename@openssh.com /a failed: SSH_FX_OP_UNSUPPORTED (8)"));
        Assert.DoesNotThrow(() => new SftpStatus(SftpStatusCode.Ok, "", "").ThrowIfError(SftpPacketType.Close));
        Assert.Throws<SftpException>(() => new SftpStatus(SftpStatusCode.Eof, "", "").ThrowIfError(SftpPacketType.Read));
    }
}
