using System.Security.Cryptography;
using NativeSftp.Sftp;
using NativeSftp.Sftp.Protocol;
using NativeSftp.Tests.Fixtures;

namespace NativeSftp.Tests.Sftp;

/// <summary>Every v3 request against a real sshd, with both OpenSSH SFTP servers.</summary>
[TestFixture("internal-sftp")]
[TestFixture("/usr/lib/openssh/sftp-server")]
public class SftpInteropTests
{
    private readonly string _subsystem;
    private SshdServer _sshd = null!;
    private SshClient _ssh = null!;
    private SftpClient _sftp = null!;
    private string _dir = null!;

    public SftpInteropTests(string subsystem) => _subsystem = subsystem;

    [OneTimeSetUp]
    public async Task Start()
    {
        _sshd = await SshdServer.StartAsync(o => o.SftpSubsystem = _subsystem);
        _ssh = await SshClient.ConnectAsync(TestClients.Options(_sshd), CancellationToken.None);
        _sftp = await _ssh.OpenSftpAsync(CancellationToken.None);
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        await _sftp.DisposeAsync();
        await _ssh.DisposeAsync();
        await _sshd.DisposeAsync();
    }

    [SetUp]
    public void MakeDir()
    {
        _dir = Path.Combine(_sshd.Directory, "t-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(_dir);
    }

    private static CancellationToken Timeout => new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token;

    [Test]
    public void Version_AnnouncesOpenSshExtensions_AndLimitsAreRead()
    {
        Assert.That(_sftp.Extensions.Keys, Is.SupersetOf(new[] { "posix-rename@openssh.com", "statvfs@openssh.com", "fstatvfs@openssh.com", "hardlink@openssh.com", "fsync@openssh.com" }));
        Assert.That(_sftp.Limits, Is.Not.Null);
        Assert.That(_sftp.Limits!.MaxWriteLength, Is.GreaterThanOrEqualTo(32768ul));
    }

    [Test]
    public async Task WriteThenRead_RoundTrips_WithShortAndEofReads()
    {
        var ct = Timeout;
        string path = _dir + "/a.bin";
        byte[] data = RandomNumberGenerator.GetBytes(100_000);
        var h = await _sftp.OpenAsync(path, FileMode.CreateNew, FileAccess.Write, ct);
        await Task.WhenAll(Enumerable.Range(0, 4).Select(i => _sftp.WriteAsync(h, (ulong)(i * 25_000), data.AsMemory(i * 25_000, 25_000), ct)));
        await _sftp.FsyncAsync(h, ct);
        await _sftp.CloseAsync(h, ct);
        Assert.That(File.ReadAllBytes(path), Is.EqualTo(data));

        h = await _sftp.OpenAsync(path, FileMode.Open, FileAccess.Read, ct);
        byte[] buffer = new byte[70_000];
        int n = await _sftp.ReadAsync(h, 50_000, buffer, ct);
        Assert.That(n, Is.EqualTo(50_000), "reading across the end gives a short read");
        Assert.That(buffer.AsSpan(0, n).SequenceEqual(data.AsSpan(50_000)), Is.True);
        Assert.That(await _sftp.ReadAsync(h, 100_000, buffer, ct), Is.EqualTo(0), "EOF");
        var attrs = await _sftp.FstatAsync(h, ct);
        Assert.That(attrs.Size, Is.EqualTo(100_000ul));
        await _sftp.CloseAsync(h, ct);
    }

    [Test]
    public async Task PathOperations_AllWork()
    {
        var ct = Timeout;
        string sub = _dir + "/sub";
        await _sftp.CreateDirectoryAsync(sub, null, ct);
        Assert.That((await _sftp.StatAsync(sub, ct)).IsDirectory, Is.True);
        File.WriteAllText(sub + "/f", "hello");
        await _sftp.RenameAsync(sub + "/f", sub + "/g", ct);
        File.WriteAllText(sub + "/h", "other");
        await _sftp.PosixRenameAsync(sub + "/h", sub + "/g", ct);
        Assert.That(File.ReadAllText(sub + "/g"), Is.EqualTo("other"));
        await _sftp.CreateSymbolicLinkAsync(sub + "/link", sub + "/g", ct);
        Assert.That(await _sftp.ReadLinkAsync(sub + "/link", ct), Is.EqualTo(sub + "/g"));
        Assert.That((await _sftp.LstatAsync(sub + "/link", ct)).IsSymbolicLink, Is.True);
        Assert.That((await _sftp.StatAsync(sub + "/link", ct)).IsRegularFile, Is.True);
        await _sftp.CreateHardLinkAsync(sub + "/g", sub + "/hard", ct);
        Assert.That(File.ReadAllText(sub + "/hard"), Is.EqualTo("other"));
        var a = new SftpAttributes { Permissions = Convert.ToUInt32("600", 8) };
        await _sftp.SetStatAsync(sub + "/g", a, ct);
        Assert.That((await _sftp.StatAsync(sub + "/g", ct)).Permissions! & 0x1ff, Is.EqualTo(Convert.ToUInt32("600", 8)));
        Assert.That(await _sftp.RealPathAsync(sub + "/../sub/./g", ct), Is.EqualTo(sub + "/g"));
        var vfs = await _sftp.StatVfsAsync(_dir, ct);
        Assert.That(vfs.BlockSize, Is.GreaterThan(0ul));
        await _sftp.RemoveAsync(sub + "/link", ct);
        await _sftp.RemoveAsync(sub + "/hard", ct);
        await _sftp.RemoveAsync(sub + "/g", ct);
        await _sftp.RemoveDirectoryAsync(sub, ct);
        Assert.That(Directory.Exists(sub), Is.False);
    }

    [Test]
    public async Task ListDirectory_TenThousandEntries()
    {
        var ct = Timeout;
        for (int i = 0; i < 10_000; i++)
        {
            File.WriteAllBytes(Path.Combine(_dir, $"f{i:D5}"), []);
        }

        var names = new HashSet<string>();
        await foreach (var e in _sftp.ListDirectoryAsync(_dir, ct))
        {
            names.Add(e.Name);
        }

        Assert.That(names, Has.Count.EqualTo(10_002), "10,000 files plus . and ..");
        Assert.That(names, Does.Contain("f09999"));
    }

    [Test]
    public void Errors_ArriveAsTheRightStatus()
    {
        var ct = Timeout;
        var e1 = Assert.ThrowsAsync<SftpException>(async () => await _sftp.StatAsync(_dir + "/missing", ct));
        Assert.That(e1!.StatusCode, Is.EqualTo(SftpStatusCode.NoSuchFile));
        Assert.That(e1.Path, Is.EqualTo(_dir + "/missing"));
        Assert.That(e1.Message, Does.Contain("SSH_FX_NO_SUCH_FILE"));
        var e2 = Assert.ThrowsAsync<SftpException>(async () => await _sftp.RemoveDirectoryAsync(_dir + "/missing", ct));
        Assert.That(e2!.StatusCode, Is.EqualTo(SftpStatusCode.NoSuchFile));
        var e3 = Assert.ThrowsAsync<SftpException>(async () => await _sftp.OpenAsync(_dir, FileMode.Open, FileAccess.Write, ct));
        Assert.That(e3!.StatusCode, Is.AnyOf(SftpStatusCode.Failure, SftpStatusCode.PermissionDenied));
        var ns = Assert.ThrowsAsync<NotSupportedException>(async () => await _sftp.CheckFileAsync(_dir, 0, 0, 0, ct));
        Assert.That(ns!.Message, Does.Contain("check-file-name"), "OpenSSH has no check-file; the error says which extension is missing");
    }

    [Test]
    public async Task CopyData_Lsetstat_UsersGroups_ExpandPath_HomeDirectory()
    {
        var ct = Timeout;
        byte[] data = RandomNumberGenerator.GetBytes(70_000);
        File.WriteAllBytes(_dir + "/src", data);
        var src = await _sftp.OpenAsync(_dir + "/src", FileMode.Open, FileAccess.Read, ct);
        var dst = await _sftp.OpenAsync(_dir + "/dst", FileMode.CreateNew, FileAccess.Write, ct);
        await _sftp.CopyDataAsync(src, 1000, 0, dst, 0, ct);
        await _sftp.CloseAsync(src, ct);
        await _sftp.CloseAsync(dst, ct);
        Assert.That(File.ReadAllBytes(_dir + "/dst"), Is.EqualTo(data[1000..]));

        // lsetstat changes the link itself, not its target.
        File.WriteAllText(_dir + "/target", "t");
        File.CreateSymbolicLink(_dir + "/lnk", _dir + "/target");
        var when = new DateTimeOffset(2001, 2, 3, 4, 5, 6, TimeSpan.Zero);
        var times = new SftpAttributes();
        times.SetTimes(when, when);
        await _sftp.LsetStatAsync(_dir + "/lnk", times, ct);
        Assert.That((await _sftp.LstatAsync(_dir + "/lnk", ct)).LastWriteTime, Is.EqualTo(when));
        Assert.That((await _sftp.StatAsync(_dir + "/target", ct)).LastWriteTime, Is.Not.EqualTo(when));

        var (users, groups) = await _sftp.GetUserAndGroupNamesAsync([0u, 4_000_000u], [0u], ct);
        Assert.That(users, Is.EqualTo(new[] { "root", "" }), "an unknown uid comes back empty");
        Assert.That(groups, Is.EqualTo(new[] { "root" }));

        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        Assert.That(await _sftp.ExpandPathAsync("~", ct), Is.EqualTo(home));
        Assert.That(await _sftp.GetHomeDirectoryAsync(_sshd.UserName, ct), Is.EqualTo(home));
    }
}
