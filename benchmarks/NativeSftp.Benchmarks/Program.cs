using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace NativeSftp.Benchmarks;

internal static class Program
{
    /// <summary>Cipher names such as aes128-ctr+hmac-sha2-256-etm@openssh.com are 40 characters; the default column cuts them to 20.</summary>
    private const int ParameterColumnWidth = 48;

    private static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args,
        DefaultConfig.Instance.WithSummaryStyle(SummaryStyle.Default.WithMaxParameterColumnWidth(ParameterColumnWidth)));
}
