using NativeSftp.Sftp.Protocol;

namespace NativeSftp.Tests.Sftp.Protocol;

[TestFixture]
public class SftpStatusAndFlagsTests
{
    [TestCase(SftpStatusCode.Ok, "SSH_FX_OK")]
    [TestCase(SftpStatusCode.Eof, "SSH_FX_EOF")]
    [TestCase(SftpStatusCode.NoSuchFile, "SSH_FX_NO_SUCH_FILE")]
    [TestCase(SftpStatusCode.PermissionDenied, "SSH_FX_PERMISSION_DENIED")]
    [TestCase(SftpStatusCode.Failure, "SSH_FX_FAILURE")]
    [TestCase(SftpStatusCode.BadMessage, "SSH_FX_BAD_MESSAGE")]
    [TestCase(SftpStatusCode.NoConnection, "SSH_FX_NO_CONNECTION")]
    [TestCase(SftpStatusCode.ConnectionLost, "SSH_FX_CONNECTION_LOST")]
    [TestCase(SftpStatusCode.OpUnsupported, "SSH_FX_OP_UNSUPPORTED")]
    [TestCase((SftpStatusCode)9, "9")]
    [TestCase((SftpStatusCode)uint.MaxValue, "4294967295")]
    public void StatusName_FollowsTheDraft(SftpStatusCode code, string name)
    {
        Assert.That(SftpStatusCodes.Name(code), Is.EqualTo(name));
    }

    [Test]
    public void Exception_MessageNamesRequestPathCodeAndServerText()
    {
        var ex = new SftpException(SftpStatusCode.NoSuchFile, "No such file", "OPEN", "/x/y");
        Assert.Multiple(() =>
        {
            Assert.That(ex.Message, Is.EqualTo("OPEN /x/y failed: SSH_FX_NO_SUCH_FILE (2): No such file"));
            Assert.That(ex.StatusCode, Is.EqualTo(SftpStatusCode.NoSuchFile));
            Assert.That(ex.StatusName, Is.EqualTo("SSH_FX_NO_SUCH_FILE"));
            Assert.That(ex.RequestType, Is.EqualTo("OPEN"));
            Assert.That(ex.Path, Is.EqualTo("/x/y"));
            Assert.That(ex, Is.InstanceOf<SshException>());
        });
    }

    [Test]
    public void Exception_WithoutPathOrServerText_StaysReadable()
    {
        var ex = new SftpException(SftpStatusCode.Failure, "", "FSTAT", null);
        Assert.That(ex.Message, Is.EqualTo("FSTAT failed: SSH_FX_FAILURE (4)"));
        var unknown = new SftpException((SftpStatusCode)42, "odd", "STAT", "/a");
        Assert.That(unknown.Message, Is.EqualTo("STAT /a failed: 42: odd"));
    }

    [Test]
    public void Exception_ServerTextWithControlAndBidiCharacters_IsSanitized()
    {
        var ex = new SftpException(SftpStatusCode.Failure, "bad\r\nFAKE LOG LINE\u001b[31m\u202Eevil", "REMOVE", "/a\nb");
        Assert.That(ex.ServerMessage, Is.EqualTo("bad??FAKE LOG LINE?[31m?evil"));
        // Ordinal search: a culture-aware Contains ignores format characters such as U+202E and always matches.
        Assert.That(ex.Message.IndexOfAny(['\n', '\r', '\u001b', '\u202E']), Is.EqualTo(-1));
        Assert.That(ex.Message, Does.StartWith("REMOVE /a?b failed"));
    }

    [Test]
    public void Exception_HugeServerText_IsCut()
    {
        var ex = new SftpException(SftpStatusCode.Failure, new string('x', 100_000), "READ", null);
        Assert.That(ex.ServerMessage.Length, Is.LessThanOrEqualTo(SftpException.MaxDisplayLength + 1));
        Assert.That(ex.Message.Length, Is.LessThan(1000));
    }

    [TestCase(FileMode.CreateNew, FileAccess.Write, SftpOpenFlags.Write | SftpOpenFlags.Create | SftpOpenFlags.Exclusive)]
    [TestCase(FileMode.Create, FileAccess.Write, SftpOpenFlags.Write | SftpOpenFlags.Create | SftpOpenFlags.Truncate)]
    [TestCase(FileMode.Create, FileAccess.ReadWrite, SftpOpenFlags.Read | SftpOpenFlags.Write | SftpOpenFlags.Create | SftpOpenFlags.Truncate)]
    [TestCase(FileMode.Open, FileAccess.Read, SftpOpenFlags.Read)]
    [TestCase(FileMode.Open, FileAccess.ReadWrite, SftpOpenFlags.Read | SftpOpenFlags.Write)]
    [TestCase(FileMode.OpenOrCreate, FileAccess.Read, SftpOpenFlags.Read | SftpOpenFlags.Create)]
    [TestCase(FileMode.OpenOrCreate, FileAccess.Write, SftpOpenFlags.Write | SftpOpenFlags.Create)]
    [TestCase(FileMode.Truncate, FileAccess.Write, SftpOpenFlags.Write | SftpOpenFlags.Truncate)]
    [TestCase(FileMode.Append, FileAccess.Write, SftpOpenFlags.Write | SftpOpenFlags.Append | SftpOpenFlags.Create)]
    public void FromFileMode_MeansWhatFileStreamMeans(FileMode mode, FileAccess access, SftpOpenFlags expected)
    {
        Assert.That(SftpOpenFlagsMapping.FromFileMode(mode, access), Is.EqualTo(expected));
    }

    [TestCase(FileMode.CreateNew, FileAccess.Read)]
    [TestCase(FileMode.Create, FileAccess.Read)]
    [TestCase(FileMode.Truncate, FileAccess.Read)]
    [TestCase(FileMode.Append, FileAccess.Read)]
    [TestCase(FileMode.Append, FileAccess.ReadWrite)]
    public void FromFileMode_RefusesWhatFileStreamRefuses(FileMode mode, FileAccess access)
    {
        Assert.Throws<ArgumentException>(() => SftpOpenFlagsMapping.FromFileMode(mode, access));
        // Check the claim against FileStream itself, on a scratch file.
        string path = Path.Combine(Path.GetTempPath(), "sftpflags-" + Guid.NewGuid().ToString("N"));
        try
        {
            Assert.Throws<ArgumentException>(() => new FileStream(path, mode, access).Dispose());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void FromFileMode_UnknownValues_AreRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => SftpOpenFlagsMapping.FromFileMode((FileMode)99, FileAccess.Read));
        Assert.Throws<ArgumentOutOfRangeException>(() => SftpOpenFlagsMapping.FromFileMode(FileMode.Open, (FileAccess)0));
    }
}
