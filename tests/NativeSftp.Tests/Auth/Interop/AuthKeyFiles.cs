using NativeSftp.Tests.Fixtures;

namespace NativeSftp.Tests.Auth.Interop;

/// <summary>
/// User keys for the authentication interop tests, made by ssh-keygen once per run in a temp folder: one key per
/// type, encrypted copies in every format the client reads, a key that no authorized_keys lists (the "wrong key"),
/// and an agent-only key. <see cref="AuthorizedKeysPath"/> lists every key except <see cref="StrayKey"/> and
/// <see cref="StrayAgentKey"/>.
/// </summary>
public sealed class AuthKeyFiles
{
    public const string Passphrase = "interop pass 4";
    public const string WrongPassphrase = "not the passphrase";
    private const string SshKeygen = "/usr/bin/ssh-keygen";

    /// <summary>bcrypt-pbkdf rounds for encrypted openssh-key-v1 files: the minimum that still exercises the KDF, for speed.</summary>
    private const string FastRounds = "2";

    private static readonly Lazy<AuthKeyFiles> SharedFiles = new(() => new AuthKeyFiles());

    public static AuthKeyFiles Shared => SharedFiles.Value;

    /// <summary>Key type name (as the tests call it) → file. RSA-3072 is the fixture's shared key, copied, to avoid another slow generation.</summary>
    public IReadOnlyDictionary<string, string> ByType => _byType;

    /// <summary>Encrypted format name → file; each needs <see cref="Passphrase"/>.</summary>
    public IReadOnlyDictionary<string, string> Encrypted => _encrypted;

    public static readonly string[] TypeNames = ["ed25519", "ecdsa-nistp256", "ecdsa-nistp384", "ecdsa-nistp521", "rsa-3072"];

    public static readonly string[] EncryptedFormats =
    [
        "openssh-aes256-ctr", "openssh-aes128-ctr", "openssh-aes256-gcm", "openssh-chacha20-poly1305",
        "pem-rsa", "pem-ecdsa", "pkcs8-rsa", "pkcs8-ecdsa",
    ];

    private readonly Dictionary<string, string> _byType = [];
    private readonly Dictionary<string, string> _encrypted = [];

    private AuthKeyFiles()
    {
        SshdServer.RequireOpenSsh();
        Directory = Path.Combine(Path.GetTempPath(), "nsftp-authkeys-" + Environment.ProcessId + "-" + Guid.NewGuid().ToString("N")[..8]);
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

        _byType["ed25519"] = Generate("id_ed25519", "ed25519", null);
        _byType["ecdsa-nistp256"] = Generate("id_ecdsa256", "ecdsa", "256");
        _byType["ecdsa-nistp384"] = Generate("id_ecdsa384", "ecdsa", "384");
        _byType["ecdsa-nistp521"] = Generate("id_ecdsa521", "ecdsa", "521");
        _byType["rsa-3072"] = CopyOf(TestKeys.Shared.UserRsa, "id_rsa3072");

        // openssh-key-v1 with each cipher, written at generation time (ssh-keygen -Z cipher -N passphrase).
        foreach (var (format, cipher) in (ReadOnlySpan<(string, string)>)[
            ("openssh-aes256-ctr", "aes256-ctr"), ("openssh-aes128-ctr", "aes128-ctr"),
            ("openssh-aes256-gcm", "aes256-gcm@openssh.com"), ("openssh-chacha20-poly1305", "chacha20-poly1305@openssh.com")])
        {
            string path = Path.Combine(Directory, "enc-" + format);
            Keygen("-q", "-t", "ed25519", "-a", FastRounds, "-Z", cipher, "-N", Passphrase, "-C", "nsftp-auth-" + format, "-f", path);
            _encrypted[format] = path;
        }

        // OpenSSL formats, rewritten from existing keys with ssh-keygen -p: PEM is traditional "Proc-Type: 4,ENCRYPTED"
        // (AES-128-CBC, MD5 EVP_BytesToKey); PKCS8 is "ENCRYPTED PRIVATE KEY" (PBES2).
        foreach (var (format, mode, source) in (ReadOnlySpan<(string, string, string)>)[
            ("pem-rsa", "PEM", "rsa-3072"), ("pem-ecdsa", "PEM", "ecdsa-nistp384"),
            ("pkcs8-rsa", "PKCS8", "rsa-3072"), ("pkcs8-ecdsa", "PKCS8", "ecdsa-nistp256")])
        {
            string path = CopyOf(_byType[source], "enc-" + format);
            Keygen("-q", "-p", "-m", mode, "-N", Passphrase, "-P", "", "-f", path);
            _encrypted[format] = path;
        }

        StrayKey = Generate("id_stray", "ed25519", null);
        StrayAgentKey = Generate("id_stray_agent", "ed25519", null);
        AgentKey = Generate("id_agent", "ecdsa", "256");

        AuthorizedKeysPath = Path.Combine(Directory, "authorized_keys");
        var authorized = _byType.Values.Concat(_encrypted.Values).Append(AgentKey);
        File.WriteAllLines(AuthorizedKeysPath, authorized.Select(k => File.ReadAllText(k + ".pub").Trim()));
    }

    public string Directory { get; }

    /// <summary>A valid key no authorized_keys lists.</summary>
    public string StrayKey { get; }

    /// <summary>Another unlisted key, held only by ssh-agent in the ordering test.</summary>
    public string StrayAgentKey { get; }

    /// <summary>A listed key meant to be loaded into ssh-agent.</summary>
    public string AgentKey { get; }

    public string AuthorizedKeysPath { get; }

    /// <summary>The SHA256 fingerprint as ssh-keygen -l prints it: an independent reference for what the client reports.</summary>
    public static string FingerprintOf(string keyFile)
    {
        // "256 SHA256:abc... comment (ED25519)"
        string line = Keygen("-l", "-E", "sha256", "-f", keyFile + ".pub");
        return line.Split(' ')[1];
    }

    private static string Keygen(params string[] args) => TestKeys.Run(SshKeygen, args);

    private string Generate(string name, string type, string? bits)
    {
        string path = Path.Combine(Directory, name);
        var args = new List<string> { "-q", "-t", type, "-N", "", "-C", "nsftp-auth-" + name, "-f", path };
        if (bits is not null)
        {
            args.InsertRange(0, ["-b", bits]);
        }

        Keygen([.. args]);
        return path;
    }

    private string CopyOf(string source, string name)
    {
        string path = Path.Combine(Directory, name);
        File.Copy(source, path);
        File.Copy(source + ".pub", path + ".pub");
        return path;
    }
}
