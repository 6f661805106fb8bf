using NativeSftp.Tests.Fixtures;

namespace NativeSftp.Tests.Crypto.Keys;

/// <summary>
/// One key per type made by ssh-keygen, then rewritten by "ssh-keygen -p" into every file format and cipher
/// under test, so RSA-3072 is generated once. Encrypted copies use "-a 2" bcrypt rounds to stay fast, except one
/// Ed25519 file with ssh-keygen's default rounds. Files live in a temp folder deleted at process exit.
/// </summary>
public sealed class GeneratedKeyFiles
{
    public const string Passphrase = "correct horse 7";
    private const string SshKeygen = "/usr/bin/ssh-keygen";
    private const string FastRounds = "2";

    private static readonly Lazy<GeneratedKeyFiles> SharedFiles = new(() => new GeneratedKeyFiles());

    public static GeneratedKeyFiles Shared => SharedFiles.Value;

    public static readonly string[] Types = ["ed25519", "ecdsa256", "ecdsa384", "ecdsa521", "rsa3072"];

    /// <summary>openssh-key-v1 variants every type gets: (format name, -Z cipher or null for unencrypted).</summary>
    public static readonly (string Format, string? Cipher)[] OpenSshFormats =
    [
        ("openssh", null),
        ("openssh-aes256-ctr", "aes256-ctr"),
        ("openssh-aes128-ctr", "aes128-ctr"),
        ("openssh-aes256-gcm", "aes256-gcm@openssh.com"),
        ("openssh-chacha20-poly1305", "chacha20-poly1305@openssh.com"),
        ("openssh-aes256-cbc", "aes256-cbc"),
    ];

    /// <summary>OpenSSL formats; ssh-keygen 9.x writes Ed25519 in its own format whatever -m says, so not for Ed25519.</summary>
    public static readonly (string Format, string Mode, bool Encrypted)[] OpenSslFormats =
    [
        ("pem", "PEM", false),
        ("pem-encrypted", "PEM", true),
        ("pkcs8", "PKCS8", false),
        ("pkcs8-encrypted", "PKCS8", true),
    ];

    private GeneratedKeyFiles()
    {
        SshdServer.RequireOpenSsh();
        Directory = Path.Combine(Path.GetTempPath(), "nsftp-keyfiles-" + Environment.ProcessId + "-" + Guid.NewGuid().ToString("N")[..8]);
        System.IO.Directory.CreateDirectory(Directory);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                System.IO.Directory.Delete(Directory, recursive: true);
            }
            catch (IOException)
            {
                // Best effort at process exit; the folder is under the temp directory and holds only test keys.
            }
        };

        foreach (string type in Types)
        {
            GenerateAll(type);
        }

        // ssh-keygen's default bcrypt rounds (16), once: the realistic cost of an encrypted key.
        string defaultRounds = PathOf("ed25519", "openssh-default-rounds");
        File.Copy(PathOf("ed25519", "openssh"), defaultRounds);
        Keygen("-q", "-p", "-f", defaultRounds, "-Z", "aes256-ctr", "-N", Passphrase, "-P", "");
    }

    public string Directory { get; }

    public string PathOf(string type, string format) => Path.Combine(Directory, $"{type}-{format}");

    public string PublicKeyPathOf(string type) => PathOf(type, "openssh") + ".pub";

    public static string CommentOf(string type) => "nsftp-" + type;

    public static string Keygen(params string[] args) => TestKeys.Run(SshKeygen, args);

    private void GenerateAll(string type)
    {
        string basePath = PathOf(type, "openssh");
        (string t, string bits) = type switch
        {
            "ed25519" => ("ed25519", "256"),
            "rsa3072" => ("rsa", "3072"),
            _ => ("ecdsa", type["ecdsa".Length..]),
        };
        Keygen("-q", "-t", t, "-b", bits, "-N", "", "-C", CommentOf(type), "-f", basePath);

        foreach (var (format, cipher) in OpenSshFormats)
        {
            if (cipher is null)
            {
                continue;
            }

            string path = PathOf(type, format);
            File.Copy(basePath, path);
            Keygen("-q", "-p", "-f", path, "-a", FastRounds, "-Z", cipher, "-N", Passphrase, "-P", "");
        }

        if (type == "ed25519")
        {
            return;
        }

        foreach (var (format, mode, encrypted) in OpenSslFormats)
        {
            string path = PathOf(type, format);
            File.Copy(basePath, path);
            Keygen("-q", "-p", "-f", path, "-m", mode, "-N", encrypted ? Passphrase : "", "-P", "");
        }
    }

    /// <summary>Every (type, format) pair this fixture writes, as test case arguments.</summary>
    public static IEnumerable<TestCaseData> AllCases()
    {
        foreach (string type in Types)
        {
            foreach (var (format, _) in OpenSshFormats)
            {
                yield return new TestCaseData(type, format).SetArgDisplayNames(type, format);
            }

            if (type == "ed25519")
            {
                yield return new TestCaseData(type, "openssh-default-rounds").SetArgDisplayNames(type, "openssh-default-rounds");
                continue;
            }

            foreach (var (format, _, _) in OpenSslFormats)
            {
                yield return new TestCaseData(type, format).SetArgDisplayNames(type, format);
            }
        }
    }

    public static IEnumerable<TestCaseData> EncryptedCases()
    {
        foreach (TestCaseData c in AllCases())
        {
            string format = (string)c.Arguments[1]!;
            if (format != "openssh" && format != "pem" && format != "pkcs8")
            {
                yield return c;
            }
        }
    }
}
