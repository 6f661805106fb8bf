using System.Text;
using NativeSftp.Auth.KnownHosts;

namespace NativeSftp.Tests.Auth.KnownHosts;

/// <summary>
/// For many (host, port) lookups, the lines we say name the host are the lines <c>ssh-keygen -l -F</c> reports, on
/// one file that holds every form sshd(8) describes plus lines OpenSSH skips.
/// </summary>
[TestFixture]
public class KnownHostsOpenSshAgreementTests
{
    private KnownHostsTestFolder _folder = null!;
    private string _file = null!;

    [OneTimeSetUp]
    public void WriteFile()
    {
        _folder = new KnownHostsTestFolder();
        string k1 = PublicLine(_folder.Generate("k1", "ed25519"));
        string k2 = PublicLine(_folder.Generate("k2", "ecdsa", 256));
        string k3 = PublicLine(_folder.Generate("k3", "rsa", 2048));
        string ca = PublicLine(_folder.Generate("ca", "ed25519"));

        // ssh-keygen -H splits the comma list into one hashed line per name and lowercases them.
        var hashed = _folder.HashWithSshKeygen([
            "hashed1.example.org " + k1,
            "[hashed2.example.org]:2200 " + k2,
            "Hashed3.Example.org,10.0.0.7 " + k3,
        ]);
        Assert.That(hashed, Has.Count.EqualTo(4).And.All.StartWith("|1|"), "ssh-keygen -H output");

        // A blob whose type is one no implementation knows: OpenSSH refuses the line; we keep it as unusable.
        string unknownType = "ssh-foo " + Convert.ToBase64String([0, 0, 0, 7, .. "ssh-foo"u8, 0, 0, 0, 1, 42]);

        var lines = new List<string>
        {
            "# agreement test: every form of sshd(8) SSH_KNOWN_HOSTS FILE FORMAT",
            "",
            "plain.example.org " + k1,
            "Plain2.Example.ORG,alias2,10.1.2.3 " + k2 + " a comment with spaces",
            "*.wild.example.org " + k3,
            "web?.example.org " + k1,
            "*.neg.example.org,!secret.neg.example.org " + k2,
            "!only-negated.example.org " + k1,
            "[ported.example.org]:2222 " + k1,
            "[*.pw.example.org]:22?? " + k2,
            "ported.example.org " + k3,
            "@cert-authority *.ca.example.org " + ca,
            "@cert-authority [*.ca.example.org]:2222 " + ca,
            "@revoked revoked.example.org " + k2,
            "*.example.net,plain.example.org " + k2,
            " \tleading-blank.example.org\t" + k2,
            "crlf.example.org " + k1 + "\r",
            "#plain.example.org " + k1,
            "   # indented comment",
            "garbage",
            "plain.example.org ssh-ed25519 !!!not-base64!!!",
            "plain.example.org ssh-ed25519 AAAA",
            "plain.example.org ssh-rsa " + k1.Split(' ')[1],
            "plain.example.org",
            "plain.example.org   # only a comment after the host",
            "@bogus plain.example.org " + k1,
            "@revoked @cert-authority plain.example.org " + k1,
            "@cert-authority",
            "plain.example.org " + unknownType,
            "|1|bad-salt|AAAA " + k1,
            "|2|AAAAAAAAAAAAAAAAAAAAAAAAAAA=|AAAA " + k1,
            new string('x', 300_000) + " " + k1,
            "plain.example.org\0 " + k1,
            "nul-after-key.example.org " + k1 + " \0trailing",
        };
        lines.InsertRange(5, hashed);
        _file = _folder.WriteFile("known_hosts", lines);

        // Binary junk (no newlines) at the end, to show neither side chokes on it.
        byte[] junk = new byte[4096];
        new Random(1234).NextBytes(junk);
        for (int i = 0; i < junk.Length; i++)
        {
            if (junk[i] == '\n')
            {
                junk[i] = 0xff;
            }
        }

        using var f = new FileStream(_file, FileMode.Append);
        f.Write(junk);
        f.Write("\n"u8);
        f.Write(Encoding.ASCII.GetBytes("after-junk.example.org " + k1 + "\n"));
    }

    [OneTimeTearDown]
    public void Delete() => _folder.Dispose();

    private static string PublicLine(string privatePath) =>
        string.Join(' ', File.ReadAllText(privatePath + ".pub").Split(' ').Take(2));

    private static readonly (string Host, int Port)[] Lookups =
    [
        ("plain.example.org", 22), ("PLAIN.Example.org", 22), ("plain.example.org", 2222),
        ("plain2.example.org", 22), ("alias2", 22), ("10.1.2.3", 22), ("10.1.2.3", 2022),
        ("a.wild.example.org", 22), ("a.b.wild.example.org", 22), ("wild.example.org", 22),
        ("web1.example.org", 22), ("web12.example.org", 22), ("web.example.org", 22),
        ("x.neg.example.org", 22), ("secret.neg.example.org", 22), ("SECRET.neg.example.org", 22), ("only-negated.example.org", 22),
        ("ported.example.org", 2222), ("ported.example.org", 22), ("ported.example.org", 2200),
        ("a.pw.example.org", 2299), ("a.pw.example.org", 22), ("a.pw.example.org", 222),
        ("h.ca.example.org", 22), ("h.ca.example.org", 2222), ("h.ca.example.org", 2223),
        ("revoked.example.org", 22),
        ("hashed1.example.org", 22), ("HASHED1.example.org", 22), ("hashed2.example.org", 2200), ("hashed2.example.org", 22),
        ("hashed3.example.org", 22), ("10.0.0.7", 22), ("10.0.0.7", 2200),
        ("x.example.net", 22), ("example.net", 22), ("leading-blank.example.org", 22), ("crlf.example.org", 22),
        ("nul-after-key.example.org", 22), ("after-junk.example.org", 22), ("garbage", 22), ("nothing.example.com", 22),
    ];

    private static IEnumerable<TestCaseData> LookupCases() =>
        Lookups.Select(l => new TestCaseData(l.Host, l.Port).SetArgDisplayNames(l.Port == 22 ? l.Host : $"[{l.Host}]:{l.Port}"));

    [TestCaseSource(nameof(LookupCases))]
    public void MatchingLines_AreTheLinesSshKeygenFinds(string host, int port)
    {
        // ssh lowercases the host before any lookup; ssh-keygen -F does not before hashing, so it is given the
        // lowercased lookup name, which is what ssh itself looks up.
        string lookupName = KnownHostsFile.LookupName(host, port);
        var theirs = KnownHostsTestFolder.SshKeygenFoundLines(_file, lookupName);

        // ssh-keygen -l refuses lines whose key it cannot parse; our unusable lines (unknown key types) are kept for
        // the changed-key decision but never match, so they are left out of the comparison.
        var ours = new SortedSet<int>(KnownHostsFile.FindEntries([_file], host, port).Where(e => e.IsUsable).Select(e => e.LineNumber));

        Assert.That(ours, Is.EqualTo(theirs), $"lines naming {lookupName}");
    }

    [Test]
    public void Agreement_CoversMatchesOfEveryKind()
    {
        // Guard against a vacuous agreement (both sides finding nothing): the file must produce real matches.
        int total = Lookups.Sum(l => KnownHostsTestFolder.SshKeygenFoundLines(_file, KnownHostsFile.LookupName(l.Host, l.Port)).Count);
        var hashedHits = KnownHostsFile.FindEntries([_file], "hashed2.example.org", 2200);
        var caHits = KnownHostsFile.FindEntries([_file], "h.ca.example.org", 2222);

        Assert.Multiple(() =>
        {
            Assert.That(total, Is.GreaterThan(25));
            Assert.That(hashedHits.Single().IsHashed, Is.True);
            Assert.That(caHits.Single().Marker, Is.EqualTo(KnownHostsMarker.CertAuthority));
        });
    }

    [Test]
    public void SkippedLines_AreReportedWithTheirLineNumbers()
    {
        var key = KnownHostsTestFolder.PublicKey(_folder.File("k1"));
        var result = KnownHostsFile.Lookup([_file], "plain.example.org", 22, key, DateTimeOffset.UtcNow);
        var reasons = result.SkippedLines.Select(s => s.Reason).ToList();

        Assert.Multiple(() =>
        {
            Assert.That(result.Status, Is.EqualTo(KnownHostsStatus.Trusted));
            Assert.That(result.SkippedLines.All(s => s.File == _file), Is.True);
            Assert.That(reasons, Has.Some.Contains("not valid base64"));
            Assert.That(reasons, Has.Some.Contains("does not match the blob"));
            Assert.That(reasons, Has.Some.Contains("unknown marker"));
            Assert.That(reasons, Has.Some.Contains("longer than"));
            Assert.That(reasons, Has.Some.Contains("hashed host name"));
            Assert.That(result.HostEntries.Any(e => !e.IsUsable && e.Key.KeyType == "ssh-foo"), Is.True, "unknown key type kept");
        });
    }
}
