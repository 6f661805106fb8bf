using System.Text.Json;

namespace NativeSftp.Tests.Cli;

/// <summary>put -r and get -r of a small tree against the sshd fixture.</summary>
[TestFixture]
[Category(NsftpProcess.Category)]
public sealed class RecursiveTransferTests
{
    private CliHome _home = null!;
    private string _remote = null!;
    private string _tree = null!;

    /// <summary>Relative path → content: files at three levels, an empty file, a name with a space.</summary>
    private static readonly Dictionary<string, string> Files = new()
    {
        ["top.txt"] = "top",
        ["a/one.txt"] = "one",
        ["a/b/two words.txt"] = new string('x', 70_000),
        ["a/b/empty"] = "",
    };

    [SetUp]
    public void SetUp()
    {
        _home = new CliHome(CliSshd.Server);
        _remote = CliSshd.NewRemoteFolder();
        _tree = Path.Combine(_home.Directory, "tree");
        foreach (var (path, content) in Files)
        {
            string full = Path.Combine(_tree, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllText(full, content);
        }

        Directory.CreateDirectory(Path.Combine(_tree, "a", "empty-dir"));
        File.CreateSymbolicLink(Path.Combine(_tree, "link.txt"), Path.Combine(_tree, "top.txt"));
    }

    [TearDown]
    public void TearDown()
    {
        _home.Dispose();
        Directory.Delete(_remote, recursive: true);
    }

    private static void AssertSameTree(string root)
    {
        foreach (var (path, content) in Files)
        {
            Assert.That(File.ReadAllText(Path.Combine(root, path)), Is.EqualTo(content), path);
        }

        Assert.That(Directory.Exists(Path.Combine(root, "a", "empty-dir")), Is.True, "empty directories are copied too");
        Assert.That(Path.Exists(Path.Combine(root, "link.txt")), Is.False, "symbolic links are skipped");
        Assert.That(Directory.GetFiles(root, "*", SearchOption.AllDirectories), Has.Length.EqualTo(Files.Count), "no temporary files left");
    }

    [Test]
    public async Task PutRThenGetR_CopyEveryFileAndDirectory_AndSkipSymlinksWithANoteUnderVerbose()
    {
        var put = await _home.RunAsync("put", "-r", "-v", "--progress", "none", _tree, _home.Url(_remote + "/"));
        string back = Path.Combine(_home.Directory, "back");
        var get = await _home.RunAsync("get", "-r", "--progress", "none", _home.Url(_remote + "/tree"), back);

        Assert.That(put.ExitCode, Is.EqualTo(0), put.ToString());
        Assert.That(put.StandardError, Does.Contain("skipping link.txt: symbolic link"), put.ToString());
        Assert.That(put.StandardError, Does.Contain("4 files, 3 directories, 1 skipped"), put.ToString());
        AssertSameTree(Path.Combine(_remote, "tree"));
        Assert.That(get.ExitCode, Is.EqualTo(0), get.ToString());
        AssertSameTree(back);
    }

    [Test]
    public async Task GetR_IntoAnExistingDirectory_KeepsTheRemoteName()
    {
        await _home.RunAsync("put", "-r", "--progress", "none", _tree, _home.Url(_remote + "/copy"));
        string into = Path.Combine(_home.Directory, "into");
        Directory.CreateDirectory(into);

        var get = await _home.RunAsync("get", "-r", "--progress", "none", _home.Url(_remote + "/copy"), into);

        Assert.That(get.ExitCode, Is.EqualTo(0), get.ToString());
        AssertSameTree(Path.Combine(into, "copy"));
    }

    [Test]
    public async Task PutR_Json_PrintsOneObjectWithAVerifiedResultPerFile()
    {
        var run = await _home.RunAsync("put", "-r", "--json", "--progress", "none", _tree, _home.Url(_remote + "/j"));

        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        using var doc = JsonDocument.Parse(run.StandardOutput);
        var r = doc.RootElement;
        Assert.That(r.GetProperty("operation").GetString(), Is.EqualTo("put -r"));
        Assert.That(r.GetProperty("complete").GetBoolean(), Is.True);
        Assert.That(r.GetProperty("failed").ValueKind, Is.EqualTo(JsonValueKind.Null));
        Assert.That(r.GetProperty("directories").GetInt32(), Is.EqualTo(3));
        var files = r.GetProperty("files").EnumerateArray().ToList();
        Assert.That(files.Select(f => f.GetProperty("remote").GetString()),
            Is.EqualTo(new[] { "a/b/empty", "a/b/two words.txt", "a/one.txt", "top.txt" }.Select(p => _remote + "/j/" + p)));
        Assert.That(files.Select(f => f.GetProperty("verify").GetProperty("method").GetString()), Has.All.EqualTo("sha256 (remote openssl, streamed)"));
        Assert.That(r.GetProperty("bytes").GetInt64(), Is.EqualTo(Files.Values.Sum(v => v.Length)));
        Assert.That(r.GetProperty("skipped")[0].GetProperty("path").GetString(), Is.EqualTo("link.txt"));
    }

    [Test]
    public async Task PutR_StopsAtTheFirstFailingFile_NamesIt_AndTriesNoMore()
    {
        // A directory where a file must go: the final rename onto it fails, an honest server-side refusal.
        Directory.CreateDirectory(Path.Combine(_remote, "t", "a", "one.txt"));

        var run = await _home.RunAsync("put", "-r", "--json", "--progress", "none", _tree, _home.Url(_remote + "/t"));

        Assert.That(run.ExitCode, Is.EqualTo(4), run.ToString());
        Assert.That(run.StandardError, Does.Contain("stopped at a/one.txt (2 of 4 files done"), run.ToString());
        using var doc = JsonDocument.Parse(run.StandardOutput);
        Assert.That(doc.RootElement.GetProperty("complete").GetBoolean(), Is.False);
        Assert.That(doc.RootElement.GetProperty("failed").GetProperty("remote").GetString(), Is.EqualTo(_remote + "/t/a/one.txt"));
        Assert.That(doc.RootElement.GetProperty("files").GetArrayLength(), Is.EqualTo(2));
        Assert.That(File.Exists(Path.Combine(_remote, "t", "top.txt")), Is.False, "files after the failure are not tried");
    }

    [Test]
    public async Task GetR_OfAFile_IsAUsageError()
    {
        await File.WriteAllTextAsync(Path.Combine(_remote, "f.txt"), "x");

        var run = await _home.RunAsync("get", "-r", _home.Url(_remote + "/f.txt"), Path.Combine(_home.Directory, "out"));

        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
        Assert.That(run.StandardError, Does.Contain("not a directory"), run.ToString());
    }
}
