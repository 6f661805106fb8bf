using System.Diagnostics;
using System.Text;
using NativeSftp.Auth.KnownHosts;
using NativeSftp.Crypto;

namespace NativeSftp.Tests.Auth.KnownHosts;

/// <summary>Whatever a known_hosts file holds, Lookup returns a verdict: no exception, no hang, no huge allocation.</summary>
[TestFixture]
public class KnownHostsHostileInputTests
{
    private const string Ed25519Line = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEnxb4CN+9WQt8xBWzi6oOmcE++zYQh3P7FRiP8F7tqG";

    private static readonly SshPublicKey Key = SshPublicKey.ParseOpenSsh(Ed25519Line);

    private string _dir = null!;

    [SetUp]
    public void MakeFolder()
    {
        _dir = Path.Combine(Path.GetTempPath(), "nsftp-kh-hostile-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(_dir);
    }

    [TearDown]
    public void DeleteFolder() => Directory.Delete(_dir, recursive: true);

    private string WriteBytes(byte[] content)
    {
        string path = Path.Combine(_dir, "known_hosts");
        File.WriteAllBytes(path, content);
        return path;
    }

    private static KnownHostsLookupResult Lookup(string file) =>
        KnownHostsFile.Lookup([file], "host.example.org", 22, Key, DateTimeOffset.UtcNow);

    [Test]
    public void HugeLineWithoutNewline_IsSkipped_AndTheLineAfterItStillCounts()
    {
        var content = new MemoryStream();
        content.Write(Encoding.ASCII.GetBytes("host.example.org ssh-ed25519 "));
        content.Write(Encoding.ASCII.GetBytes(new string('A', 8 * 1024 * 1024)));
        content.Write(Encoding.ASCII.GetBytes("\nhost.example.org " + Ed25519Line + "\n"));
        string file = WriteBytes(content.ToArray());

        var r = Lookup(file);

        Assert.Multiple(() =>
        {
            Assert.That(r.Status, Is.EqualTo(KnownHostsStatus.Trusted));
            Assert.That(r.DecidingEntry!.LineNumber, Is.EqualTo(2));
            Assert.That(r.SkippedLines.Single().Reason, Does.Contain("longer than"));
        });
    }

    [Test]
    public void BinaryJunk_NeverThrows()
    {
        var random = new Random(20261128);
        for (int round = 0; round < 20; round++)
        {
            byte[] junk = new byte[random.Next(1, 200_000)];
            random.NextBytes(junk);
            string file = WriteBytes(junk);

            var r = Lookup(file);

            Assert.That(r.Status, Is.EqualTo(KnownHostsStatus.Unknown), $"round {round}");
        }
    }

    [Test]
    public void MutatedValidLines_NeverThrow()
    {
        // Valid lines of every form with random bytes overwritten: the parser meets near-valid input at every position.
        string[] valid =
        [
            "host.example.org " + Ed25519Line,
            "@cert-authority *.example.org " + Ed25519Line,
            "@revoked * " + Ed25519Line,
            "|1|oyHVM3VEOLni0cEV2P+LNneJvng=|BkPTcS5O78SMLaKq2cD7N2hypPw= " + Ed25519Line,
            "[host.example.org]:2222,!x,*.y " + Ed25519Line + " comment",
        ];
        var random = new Random(42);
        for (int round = 0; round < 2000; round++)
        {
            byte[] line = Encoding.ASCII.GetBytes(valid[round % valid.Length]);
            int flips = random.Next(1, 4);
            for (int i = 0; i < flips; i++)
            {
                line[random.Next(line.Length)] = (byte)random.Next(256);
            }

            var r = Lookup(WriteBytes([.. line, (byte)'\n']));

            Assert.That(r.Status, Is.AnyOf(KnownHostsStatus.Unknown, KnownHostsStatus.Trusted, KnownHostsStatus.Changed, KnownHostsStatus.Revoked), $"round {round}");
        }
    }

    [TestCase("host.example.org ssh-ed25519 ====")]
    [TestCase("host.example.org ssh-ed25519 A")]
    [TestCase("host.example.org ssh-ed25519 AAAAAAAA")]
    [TestCase("host.example.org ssh-ed25519 /////////////////////w==")]
    [TestCase("host.example.org ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAAABBA==")]
    [TestCase("|1||AAAA " + Ed25519Line)]
    [TestCase("|1|" + "AAAA|AAAA " + Ed25519Line)]
    [TestCase("@cert-authority")]
    [TestCase("@revoked\t\t")]
    public void BadKeyOrHostField_IsSkippedWithAReason(string line)
    {
        var r = Lookup(WriteBytes(Encoding.ASCII.GetBytes(line + "\n")));

        Assert.Multiple(() =>
        {
            Assert.That(r.Status, Is.EqualTo(KnownHostsStatus.Unknown));
            Assert.That(r.SkippedLines, Has.Count.EqualTo(1));
            Assert.That(r.SkippedLines[0].LineNumber, Is.EqualTo(1));
        });
    }

    [Test]
    public void PathologicalWildcards_MatchInLinearishTime()
    {
        // "*a*a*...*b" against "aaaa...": exponential for a naive recursive matcher.
        string pattern = string.Concat(Enumerable.Repeat("*a", 40)) + "*b";
        string host = new('a', 200);
        string file = WriteBytes(Encoding.ASCII.GetBytes(pattern + " " + Ed25519Line + "\n"));

        var watch = Stopwatch.StartNew();
        var entries = KnownHostsFile.FindEntries([file], host, 22);
        watch.Stop();

        Assert.Multiple(() =>
        {
            Assert.That(entries, Is.Empty);
            Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(2)));
        });
    }

    [TestCase("host.example.org", "host.example.org", true)]
    [TestCase("HOST.Example.ORG", "host.example.org", true)]
    [TestCase("*.example.org", "a.b.example.org", true)]
    [TestCase("*.example.org", "example.org", false)]
    [TestCase("h?st.example.org", "host.example.org", true)]
    [TestCase("h?st.example.org", "hst.example.org", false)]
    [TestCase("*,!host.example.org", "host.example.org", false)]
    [TestCase("!host.example.org,*", "host.example.org", false)]
    [TestCase("!other.example.org", "host.example.org", false)]
    [TestCase("other,,host.example.org", "host.example.org", true)]
    [TestCase("*", "[host.example.org]:2222", true)]
    public void PatternLists_MatchLikeOpenSsh(string patterns, string lookupName, bool expected) =>
        Assert.That(HostPatternMatcher.MatchList(lookupName, patterns) == HostPatternMatcher.ListMatch.Match, Is.EqualTo(expected));

    [Test]
    public void OverlongPattern_MakesTheWholeListNotMatch_AsInOpenSsh()
    {
        string longPattern = new('x', HostPatternMatcher.MaxPatternLength + 1);

        Assert.Multiple(() =>
        {
            Assert.That(HostPatternMatcher.MatchList("host", "host," + longPattern), Is.EqualTo(HostPatternMatcher.ListMatch.NoMatch));
            Assert.That(HostPatternMatcher.MatchList("host", "host," + longPattern[1..]), Is.EqualTo(HostPatternMatcher.ListMatch.Match));
        });
    }

    [TestCase("bad host")]
    [TestCase("a,b")]
    [TestCase("*.example.org")]
    [TestCase("host\n")]
    public void FormatLine_RefusesNamesThatWouldReadBackAsSomethingElse(string host) =>
        Assert.Throws<ArgumentException>(() => KnownHostsFile.FormatLine(host, 22, Key, hashed: false));

    [TestCase(0)]
    [TestCase(65536)]
    public void Lookup_PortOutOfRange_Throws(int port) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => KnownHostsFile.LookupName("host", port));
}
