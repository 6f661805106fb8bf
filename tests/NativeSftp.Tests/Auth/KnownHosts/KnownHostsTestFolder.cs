using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using NativeSftp.Crypto;
using NativeSftp.Tests.Crypto.HostKeys;

namespace NativeSftp.Tests.Auth.KnownHosts;

/// <summary>
/// A temporary folder with host keys and certificates made by the real ssh-keygen, plus helpers to write
/// known_hosts files and to ask ssh-keygen which lines of a file match a host.
/// </summary>
internal sealed partial class KnownHostsTestFolder : IDisposable
{
    private const string SshKeygen = "/usr/bin/ssh-keygen";

    private readonly OpenSshKeyFolder _keys = new();

    public string Path => _keys.Path;

    /// <summary>Generates a key; returns the private key path (public key at path + ".pub").</summary>
    public string Generate(string name, string type, int? bits = null) => _keys.Generate(name, type, bits);

    public static SshPublicKey PublicKey(string privatePath) => OpenSshKeyFolder.ReadPublicKey(privatePath + ".pub");

    /// <summary>ssh-keygen -s ca [options] key.pub, returned as a key.</summary>
    public SshPublicKey Certify(string caPath, string keyPath, params string[] options) =>
        new(_keys.Certify(caPath, keyPath + ".pub", options));

    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>Writes lines joined by '\n' with a final newline.</summary>
    public string WriteFile(string name, IEnumerable<string> lines)
    {
        string path = File(name);
        System.IO.File.WriteAllText(path, string.Join('\n', lines) + "\n");
        return path;
    }

    /// <summary>Runs ssh-keygen -H on a copy of the lines and returns the hashed file's key lines.</summary>
    public IReadOnlyList<string> HashWithSshKeygen(IEnumerable<string> lines)
    {
        string path = WriteFile("to-hash-" + Guid.NewGuid().ToString("N")[..8], lines);
        RunSshKeygen(["-H", "-f", path], allowNoMatch: false);
        return System.IO.File.ReadAllLines(path).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
    }

    /// <summary>
    /// The line numbers <c>ssh-keygen -l -F name -f file</c> reports. With -l ssh-keygen parses each key, so it
    /// reports what the ssh client would use (without -l, a matching line with a damaged key is listed too).
    /// </summary>
    public static SortedSet<int> SshKeygenFoundLines(string file, string lookupName)
    {
        string output = RunSshKeygen(["-l", "-F", lookupName, "-f", file], allowNoMatch: true);
        var lines = new SortedSet<int>();
        foreach (Match m in FoundLine().Matches(output))
        {
            lines.Add(int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
        }

        return lines;
    }

    /// <summary>Runs ssh-keygen; exit code 1 with no output is "no match" when <paramref name="allowNoMatch"/>.</summary>
    public static string RunSshKeygen(IEnumerable<string> args, bool allowNoMatch)
    {
        var psi = new ProcessStartInfo(SshKeygen)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
        };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start ssh-keygen");
        var stdout = p.StandardOutput.ReadToEndAsync();
        string stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        string output = stdout.Result;
        bool noMatch = allowNoMatch && p.ExitCode == 1 && !output.Contains("found:", StringComparison.Ordinal);
        if (p.ExitCode != 0 && !noMatch)
        {
            throw new InvalidOperationException($"ssh-keygen {string.Join(' ', psi.ArgumentList)} exited {p.ExitCode}: {stderr}");
        }

        return output;
    }

    public void Dispose() => _keys.Dispose();

    [GeneratedRegex(@"^# Host \S+ found: line (\d+)", RegexOptions.Multiline)]
    private static partial Regex FoundLine();
}
