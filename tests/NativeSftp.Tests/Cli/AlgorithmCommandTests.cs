using System.Text.Json;
using NativeSftp.Tests.Fixtures;

namespace NativeSftp.Tests.Cli;

/// <summary>
/// Every algorithm nsftp supports, one at a time, from the command line against the fixture's sshd, and every kind of
/// user key. ./build.sh test runs this class a second time against the Native AOT nsftp (NSFTP_EXECUTABLE): a key
/// exchange, cipher, MAC, signature or key format whose code the ahead-of-time compiler trimmed or broke fails here.
/// </summary>
[TestFixture]
[Category(NsftpProcess.Category)]
public sealed class AlgorithmCommandTests
{
    /// <summary>
    /// Supported by nsftp but not testable against the fixture, with the reason. Anything else nsftp supports must be
    /// in the cases below (<see cref="EverySupportedAlgorithmIsCoveredOrExcused"/>).
    /// </summary>
    private static readonly Dictionary<string, string> NotOfferedByFixture = new(StringComparer.Ordinal)
    {
        ["mlkem768x25519-sha256"] = "OpenSSH 9.9 and later; the fixture runs the distribution's sshd (9.2 here)",
        ["ecdsa-sha2-nistp384"] = "the fixture has one ECDSA host key, on P-256",
        ["ecdsa-sha2-nistp521"] = "the fixture has one ECDSA host key, on P-256",
    };

    private static readonly string[] KeyExchanges =
    [
        "sntrup761x25519-sha512", "sntrup761x25519-sha512@openssh.com", "curve25519-sha256", "curve25519-sha256@libssh.org",
        "ecdh-sha2-nistp256", "ecdh-sha2-nistp384", "ecdh-sha2-nistp521", "diffie-hellman-group-exchange-sha256",
        "diffie-hellman-group16-sha512", "diffie-hellman-group18-sha512", "diffie-hellman-group14-sha256",
    ];

    private static readonly string[] Ciphers =
    [
        "aes128-gcm@openssh.com", "aes256-gcm@openssh.com", "chacha20-poly1305@openssh.com", "aes128-ctr", "aes192-ctr", "aes256-ctr",
    ];

    private static readonly string[] Macs = ["hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com", "hmac-sha2-256", "hmac-sha2-512"];

    private static readonly string[] HostKeys = ["ssh-ed25519", "ecdsa-sha2-nistp256", "rsa-sha2-512", "rsa-sha2-256"];

    public static IEnumerable<TestCaseData> Cases()
    {
        foreach (string k in KeyExchanges)
        {
            yield return new TestCaseData("--kex", k, Array.Empty<string>()).SetArgDisplayNames("kex", k);
        }

        foreach (string c in Ciphers)
        {
            yield return new TestCaseData("--ciphers", c, Array.Empty<string>()).SetArgDisplayNames("cipher", c);
        }

        foreach (string m in Macs)
        {
            // A MAC is only used with a cipher that is not AEAD.
            yield return new TestCaseData("--macs", m, new[] { "--ciphers", "aes128-ctr" }).SetArgDisplayNames("mac", m);
        }

        foreach (string h in HostKeys)
        {
            yield return new TestCaseData("--host-key-algorithms", h, Array.Empty<string>()).SetArgDisplayNames("host key", h);
        }
    }

    [TestCaseSource(nameof(Cases))]
    public async Task Info_NegotiatesExactlyTheAlgorithmAskedFor(string option, string algorithm, string[] extra)
    {
        using var home = new CliHome(CliSshd.Server);
        var run = await home.RunAsync(["info", "--json", option, algorithm, .. extra, home.Url("")]);

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        using var doc = JsonDocument.Parse(run.StandardOutput);
        var negotiated = doc.RootElement.GetProperty("negotiated");
        string[] fields = option switch
        {
            "--kex" => ["kex"],
            "--ciphers" => ["cipherClientToServer", "cipherServerToClient"],
            "--macs" => ["macClientToServer", "macServerToClient"],
            "--host-key-algorithms" => ["hostKey"],
            _ => throw new ArgumentOutOfRangeException(nameof(option), option, null),
        };
        foreach (string field in fields)
        {
            Assert.That(negotiated.GetProperty(field).GetString(), Is.EqualTo(algorithm), $"{field} in {run.StandardOutput}");
        }

        // The session behind it works: SFTP was initialised over the negotiated keys, in both directions.
        Assert.That(doc.RootElement.GetProperty("sftpVersion").GetInt32(), Is.EqualTo(3));
    }

    [TestCase("--kex")]
    [TestCase("--ciphers")]
    [TestCase("--macs")]
    [TestCase("--host-key-algorithms")]
    public async Task EverySupportedAlgorithmIsCoveredOrExcused(string option)
    {
        using var home = new CliHome(CliSshd.Server);
        // An unknown name is a usage error that lists what is supported.
        var run = await home.RunAsync("info", option, "no-such-algorithm", home.Url(""));
        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
        const string Marker = "supported: ";
        int at = run.StandardError.IndexOf(Marker, StringComparison.Ordinal);
        Assert.That(at, Is.GreaterThan(0), run.ToString());
        string[] supported = run.StandardError[(at + Marker.Length)..].Split('\n')[0].Trim().Split(',');
        Assert.That(supported, Is.Not.Empty);

        var covered = option switch
        {
            "--kex" => KeyExchanges,
            "--ciphers" => Ciphers,
            "--macs" => Macs,
            _ => HostKeys,
        };
        // Host certificates need a CA-signed host key; those algorithms are tested in-process (Crypto/HostKeys/SshCertificateTests).
        var missing = supported
            .Where(a => !covered.Contains(a) && !NotOfferedByFixture.ContainsKey(a) && !a.EndsWith("-cert-v01@openssh.com", StringComparison.Ordinal))
            .ToList();
        Assert.That(missing, Is.Empty, $"nsftp supports {string.Join(", ", missing)}: add a case for it, or say why the fixture cannot offer it");
    }

    public static IEnumerable<TestCaseData> UserKeys()
    {
        yield return new TestCaseData("ed25519", false).SetArgDisplayNames("ed25519");
        yield return new TestCaseData("ecdsa", false).SetArgDisplayNames("ecdsa-p256");
        yield return new TestCaseData("rsa", false).SetArgDisplayNames("rsa-3072");
        yield return new TestCaseData("ed25519", true).SetArgDisplayNames("ed25519, passphrase (bcrypt-pbkdf, aes256-ctr)");
        yield return new TestCaseData("rsa", true).SetArgDisplayNames("rsa-3072, passphrase (bcrypt-pbkdf, aes256-ctr)");
    }

    [TestCaseSource(nameof(UserKeys))]
    public async Task Ls_AuthenticatesWithEachKindOfUserKey(string type, bool encrypted)
    {
        using var home = new CliHome(CliSshd.Server, defaultKey: false);
        var keys = SshdServer.Keys;
        string source = type switch { "ed25519" => keys.UserEd25519, "ecdsa" => keys.UserEcdsa, _ => keys.UserRsa };
        string key = Path.Combine(home.Directory, "keys", "id_" + type);
        CliHome.CopyKey(source, key);
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        if (encrypted)
        {
            const string Passphrase = "correct horse battery staple";
            TestKeys.Run("/usr/bin/ssh-keygen", ["-q", "-p", "-P", "", "-N", Passphrase, "-f", key]);
            Assert.That(File.ReadAllText(key), Does.Contain("BEGIN OPENSSH PRIVATE KEY"));
            environment["NSFTP_PASSPHRASE"] = Passphrase;
        }

        string remote = CliSshd.NewRemoteFolder();
        try
        {
            await File.WriteAllTextAsync(Path.Combine(remote, "seen.txt"), "x");
            var run = await home.RunAsync(environment, "ls", "-i", key, home.Url(remote));

            Assert.That(run.ExitCode, Is.Zero, run.ToString());
            Assert.That(run.StandardOutput, Does.Contain("seen.txt"));
        }
        finally
        {
            Directory.Delete(remote, recursive: true);
        }
    }
}
