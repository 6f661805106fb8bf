using System.Security.Cryptography;
using NativeSftp.Transfer;
using System.Text.Json;
using NativeSftp.Tests.Fixtures;

namespace NativeSftp.Tests.Cli;

/// <summary>put, get and hash as a user runs them: nsftp processes against the sshd fixture.</summary>
[TestFixture]
[Category(NsftpProcess.Category)]
public sealed class TransferCommandTests
{
    /// <summary>Big enough for many pipelined requests (32 KiB each by default) and a few progress reports.</summary>
    private const int FileSize = 3 * 1024 * 1024 + 12345;

    private CliHome _home = null!;
    private string _remote = null!;
    private string _local = null!;

    [SetUp]
    public void SetUp()
    {
        _home = new CliHome(CliSshd.Server);
        _remote = CliSshd.NewRemoteFolder();
        _local = Path.Combine(_home.Directory, "data");
        Directory.CreateDirectory(_local);
    }

    [TearDown]
    public void TearDown()
    {
        _home.Dispose();
        Directory.Delete(_remote, recursive: true);
    }

    private string LocalFile(string name, int size)
    {
        string path = Path.Combine(_local, name);
        File.WriteAllBytes(path, RandomNumberGenerator.GetBytes(size));
        return path;
    }

    [Test]
    public async Task PutThenGet_ThreeMiB_ArriveByteIdentical_WithNoTemporaryFilesLeft()
    {
        string source = LocalFile("big.bin", FileSize);
        string back = Path.Combine(_local, "back.bin");

        var put = await _home.RunAsync("put", "--progress", "none", source, _home.Url(_remote + "/"));
        var get = await _home.RunAsync("get", "--progress", "none", _home.Url(_remote + "/big.bin"), back);

        Assert.That(put.ExitCode, Is.EqualTo(0), put.ToString());
        Assert.That(Directory.GetFileSystemEntries(_remote).Select(Path.GetFileName), Is.EqualTo(new[] { "big.bin" }), "the temporary name was renamed away");
        Assert.That(File.ReadAllBytes(Path.Combine(_remote, "big.bin")), Is.EqualTo(File.ReadAllBytes(source)));
        Assert.That(put.StandardError, Does.Contain("verified: sha256"), put.ToString());
        Assert.That(get.ExitCode, Is.EqualTo(0), get.ToString());
        Assert.That(File.ReadAllBytes(back), Is.EqualTo(File.ReadAllBytes(source)));
        Assert.That(Directory.GetFiles(_local).Select(Path.GetFileName), Is.EquivalentTo(new[] { "big.bin", "back.bin" }), "no local temporary left");
    }

    /// <summary>
    /// A target that is an existing directory, named without the trailing '/': the file goes inside it under its
    /// local name, as with sftp and scp. Found against ProFTPD: the whole file was uploaded, then the rename into
    /// place failed ("File is a directory"), reported as a disk-full-or-quota refusal, with the partial left.
    /// </summary>
    [Test]
    public async Task Put_OntoAnExistingDirectoryWithoutTheSlash_PutsTheFileInsideIt()
    {
        string source = LocalFile("into.bin", 100_000);
        Directory.CreateDirectory(Path.Combine(_remote, "dir"));

        var put = await _home.RunAsync("put", "--progress", "none", source, _home.Url(_remote + "/dir"));

        Assert.That(put.ExitCode, Is.EqualTo(0), put.ToString());
        Assert.That(File.ReadAllBytes(Path.Combine(_remote, "dir", "into.bin")), Is.EqualTo(File.ReadAllBytes(source)));
        Assert.That(Directory.GetFileSystemEntries(_remote).Select(Path.GetFileName), Is.EqualTo(new[] { "dir" }), "no partial beside the directory");
    }

    /// <summary>The library says so before any data moves, and leaves nothing on the server.</summary>
    [Test]
    public async Task UploadToADirectory_FailsBeforeTransferring_LeavingNothing()
    {
        string source = LocalFile("lib.bin", 2_000_000);
        string dir = Path.Combine(_remote, "target");
        Directory.CreateDirectory(dir);
        var options = TestClients.Options(CliSshd.Server);
        await using var ssh = await SshClient.ConnectAsync(options, CancellationToken.None);
        await using var sftp = await ssh.OpenSftpAsync(CancellationToken.None);

        var e = Assert.ThrowsAsync<RemoteIsDirectoryException>(() => sftp.UploadFileAsync(source, dir, null, null, CancellationToken.None));

        Assert.That(e!.Message, Does.Contain("is a directory").And.Contain("target/lib.bin").And.Contain("Nothing was transferred"));
        Assert.That(Directory.GetFileSystemEntries(_remote).Select(Path.GetFileName), Is.EqualTo(new[] { "target" }), "the temporary file was removed");
        Assert.That(Directory.GetFileSystemEntries(dir), Is.Empty);
    }

    [Test]
    public async Task Put_Json_ReportsBytesRateAttemptsAndTheLocalSha256AsTheVerifiedDigest()
    {
        string source = LocalFile("j.bin", FileSize);
        string expected = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(source)));

        var run = await _home.RunAsync("put", "--json", "--progress", "none", source, _home.Url(_remote + "/j.bin"));

        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        using var doc = JsonDocument.Parse(run.StandardOutput); // stdout is the JSON object and nothing else
        var r = doc.RootElement;
        Assert.That(r.GetProperty("operation").GetString(), Is.EqualTo("upload"));
        Assert.That(r.GetProperty("remote").GetString(), Is.EqualTo(_remote + "/j.bin"));
        Assert.That(r.GetProperty("bytes").GetInt64(), Is.EqualTo(FileSize));
        Assert.That(r.GetProperty("bytesPerSecond").GetDouble(), Is.GreaterThan(0));
        Assert.That(r.GetProperty("verify").GetProperty("method").GetString(), Is.EqualTo("sha256 (remote openssl, streamed)"));
        Assert.That(r.GetProperty("verify").GetProperty("digest").GetString(), Is.EqualTo("sha256:" + expected));
        var attempts = r.GetProperty("attempts");
        Assert.That(attempts.GetArrayLength(), Is.EqualTo(1));
        Assert.That(attempts[0].GetProperty("failure").ValueKind, Is.EqualTo(JsonValueKind.Null));
        Assert.That(attempts[0].GetProperty("bytesAcknowledged").GetInt64(), Is.EqualTo(FileSize));
        Assert.That(r.GetProperty("segments").GetInt32(), Is.GreaterThanOrEqualTo(1));
        Assert.That(r.GetProperty("resumedFrom").GetInt64(), Is.EqualTo(0));
    }

    [Test]
    public async Task Get_ProgressPlain_WritesPercentLinesToStderr_EndingAtOneHundredPercent()
    {
        string remoteFile = Path.Combine(_remote, "p.bin");
        await File.WriteAllBytesAsync(remoteFile, RandomNumberGenerator.GetBytes(FileSize));

        var run = await _home.RunAsync("get", "--progress", "plain", _home.Url(remoteFile), Path.Combine(_local, "p.bin"));

        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        var lines = run.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith("get: ", StringComparison.Ordinal)).ToList();
        Assert.That(lines, Is.Not.Empty, run.ToString());
        const string Size = @"\d+(\.\d)? (B|KiB|MiB)";
        Assert.That(lines, Has.All.Match($@"^get: \d{{1,3}}\.\d% {Size}/3\.0 MiB {Size}/s ETA (\d+:\d\d|--:--) phase=[a-z]+$"), run.ToString());
        Assert.That(lines.Any(l => l.StartsWith("get: 100.0% 3.0 MiB/3.0 MiB", StringComparison.Ordinal)), Is.True, run.ToString());
        Assert.That(run.StandardOutput, Is.Empty, "progress never goes to stdout");
    }

    [TestCase("size", "size")]
    [TestCase("none", "none")]
    public async Task Put_WeakerVerify_IsReportedAsAsked_WithNoDigest(string mode, string method)
    {
        string source = LocalFile("v.bin", 100_000);

        var run = await _home.RunAsync("put", "--json", "--verify", mode, "--progress", "none", source, _home.Url(_remote + "/v.bin"));

        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        using var doc = JsonDocument.Parse(run.StandardOutput);
        var verify = doc.RootElement.GetProperty("verify");
        Assert.That(verify.GetProperty("method").GetString(), Is.EqualTo(method));
        Assert.That(verify.GetProperty("digest").ValueKind, Is.EqualTo(JsonValueKind.Null), "nothing was checked by digest");
        if (mode == "none")
        {
            // --verify none skips the streaming hash altogether (its CPU buys nothing), so there is no digest to report.
            Assert.That(doc.RootElement.GetProperty("sha256").ValueKind, Is.EqualTo(JsonValueKind.Null));
        }
        else
        {
            Assert.That(doc.RootElement.GetProperty("sha256").GetString(), Is.EqualTo(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(source)))),
                "the local digest is still reported, outside verify");
        }

        Assert.That(File.ReadAllBytes(Path.Combine(_remote, "v.bin")), Is.EqualTo(File.ReadAllBytes(source)));
    }

    [Test]
    public async Task Hash_PrintsTheSameDigestAsSha256sum()
    {
        string remoteFile = Path.Combine(_remote, "h.bin");
        await File.WriteAllBytesAsync(remoteFile, RandomNumberGenerator.GetBytes(200_000));
        string expected = TestKeys.Run("/usr/bin/sha256sum", [remoteFile]).Split(' ')[0];

        var run = await _home.RunAsync("hash", _home.Url(remoteFile));

        Assert.That(expected, Has.Length.EqualTo(64));
        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(run.StandardOutput, Is.EqualTo($"{expected}  {remoteFile}  (sha256 (remote openssl))\n"));
    }

    [Test]
    public async Task Put_IntoADirectoryThatDoesNotExist_IsAnOperationFailure()
    {
        string source = LocalFile("x.bin", 1000);

        var run = await _home.RunAsync("put", "--progress", "none", source, _home.Url(_remote + "/no/such/dir/x.bin"));

        Assert.That(run.ExitCode, Is.EqualTo(4), run.ToString());
        Assert.That(run.StandardError, Does.Contain("no such file"), run.ToString());
    }

    [Test]
    public async Task Put_ToAnUnknownHost_IsAConnectionFailure_AndWritesNothing()
    {
        using var stranger = new CliHome(CliSshd.Server, trustHost: false);
        string source = Path.Combine(stranger.Directory, "x.bin");
        await File.WriteAllBytesAsync(source, new byte[1000]);

        var run = await stranger.RunAsync("put", "--progress", "none", source, stranger.Url(_remote + "/x.bin"));

        Assert.That(run.ExitCode, Is.EqualTo(3), run.ToString());
        Assert.That(run.StandardError, Does.Contain("host key"), run.ToString());
        Assert.That(Directory.GetFileSystemEntries(_remote), Is.Empty);
    }

    [TestCase("--verify", "bogus", "--verify")]
    [TestCase("--segments", "0", "--segments")]
    [TestCase("--chunk-size", "-5", "--chunk-size")]
    [TestCase("--progress", "loud", "progress mode")]
    public async Task Put_BadTransferOption_IsAUsageError_BeforeConnecting(string option, string value, string mentioned)
    {
        string source = LocalFile("x.bin", 1000);

        var run = await _home.RunAsync("put", option, value, source, _home.Url(_remote + "/x.bin"));

        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
        Assert.That(run.StandardError, Does.Contain(mentioned), run.ToString());
        Assert.That(Directory.GetFileSystemEntries(_remote), Is.Empty);
    }

    [Test]
    public async Task PutAndGet_OfADirectoryWithoutR_AreUsageErrors_WithAHintToUseR()
    {
        Directory.CreateDirectory(Path.Combine(_remote, "sub"));

        var put = await _home.RunAsync("put", _local, _home.Url(_remote + "/"));
        var get = await _home.RunAsync("get", "--progress", "none", _home.Url(_remote + "/sub"), Path.Combine(_local, "sub"));

        Assert.That(put.ExitCode, Is.EqualTo(2), put.ToString());
        Assert.That(put.StandardError, Does.Contain("put -r"), put.ToString());
        Assert.That(get.ExitCode, Is.EqualTo(2), get.ToString());
        Assert.That(get.StandardError, Does.Contain("get -r"), get.ToString());
    }
}
