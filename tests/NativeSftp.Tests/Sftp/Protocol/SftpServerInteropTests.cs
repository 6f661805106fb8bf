using System.Buffers;
using System.Text;
using NativeSftp.Sftp.Protocol;
using NativeSftp.Sftp.Protocol.Extensions;

namespace NativeSftp.Tests.Sftp.Protocol;

/// <summary>
/// The packet layer against OpenSSH's real sftp-server, spoken to over its stdin/stdout: every request kind is
/// accepted and does what its name says, and every reply the server sends parses. No SSH layer is involved.
/// </summary>
[TestFixture]
[NonParallelizable]
public class SftpServerInteropTests
{
    private string _dir = "";
    private SftpServerProcess _server = null!;

    [SetUp]
    public async Task SetUp()
    {
        _dir = Directory.CreateTempSubdirectory("nsftp-proto-").FullName;
        _server = SftpServerProcess.Start(_dir);
        var (type, body) = await _server.ExchangeAsync(0, SftpInit.Write);
        Assert.That(type, Is.EqualTo(SftpPacketType.Version));
        Extensions = SftpVersion.Read(3, body);
    }

    [TearDown]
    public void TearDown()
    {
        _server.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private IReadOnlyList<SftpExtensionAnnouncement> Extensions { get; set; } = [];

    private string P(string name) => Path.Combine(_dir, name);

    private async Task<byte[]> ExpectAsync(byte expectedType, byte requestType, string? path, Action<IBufferWriter<byte>, uint> write)
    {
        uint id = _server.NextId();
        var (type, body) = await _server.ExchangeAsync(id, o => write(o, id));
        if (type == SftpPacketType.Status && expectedType != SftpPacketType.Status)
        {
            throw SftpStatus.Read(body).ToException(requestType, path);
        }

        Assert.That(SftpPacketType.NameOf(type), Is.EqualTo(SftpPacketType.NameOf(expectedType)));
        return body;
    }

    private async Task OkAsync(byte requestType, string? path, Action<IBufferWriter<byte>, uint> write)
    {
        var status = SftpStatus.Read(await ExpectAsync(SftpPacketType.Status, requestType, path, write));
        if (!status.IsOk)
        {
            throw status.ToException(requestType, path);
        }
    }

    private async Task<byte[]> OpenAsync(SftpPathBytes path, SftpOpenFlags flags) =>
        SftpHandle.Read(await ExpectAsync(SftpPacketType.Handle, SftpPacketType.Open, path.Display, (o, id) => SftpOpen.Write(o, id, path.Bytes, flags)));

    private Task CloseAsync(byte[] handle) => OkAsync(SftpPacketType.Close, null, (o, id) => SftpClose.Write(o, id, handle));

    /// <summary>A path held as bytes (so it can be non-UTF-8), with a display form for messages.</summary>
    private readonly record struct SftpPathBytes(byte[] Bytes, string Display)
    {
        public static implicit operator SftpPathBytes(string s) => new(Encoding.UTF8.GetBytes(s), s);
    }

    [Test]
    public void Version_AnnouncesOpenSshExtensionsWithTheirVersions()
    {
        var map = Extensions.ToDictionary(e => e.Name, e => e.DataText);
        Assert.That(map, Does.ContainKey(SftpExtensionNames.PosixRename).WithValue("1"));
        Assert.That(map, Does.ContainKey(SftpExtensionNames.Statvfs).WithValue("2"));
        Assert.That(map, Does.ContainKey(SftpExtensionNames.Limits).WithValue("1"));
    }

    [Test]
    public async Task Limits_ReplyParses()
    {
        var limits = SftpLimits.ReadReply(await ExpectAsync(SftpPacketType.ExtendedReply, SftpPacketType.Extended, null, (o, id) => SftpLimits.Write(o, id)));
        Assert.That(limits.MaxPacketLength, Is.EqualTo(256ul * 1024), "OpenSSH's SFTP_MAX_MSG_LENGTH");
        Assert.That(limits.MaxReadLength, Is.GreaterThan(0ul).And.LessThan(limits.MaxPacketLength));
        Assert.That(limits.MaxWriteLength, Is.GreaterThan(0ul).And.LessThan(limits.MaxPacketLength));
    }

    [Test]
    public async Task WriteHeaderAndGenericWrite_ThenRead_RoundTripTheBytes()
    {
        byte[] content = new byte[150_000];
        new Random(1).NextBytes(content);
        byte[] handle = await OpenAsync(P("f.bin"), SftpOpenFlagsMapping.FromFileMode(FileMode.CreateNew, FileAccess.Write));

        // First 100,000 bytes through the zero-copy header helper, the rest through the generic writer.
        const int firstChunk = 100_000;
        await OkAsync(SftpPacketType.Write, "f.bin", (o, id) =>
        {
            int header = SftpWrite.HeaderSize(handle.Length);
            Span<byte> span = o.GetSpan(header + firstChunk);
            SftpWrite.WriteHeader(span, id, handle, 0, firstChunk);
            content.AsSpan(0, firstChunk).CopyTo(span[header..]);
            o.Advance(header + firstChunk);
        });
        await OkAsync(SftpPacketType.Write, "f.bin", (o, id) => SftpWrite.Write(o, id, handle, firstChunk, content.AsSpan(firstChunk)));
        await OkAsync(SftpPacketType.Extended, "f.bin", (o, id) => SftpFsync.Write(o, id, handle));
        await CloseAsync(handle);
        Assert.That(File.ReadAllBytes(P("f.bin")), Is.EqualTo(content));

        handle = await OpenAsync(P("f.bin"), SftpOpenFlags.Read);
        var attrs = SftpAttributes.ReadReply(await ExpectAsync(SftpPacketType.Attrs, SftpPacketType.Fstat, null, (o, id) => SftpFstat.Write(o, id, handle)));
        Assert.That(attrs.Size, Is.EqualTo((ulong)content.Length));
        Assert.That(attrs.IsRegularFile, Is.True);

        var read = new MemoryStream();
        while (true)
        {
            uint id = _server.NextId();
            var (type, body) = await _server.ExchangeAsync(id, o => SftpRead.Write(o, id, handle, (ulong)read.Length, 64 * 1024));
            if (type == SftpPacketType.Status)
            {
                Assert.That(SftpStatus.Read(body).Code, Is.EqualTo(SftpStatusCode.Eof));
                break;
            }

            Assert.That(type, Is.EqualTo(SftpPacketType.Data));
            read.Write(SftpData.Read(body));
        }

        await CloseAsync(handle);
        Assert.That(read.ToArray(), Is.EqualTo(content));
    }

    [Test]
    public void Stat_OfMissingFile_BecomesNoSuchFileException()
    {
        string path = P("missing");
        var ex = Assert.ThrowsAsync<SftpException>(() => ExpectAsync(SftpPacketType.Attrs, SftpPacketType.Stat, path, (o, id) => SftpStat.Write(o, id, path)));
        Assert.That(ex!.StatusCode, Is.EqualTo(SftpStatusCode.NoSuchFile));
        Assert.That(ex.Message, Does.StartWith($"STAT {path} failed: SSH_FX_NO_SUCH_FILE (2)"));
    }

    [Test]
    public async Task Symlink_NamedParameters_CreateTheLinkWhereAsked()
    {
        File.WriteAllText(P("target.txt"), "t");
        await OkAsync(SftpPacketType.Symlink, P("link"), (o, id) => SftpSymlink.Write(o, id, linkPath: P("link"), targetPath: "target.txt"));
        Assert.That(new FileInfo(P("link")).LinkTarget, Is.EqualTo("target.txt"));

        var link = SftpName.ReadSingle(await ExpectAsync(SftpPacketType.Name, SftpPacketType.Readlink, P("link"), (o, id) => SftpReadlink.Write(o, id, P("link"))));
        Assert.That(link.Name, Is.EqualTo("target.txt"));
        var lstat = SftpAttributes.ReadReply(await ExpectAsync(SftpPacketType.Attrs, SftpPacketType.Lstat, P("link"), (o, id) => SftpLstat.Write(o, id, P("link"))));
        Assert.That(lstat.IsSymbolicLink, Is.True);
        var stat = SftpAttributes.ReadReply(await ExpectAsync(SftpPacketType.Attrs, SftpPacketType.Stat, P("link"), (o, id) => SftpStat.Write(o, id, P("link"))));
        Assert.That(stat.IsRegularFile, Is.True);

        // lsetstat@openssh.com changes the link's own times and leaves the target's alone.
        var times = new SftpAttributes { AccessTime = 1_000_000_000, ModifyTime = 1_000_000_000 };
        await OkAsync(SftpPacketType.Extended, P("link"), (o, id) => SftpLsetstat.Write(o, id, P("link"), times));
        var linkAfter = SftpAttributes.ReadReply(await ExpectAsync(SftpPacketType.Attrs, SftpPacketType.Lstat, P("link"), (o, id) => SftpLstat.Write(o, id, P("link"))));
        var targetAfter = SftpAttributes.ReadReply(await ExpectAsync(SftpPacketType.Attrs, SftpPacketType.Stat, P("link"), (o, id) => SftpStat.Write(o, id, P("link"))));
        Assert.That(linkAfter.ModifyTime, Is.EqualTo(1_000_000_000u));
        Assert.That(targetAfter.ModifyTime, Is.Not.EqualTo(1_000_000_000u));
    }

    [Test]
    public async Task Readdir_ListsANameThatIsNotUtf8_AndItsRawBytesRemoveIt()
    {
        File.WriteAllText(P("plain.txt"), "p");
        byte[] odd = [(byte)'b', 0xFF, (byte)'d'];
        byte[] oddPath = [.. Encoding.UTF8.GetBytes(_dir + "/"), .. odd];
        await CloseAsync(await OpenAsync(new SftpPathBytes(oddPath, "b?d"), SftpOpenFlags.Write | SftpOpenFlags.Create));

        var entries = await ListAsync(_dir);
        Assert.That(entries.Select(e => e.Name), Is.SupersetOf(new[] { ".", "..", "plain.txt" }));
        var oddEntry = entries.Single(e => !e.NameIsUtf8);
        Assert.That(oddEntry.RawName, Is.EqualTo(odd));

        byte[] back = [.. Encoding.UTF8.GetBytes(_dir + "/"), .. oddEntry.RawName];
        await OkAsync(SftpPacketType.Remove, "b?d", (o, id) => SftpRemove.Write(o, id, back));
        Assert.That((await ListAsync(_dir)).Any(e => !e.NameIsUtf8), Is.False);
    }

    private async Task<List<SftpNameEntry>> ListAsync(string dir)
    {
        byte[] handle = SftpHandle.Read(await ExpectAsync(SftpPacketType.Handle, SftpPacketType.Opendir, dir, (o, id) => SftpOpendir.Write(o, id, dir)));
        var all = new List<SftpNameEntry>();
        while (true)
        {
            uint id = _server.NextId();
            var (type, body) = await _server.ExchangeAsync(id, o => SftpReaddir.Write(o, id, handle));
            if (type == SftpPacketType.Status)
            {
                Assert.That(SftpStatus.Read(body).Code, Is.EqualTo(SftpStatusCode.Eof));
                break;
            }

            all.AddRange(SftpName.Read(body));
        }

        await CloseAsync(handle);
        return all;
    }

    [Test]
    public async Task SetstatAndFsetstat_ChangeModeAndTimes()
    {
        File.WriteAllText(P("a"), "a");
        var set = new SftpAttributes { Permissions = 0x180 }; // 0600
        set.SetTimes(new DateTimeOffset(2001, 9, 9, 1, 46, 40, TimeSpan.Zero), new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await OkAsync(SftpPacketType.Setstat, P("a"), (o, id) => SftpSetstat.Write(o, id, P("a"), set));

        var got = SftpAttributes.ReadReply(await ExpectAsync(SftpPacketType.Attrs, SftpPacketType.Stat, P("a"), (o, id) => SftpStat.Write(o, id, P("a"))));
        Assert.That(got.Permissions & 0xFFF, Is.EqualTo(0x180u));
        Assert.That(got.AccessTime, Is.EqualTo(1_000_000_000u));
        Assert.That(got.LastWriteTime, Is.EqualTo(new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero)));

        byte[] handle = await OpenAsync(P("a"), SftpOpenFlags.Write);
        await OkAsync(SftpPacketType.Fsetstat, P("a"), (o, id) => SftpFsetstat.Write(o, id, handle, new SftpAttributes { Size = 0 }));
        await CloseAsync(handle);
        Assert.That(new FileInfo(P("a")).Length, Is.Zero);
    }

    [Test]
    public async Task DirectoryAndRenameRequests_DoWhatTheySay()
    {
        await OkAsync(SftpPacketType.Mkdir, P("d"), (o, id) => SftpMkdir.Write(o, id, P("d")));
        Assert.That(Directory.Exists(P("d")), Is.True);
        await OkAsync(SftpPacketType.Rename, P("d"), (o, id) => SftpRename.Write(o, id, P("d"), P("e")));
        Assert.That(Directory.Exists(P("e")), Is.True);

        var real = SftpName.ReadSingle(await ExpectAsync(SftpPacketType.Name, SftpPacketType.Realpath, P("e/../e"), (o, id) => SftpRealpath.Write(o, id, P("e/../e"))));
        Assert.That(real.Name, Is.EqualTo(new DirectoryInfo(P("e")).ResolveLinkTarget(true)?.FullName ?? P("e")));

        await OkAsync(SftpPacketType.Rmdir, P("e"), (o, id) => SftpRmdir.Write(o, id, P("e")));
        Assert.That(Directory.Exists(P("e")), Is.False);
    }

    [Test]
    public async Task PosixRenameAndHardlink_ReplaceAndLink()
    {
        File.WriteAllText(P("x"), "new");
        File.WriteAllText(P("y"), "old");
        await OkAsync(SftpPacketType.Extended, P("x"), (o, id) => SftpPosixRename.Write(o, id, P("x"), P("y")));
        Assert.That(File.ReadAllText(P("y")), Is.EqualTo("new"));
        Assert.That(File.Exists(P("x")), Is.False);

        await OkAsync(SftpPacketType.Extended, P("y"), (o, id) => SftpHardlink.Write(o, id, P("y"), P("z")));
        Assert.That(File.ReadAllText(P("z")), Is.EqualTo("new"));
    }

    [Test]
    public async Task StatvfsAndFstatvfs_ReplyWithFileSystemInfo()
    {
        var info = SftpStatvfs.ReadReply(await ExpectAsync(SftpPacketType.ExtendedReply, SftpPacketType.Extended, _dir, (o, id) => SftpStatvfs.Write(o, id, _dir)));
        Assert.That(info.BlockSize, Is.GreaterThan(0ul));
        Assert.That(info.MaxNameLength, Is.GreaterThanOrEqualTo(255ul));

        File.WriteAllText(P("s"), "s");
        byte[] handle = await OpenAsync(P("s"), SftpOpenFlags.Read);
        var viaHandle = SftpStatvfs.ReadReply(await ExpectAsync(SftpPacketType.ExtendedReply, SftpPacketType.Extended, null, (o, id) => SftpStatvfs.WriteForHandle(o, id, handle)));
        await CloseAsync(handle);
        Assert.That(viaHandle.FileSystemId, Is.EqualTo(info.FileSystemId));
    }

    [Test]
    public async Task ExpandPathAndHomeDirectory_AnswerWithOneName()
    {
        // OpenSSH expands "~" and "~/" against the server process's starting directory (the login's home under
        // sshd; here, the directory the test started it in), not against the passwd entry.
        var expanded = SftpName.ReadSingle(await ExpectAsync(SftpPacketType.Name, SftpPacketType.Extended, "~/sub", (o, id) => SftpExpandPath.Write(o, id, "~/sub")));
        Assert.That(expanded.Name, Is.EqualTo(_dir + "/sub"));

        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var homeDir = SftpName.ReadSingle(await ExpectAsync(SftpPacketType.Name, SftpPacketType.Extended, null, (o, id) => SftpHomeDirectory.Write(o, id, Environment.UserName)));
        Assert.That(homeDir.Name.TrimEnd('/'), Is.EqualTo(home.TrimEnd('/')));

        // OpenSSH quirk: the user name goes to getpwnam(3), so "" is not "the current user" but a failure.
        var empty = SftpStatus.Read(await ExpectAsync(SftpPacketType.Status, SftpPacketType.Extended, null, (o, id) => SftpHomeDirectory.Write(o, id, "")));
        Assert.That(empty.Code, Is.EqualTo(SftpStatusCode.Failure));
    }

    [Test]
    public async Task CopyData_CopiesARangeServerSide()
    {
        File.WriteAllText(P("src"), "0123456789");
        byte[] src = await OpenAsync(P("src"), SftpOpenFlags.Read);
        byte[] dst = await OpenAsync(P("dst"), SftpOpenFlags.Write | SftpOpenFlags.Create);
        await OkAsync(SftpPacketType.Extended, P("src"), (o, id) => SftpCopyData.Write(o, id, src, 2, 5, dst, 0));
        await CloseAsync(src);
        await CloseAsync(dst);
        Assert.That(File.ReadAllText(P("dst")), Is.EqualTo("23456"));
    }

    [Test]
    public async Task UnsupportedExtension_IsAnOpUnsupportedStatus()
    {
        var status = SftpStatus.Read(await ExpectAsync(SftpPacketType.Status, SftpPacketType.Extended, null,
            (o, id) => SftpCheckFile.WriteForName(o, id, P("none"), ["sha256"], 0, 0, 0)));
        Assert.That(status.Code, Is.EqualTo(SftpStatusCode.OpUnsupported));
    }
}
