using System.Globalization;
using NativeSftp.Transfer;
using Spectre.Console;

namespace NativeSftp.Cli.Output;

/// <summary>How transfer progress is shown.</summary>
public enum ProgressMode
{
    /// <summary>A bar when stderr is a terminal, plain lines otherwise (logs, CI).</summary>
    Auto,
    /// <summary>A Spectre.Console progress bar on stderr.</summary>
    Bar,
    /// <summary>One line per interval on stderr, for logs.</summary>
    Plain,
    /// <summary>Nothing.</summary>
    None,
}

/// <summary>
/// Shows <see cref="TransferProgress"/> reports on stderr, for put/get. Thread-safe (the transfer reports from
/// its own threads). Plain mode prints at most one line per interval, plus one whenever the phase changes, so a
/// log of a long transfer stays short; dispose prints the last state so the final line is never lost to the rate limit.
/// </summary>
public sealed class ProgressRenderer : IProgress<TransferProgress>, IDisposable
{
    /// <summary>One line a second keeps a log of a one-hour transfer at 3 600 lines.</summary>
    public static readonly TimeSpan DefaultPlainInterval = TimeSpan.FromSeconds(1);

    /// <summary>How often the bar redraws from the latest report (ten frames a second looks smooth and costs nothing).</summary>
    private static readonly TimeSpan BarRefresh = TimeSpan.FromMilliseconds(100);

    private readonly Lock _lock = new();
    private readonly TextWriter _error;
    private readonly TimeProvider _time;
    private readonly TimeSpan _plainInterval;
    private readonly string _label;
    private readonly CancellationTokenSource _barStop = new();
    private readonly Task _bar = Task.CompletedTask;
    private TransferProgress? _latest;
    private TransferProgress? _lastPrinted;
    private DateTimeOffset _lastPrintTime;
    private bool _disposed;

    public ProgressRenderer(ProgressMode mode, string label, TextWriter error, bool errorIsTerminal, TimeProvider? time = null, TimeSpan? plainInterval = null)
    {
        ArgumentNullException.ThrowIfNull(error);
        _error = error;
        _label = label ?? "";
        _time = time ?? TimeProvider.System;
        _plainInterval = plainInterval ?? DefaultPlainInterval;
        Mode = mode == ProgressMode.Auto ? (errorIsTerminal ? ProgressMode.Bar : ProgressMode.Plain) : mode;
        if (Mode == ProgressMode.Bar)
        {
            _bar = RunBarAsync(_barStop.Token);
        }
    }

    /// <summary>The mode in effect (Auto resolved).</summary>
    public ProgressMode Mode { get; }

    /// <summary>"auto", "bar", "plain" or "none" (the --progress option's values).</summary>
    public static ProgressMode ParseMode(string text) => text?.ToLowerInvariant() switch
    {
        "auto" => ProgressMode.Auto,
        "bar" => ProgressMode.Bar,
        "plain" => ProgressMode.Plain,
        "none" => ProgressMode.None,
        _ => throw new CommandLine.UsageException($"progress mode '{text}' is not one of: auto, bar, plain, none"),
    };

    public void Report(TransferProgress value)
    {
        ArgumentNullException.ThrowIfNull(value);
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _latest = value;
            if (Mode != ProgressMode.Plain)
            {
                return;
            }

            DateTimeOffset now = _time.GetUtcNow();
            bool phaseChanged = _lastPrinted is null || _lastPrinted.Phase != value.Phase;
            if (phaseChanged || now - _lastPrintTime >= _plainInterval)
            {
                PrintPlain(value, now);
            }
        }
    }

    /// <summary>"12.5% 128.0 MiB/1.0 GiB 95.3 MiB/s ETA 0:09 phase=transferring" (no percentage or ETA when the
    /// total is unknown; "attempt=N" from the second attempt on).</summary>
    public static string FormatPlain(TransferProgress p)
    {
        ArgumentNullException.ThrowIfNull(p);
        string phase = "phase=" + p.Phase.ToString().ToLowerInvariant();
        string attempt = p.Attempt > 1 ? " attempt=" + p.Attempt.ToString(CultureInfo.InvariantCulture) : "";
        if (p.TotalBytes is long total && total > 0)
        {
            double percent = Math.Clamp(100.0 * p.BytesDone / total, 0, 100);
            return string.Create(CultureInfo.InvariantCulture,
                $"{percent:0.0}% {ByteFormat.Size(p.BytesDone)}/{ByteFormat.Size(total)} {ByteFormat.Rate(p.BytesPerSecond)} ETA {ByteFormat.Eta(p.EstimatedRemaining)} {phase}{attempt}");
        }

        return $"{ByteFormat.Size(p.BytesDone)} {ByteFormat.Rate(p.BytesPerSecond)} {phase}{attempt}";
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            if (Mode == ProgressMode.Plain && _latest is { } last && !ReferenceEquals(last, _lastPrinted))
            {
                PrintPlain(last, _time.GetUtcNow());
            }
        }

        _barStop.Cancel();
        // The bar loop ends at its next refresh once stopped; waiting here keeps its last frame from being drawn
        // over whatever the command prints next. Dispose cannot be async (IProgress users dispose synchronously).
        _bar.GetAwaiter().GetResult();
        _barStop.Dispose();
        _error.Flush();
    }

    private void PrintPlain(TransferProgress p, DateTimeOffset now)
    {
        _error.WriteLine(_label.Length > 0 ? _label + ": " + FormatPlain(p) : FormatPlain(p));
        _lastPrinted = p;
        _lastPrintTime = now;
    }

    private async Task RunBarAsync(CancellationToken stop)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(_error) });
        await console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(),
                new TransferSpeedColumn(), new RemainingTimeColumn())
            .StartAsync(async ctx =>
            {
                var task = ctx.AddTask(Markup.Escape(_label.Length > 0 ? _label : "transfer"), autoStart: true);
                task.IsIndeterminate = true;
                while (true)
                {
                    bool stopping = stop.IsCancellationRequested;
                    TransferProgress? p;
                    lock (_lock)
                    {
                        p = _latest;
                    }

                    if (p is not null)
                    {
                        if (p.TotalBytes is long total && total > 0)
                        {
                            task.IsIndeterminate = false;
                            task.MaxValue = total;
                        }

                        task.Value = p.BytesDone;
                        task.Description = Markup.Escape($"{_label} {p.Phase.ToString().ToLowerInvariant()}".Trim());
                    }

                    ctx.Refresh();
                    if (stopping)
                    {
                        return;
                    }

                    try
                    {
                        await Task.Delay(BarRefresh, _time, stop).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (stop.IsCancellationRequested)
                    {
                        // Stopping: loop once more to draw the final state, then return.
                    }
                }
            }).ConfigureAwait(false);
    }
}
