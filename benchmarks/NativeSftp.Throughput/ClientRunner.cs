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
    public static Task<Sample> RunDotNetClientAsync(string client, string op, Endpoint ep, string local, string remote, IEnumerable<string> extra)
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
        return RunTimedAsync(host, args);
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
        var sample = await RunTimedAsync("sftp", args).ConfigureAwait(false);
        return sample;
    }

    private static async Task<Sample> RunTimedAsync(string file, IReadOnlyList<string> args)
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

            return ParseSample(await File.ReadAllTextAsync(timeOut).ConfigureAwait(false), output, errors) with { WallSeconds = wall };
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
