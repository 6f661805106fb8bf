using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;

namespace NativeSftp.Throughput;

/// <summary>One measured client process: wall time, user and system CPU, peak RSS, and what the client reported.</summary>
internal sealed record Sample(double WallSeconds, double UserSeconds, double SystemSeconds, long MaxRssKiB, IReadOnlyDictionary<string, string> Details)
{
    public double CpuSeconds => UserSeconds + SystemSeconds;
}

/// <summary>Where one client connects and what it moves.</summary>
internal sealed record Endpoint(int Port, string User, string Key, string KnownHosts);

/// <summary>
/// Runs every client the same way: as a child of GNU time (/usr/bin/time -f), which reports the rusage the kernel
/// hands back on wait4. That rusage includes the client's own waited-for children, so OpenSSH's sftp is counted
/// together with the ssh process it spawns. Peak RSS there is the larger of the two (Linux keeps the max, not the sum).
/// </summary>
internal static partial class ClientRunner
{
    private const string TimePath = "/usr/bin/time";

    /// <summary>GNU time format: elapsed seconds, user seconds, system seconds, max RSS in KiB.</summary>
    private const string TimeFormat = "%e %U %S %M";

    public static void EnsureTimeAvailable()
    {
        if (!File.Exists(TimePath))
        {
            throw new InvalidOperationException($"{TimePath} (GNU time) is missing: apt-get install -y time (./build.sh bench installs it when run as root)");
        }
    }

    /// <summary>A .NET client run: the harness re-invokes itself in client mode.</summary>
    public static async Task<Sample> RunDotNetClientAsync(string client, string op, Endpoint ep, string local, string remote, IEnumerable<string> extra)
    {
        var args = new List<string>();
        string host = Environment.ProcessPath ?? throw new InvalidOperationException("cannot find the harness executable");
        if (Path.GetFileNameWithoutExtension(host) == "dotnet")
        {
            args.Add(Assembly.GetExecutingAssembly().Location);
        }

        args.AddRange(["--client", client, "--op", op, "--port", ep.Port.ToString(CultureInfo.InvariantCulture), "--user", ep.User,
            "--key", ep.Key, "--known-hosts", ep.KnownHosts, "--local", local, "--remote", remote]);
        args.AddRange(extra);
        return (await RunTimedAsync(host, args).ConfigureAwait(false)).Sample;
    }

    /// <summary>OpenSSH's sftp in batch mode with its default settings (-v only to learn the negotiated cipher).</summary>
    public static async Task<Sample> RunOpenSshAsync(string op, Endpoint ep, string local, string remote, string scratch)
    {
        string batch = Path.Combine(scratch, "sftp-batch.txt");
        await File.WriteAllTextAsync(batch, op == "put" ? $"put \"{local}\" \"{remote}\"\n" : $"get \"{remote}\" \"{local}\"\n").ConfigureAwait(false);
        string[] args =
        [
            "-b", batch, "-i", ep.Key, "-P", ep.Port.ToString(CultureInfo.InvariantCulture), "-v",
            "-o", "StrictHostKeyChecking=accept-new", "-o", "UserKnownHostsFile=" + ep.KnownHosts + ".openssh",
            "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none",
            ep.User + "@127.0.0.1",
        ];
        return (await RunTimedAsync("sftp", args).ConfigureAwait(false)).Sample;
    }

    /// <summary>
    /// The native nsftp tool, as a user runs it: <c>nsftp put|get --json ...</c> with the same key and known_hosts as the
    /// library client, no keepalive (the library client runs without one), an empty HOME (no ~/.ssh/config) and no
    /// agent. Its JSON result supplies the details the library client prints on its RESULT line.
    /// </summary>
    public static async Task<Sample> RunNsftpAsync(string nsftp, string op, Endpoint ep, string local, string remote, IEnumerable<string> extra, string scratch)
    {
        string home = Path.Combine(scratch, "nsftp-home");
        Directory.CreateDirectory(home);
        string url = $"sftp://{ep.User}@127.0.0.1:{ep.Port.ToString(CultureInfo.InvariantCulture)}{remote}";
        var args = new List<string>
        {
            op, "--json", "--progress", "none", "--keepalive", "0", "-i", ep.Key, "--known-hosts", ep.KnownHosts, "--host-key-policy", "accept-new",
        };
        args.AddRange(extra);
        args.AddRange(op == "put" ? [local, url] : [url, local]);
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal) { ["HOME"] = home, ["SSH_AUTH_SOCK"] = null };
        var (sample, stdout) = await RunTimedAsync(nsftp, args, environment).ConfigureAwait(false);
        return sample with { Details = ParseNsftpJson(stdout) };
    }

    /// <summary>
    /// nsftp's put/get --json result → the detail keys the library client reports, except transfer_seconds: nsftp's
    /// "seconds" includes connecting, so its rows show only the whole-process rate.
    /// </summary>
    internal static IReadOnlyDictionary<string, string> ParseNsftpJson(string stdout)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(stdout);
        var root = doc.RootElement;
        var details = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["bytes"] = root.GetProperty("bytes").GetInt64().ToString(CultureInfo.InvariantCulture),
            ["segments"] = root.GetProperty("segments").GetInt32().ToString(CultureInfo.InvariantCulture),
            ["verify"] = (root.GetProperty("verify").GetProperty("method").GetString() ?? "?").Replace(' ', '_'),
        };
        if (root.GetProperty("algorithms") is { ValueKind: System.Text.Json.JsonValueKind.Object } algorithms)
        {
            details["cipher"] = algorithms.GetProperty("cipher").GetString() ?? "?";
        }

        return details;
    }

    /// <summary>Runs one client under GNU time; returns the sample and the client's standard output.</summary>
    private static async Task<(Sample Sample, string Stdout)> RunTimedAsync(string file, IReadOnlyList<string> args, IReadOnlyDictionary<string, string?>? environment = null)
    {
        string timeOut = Path.GetTempFileName();
        try
        {
            var psi = new ProcessStartInfo(TimePath)
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
            };
            foreach (string a in new[] { "-f", TimeFormat, "-o", timeOut, file }.Concat(args))
            {
                psi.ArgumentList.Add(a);
            }

            foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
            {
                if (value is null)
                {
                    psi.Environment.Remove(name);
                }
                else
                {
                    psi.Environment[name] = value;
                }
            }

            // Wall time by our own clock: GNU time's %e has only 10 ms resolution.
            var clock = Stopwatch.StartNew();
            using var p = Process.Start(psi) ?? throw new InvalidOperationException($"{TimePath} did not start");
            p.StandardInput.Close();
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            await p.WaitForExitAsync().ConfigureAwait(false);
            double wall = clock.Elapsed.TotalSeconds;
            string output = await stdout.ConfigureAwait(false), errors = await stderr.ConfigureAwait(false);
            if (p.ExitCode != 0)
            {
                throw new InvalidOperationException($"{file} exited with {p.ExitCode}.\nstdout: {output}\nstderr: {Tail(errors)}");
            }

            return (ParseSample(await File.ReadAllTextAsync(timeOut).ConfigureAwait(false), output, errors) with { WallSeconds = wall }, output);
        }
        finally
        {
            File.Delete(timeOut);
        }
    }

    /// <summary>Reads GNU time's line and the client's RESULT line (or, for OpenSSH, its -v cipher line).</summary>
    internal static Sample ParseSample(string timeOutput, string stdout, string stderr)
    {
        string last = timeOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[^1];
        string[] f = last.Split(' ');
        if (f.Length != 4)
        {
            throw new FormatException($"unexpected /usr/bin/time output: {timeOutput}");
        }

        var details = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string line in stdout.Split('\n'))
        {
            if (line.StartsWith(ClientMain.ResultPrefix, StringComparison.Ordinal))
            {
                foreach (string kv in line[ClientMain.ResultPrefix.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    int eq = kv.IndexOf('=', StringComparison.Ordinal);
                    if (eq <= 0)
                    {
                        throw new FormatException($"client result field '{kv}' is not key=value in: {line}");
                    }

                    details[kv[..eq]] = kv[(eq + 1)..];
                }
            }
        }

        if (CipherLine().Match(stderr) is { Success: true } m)
        {
            details["cipher"] = m.Groups[1].Value;
        }

        return new Sample(
            double.Parse(f[0], CultureInfo.InvariantCulture),
            double.Parse(f[1], CultureInfo.InvariantCulture),
            double.Parse(f[2], CultureInfo.InvariantCulture),
            long.Parse(f[3], CultureInfo.InvariantCulture),
            details);
    }

    private static string Tail(string s) => s.Length > 4000 ? s[^4000..] : s;

    [GeneratedRegex(@"kex: client->server cipher: (\S+)")]
    private static partial Regex CipherLine();
}
