using System.CommandLine;
using System.Globalization;
using NativeSftp.Cli.CommandLine;
using NativeSftp.Cli.Connect;
using NativeSftp.Cli.Output;
using NativeSftp.Diagnostics;
using NativeSftp.Transfer;

namespace NativeSftp.Cli.Commands;

/// <summary>
/// What every put/get run needs before its first byte moves: the bound transfer options, the progress mode, the
/// client options for the engine's own connections, and the trace file (disposed last, so it holds every packet).
/// One setup serves all files of a recursive transfer, so option errors surface once, before any work.
/// </summary>
internal sealed class TransferSetup : IDisposable
{
    private readonly ProtocolTraceWriter? _trace;

    private TransferSetup(TransferOptions transfer, ProgressMode progress, SshClientOptions connection, ProtocolTraceWriter? trace, int parallel)
    {
        Transfer = transfer;
        Progress = progress;
        Connection = connection;
        _trace = trace;
        Parallel = parallel;
    }

    /// <summary>--parallel: small files of a recursive transfer in flight at once, each on its own connection.</summary>
    public int Parallel { get; }

    public TransferOptions Transfer { get; }
    public ProgressMode Progress { get; }
    public SshClientOptions Connection { get; }

    public static TransferSetup Create(ParseResult parse, TransferCommandOptions topts, ConnectionArguments args, CliContext context, RemoteUrl url)
    {
        // Bind (and so validate) the options before anything touches the network: a bad value is exit 2, never 3.
        TransferOptions transfer = topts.Bind(parse);
        int parallel = parse.GetValue(topts.Parallel);
        if (parallel is < 1 or > RecursiveTransfer.MaxParallel)
        {
            throw new UsageException($"--parallel must be between 1 and {RecursiveTransfer.MaxParallel}");
        }
        var mode = ProgressRenderer.ParseMode(parse.GetValue(topts.Progress) ?? "auto");
        ResolvedTarget target = ClientOptionsBuilder.Resolve(url, args, context.Environment);
        foreach (string note in target.Notes)
        {
            context.Verbose(note);
        }

        ProtocolTraceWriter? trace = args.TraceFile is { } traceFile ? ProtocolTraceWriter.ToFile(context.Environment.ExpandHome(traceFile)) : null;
        try
        {
            return new TransferSetup(transfer, mode, ClientOptionsBuilder.Build(target, args, context.Environment, trace), trace, parallel);
        }
        catch
        {
            trace?.Dispose();
            throw;
        }
    }

    public ProgressRenderer NewRenderer(string label, CliContext context) =>
        new(Progress, label, context.Error, context.Environment.IsInteractive);

    /// <summary>The one-line human summary of a finished file (stderr, so stdout stays clean for scripts).</summary>
    public static string Summary(string label, TransferResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        string resumed = result.ResumedFrom > 0 ? $", resumed from {result.ResumedFrom} ({result.ResumeVerification})" : "";
        string attempts = result.Attempts.Count > 1 ? $", {result.Attempts.Count} attempts" : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"nsftp: {label} {result.LocalPath} {(label == "put" ? "->" : "<-")} {result.RemotePath}: {ByteFormat.Size(result.Bytes)} in {result.Duration.TotalSeconds:0.00} s ({ByteFormat.Rate(result.BytesPerSecond)}), verified: {result.VerifyMethod}{resumed}{attempts}");
    }

    public void Dispose() => _trace?.Dispose();
}
