using System.CommandLine;
using NativeSftp.Cli.CommandLine;
using NativeSftp.Cli.Connect;
using NativeSftp.Cli.Output;
using NativeSftp.Transfer;

namespace NativeSftp.Cli.Commands;

/// <summary>The transfer options of put and get, declared and read in one place.</summary>
public sealed class TransferCommandOptions
{
    public Option<string> Verify { get; } = new("--verify") { Description = "auto (strongest the server allows), sha256 (the server hashes the file), read-back (download it again and hash that: a second transfer), size or none.", DefaultValueFactory = _ => "auto", HelpName = "MODE" };
    public Option<bool> Resume { get; } = new("--resume") { Description = "Continue a partial file left by an earlier run, from an offset proven good." };
    public Option<bool> InPlace { get; } = new("--in-place") { Description = "Write the target directly instead of a temporary name renamed at the end." };
    public Option<bool> NoFsync { get; } = new("--no-fsync") { Description = "Do not ask the server to fsync before closing." };
    public Option<int?> Requests { get; } = new("--requests") { Description = "Requests in flight (default: enough to fill the channel window).", HelpName = "N" };
    public Option<int?> ChunkSize { get; } = new("--chunk-size") { Description = "Bytes per request (default: the server's limit, else 32 KiB).", HelpName = "BYTES" };
    public Option<int?> Segments { get; } = new("--segments") { Description = "Parallel segments, each on its own channel (default: chosen from size and round trip).", HelpName = "K" };
    public Option<int> Retries { get; } = new("--retries") { Description = "Reconnect and resume this many times after a retryable failure.", DefaultValueFactory = _ => 5, HelpName = "N" };
    public Option<int> StallTimeout { get; } = new("--stall-timeout") { Description = "End an attempt after this many seconds without acknowledged progress.", DefaultValueFactory = _ => 60, HelpName = "SECONDS" };
    public Option<string> Progress { get; } = new("--progress") { Description = "auto (a bar on a terminal, plain lines otherwise), bar, plain or none.", DefaultValueFactory = _ => "auto", HelpName = "MODE" };
    public Option<bool> Recursive { get; } = new("--recursive", "-r") { Description = "Copy a directory tree: every regular file verified like a single file; symbolic links skipped; at the first failure nothing new starts." };
    public Option<int> Parallel { get; } = new("--parallel") { Description = "With -r: small files (up to 1 MiB) this many at a time, each on its own connection; larger files one at a time, with progress.", DefaultValueFactory = _ => RecursiveTransfer.DefaultParallel, HelpName = "N" };

    public void AddTo(Command command)
    {
        foreach (Option o in new Option[] { Verify, Resume, InPlace, NoFsync, Requests, ChunkSize, Segments, Retries, StallTimeout, Progress, Recursive, Parallel })
        {
            command.Add(o);
        }
    }

    public TransferOptions Bind(ParseResult parse)
    {
        var verify = parse.GetValue(Verify)?.ToLowerInvariant() switch
        {
            "auto" => VerifyMode.Auto,
            "sha256" => VerifyMode.Sha256,
            "size" => VerifyMode.Size,
            "none" => VerifyMode.None,
            "read-back" => VerifyMode.ReadBack,
            var v => throw new UsageException($"--verify must be auto, sha256, read-back, size or none, not '{v}'"),
        };
        int retries = parse.GetValue(Retries);
        int stall = parse.GetValue(StallTimeout);
        if (retries < 0 || stall < 0)
        {
            throw new UsageException("--retries and --stall-timeout cannot be negative");
        }

        return new TransferOptions
        {
            Verify = verify,
            Resume = parse.GetValue(Resume),
            UseTemporaryName = !parse.GetValue(InPlace),
            Fsync = !parse.GetValue(NoFsync),
            RequestsInFlight = Positive(parse.GetValue(Requests), "--requests"),
            ChunkSize = Positive(parse.GetValue(ChunkSize), "--chunk-size"),
            Segments = Positive(parse.GetValue(Segments), "--segments"),
            Retries = retries,
            StallTimeout = stall == 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromSeconds(stall),
        };
    }

    private static int? Positive(int? value, string name) =>
        value is <= 0 ? throw new UsageException($"{name} must be positive") : value;
}

/// <summary>put, get and hash. Transfers go through the resilient engine: they reconnect and resume on their own.</summary>
public static class TransferCommands
{
    public static void Register(RootCommand root, CommandRunner runner)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(runner);
        var topts = new TransferCommandOptions();

        var putLocal = new Argument<string>("local") { Description = "The local file (or directory, with -r) to upload" };
        var putUrl = new Argument<string>("url") { Description = "sftp://[user@]host[:port]/path (ending in / to keep the local name)" };
        var put = new Command("put", "Upload a file (or a tree with -r): pipelined, verified, renamed into place, retried and resumed on failure.") { putLocal, putUrl };
        topts.AddTo(put);
        runner.Bind(put, async (parse, args, context, ct) =>
        {
            string local = context.Environment.ExpandHome(parse.GetRequiredValue(putLocal));
            bool recursive = parse.GetValue(topts.Recursive);
            if (Directory.Exists(local) != recursive)
            {
                throw new UsageException(recursive
                    ? $"{local} is not a directory; -r copies a directory (drop -r for one file)"
                    : $"{local} is a directory; use put -r to upload a directory tree");
            }

            var url = RemoteUrl.Parse(parse.GetRequiredValue(putUrl));
            using var setup = TransferSetup.Create(parse, topts, args, context, url);
            if (recursive)
            {
                return await RecursiveTransfer.PutAsync(setup, local, url, context, ct).ConfigureAwait(false);
            }

            string remote = RemotePath(url.Path);
            if (remote.Length == 0 || remote.EndsWith('/'))
            {
                remote += Path.GetFileName(local);
            }

            try
            {
                return await RunTransferAsync(setup, context, "put", (options, transfer, progress, token) =>
                    SftpTransfer.UploadAsync(options, local, remote, transfer, progress, token), ct).ConfigureAwait(false);
            }
            catch (Exception e) when (Inner<RemoteIsDirectoryException>(e) is not null)
            {
                // As sftp and scp do: a target that is a directory receives the file under its local name. Found
                // before any data moved (the library checks beside the OPEN).
                string inside = remote.TrimEnd('/') + "/" + Path.GetFileName(local);
                context.Verbose($"{remote} is a directory: uploading to {inside}");
                return await RunTransferAsync(setup, context, "put", (options, transfer, progress, token) =>
                    SftpTransfer.UploadAsync(options, local, inside, transfer, progress, token), ct).ConfigureAwait(false);
            }
        });
        root.Add(put);

        var getUrl = new Argument<string>("url") { Description = "sftp://[user@]host[:port]/path of the file (or directory, with -r) to download" };
        var getLocal = new Argument<string>("local") { Description = "Where to write it (an existing directory keeps the remote name)" };
        var get = new Command("get", "Download a file (or a tree with -r): pipelined, verified, written to a temporary name, flushed and moved into place.") { getUrl, getLocal };
        topts.AddTo(get);
        runner.Bind(get, async (parse, args, context, ct) =>
        {
            var url = RemoteUrl.Parse(parse.GetRequiredValue(getUrl));
            string local = context.Environment.ExpandHome(parse.GetRequiredValue(getLocal));
            using var setup = TransferSetup.Create(parse, topts, args, context, url);
            if (parse.GetValue(topts.Recursive))
            {
                return await RecursiveTransfer.GetAsync(setup, url, local, context, ct).ConfigureAwait(false);
            }

            string remote = RemotePath(url.Path);
            if (Directory.Exists(local))
            {
                local = Path.Combine(local, remote[(remote.LastIndexOf('/') + 1)..]);
            }

            try
            {
                return await RunTransferAsync(setup, context, "get", (options, transfer, progress, token) =>
                    SftpTransfer.DownloadAsync(options, remote, local, transfer, progress, token), ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is TransferException or SftpException && !ct.IsCancellationRequested)
            {
                // Whether the remote path is a directory is only worth a round trip once the download has failed:
                // then the failure is a usage error with a hint, not a puzzling read error.
                if (await IsRemoteDirectoryAsync(setup, url, context, ct).ConfigureAwait(false))
                {
                    throw new UsageException($"{url} is a directory; use get -r to download a directory tree");
                }

                throw;
            }
        });
        root.Add(get);

        var hashUrl = new Argument<string>("url") { Description = "sftp://[user@]host[:port]/path" };
        var hash = new Command("hash", "Print a remote file's SHA-256, by the best method the server allows (check-file, else a hash command).") { hashUrl };
        runner.Bind(hash, async (parse, args, context, ct) =>
        {
            var url = RemoteUrl.Parse(parse.GetRequiredValue(hashUrl));
            await using var session = await CliSession.OpenAsync(url, args, context, ct).ConfigureAwait(false);
            string path = await session.ResolveAsync(url.Path, ct).ConfigureAwait(false);
            RemoteHash h;
            try
            {
                h = await RemoteHasher.ComputeAsync(session.Sftp, path, null, ct).ConfigureAwait(false);
            }
            catch (NotSupportedException e)
            {
                throw new SshException(e.Message, e);
            }

            if (context.Json)
            {
                await context.Output.WriteLineAsync(JsonOutput.Write(w =>
                {
                    w.WriteString("path", path);
                    w.WriteString("sha256", h.Sha256Hex);
                    w.WriteString("method", h.Method);
                })).ConfigureAwait(false);
            }
            else
            {
                await context.Output.WriteLineAsync($"{h.Sha256Hex}  {path}  ({h.Method})").ConfigureAwait(false);
            }

            return ExitCodes.Success;
        });
        root.Add(hash);
    }

    private static T? Inner<T>(Exception? e) where T : Exception
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is T t)
            {
                return t;
            }
        }

        return null;
    }

    /// <summary>
    /// SFTP resolves relative paths against the login directory, so "~/x" is sent as "x" and "~" as ".": the
    /// resilient engine opens its own connections and needs a path valid on any of them.
    /// </summary>
    private static string RemotePath(string path) =>
        path is "" or "~" ? "" : path.StartsWith("~/", StringComparison.Ordinal) ? path[2..] : path;

    private delegate Task<TransferResult> TransferRun(SshClientOptions options, TransferOptions transfer, IProgress<TransferProgress> progress, CancellationToken ct);

    private static async Task<int> RunTransferAsync(TransferSetup setup, CliContext context, string label, TransferRun run, CancellationToken ct)
    {
        context.Phase = CommandPhase.Operating;
        TransferResult result;
        using (var renderer = setup.NewRenderer(label, context))
        {
            result = await run(setup.Connection, setup.Transfer, renderer, ct).ConfigureAwait(false);
        }

        if (context.Json)
        {
            await context.Output.WriteLineAsync(TransferResultJson.ToJson(result)).ConfigureAwait(false);
        }
        else
        {
            await context.Error.WriteLineAsync(TransferSetup.Summary(label, result)).ConfigureAwait(false);
        }

        return ExitCodes.Success;
    }

    /// <summary>True when the URL's path is a directory on the server; false when it is not or cannot be told.</summary>
    private static async Task<bool> IsRemoteDirectoryAsync(TransferSetup setup, RemoteUrl url, CliContext context, CancellationToken ct)
    {
        try
        {
            await using var session = await CliSession.OpenAsync(url, setup.Connection, context, ct).ConfigureAwait(false);
            string path = await session.ResolveAsync(url.Path, ct).ConfigureAwait(false);
            return (await session.Sftp.StatAsync(path, ct).ConfigureAwait(false)).IsDirectory;
        }
        catch (SshException probe)
        {
            // The download's own error is the one to report; this probe only decides whether to add the -r hint.
            context.Verbose($"could not check whether {url} is a directory: {probe.Message}");
            return false;
        }
    }
}
