using System.Globalization;
using System.Net;
using System.Security.Cryptography;

namespace NativeSftp.Throughput;

/// <summary>
/// ./build.sh bench's end-to-end comparison: NativeSftp, OpenSSH sftp and SSH.NET moving the same file through
/// the same throwaway sshd, on plain loopback and through a 50 ms delay line. With --client it is instead one
/// measured client process (see <see cref="ClientMain"/>).
/// </summary>
internal static class Program
{
    private const long MiB = 1024 * 1024;

    /// <summary>Random test data is written in 4 MiB pieces (any size works; this keeps the buffer small).</summary>
    private const int FillBlock = 4 * 1024 * 1024;

    private static async Task<int> Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "--client")
        {
            return await ClientMain.RunAsync(args).ConfigureAwait(false);
        }

        if (args.Length > 0 && args[0] == "--serve")
        {
            return await ServeAsync().ConfigureAwait(false);
        }

        var settings = BenchSettings.Parse(args);
        string loadBefore = LoadAverage();
        ClientRunner.EnsureTimeAvailable();
        long largest = Math.Max(settings.Settings.Contains("loopback") ? settings.LoopbackMiB : 0, settings.Settings.Contains("latency") ? settings.LatencyMiB : 0) * MiB;
        await using var scratch = await Scratch.CreateAsync(3 * largest).ConfigureAwait(false);
        using var sshd = await LoopbackSshd.StartAsync(Path.Combine(scratch.Path, "sshd")).ConfigureAwait(false);
        Directory.CreateDirectory(Path.Combine(scratch.Path, "remote"));
        Directory.CreateDirectory(Path.Combine(scratch.Path, "local"));
        var rows = new List<Row>();

        if (settings.Settings.Contains("loopback"))
        {
            var ep = new Endpoint(sshd.Port, sshd.UserName, sshd.ClientKey, Path.Combine(scratch.Path, "known_hosts_loopback"));
            await RunSettingAsync("loopback", settings.LoopbackMiB * MiB, ep, Job.ForLoopback(settings.RunnableClients), settings, scratch.Path, rows).ConfigureAwait(false);
        }

        if (settings.Settings.Contains("latency"))
        {
            await using var proxy = new LatencyProxy(new IPEndPoint(IPAddress.Loopback, sshd.Port), BenchSettings.OneWayDelay);
            var ep = new Endpoint(proxy.Port, sshd.UserName, sshd.ClientKey, Path.Combine(scratch.Path, "known_hosts_latency"));
            await RunSettingAsync("50 ms RTT", settings.LatencyMiB * MiB, ep, Job.ForLatency(settings.RunnableClients), settings, scratch.Path, rows).ConfigureAwait(false);
        }

        double rttSeconds = 2 * BenchSettings.OneWayDelay.TotalSeconds;
        string[] preamble =
        [
            string.Create(CultureInfo.InvariantCulture, $"Measured {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC on {Environment.ProcessorCount} cores ({CpuModel()}), {Environment.OSVersion}, .NET {Environment.Version}; files on {scratch.Kind}."),
            string.Create(CultureInfo.InvariantCulture, $"Sizes: {(settings.Settings.Contains("loopback") ? $"loopback {settings.LoopbackMiB} MiB " : "")}{(settings.Settings.Contains("latency") ? $"50 ms RTT {settings.LatencyMiB} MiB" : "")}; {settings.Runs} run(s) per row{(settings.Quick ? " (--quick)" : "")}. Server: OpenSSH sshd, internal-sftp, on the same machine."),
            $"Load average (1/5/15 min) before: {loadBefore}; after: {LoadAverage()} (other work on the machine competes for the same cores).",
            settings.NsftpPath is null
                ? "nsftp (native) rows: not run, no --nsftp executable given (./build.sh bench publishes one and passes it)."
                : $"nsftp (native) rows: the command-line tool published with Native AOT ({settings.NsftpPath}), run with --json --progress none --keepalive 0, HOME an empty folder.",
            string.Create(CultureInfo.InvariantCulture, $"One-channel bound at 50 ms RTT: OpenSSH's server window {BenchSettings.OpenSshServerWindow / MiB} MiB ÷ {rttSeconds * 1000:F0} ms = {BenchSettings.OpenSshServerWindow / (double)MiB / rttSeconds:F0} MiB/s (limits uploads on one channel; a download on one channel is bounded by the client's own receive window)."),
        ];
        string markdown = Report.Markdown(rows, preamble);
        Console.WriteLine();
        Console.WriteLine(markdown);
        if (settings.OutputPath is not null)
        {
            await File.WriteAllTextAsync(settings.OutputPath, markdown).ConfigureAwait(false);
        }

        return 0;
    }

    /// <summary>
    /// --serve: the benchmark's throwaway sshd and its 50 ms delay line, left running (until standard input closes)
    /// for trying a client by hand, e.g. <c>nsftp --trace t.log put ...</c> to see where a transfer waits.
    /// </summary>
    private static async Task<int> ServeAsync()
    {
        await using var scratch = await Scratch.CreateAsync(4096 * MiB).ConfigureAwait(false);
        using var sshd = await LoopbackSshd.StartAsync(Path.Combine(scratch.Path, "sshd")).ConfigureAwait(false);
        await using var proxy = new LatencyProxy(new IPEndPoint(IPAddress.Loopback, sshd.Port), BenchSettings.OneWayDelay);
        Console.WriteLine($"files:        {scratch.Path} ({scratch.Kind})");
        Console.WriteLine($"loopback:     sftp://{sshd.UserName}@127.0.0.1:{sshd.Port}{scratch.Path}/");
        Console.WriteLine($"50 ms RTT:    sftp://{sshd.UserName}@127.0.0.1:{proxy.Port}{scratch.Path}/");
        Console.WriteLine($"key:          -i {sshd.ClientKey} --host-key-policy accept-new --known-hosts {Path.Combine(scratch.Path, "known_hosts")}");
        Console.WriteLine("running until standard input closes (Ctrl+D)");
        await Console.In.ReadToEndAsync().ConfigureAwait(false);
        return 0;
    }

    private static async Task RunSettingAsync(string setting, long bytes, Endpoint ep, IReadOnlyList<Job> jobs, BenchSettings settings, string scratch, List<Row> rows)
    {
        int runs = settings.Runs;
        string source = Path.Combine(scratch, "source.bin");
        await MakeRandomFileAsync(source, bytes).ConfigureAwait(false);
        byte[] sourceHash = await HashAsync(source).ConfigureAwait(false);
        string uploaded = Path.Combine(scratch, "remote", "uploaded.bin");
        string downloaded = Path.Combine(scratch, "local", "downloaded.bin");

        foreach (var job in jobs)
        {
            foreach (string op in new[] { "put", "get" })
            {
                var samples = new List<Sample>();
                for (int run = 1; run <= runs; run++)
                {
                    string target = op == "put" ? uploaded : downloaded;
                    File.Delete(target);
                    string local = op == "put" ? source : downloaded, remote = op == "put" ? uploaded : source;
                    var sample = job.Client switch
                    {
                        "openssh" => await ClientRunner.RunOpenSshAsync(op, ep, local, remote, scratch).ConfigureAwait(false),
                        "nsftp" => await ClientRunner.RunNsftpAsync(settings.NsftpPath!, op, ep, local, remote, job.ExtraArgs, scratch).ConfigureAwait(false),
                        _ => await ClientRunner.RunDotNetClientAsync(job.Client, op, ep, local, remote, job.ExtraArgs).ConfigureAwait(false),
                    };
                    await CheckCopyAsync(target, bytes, sourceHash, fullCheck: run == 1).ConfigureAwait(false);
                    samples.Add(sample);
                    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{setting,-10} {job.Label,-40} {op} run {run}/{runs}: {bytes / (double)MiB / sample.WallSeconds,8:F1} MiB/s, cpu {sample.CpuSeconds:F2} s, rss {sample.MaxRssKiB / 1024} MiB"));
                }

                rows.Add(new Row(setting, job, op, bytes, samples));
            }
        }

        File.Delete(uploaded);
        File.Delete(downloaded);
        File.Delete(source);
    }

    /// <summary>A benchmark of a client that lost data would be worthless: the size every run, the SHA-256 on the first.</summary>
    private static async Task CheckCopyAsync(string path, long bytes, byte[] expectedHash, bool fullCheck)
    {
        var info = new FileInfo(path);
        if (!info.Exists || info.Length != bytes)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"{path} should hold {bytes} bytes but {(info.Exists ? info.Length.ToString(CultureInfo.InvariantCulture) : "does not exist")}"));
        }

        if (fullCheck && !CryptographicOperations.FixedTimeEquals(await HashAsync(path).ConfigureAwait(false), expectedHash))
        {
            throw new InvalidOperationException($"{path} differs from the source file");
        }
    }

    private static async Task<byte[]> HashAsync(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, FillBlock, FileOptions.SequentialScan);
        return await SHA256.HashDataAsync(stream).ConfigureAwait(false);
    }

    private static async Task MakeRandomFileAsync(string path, long bytes)
    {
        byte[] block = new byte[FillBlock];
        await using var f = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 0);
        for (long done = 0; done < bytes; done += block.Length)
        {
            int n = (int)Math.Min(block.Length, bytes - done);
            RandomNumberGenerator.Fill(block.AsSpan(0, n));
            await f.WriteAsync(block.AsMemory(0, n)).ConfigureAwait(false);
        }
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ')[..3]) : "unknown";

    private static string CpuModel()
    {
        foreach (string line in File.ReadLines("/proc/cpuinfo"))
        {
            if (line.StartsWith("model name", StringComparison.Ordinal))
            {
                return line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
            }
        }

        return "unknown CPU";
    }
}
