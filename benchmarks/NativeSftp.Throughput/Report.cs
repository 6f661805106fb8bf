using System.Globalization;
using System.Text;

namespace NativeSftp.Throughput;

/// <summary>The measured rows of one setting and op, reduced to medians.</summary>
internal sealed record Row(string Setting, Job Job, string Op, long Bytes, IReadOnlyList<Sample> Samples)
{
    private const double MiB = 1024.0 * 1024;
    private const double GiB = MiB * 1024;

    public double MiBPerSecond => Median(Samples.Select(s => Bytes / MiB / s.WallSeconds));
    public double CpuSecondsPerGiB => Median(Samples.Select(s => s.CpuSeconds / (Bytes / GiB)));
    public double PeakRssMiB => Median(Samples.Select(s => s.MaxRssKiB / 1024.0));

    /// <summary>What the .NET clients timed themselves (transfer only, no process start or connect).</summary>
    public double? TransferOnlyMiBPerSecond => Samples.All(s => s.Details.ContainsKey("transfer_seconds"))
        ? Median(Samples.Select(s => Bytes / MiB / double.Parse(s.Details["transfer_seconds"], CultureInfo.InvariantCulture)))
        : null;

    public double UserSecondsPerGiB => Median(Samples.Select(s => s.UserSeconds / (Bytes / GiB)));
    public double SystemSecondsPerGiB => Median(Samples.Select(s => s.SystemSeconds / (Bytes / GiB)));

    /// <summary>What the runs reported for <paramref name="key"/>; differing values (e.g. automatic segments) joined by "/".</summary>
    public string Detail(string key, string missing) =>
        string.Join('/', Samples.Select(s => s.Details.GetValueOrDefault(key, missing)).Distinct());

    /// <summary>The middle value; the mean of the two middle ones for an even count.</summary>
    public static double Median(IEnumerable<double> values)
    {
        double[] v = [.. values.Order()];
        if (v.Length == 0)
        {
            throw new ArgumentException("no values", nameof(values));
        }

        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[(v.Length / 2) - 1] + v[v.Length / 2]) / 2;
    }
}

internal static class Report
{
    public static string Markdown(IReadOnlyList<Row> rows, IEnumerable<string> preamble)
    {
        var sb = new StringBuilder();
        foreach (string line in preamble)
        {
            sb.AppendLine(line);
        }

        sb.AppendLine();
        sb.AppendLine("| Setting | Client | Op | MiB/s (median, whole process) | client CPU s/GiB | user / sys s/GiB | peak RSS MiB | transfer-only MiB/s | cipher | segments | verify | runs |");
        sb.AppendLine("|---|---|---|---:|---:|---:|---:|---:|---|---:|---|---:|");
        foreach (var r in rows)
        {
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Setting} | {r.Job.Label} | {r.Op} | {r.MiBPerSecond:F1} | {r.CpuSecondsPerGiB:F2} | {r.UserSecondsPerGiB:F2} / {r.SystemSecondsPerGiB:F2} | {r.PeakRssMiB:F0} | {(r.TransferOnlyMiBPerSecond is double t ? t.ToString("F1", CultureInfo.InvariantCulture) : "–")} | {r.Detail("cipher", "?")} | {r.Detail("segments", "1")} | {r.Detail("verify", "none")} | {r.Samples.Count} |"));
        }

        sb.AppendLine();
        sb.AppendLine("Each NativeSftp row against each peer in the same setting and direction: throughput ratio (>1: NativeSftp faster) and CPU-per-GiB ratio (<1: NativeSftp cheaper). The verify-none rows are the like-for-like comparison: the peers verify nothing.");
        sb.AppendLine();
        sb.AppendLine("| Setting | Op | NativeSftp row | peer | throughput ratio | CPU ratio |");
        sb.AppendLine("|---|---|---|---|---:|---:|");
        foreach (var ours in rows.Where(r => r.Job.IsOurs))
        {
            foreach (var peer in rows.Where(r => r.Setting == ours.Setting && r.Op == ours.Op && !r.Job.IsOurs))
            {
                sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {ours.Setting} | {ours.Op} | {ours.Job.Label} | {peer.Job.Label} | {ours.MiBPerSecond / peer.MiBPerSecond:F2}× | {ours.CpuSecondsPerGiB / peer.CpuSecondsPerGiB:F2}× |"));
            }
        }

        return sb.ToString();
    }
}
