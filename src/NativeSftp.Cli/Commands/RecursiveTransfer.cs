using NativeSftp.Cli.CommandLine;
using NativeSftp.Cli.Connect;
using NativeSftp.Cli.Output;
using NativeSftp.Sftp;
using NativeSftp.Sftp.Protocol;
using NativeSftp.Transfer;

namespace NativeSftp.Cli.Commands;

/// <summary>
/// put -r and get -r: walk the tree on one session, create the directories, then send every regular file through
/// the resilient engine exactly as a single put/get would (verified, temporary name + rename, retried and resumed).
/// Files go in name order. A large file goes alone, with its progress shown; a run of small files (up to
/// <see cref="SmallFileBytes"/>) goes <c>--parallel</c> at a time, each worker on a connection of its own that it
/// keeps while it works (a failed attempt reconnects): for a small file the round trips (open, write, close, rename,
/// verify: about seven) cost far more than its bytes, and on a 50 ms path 20 files of 20 KB took 7.9 s one by one.
/// The first file that fails stops the copy: nothing new is started, what is in flight finishes, and the error
/// names the file and how far the copy got, so a rerun (with --resume) picks up honestly.
/// </summary>
internal static class RecursiveTransfer
{
    /// <summary>Small files at once, by default: enough to hide a long round trip, few enough for any server's limits.</summary>
    public const int DefaultParallel = 4;

    /// <summary>Each worker is a connection: OpenSSH's MaxStartups starts refusing unauthenticated ones past 10.</summary>
    public const int MaxParallel = 8;

    /// <summary>Files up to this size go several at a time; larger ones fill the pipe by themselves.</summary>
    public const long SmallFileBytes = 1024 * 1024;

    public static async Task<int> PutAsync(TransferSetup setup, string localRoot, RemoteUrl url, CliContext context, CancellationToken ct)
    {
        string remoteRoot;
        TransferTree tree;
        await using (var session = await CliSession.OpenAsync(url, setup.Connection, context, ct).ConfigureAwait(false))
        {
            // Walked once the session is up, so an unreadable local directory is an operation failure (exit 4), not
            // a connection-setup one.
            tree = TreeWalker.WalkLocal(localRoot);
            ReportSkipped(tree, context);
            // As for one file: a URL path ending in '/' (or the login directory) receives the directory by its name;
            // otherwise the URL names the target directory itself.
            string path = url.Path;
            string name = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(localRoot)));
            if (path is "" or "~" || path.EndsWith('/'))
            {
                path = path is "" or "~" ? (path.Length == 0 ? name : "~/" + name) : path + name;
            }

            remoteRoot = await session.ResolveAsync(path, ct).ConfigureAwait(false);
            await EnsureRemoteDirectoriesAsync(session.Sftp, [remoteRoot], context, ct).ConfigureAwait(false);
            // Level by level, parents before children; all the directories of a level at once.
            foreach (var level in tree.Directories.GroupBy(d => d.Count(c => c == '/')).OrderBy(g => g.Key))
            {
                await EnsureRemoteDirectoriesAsync(session.Sftp, [.. level.Select(d => TreeWalker.Join(remoteRoot, d))], context, ct).ConfigureAwait(false);
            }
        }

        return await CopyFilesAsync(setup, "put", localRoot, remoteRoot, tree, context, (reuse, local, remote, renderer, token) =>
            SftpTransfer.UploadAsync(reuse, local, remote, setup.Transfer, renderer, token), ct).ConfigureAwait(false);
    }

    public static async Task<int> GetAsync(TransferSetup setup, RemoteUrl url, string localTarget, CliContext context, CancellationToken ct)
    {
        string remoteRoot;
        TransferTree tree;
        await using (var session = await CliSession.OpenAsync(url, setup.Connection, context, ct).ConfigureAwait(false))
        {
            remoteRoot = await session.ResolveAsync(url.Path, ct).ConfigureAwait(false);
            SftpAttributes root = await session.Sftp.StatAsync(remoteRoot, ct).ConfigureAwait(false);
            if (!root.IsDirectory)
            {
                throw new UsageException($"{remoteRoot} is not a directory; get -r copies a directory (drop -r for one file)");
            }

            tree = await TreeWalker.WalkRemoteAsync(session.Sftp, remoteRoot, ct).ConfigureAwait(false);
        }

        ReportSkipped(tree, context);
        // As for one file: an existing local directory receives the remote directory by its name.
        string localRoot = localTarget;
        string name = remoteRoot.TrimEnd('/');
        name = name[(name.LastIndexOf('/') + 1)..];
        if (Directory.Exists(localTarget) && name.Length > 0)
        {
            localRoot = Path.Combine(localTarget, name);
        }

        Directory.CreateDirectory(localRoot);
        foreach (string dir in tree.Directories)
        {
            Directory.CreateDirectory(LocalPath(localRoot, dir));
        }

        return await CopyFilesAsync(setup, "get", localRoot, remoteRoot, tree, context, (reuse, local, remote, renderer, token) =>
            SftpTransfer.DownloadAsync(reuse, remote, local, setup.Transfer, renderer, token), ct).ConfigureAwait(false);
    }

    private delegate Task<TransferResult> FileRun(ReusableSftpSession session, string local, string remote, IProgress<TransferProgress> progress, CancellationToken ct);

    private static async Task<int> CopyFilesAsync(TransferSetup setup, string label, string localRoot, string remoteRoot, TransferTree tree,
        CliContext context, FileRun run, CancellationToken ct)
    {
        int count = tree.Files.Count;
        var copy = new TreeCopy(setup, label, localRoot, remoteRoot, tree, context, run);
        // One connection per worker, each kept for all its files while it works; the first also takes the large files.
        var sessions = new ReusableSftpSession[Math.Max(1, Math.Min(setup.Parallel, count))];
        for (int w = 0; w < sessions.Length; w++)
        {
            sessions[w] = new ReusableSftpSession(setup.Connection);
        }

        try
        {
            for (int i = 0; i < count && !copy.Stopped;)
            {
                int end = i;
                while (end < count && copy.IsSmall(end))
                {
                    end++;
                }

                if (end - i >= 2 && sessions.Length > 1)
                {
                    await copy.RunSmallFilesAsync(i, end, sessions, ct).ConfigureAwait(false);
                    i = end;
                }
                else
                {
                    await copy.RunOneAsync(i, sessions[0], showProgress: true, ct).ConfigureAwait(false);
                    i++;
                }
            }
        }
        finally
        {
            foreach (var session in sessions)
            {
                await session.DisposeAsync().ConfigureAwait(false);
            }
        }

        var results = copy.Results;
        if (copy.Failure is { } failure)
        {
            // The error itself goes through ErrorReporter (and so sets the exit code); this line says where the
            // copy stopped, which the error alone cannot.
            string file = tree.Files[failure.Index];
            string others = copy.FailedCount > 1 ? $", {copy.FailedCount - 1} more failed (above)" : "";
            await context.Error.WriteLineAsync(
                $"nsftp: {label} -r stopped at {file} ({results.Count} of {count} files done{others}; the rest were not tried)").ConfigureAwait(false);
            if (context.Json)
            {
                var summary = new RecursiveTransferJson(label, localRoot, remoteRoot, tree);
                await context.Output.WriteLineAsync(summary.ToJson(results, (LocalPath(localRoot, file), TreeWalker.Join(remoteRoot, file), failure.Error))).ConfigureAwait(false);
            }

            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure.Error);
        }

        if (context.Json)
        {
            await context.Output.WriteLineAsync(new RecursiveTransferJson(label, localRoot, remoteRoot, tree).ToJson(results, null)).ConfigureAwait(false);
        }
        else
        {
            await context.Error.WriteLineAsync(
                $"nsftp: {label} -r {localRoot} {(label == "put" ? "->" : "<-")} {remoteRoot}: {count} files, {tree.Directories.Count} directories, {tree.Skipped.Count} skipped")
                .ConfigureAwait(false);
        }

        return ExitCodes.Success;
    }

    /// <summary>
    /// The files of one recursive copy: their results in name order, the first failure (by name order, when several
    /// files fail at once), and the one lock under which workers write their lines.
    /// </summary>
    private sealed class TreeCopy(TransferSetup setup, string label, string localRoot, string remoteRoot, TransferTree tree, CliContext context, FileRun run)
    {
        private readonly TransferResult?[] _results = new TransferResult?[tree.Files.Count];
        private readonly object _gate = new();
        private volatile bool _stopped;

        public bool Stopped => _stopped;

        public (int Index, Exception Error)? Failure { get; private set; }

        /// <summary>Files that failed (in parallel, more than one may).</summary>
        public int FailedCount { get; private set; }

        public List<TransferResult> Results => [.. _results.OfType<TransferResult>()];

        /// <summary>Small by what the walk saw; a file whose size the server did not list counts as large.</summary>
        public bool IsSmall(int index) => tree.FileSizes.TryGetValue(tree.Files[index], out long size) && size <= SmallFileBytes;

        /// <summary>Files [start, end) by <paramref name="sessions"/>.Length workers, each on its own connection.</summary>
        public async Task RunSmallFilesAsync(int start, int end, ReusableSftpSession[] sessions, CancellationToken ct)
        {
            int next = start - 1;
            var workers = new Task[sessions.Length];
            for (int w = 0; w < sessions.Length; w++)
            {
                var session = sessions[w];
                workers[w] = Task.Run(async () =>
                {
                    int i;
                    // Claimed, then checked: a file claimed just as another failed is not started either.
                    while ((i = Interlocked.Increment(ref next)) < end && !_stopped)
                    {
                        await RunOneAsync(i, session, showProgress: false, ct).ConfigureAwait(false);
                    }
                }, CancellationToken.None);
            }

            await Task.WhenAll(workers).ConfigureAwait(false);
        }

        public async Task RunOneAsync(int index, ReusableSftpSession session, bool showProgress, CancellationToken ct)
        {
            string file = tree.Files[index];
            string local = LocalPath(localRoot, file);
            string remote = TreeWalker.Join(remoteRoot, file);
            try
            {
                TransferResult result;
                // A small file is over before a progress line would say anything; its summary line follows.
                using (var renderer = showProgress ? setup.NewRenderer($"{label} {file}", context) : new ProgressRenderer(ProgressMode.None, label, context.Error, false))
                {
                    result = await run(session, local, remote, renderer, ct).ConfigureAwait(false);
                }

                lock (_gate)
                {
                    _results[index] = result;
                    if (!context.Json)
                    {
                        context.Error.WriteLine(TransferSetup.Summary(label, result));
                    }
                }
            }
            catch (Exception e) when (e is not UsageException)
            {
                lock (_gate)
                {
                    _stopped = true;
                    FailedCount++;
                    if (Failure is not { } first || index < first.Index)
                    {
                        if (Failure is { } later)
                        {
                            Report(later);
                        }

                        Failure = (index, e);
                    }
                    else
                    {
                        Report((index, e));
                    }
                }
            }
        }

        /// <summary>
        /// A failure beside the one the copy stops with: said, not dropped. Files cancelled with the whole copy
        /// (Ctrl+C) are not listed one by one: the cancellation is the one message.
        /// </summary>
        private void Report((int Index, Exception Error) failure)
        {
            if (failure.Error is not OperationCanceledException)
            {
                context.Error.WriteLine($"nsftp: {label} {tree.Files[failure.Index]} also failed: {failure.Error.Message}");
            }
        }
    }

    /// <summary>Requests in flight while creating directories: enough to hide the round trip, few enough for any server.</summary>
    private const int DirectoryBatch = 64;

    /// <summary>
    /// Makes sure these remote directories (siblings or cousins: none the parent of another) exist: an existing
    /// directory is fine, anything else in its place is an error. The STATs go out together, then the MKDIRs of the
    /// missing ones: two round trips for a level of the tree instead of two per directory (a tree of 100 directories
    /// over a 50 ms link took 10 s just to create them).
    /// </summary>
    private static async Task EnsureRemoteDirectoriesAsync(SftpClient sftp, IReadOnlyList<string> paths, CliContext context, CancellationToken ct)
    {
        foreach (var batch in paths.Chunk(DirectoryBatch))
        {
            bool[] missing = await Task.WhenAll(batch.Select(p => IsMissingAsync(sftp, p, ct))).ConfigureAwait(false);
            var toMake = batch.Where((_, i) => missing[i]).ToList();
            foreach (string path in toMake)
            {
                context.Verbose($"mkdir {path}");
            }

            // A missing parent makes a MKDIR fail with its own clear status.
            await Task.WhenAll(toMake.Select(p => sftp.CreateDirectoryAsync(p, null, ct))).ConfigureAwait(false);
        }
    }

    /// <summary>True when nothing is at <paramref name="path"/>; throws when something that is not a directory is.</summary>
    private static async Task<bool> IsMissingAsync(SftpClient sftp, string path, CancellationToken ct)
    {
        try
        {
            SftpAttributes existing = await sftp.StatAsync(path, ct).ConfigureAwait(false);
            if (!existing.IsDirectory)
            {
                throw new SshException($"{path} exists on the server and is not a directory");
            }

            return false;
        }
        catch (SftpException e) when (e.StatusCode == SftpStatusCode.NoSuchFile)
        {
            return true;
        }
    }

    private static void ReportSkipped(TransferTree tree, CliContext context)
    {
        foreach (var (path, reason) in tree.Skipped)
        {
            context.Verbose($"skipping {path}: {reason}");
        }
    }

    private static string LocalPath(string localRoot, string relative) =>
        Path.Combine(localRoot, relative.Replace('/', Path.DirectorySeparatorChar));
}
