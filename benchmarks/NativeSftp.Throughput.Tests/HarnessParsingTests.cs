namespace NativeSftp.Throughput.Tests;

/// <summary>The numbers in the table come from these parsers and reductions, so they get their own checks.</summary>
[TestFixture]
public sealed class HarnessParsingTests
{
    [Test]
    public void ParseSample_ReadsGnuTimeLineAndClientResult()
    {
        var s = ClientRunner.ParseSample("0.53 1.25 0.40 65536\n",
            "noise\nRESULT session_seconds=1.000 transfer_seconds=0.800 segments=2 verify=sha256_(remote) cipher=aes128-gcm@openssh.com\n", "");

        Assert.Multiple(() =>
        {
            Assert.That(s.UserSeconds, Is.EqualTo(1.25));
            Assert.That(s.SystemSeconds, Is.EqualTo(0.40));
            Assert.That(s.CpuSeconds, Is.EqualTo(1.65).Within(1e-9));
            Assert.That(s.MaxRssKiB, Is.EqualTo(65536));
            Assert.That(s.Details["segments"], Is.EqualTo("2"));
            Assert.That(s.Details["cipher"], Is.EqualTo("aes128-gcm@openssh.com"));
        });
    }

    [Test]
    public void ParseSample_TakesOpenSshCipherFromVerboseLog()
    {
        var s = ClientRunner.ParseSample("Command exited with non-zero status 0\n2.00 0.30 0.20 8000\n", "",
            "debug1: kex: client->server cipher: chacha20-poly1305@openssh.com MAC: <implicit> compression: none\n");

        Assert.That(s.Details["cipher"], Is.EqualTo("chacha20-poly1305@openssh.com"));
    }

    [Test]
    public void ParseNsftpJson_TakesTheLibraryClientsDetailsFromNsftpsResult()
    {
        // An nsftp put --json result as printed by the native tool (attempts shortened).
        const string Json = """
            {"operation": "upload", "local": "/tmp/small.bin", "remote": "/tmp/x/small.bin", "bytes": 1000, "seconds": 0.317,
             "bytesPerSecond": 3150.4, "sha256": "1f52", "verify": {"method": "sha256 (remote openssl, streamed)", "digest": "sha256:1f52"},
             "attempts": [], "resumedFrom": 0, "resumeVerification": null, "segments": 3,
             "algorithms": {"kex": "sntrup761x25519-sha512", "hostKey": "ssh-ed25519", "cipher": "aes128-gcm@openssh.com", "mac": null}}
            """;

        var d = ClientRunner.ParseNsftpJson(Json);

        Assert.Multiple(() =>
        {
            Assert.That(d.ContainsKey("transfer_seconds"), Is.False, "nsftp's seconds include connecting: not a transfer-only time");
            Assert.That(d["bytes"], Is.EqualTo("1000"));
            Assert.That(d["segments"], Is.EqualTo("3"));
            Assert.That(d["verify"], Is.EqualTo("sha256_(remote_openssl,_streamed)"), "spaces made underscores, as on the RESULT line");
            Assert.That(d["cipher"], Is.EqualTo("aes128-gcm@openssh.com"));
        });
    }

    [Test]
    public void ParseNsftpJson_NotJson_Throws() =>
        Assert.That(() => ClientRunner.ParseNsftpJson("nsftp: put x -> y: 1 B in 0.1 s"), Throws.InstanceOf<System.Text.Json.JsonException>());

    [Test]
    public void ParseSample_MalformedResultField_Throws()
    {
        Assert.That(() => ClientRunner.ParseSample("1 1 1 1", "RESULT novalue\n", ""), Throws.InstanceOf<FormatException>());
    }

    [Test]
    public void ParseSample_UnexpectedTimeOutput_Throws()
    {
        Assert.That(() => ClientRunner.ParseSample("1.0 2.0\n", "", ""), Throws.InstanceOf<FormatException>());
    }

    [TestCase(new[] { 3.0, 1.0, 2.0 }, 2.0)]
    [TestCase(new[] { 4.0, 1.0, 3.0, 2.0 }, 2.5)]
    [TestCase(new[] { 7.0 }, 7.0)]
    public void Median_OfOddAndEvenCounts(double[] values, double expected)
    {
        Assert.That(Row.Median(values), Is.EqualTo(expected));
    }

    [Test]
    public void Row_ThroughputAndCpuPerGiB_FromWholeProcessSamples()
    {
        const long Bytes = 1024L * 1024 * 1024;
        var job = new Job("x", "openssh", []);
        var samples = new[]
        {
            new Sample(10, 1, 1, 2048, new Dictionary<string, string>()),
            new Sample(8, 2, 2, 4096, new Dictionary<string, string>()),
            new Sample(4, 3, 3, 1024, new Dictionary<string, string>()),
        };
        var row = new Row("loopback", job, "put", Bytes, samples);

        Assert.Multiple(() =>
        {
            Assert.That(row.MiBPerSecond, Is.EqualTo(128.0), "1024 MiB / 8 s, the median run");
            Assert.That(row.CpuSecondsPerGiB, Is.EqualTo(4.0));
            Assert.That(row.PeakRssMiB, Is.EqualTo(2.0));
            Assert.That(row.TransferOnlyMiBPerSecond, Is.Null, "OpenSSH reports no transfer-only time");
            Assert.That(row.Detail("segments", "1"), Is.EqualTo("1"), "a missing detail shows its default");
        });
    }

    [Test]
    public void Markdown_RatioTable_ComparesEachNativeSftpRowWithEachPeer()
    {
        const long Bytes = 1024L * 1024 * 1024;
        static Sample S(double wall, double cpu) => new(wall, cpu, 0, 1024, new Dictionary<string, string>());
        var rows = new[]
        {
            new Row("loopback", new Job("NativeSftp (verify none)", "nativesftp", []), "put", Bytes, [S(4, 2)]),
            new Row("loopback", new Job("OpenSSH sftp (defaults)", "openssh", []), "put", Bytes, [S(8, 1)]),
            new Row("loopback", new Job("OpenSSH sftp (defaults)", "openssh", []), "get", Bytes, [S(1, 1)]),
        };

        string md = Report.Markdown(rows, ["preamble"]);

        Assert.That(md, Does.Contain("| loopback | put | NativeSftp (verify none) | OpenSSH sftp (defaults) | 2.00× | 2.00× |"));
        Assert.That(md, Does.Not.Contain("| loopback | get | NativeSftp"), "no NativeSftp get row, so no get ratio");
    }

    [Test]
    public void Settings_Quick_ShrinksSizesAndRuns_ArgumentsStillWin()
    {
        var s = BenchSettings.Parse(["--quick", "--runs", "2"]);

        Assert.Multiple(() =>
        {
            Assert.That(s.LoopbackMiB, Is.EqualTo(BenchSettings.QuickLoopbackMiB));
            Assert.That(s.LatencyMiB, Is.EqualTo(BenchSettings.QuickLatencyMiB));
            Assert.That(s.Runs, Is.EqualTo(2));
        });
    }

    [Test]
    public void Settings_UnknownArgument_Throws()
    {
        Assert.That(() => BenchSettings.Parse(["--frobnicate"]), Throws.ArgumentException);
    }
}
