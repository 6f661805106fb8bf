using System.Text.Json;

namespace NativeSftp.Tests.Cli;

[TestFixture]
[Category(NsftpProcess.Category)]
public sealed class FileCommandTests
{
    private CliHome _home = null!;
    private string _remote = null!;

    [SetUp]
    public void SetUp()
    {
        _home = new CliHome(CliSshd.Server);
        _remote = CliSshd.NewRemoteFolder();
    }

    [TearDown]
    public void TearDown()
    {
        _home.Dispose();
        Directory.Delete(_remote, recursive: true);
    }

    [Test]
    public async Task Ls_ListsEntriesSortedByName_LikeLsL()
    {
        await File.WriteAllTextAsync(Path.Combine(_remote, "b.txt"), "12345");
        await File.WriteAllTextAsync(Path.Combine(_remote, "a.txt"), "1");
        Directory.CreateDirectory(Path.Combine(_remote, "c-dir"));
        CliHome.SetMode(Path.Combine(_remote, "b.txt"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        File.SetLastWriteTimeUtc(Path.Combine(_remote, "b.txt"), new DateTime(2024, 3, 4, 5, 6, 7, DateTimeKind.Utc));

        var run = await _home.RunAsync("ls", _home.Url(_remote));

        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        string[] lines = run.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(3), run.ToString());
        Assert.That(lines[0], Does.EndWith(" a.txt"));
        Assert.That(lines[1], Does.Match(@"^-rw-r----- +5 2024-03-04 05:06 b\.txt$"), "sizes are right-aligned to the widest");
        Assert.That(lines[2], Does.StartWith("d").And.EndWith(" c-dir"));
    }

    [Test]
    public async Task Stat_PrintsTypeSizeOctalPermissionsOwnerAndIsoTimes()
    {
        string file = Path.Combine(_remote, "f.bin");
        await File.WriteAllBytesAsync(file, new byte[1234]);
        CliHome.SetMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        File.SetLastWriteTimeUtc(file, new DateTime(2023, 12, 31, 23, 59, 58, DateTimeKind.Utc));

        var run = await _home.RunAsync("stat", _home.Url(file));

        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(run.StandardOutput, Does.Contain("type: regular file\n"));
        Assert.That(run.StandardOutput, Does.Contain("size: 1234\n"));
        Assert.That(run.StandardOutput, Does.Contain("permissions: 0644 (-rw-r--r--)\n"));
        Assert.That(run.StandardOutput, Does.Contain("mtime: 2023-12-31T23:59:58Z\n"));
        Assert.That(run.StandardOutput, Does.Match(@"uid: \d+\n"));
        Assert.That(run.StandardOutput, Does.Match(@"atime: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n"));
    }

    [Test]
    public async Task LsAndStat_Json_PrintOneParsableObject()
    {
        await File.WriteAllTextAsync(Path.Combine(_remote, "x.txt"), "hello");

        var ls = await _home.RunAsync("ls", "--json", _home.Url(_remote));
        var stat = await _home.RunAsync("stat", "--json", _home.Url(_remote + "/x.txt"));

        Assert.That(ls.ExitCode, Is.EqualTo(0), ls.ToString());
        using var listing = JsonDocument.Parse(ls.StandardOutput);
        var entry = listing.RootElement.GetProperty("entries")[0];
        Assert.That(entry.GetProperty("name").GetString(), Is.EqualTo("x.txt"));
        Assert.That(entry.GetProperty("size").GetUInt64(), Is.EqualTo(5));
        Assert.That(stat.ExitCode, Is.EqualTo(0), stat.ToString());
        using var attributes = JsonDocument.Parse(stat.StandardOutput);
        Assert.That(attributes.RootElement.GetProperty("type").GetString(), Is.EqualTo("regular file"));
        Assert.That(attributes.RootElement.GetProperty("path").GetString(), Is.EqualTo(_remote + "/x.txt"));
    }

    [Test]
    public async Task Rm_RemovesTheFile()
    {
        string file = Path.Combine(_remote, "gone.txt");
        await File.WriteAllTextAsync(file, "x");

        var run = await _home.RunAsync("rm", _home.Url(file));

        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(File.Exists(file), Is.False);
    }

    [Test]
    public async Task MkdirThenRmdir_CreateAndRemoveTheDirectory()
    {
        string dir = Path.Combine(_remote, "new dir");

        var mkdir = await _home.RunAsync("mkdir", _home.Url(_remote + "/new%20dir"));
        bool existed = Directory.Exists(dir);
        var rmdir = await _home.RunAsync("rmdir", _home.Url(_remote + "/new%20dir"));

        Assert.That(mkdir.ExitCode, Is.EqualTo(0), mkdir.ToString());
        Assert.That(existed, Is.True, "mkdir did not create the (percent-decoded) directory");
        Assert.That(rmdir.ExitCode, Is.EqualTo(0), rmdir.ToString());
        Assert.That(Directory.Exists(dir), Is.False);
    }

    [Test]
    public async Task Mv_RenamesTheFile_ToAnAbsolutePath()
    {
        string from = Path.Combine(_remote, "old.txt");
        string to = Path.Combine(_remote, "new.txt");
        await File.WriteAllTextAsync(from, "content");

        var run = await _home.RunAsync("mv", _home.Url(from), to);

        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(File.Exists(from), Is.False);
        Assert.That(await File.ReadAllTextAsync(to), Is.EqualTo("content"));
    }

    [Test]
    public async Task HomeRelativePath_ResolvesAgainstTheLoginDirectory()
    {
        // sshd's login directory is the account's home from the password database, not the test's HOME.
        string loginHome = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        string name = "nsftp-cli-home-test-" + Guid.NewGuid().ToString("N")[..8];
        try
        {
            var mkdir = await _home.RunAsync("mkdir", _home.Url("/~/" + name));
            Assert.That(mkdir.ExitCode, Is.EqualTo(0), mkdir.ToString());
            Assert.That(Directory.Exists(Path.Combine(loginHome, name)), Is.True);
        }
        finally
        {
            if (Directory.Exists(Path.Combine(loginHome, name)))
            {
                Directory.Delete(Path.Combine(loginHome, name));
            }
        }
    }
}
