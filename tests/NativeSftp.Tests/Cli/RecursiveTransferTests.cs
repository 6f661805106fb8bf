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

    /// <summary>
    /// put -r of the tree with a directory where a/one.txt must go (the final rename onto it fails, an honest
    /// server-side refusal): exit 4, "stopped at a/one.txt", and the JSON says incomplete and names that file.
    /// </summary>
    private async Task<(NsftpRun Run, JsonDocument Json)> PutRFailingAtAOneTxtAsync(int parallel)
    {
        Directory.CreateDirectory(Path.Combine(_remote, "t", "a", "one.txt"));

        var run = await _home.RunAsync("put", "-r", "--parallel", parallel.ToString(System.Globalization.CultureInfo.InvariantCulture), "--json", "--progress", "none", _tree, _home.Url(_remote + "/t"));

        Assert.That(run.ExitCode, Is.EqualTo(4), run.ToString());
        Assert.That(run.StandardError, Does.Contain("stopped at a/one.txt ("), run.ToString());
        var doc = JsonDocument.Parse(run.StandardOutput);
        Assert.That(doc.RootElement.GetProperty("complete").GetBoolean(), Is.False);
        Assert.That(doc.RootElement.GetProperty("failed").GetProperty("remote").GetString(), Is.EqualTo(_remote + "/t/a/one.txt"));
        return (run, doc);
    }

    [Test]
    public async Task PutR_OneAtATime_StopsAtTheFirstFailingFile_NamesIt_AndTriesNoMore()
    {
        var (run, doc) = await PutRFailingAtAOneTxtAsync(parallel: 1);
        using var _ = doc;

        Assert.That(run.StandardError, Does.Contain("stopped at a/one.txt (2 of 4 files done"), run.ToString());
        Assert.That(doc.RootElement.GetProperty("files").GetArrayLength(), Is.EqualTo(2));
        Assert.That(File.Exists(Path.Combine(_remote, "t", "top.txt")), Is.False, "files after the failure are not tried");
    }

    /// <summary>
    /// Small files several at a time (the default): the failure still names the first failing file and the copy
    /// starts nothing after it; files already in flight finish, each verified and renamed or not there at all.
    /// </summary>
    [Test]
    public async Task PutR_InParallel_AFailureNamesTheFile_AndLeavesEveryOtherFileWholeOrAbsent()
    {
        var (_, doc) = await PutRFailingAtAOneTxtAsync(parallel: 4);
        using var _ = doc;

        var done = doc.RootElement.GetProperty("files").EnumerateArray().Select(f => f.GetProperty("remote").GetString()!).ToList();
        Assert.That(done, Is.Ordered.Using<string>(StringComparer.Ordinal), "results in name order, whatever order they finished in");
        foreach (var (path, content) in Files.Where(f => f.Key != "a/one.txt"))
        {
            string remote = Path.Combine(_remote, "t", path);
            if (done.Contains(_remote + "/t/" + path))
            {
                Assert.That(File.ReadAllText(remote), Is.EqualTo(content), path);
            }
            else
            {
                Assert.That(File.Exists(remote), Is.False, $"{path} was not reported done, so it must not be there");
            }
        }

        Assert.That(Directory.GetFiles(Path.Combine(_remote, "t"), "*.nsftp-part", SearchOption.AllDirectories), Is.Empty, "no partial left behind");
    }

    [Test]
    public async Task PutRThenGetR_ManySmallFilesInParallel_AreByteIdentical([Values(1, 3, 8)] int parallel)
    {
        string many = Path.Combine(_home.Directory, "many");
        var contents = new Dictionary<string, byte[]>();
        for (int i = 0; i < 17; i++)
        {
            // Mostly small, with two large files (over 1 MiB) between them, which go one at a time.
            string name = $"d{i % 3}/f{i:D2}.bin";
            byte[] data = new byte[i is 5 or 11 ? (1 << 20) + 3 * i : 1000 * i];
            Random.Shared.NextBytes(data);
            contents[name] = data;
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(many, name))!);
            File.WriteAllBytes(Path.Combine(many, name), data);
        }

        string trace = Path.Combine(_home.Directory, "put.trace");
        var put = await _home.RunAsync("put", "-r", "--parallel", parallel.ToString(System.Globalization.CultureInfo.InvariantCulture), "--progress", "none", "--trace", trace, many, _home.Url(_remote + "/m"));
        string back = Path.Combine(_home.Directory, "back-many");
        string getTrace = Path.Combine(_home.Directory, "get.trace");
        var get = await _home.RunAsync("get", "-r", "--parallel", parallel.ToString(System.Globalization.CultureInfo.InvariantCulture), "--progress", "none", "--trace", getTrace, _home.Url(_remote + "/m"), back);

        Assert.That(put.ExitCode, Is.Zero, put.ToString());
        Assert.That(get.ExitCode, Is.Zero, get.ToString());
        Assert.That(put.StandardError, Does.Contain("17 files, 3 directories"), put.ToString());
        foreach (var (name, data) in contents)
        {
            Assert.That(File.ReadAllBytes(Path.Combine(_remote, "m", name)), Is.EqualTo(data), "uploaded " + name);
            Assert.That(File.ReadAllBytes(Path.Combine(back, name)), Is.EqualTo(data), "downloaded " + name);
        }

        Assert.That(Directory.GetFiles(back, "*", SearchOption.AllDirectories), Has.Length.EqualTo(contents.Count), "no temporary files left");

        // Every connection starts with our KEXINIT: one for the walk, then one per worker that got a file.
        foreach (string t in new[] { trace, getTrace })
        {
            int connections = File.ReadLines(t).Count(l => l.Contains(" send kex=0 ", StringComparison.Ordinal) && l.EndsWith(" KEXINIT", StringComparison.Ordinal));
            // Each connection's lines carry its own number, so the trace of several can be read apart.
            int numbered = File.ReadLines(t).Select(l => System.Text.RegularExpressions.Regex.Match(l, @" conn=(\d+) ").Groups[1].Value).Where(n => n.Length > 0).Distinct().Count();
            Assert.That(numbered, Is.EqualTo(connections), $"{Path.GetFileName(t)}: one number per connection");
            if (parallel == 1)
            {
                Assert.That(connections, Is.EqualTo(2), $"{Path.GetFileName(t)}: one connection for the walk, one for every file");
            }
            else
            {
                Assert.That(connections, Is.GreaterThanOrEqualTo(3), $"{Path.GetFileName(t)}: small files went on several connections at once");
            }
        }
    }

    /// <summary>
    /// An encrypted key and several workers logging in at once: each worker's connection loads the key (that the
    /// question itself is asked once is <see cref="PassphrasePromptTests"/>); the trace shows every worker logged in.
    /// </summary>
    [Test]
    public async Task PutR_InParallel_WithAnEncryptedKey_EveryWorkerLogsIn()
    {
        using var home = new CliHome(CliSshd.Server, defaultKey: false);
        string key = Path.Combine(home.Directory, "keys", "id_ed25519");
        CliHome.CopyKey(Fixtures.SshdServer.Keys.UserEd25519, key);
        Fixtures.TestKeys.Run("/usr/bin/ssh-keygen", ["-q", "-p", "-P", "", "-N", "sesame", "-f", key]);
        string trace = Path.Combine(home.Directory, "put.trace");

        var run = await home.RunAsync(new Dictionary<string, string> { ["NSFTP_PASSPHRASE"] = "sesame" },
            "put", "-r", "--parallel", "4", "--progress", "none", "--trace", trace, "-i", key, _tree, home.Url(_remote + "/enc"));

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        AssertSameTree(Path.Combine(_remote, "enc"));
        Assert.That(File.ReadLines(trace).Count(l => l.Contains("USERAUTH_SUCCESS", StringComparison.Ordinal)), Is.GreaterThanOrEqualTo(3));
    }

    /// <summary>
    /// Directories are made a level at a time, all of a level together: every level must exist before the next, and
    /// a second run over the same tree makes none (-v lists each MKDIR).
    /// </summary>
    [Test]
    public async Task PutR_AWideDeepTree_CreatesEveryDirectory_AndASecondRunCreatesNone()
    {
        string wide = Path.Combine(_home.Directory, "wide");
        var dirs = new List<string>();
        for (int i = 0; i < 5; i++)
        {
            for (int j = 0; j < 4; j++)
            {
                string leaf = $"d{i}/e{j}/f";
                Directory.CreateDirectory(Path.Combine(wide, leaf));
                dirs.AddRange([$"d{i}", $"d{i}/e{j}", leaf]);
            }

            File.WriteAllText(Path.Combine(wide, $"d{i}", "x.txt"), $"file {i}");
        }

        var first = await _home.RunAsync("put", "-r", "-v", "--progress", "none", wide, _home.Url(_remote + "/w"));
        var second = await _home.RunAsync("put", "-r", "-v", "--progress", "none", wide, _home.Url(_remote + "/w"));

        Assert.That(first.ExitCode, Is.Zero, first.ToString());
        foreach (string dir in dirs.Distinct())
        {
            Assert.That(Directory.Exists(Path.Combine(_remote, "w", dir)), Is.True, dir);
        }

        Assert.That(first.StandardError.Split('\n').Count(l => l.Contains("mkdir ", StringComparison.Ordinal)), Is.EqualTo(dirs.Distinct().Count() + 1), first.ToString());
        Assert.That(second.ExitCode, Is.Zero, second.ToString());
        Assert.That(second.StandardError, Does.Not.Contain("mkdir "), "everything exists already");
        Assert.That(File.ReadAllText(Path.Combine(_remote, "w", "d3", "x.txt")), Is.EqualTo("file 3"));
    }

    [Test]
    public async Task PutR_AFileWhereADirectoryMustGo_FailsNamingIt()
    {
        Directory.CreateDirectory(Path.Combine(_remote, "t"));
        File.WriteAllText(Path.Combine(_remote, "t", "a"), "in the way");

        var run = await _home.RunAsync("put", "-r", "--progress", "none", _tree, _home.Url(_remote + "/t"));

        Assert.That(run.ExitCode, Is.EqualTo(4), run.ToString());
        Assert.That(run.StandardError, Does.Contain(_remote + "/t/a exists on the server and is not a directory"), run.ToString());
        Assert.That(File.ReadAllText(Path.Combine(_remote, "t", "a")), Is.EqualTo("in the way"), "left as it was");
    }

    [TestCase("0")]
    [TestCase("9")]
    public async Task Parallel_OutOfRange_IsAUsageError(string value)
    {
        var run = await _home.RunAsync("put", "-r", "--parallel", value, _tree, _home.Url(_remote + "/x"));
        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
        Assert.That(run.StandardError, Does.Contain("--parallel must be between 1 and 8"));
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
