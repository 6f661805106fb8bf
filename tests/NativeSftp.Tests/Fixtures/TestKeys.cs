using System.Diagnostics;

namespace NativeSftp.Tests.Fixtures;

/// <summary>
/// Host and user keys generated once per test run with ssh-keygen into a temporary folder (rsa-3072 takes a
/// moment, so every sshd instance shares them) and deleted when the run ends.
/// </summary>
public sealed class TestKeys
{
    private static readonly Lazy<TestKeys> SharedKeys = new(() => new TestKeys());

    public static TestKeys Shared => SharedKeys.Value;

    private TestKeys()
    {
        SshdServer.RequireOpenSsh();
        Directory = Path.Combine(Path.GetTempPath(), "nsftp-keys-" + Environment.ProcessId + "-" + Guid.NewGuid().ToString("N")[..8]);
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

        HostEd25519 = Generate("ssh_host_ed25519_key", "ed25519", null);
        HostEcdsa = Generate("ssh_host_ecdsa_key", "ecdsa", "256");
        HostRsa = Generate("ssh_host_rsa_key", "rsa", "3072");
        UserEd25519 = Generate("id_ed25519", "ed25519", null);
        UserEcdsa = Generate("id_ecdsa", "ecdsa", "256");
        UserRsa = Generate("id_rsa", "rsa", "3072");
        AuthorizedKeysPath = Path.Combine(Directory, "authorized_keys");
        File.WriteAllLines(AuthorizedKeysPath, new[] { UserEd25519, UserEcdsa, UserRsa }.Select(k => File.ReadAllText(k + ".pub").Trim()));
    }

    public string Directory { get; }
    public string HostEd25519 { get; }
    public string HostEcdsa { get; }
    public string HostRsa { get; }
    public IReadOnlyList<string> HostKeyPaths => [HostEd25519, HostEcdsa, HostRsa];
    public string UserEd25519 { get; }
    public string UserEcdsa { get; }
    public string UserRsa { get; }
    public string AuthorizedKeysPath { get; }

    private string Generate(string name, string type, string? bits)
    {
        string path = Path.Combine(Directory, name);
        var args = new List<string> { "-q", "-t", type, "-N", "", "-C", "nsftp-test-" + name, "-f", path };
        if (bits is not null)
        {
            args.InsertRange(0, ["-b", bits]);
        }

        Run("/usr/bin/ssh-keygen", args);
        return path;
    }

    /// <summary>Runs a tool to completion and returns its stdout; a non-zero exit throws with stderr.</summary>
    public static string Run(string file, IEnumerable<string> args, string? stdin = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
        };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {file}");
        if (stdin is not null)
        {
            p.StandardInput.Write(stdin);
            p.StandardInput.Close();
        }

        var stdout = p.StandardOutput.ReadToEndAsync();
        string stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', psi.ArgumentList)} exited {p.ExitCode}: {stderr}");
        }

        return stdout.Result;
    }
}
