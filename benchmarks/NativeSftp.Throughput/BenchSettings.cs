using System.Globalization;

namespace NativeSftp.Throughput;

/// <summary>What one harness run measures. Arguments win over environment variables, which win over the defaults.</summary>
internal sealed class BenchSettings
{
    private const long MiB = 1024 * 1024;

    /// <summary>Setting 1: plain loopback, 1 GiB = 1024 MiB (the brief's size; big enough that connect cost is noise).</summary>
    public const int DefaultLoopbackMiB = 1024;

    /// <summary>Setting 2: 256 MiB through the 50 ms delay line (at the 40 MiB/s one-window bound that is ~6 s a run).</summary>
    public const int DefaultLatencyMiB = 256;

    /// <summary>Runs per row; the median of 3 shrugs off one outlier.</summary>
    public const int DefaultRuns = 3;

    /// <summary>--quick: 256 MiB on loopback and 64 MiB through the delay line, one run each.</summary>
    public const int QuickLoopbackMiB = 256;
    public const int QuickLatencyMiB = 64;

    /// <summary>Setting 2's round trip: 25 ms each way.</summary>
    public static readonly TimeSpan OneWayDelay = TimeSpan.FromMilliseconds(25);

    /// <summary>OpenSSH's server-side channel window for a session (CHAN_SES_WINDOW_DEFAULT in channels.h: 64 × 32 KiB = 2 MiB).</summary>
    public const long OpenSshServerWindow = 2 * MiB;

    public int LoopbackMiB { get; private set; } = DefaultLoopbackMiB;
    public int LatencyMiB { get; private set; } = DefaultLatencyMiB;
    public int Runs { get; private set; } = DefaultRuns;
    public bool Quick { get; private set; }
    public HashSet<string> Settings { get; } = new(StringComparer.OrdinalIgnoreCase) { "loopback", "latency" };
    public HashSet<string> Clients { get; } = new(StringComparer.OrdinalIgnoreCase) { "nativesftp", "nsftp", "openssh", "sshnet" };
    public string? OutputPath { get; private set; }

    /// <summary>
    /// The native nsftp executable (./build.sh publish; ./build.sh bench passes it) for the "nsftp" client's rows:
    /// the command-line tool as users run it. Without it those rows are left out, and the report says so.
    /// </summary>
    public string? NsftpPath { get; private set; }

    public static BenchSettings Parse(string[] args)
    {
        var s = new BenchSettings();
        if (args.Contains("--quick") || Environment.GetEnvironmentVariable("NSFTP_BENCH_QUICK") == "1")
        {
            s.Quick = true;
            s.LoopbackMiB = QuickLoopbackMiB;
            s.LatencyMiB = QuickLatencyMiB;
            s.Runs = 1;
        }

        s.LoopbackMiB = EnvInt("NSFTP_BENCH_SIZE_MIB") ?? s.LoopbackMiB;
        s.LatencyMiB = EnvInt("NSFTP_BENCH_LATENCY_SIZE_MIB") ?? s.LatencyMiB;
        s.Runs = EnvInt("NSFTP_BENCH_RUNS") ?? s.Runs;
        SetList(s.Settings, Environment.GetEnvironmentVariable("NSFTP_BENCH_SETTINGS"));
        SetList(s.Clients, Environment.GetEnvironmentVariable("NSFTP_BENCH_CLIENTS"));
        s.NsftpPath = Environment.GetEnvironmentVariable("NSFTP_BENCH_NSFTP") is { Length: > 0 } nsftp ? nsftp : null;

        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--quick":
                    break;
                case "--size-mib":
                    s.LoopbackMiB = ParsePositive(Next());
                    break;
                case "--latency-size-mib":
                    s.LatencyMiB = ParsePositive(Next());
                    break;
                case "--runs":
                    s.Runs = ParsePositive(Next());
                    break;
                case "--settings":
                    SetList(s.Settings, Next());
                    break;
                case "--clients":
                    SetList(s.Clients, Next());
                    break;
                case "--output":
                    s.OutputPath = Next();
                    break;
                case "--nsftp":
                    s.NsftpPath = Next();
                    break;
                default:
                    throw new ArgumentException($"unknown argument {args[i]} (see benchmarks/NativeSftp.Throughput/README in spec-notes/benchmarks.md)");
            }
        }

        if (s.NsftpPath is not null && !File.Exists(s.NsftpPath))
        {
            throw new ArgumentException($"--nsftp {s.NsftpPath}: no such file (./build.sh publish makes artifacts/nsftp/nsftp)");
        }

        return s;
    }

    /// <summary>The clients that will run: "nsftp" only with an executable to run.</summary>
    public ISet<string> RunnableClients =>
        NsftpPath is null ? Clients.Where(c => !c.Equals("nsftp", StringComparison.OrdinalIgnoreCase)).ToHashSet(StringComparer.OrdinalIgnoreCase) : Clients;

    private static int? EnvInt(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? ParsePositive(v) : null;

    private static int ParsePositive(string v) =>
        int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0
            ? n
            : throw new ArgumentException($"'{v}' is not a positive whole number");

    private static void SetList(HashSet<string> set, string? csv)
    {
        if (string.IsNullOrWhiteSpace(csv))
        {
            return;
        }

        set.Clear();
        foreach (string item in csv.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            set.Add(item);
        }
    }
}
