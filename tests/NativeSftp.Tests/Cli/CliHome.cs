using NativeSftp.Tests.Fixtures;

namespace NativeSftp.Tests.Cli;

/// <summary>
/// A throwaway HOME for one nsftp run: ~/.ssh with the fixture's user key as id_ed25519 (the default identity) and,
/// unless asked otherwise, a known_hosts that trusts the fixture. Deleted on dispose.
/// </summary>
public sealed class CliHome : IDisposable
{
    public CliHome(SshdServer sshd, bool trustHost = true, bool defaultKey = true)
    {
        Sshd = sshd;
        Directory = Path.Combine(Path.GetTempPath(), "nsftp-cli-home-" + Guid.NewGuid().ToString("N")[..12]);
        SshDirectory = Path.Combine(Directory, ".ssh");
        System.IO.Directory.CreateDirectory(SshDirectory);
        if (defaultKey)
        {
            CopyKey(SshdServer.Keys.UserEd25519, Path.Combine(SshDirectory, "id_ed25519"));
        }

        if (trustHost)
        {
            File.WriteAllLines(KnownHostsPath, KnownHostsLines(sshd));
        }
    }

    public SshdServer Sshd { get; }
    public string Directory { get; }
    public string SshDirectory { get; }
    public string KnownHostsPath => Path.Combine(SshDirectory, "known_hosts");

    /// <summary>sftp://127.0.0.1:port + path.</summary>
    public string Url(string path) => $"sftp://{Sshd.Host}:{Sshd.Port}{path}";

    public Task<NsftpRun> RunAsync(params string[] args) => NsftpProcess.RunAsync(Directory, args);

    public Task<NsftpRun> RunAsync(IDictionary<string, string> environment, params string[] args) => NsftpProcess.RunAsync(Directory, args, environment);

    public static IEnumerable<string> KnownHostsLines(SshdServer sshd) =>
        SshdServer.Keys.HostKeyPaths.Select(p => $"[{sshd.Host}]:{sshd.Port} {File.ReadAllText(p + ".pub").Trim()}");

    public static IReadOnlyList<string> HostKeyFingerprints() =>
        SshdServer.Keys.HostKeyPaths.Select(p => global::NativeSftp.Crypto.SshPublicKey.ParseOpenSsh(File.ReadAllText(p + ".pub")).Sha256Fingerprint).ToList();

    /// <summary>Copies a private key, keeping it private (0600) as OpenSSH expects of key files.</summary>
    public static void CopyKey(string from, string to)
    {
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(to)!);
        File.Copy(from, to, overwrite: true);
        SetMode(to, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    /// <summary>chmod; the sshd fixture only runs on POSIX systems, where this always applies.</summary>
    public static void SetMode(string path, UnixFileMode mode)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, mode);
        }
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException e)
        {
            TestContext.Progress.WriteLine($"could not delete {Directory}: {e.Message}");
        }
    }
}
