using NativeSftp.Cli.CommandLine;
using NativeSftp.Cli.Connect;
using NativeSftp.Cli.Output;
using NativeSftp.Sftp;
using NativeSftp.Sftp.Protocol;
using NativeSftp.Transfer;

namespace NativeSftp.Cli.Commands;

/// <summary>
/// put -r and get -r: walk the tree on one session, create the directories, then send every regular file through
/// the resilient engine exactly as a single put/get would (verified, temporary name + rename, retried and resumed),
/// all on one more connection while it works (a failed attempt reconnects). The first file that fails stops the copy: the files after it are not tried, and the error
/// names the file and how far the copy got, so a rerun (with --resume) picks up honestly.
/// </summary>
internal static class RecursiveTransfer
{
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
            await EnsureRemoteDirectoryAsync(session.Sftp, remoteRoot, context, ct).ConfigureAwait(false);
            foreach (string dir in tree.Directories)
            {
                await EnsureRemoteDirectoryAsync(session.Sftp, TreeWalker.Join(remoteRoot, dir), context, ct).ConfigureAwait(false);
            }
        }

        // One connection for all the files while it works (a failed attempt reconnects, as for a single file).
        await using var reuse = new ReusableSftpSession(setup.Connection);
        return await CopyFilesAsync(setup, "put", localRoot, remoteRoot, tree, context, (file, local, remote, renderer, token) =>
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

        await using var reuse = new ReusableSftpSession(setup.Connection);
        return await CopyFilesAsync(setup, "get", localRoot, remoteRoot, tree, context, (file, local, remote, renderer, token) =>
            SftpTransfer.DownloadAsync(reuse, remote, local, setup.Transfer, renderer, token), ct).ConfigureAwait(false);
    }

    private delegate Task<TransferResult> FileRun(string relative, string local, string remote, IProgress<TransferProgress> progress, CancellationToken ct);

    private static async Task<int> CopyFilesAsync(TransferSetup setup, string label, string localRoot, string remoteRoot, TransferTree tree,
        CliContext context, FileRun run, CancellationToken ct)
    {
        var results = new List<TransferResult>(tree.Files.Count);
        var summary = new RecursiveTransferJson(label, localRoot, remoteRoot, tree);
        for (int i = 0; i < tree.Files.Count; i++)
        {
            string file = tree.Files[i];
            string local = LocalPath(localRoot, file);
            string remote = TreeWalker.Join(remoteRoot, file);
            try
            {
                TransferResult result;
                using (var renderer = setup.NewRenderer($"{label} {file}", context))
                {
                    result = await run(file, local, remote, renderer, ct).ConfigureAwait(false);
                }

                results.Add(result);
                if (!context.Json)
                {
                    await context.Error.WriteLineAsync(TransferSetup.Summary(label, result)).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is not UsageException)
            {
                // The error itself goes through ErrorReporter (and so sets the exit code); this line says where the
                // copy stopped, which the error alone cannot.
                await context.Error.WriteLineAsync(
                    $"nsftp: {label} -r stopped at {file} ({i} of {tree.Files.Count} files done; the rest were not tried)").ConfigureAwait(false);
                if (context.Json)
                {
                    await context.Output.WriteLineAsync(summary.ToJson(results, (local, remote, e))).ConfigureAwait(false);
                }

                throw;
            }
        }

        if (context.Json)
        {
            await context.Output.WriteLineAsync(summary.ToJson(results, null)).ConfigureAwait(false);
        }
        else
        {
            await context.Error.WriteLineAsync(
                $"nsftp: {label} -r {localRoot} {(label == "put" ? "->" : "<-")} {remoteRoot}: {tree.Files.Count} files, {tree.Directories.Count} directories, {tree.Skipped.Count} skipped")
                .ConfigureAwait(false);
        }

        return ExitCodes.Success;
    }

    /// <summary>Makes sure a remote directory exists: an existing directory is fine, anything else in its place is an error.</summary>
    private static async Task EnsureRemoteDirectoryAsync(SftpClient sftp, string path, CliContext context, CancellationToken ct)
    {
        try
        {
            SftpAttributes existing = await sftp.StatAsync(path, ct).ConfigureAwait(false);
            if (!existing.IsDirectory)
            {
                throw new SshException($"{path} exists on the server and is not a directory");
            }

            return;
        }
        catch (SftpException e) when (e.StatusCode == SftpStatusCode.NoSuchFile)
        {
            // Not there yet: create it below. A missing parent makes the MKDIR fail with its own clear status.
        }

        context.Verbose($"mkdir {path}");
        await sftp.CreateDirectoryAsync(path, null, ct).ConfigureAwait(false);
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
