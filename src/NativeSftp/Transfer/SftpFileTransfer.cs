using System.Diagnostics;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;
using NativeSftp.Connection;
using NativeSftp.Sftp;
using NativeSftp.Sftp.Protocol;
using NativeSftp.Sftp.Protocol.Extensions;

namespace NativeSftp.Transfer;

/// <summary>
/// Single-file upload and download on an open SFTP session: pipelined, verified, through a temporary name, with
/// parallel segments on extra channels of the same connection. Loud or complete: it returns only when every byte
/// was acknowledged, the close succeeded and the verification asked for passed.
/// </summary>
public static class SftpFileTransfer
{
    /// <summary>
    /// The temporary name an upload writes before the rename: ".&lt;name&gt;.nsftp-part" beside the target.
    /// Deterministic, so a later run can find and resume it; hidden, so directory listings don't show it.
    /// </summary>
    public static string TemporaryRemoteName(string remotePath)
    {
        ArgumentNullException.ThrowIfNull(remotePath);
        int slash = remotePath.LastIndexOf('/');
        return slash < 0 ? "." + remotePath + PartSuffix : remotePath[..(slash + 1)] + "." + remotePath[(slash + 1)..] + PartSuffix;
    }

    /// <summary>The temporary local name a download writes before moving it over the target.</summary>
    public static string TemporaryLocalName(string localPath) => localPath + PartSuffix;

    internal const string PartSuffix = ".nsftp-part";

    /// <summary>Opens one more SFTP session for a segment; the owner (a separate connection) is disposed after it.</summary>
    internal delegate Task<(SftpClient Sftp, IAsyncDisposable? Owner)> SessionFactory(CancellationToken ct);

    public static Task<TransferResult> UploadFileAsync(this SftpClient sftp, string localPath, string remotePath,
        TransferOptions? options = null, IProgress<TransferProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sftp);
        ArgumentNullException.ThrowIfNull(localPath);
        ArgumentNullException.ThrowIfNull(remotePath);
        return UploadCoreAsync(sftp, localPath, remotePath, options ?? new TransferOptions(), progress, 0, 1, null, cancellationToken);
    }

    /// <summary>The upload; <paramref name="resumeFrom"/> &gt; 0 continues a temporary file whose prefix the caller verified.</summary>
    internal static async Task<TransferResult> UploadCoreAsync(SftpClient sftp, string localPath, string remotePath,
        TransferOptions options, IProgress<TransferProgress>? progress, long resumeFrom, int attempt, SessionFactory? segmentSessions, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var info = new FileInfo(localPath);
        if (!info.Exists)
        {
            throw new FileNotFoundException($"local file {localPath} does not exist", localPath);
        }

        long size = info.Length;
        DateTime mtime = info.LastWriteTimeUtc;
        string target = options.UseTemporaryName ? TemporaryRemoteName(remotePath) : remotePath;

        if (resumeFrom < 0 || resumeFrom > size || (resumeFrom > 0 && !options.UseTemporaryName))
        {
            throw new ArgumentOutOfRangeException(nameof(resumeFrom), "resume needs the temporary name and an offset within the file");
        }

        using var local = File.OpenHandle(localPath, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.Asynchronous | FileOptions.SequentialScan);
        // With no verification asked for, the digest has no use: skip its CPU (about 0.5 s per GiB).
        using var hash = options.Verify == VerifyMode.None ? null : IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        if (resumeFrom > 0 && hash is not null)
        {
            // The verified prefix is not sent again, but it is part of the file's digest.
            await HashFileAsync(local, resumeFrom, hash, cancellationToken).ConfigureAwait(false);
        }

        await RequireRemoteHashAsync(sftp, options.Verify, cancellationToken).ConfigureAwait(false);
        var flags = resumeFrom > 0 ? SftpOpenFlags.Write : SftpOpenFlags.Write | SftpOpenFlags.Create | SftpOpenFlags.Truncate;
        // A directory under the final name would refuse the rename only after the whole transfer. Asked beside the
        // OPEN (the STAT goes first, so no round trip is added), it fails now.
        var targetIsDirectory = options.UseTemporaryName ? IsDirectoryAsync(sftp, remotePath, cancellationToken) : Task.FromResult(false);
        SftpFileHandle handle;
        try
        {
            handle = await sftp.OpenAsync(target, flags, null, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await ObserveAsync(targetIsDirectory).ConfigureAwait(false);
            throw;
        }

        if (await targetIsDirectory.ConfigureAwait(false))
        {
            await CloseAfterFailureAsync(sftp, handle).ConfigureAwait(false);
            if (resumeFrom == 0)
            {
                await RemoveQuietlyAsync(sftp, target).ConfigureAwait(false);
            }

            throw new RemoteIsDirectoryException(remotePath, Path.GetFileName(localPath));
        }

        int chunk = TransferPlanner.ChunkSize(options.ChunkSize, sftp.MaxWriteLength(handle), sftp.Limits is not null, sftp.SinglePacketWriteLength(handle));
        long window = sftp.Channel?.Counters.PeerWindow ?? 2 * 1024 * 1024;
        int depth = TransferPlanner.Depth(options.RequestsInFlight, window, chunk);
        int segments = options.Segments is not null || size < 2 * TransferPlanner.MinSegmentSize
            ? TransferPlanner.Segments(options.Segments, size, window, TimeSpan.Zero)
            : TransferPlanner.Segments(null, size, window, await RoundTripAsync(sftp, cancellationToken).ConfigureAwait(false));
        if (segments > 1 && segmentSessions is null && ReassemblesRequestsPerConnection(sftp)
            && sftp.SinglePacketWriteLength(handle) is int single && single >= TransferPlanner.MinSinglePacketChunk && chunk > single)
        {
            // Segments share one connection with a server that would misparse a WRITE split across channel packets:
            // even an explicit size is cut to one packet, since the alternative is a hang.
            chunk = single;
            depth = TransferPlanner.Depth(options.RequestsInFlight, window, chunk);
        }

        await using var tracker = new ProgressTracker(progress, size, resumeFrom, options.ProgressInterval, TimeProvider.System,
            () => ProgressTracker.FlowOf(sftp.Channel, () => sftp.RequestsInFlight)) { Attempt = attempt };
        // The server hashes what is acknowledged while the rest is still sending, so verifying adds little at the end.
        // With segments too: they write the file front to back together (ChunkCursor), so it follows their shared
        // acknowledged prefix.
        await using var streamed = hash is not null && options.Verify is VerifyMode.Auto or VerifyMode.Sha256
            ? StreamingRemoteHash.TryStart(sftp, target, resumeFrom)
            : null;

        try
        {
            await using (var watchdog = new StallWatchdog(sftp, tracker, options.StallTimeout, cancellationToken))
            {
                try
                {
                    if (segments <= 1 || resumeFrom > 0)
                    {
                        segments = 1;
                        await new PipelinedUpload(sftp, handle, local, chunk, depth, hash, tracker, streamed is null ? null : streamed.Advance)
                            .RunAsync(resumeFrom, size, watchdog.Token).ConfigureAwait(false);
                    }
                    else
                    {
                        segments = await UploadSegmentsAsync(sftp, handle, local, size, chunk, depth, segments, hash, tracker, segmentSessions, streamed, watchdog.Watch, watchdog.Token).ConfigureAwait(false);
                    }
                }
                catch (Exception e) when (watchdog.Diagnosis is { } diagnosis)
                {
                    throw watchdog.ToException(e, (e as TransferException)?.AcknowledgedOffset ?? resumeFrom);
                }
            }

            tracker.Phase = TransferPhase.Flushing;
            tracker.Report();
        }
        catch
        {
            await CloseAfterFailureAsync(sftp, handle).ConfigureAwait(false);
            throw;
        }

        await FlushAndCloseAsync(sftp, handle, options.Fsync && sftp.Supports(SftpExtensionNames.Fsync), cancellationToken).ConfigureAwait(false);
        var after = new FileInfo(localPath);
        if (after.Length != size || after.LastWriteTimeUtc != mtime)
        {
            throw new TransferException($"{localPath} changed while it was being uploaded (size {size} → {after.Length}); the upload is not trustworthy and was not renamed into place",
                TransferPhase.Transferring, 0);
        }

        string? digest = hash is null ? null : Convert.ToHexStringLower(hash.GetHashAndReset());

        // Verify the temporary file before it takes the final name, so a bad copy never appears there.
        tracker.Phase = TransferPhase.Verifying;
        tracker.Report();
        string method = await VerifyRemoteAsync(sftp, target, size, digest, options.Verify, streamed, cancellationToken).ConfigureAwait(false);

        if (options.UseTemporaryName)
        {
            await RenameIntoPlaceAsync(sftp, target, remotePath, Path.GetFileName(localPath), cancellationToken).ConfigureAwait(false);
        }

        tracker.Phase = TransferPhase.Completed;
        tracker.Report();
        return Completed(sftp, "upload", localPath, remotePath, size, clock.Elapsed, method, digest, chunk, depth, segments, resumeFrom);
    }

    public static Task<TransferResult> DownloadFileAsync(this SftpClient sftp, string remotePath, string localPath,
        TransferOptions? options = null, IProgress<TransferProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sftp);
        ArgumentNullException.ThrowIfNull(remotePath);
        ArgumentNullException.ThrowIfNull(localPath);
        return DownloadCoreAsync(sftp, remotePath, localPath, options ?? new TransferOptions(), progress, 0, 1, null, cancellationToken);
    }

    /// <summary>The download; <paramref name="resumeFrom"/> &gt; 0 continues a local partial whose prefix the caller verified.</summary>
    internal static async Task<TransferResult> DownloadCoreAsync(SftpClient sftp, string remotePath, string localPath,
        TransferOptions options, IProgress<TransferProgress>? progress, long resumeFrom, int attempt, SessionFactory? segmentSessions, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        await RequireRemoteHashAsync(sftp, options.Verify, cancellationToken).ConfigureAwait(false);
        var handle = await sftp.OpenAsync(remotePath, SftpOpenFlags.Read, null, cancellationToken).ConfigureAwait(false);
        string temp = options.UseTemporaryName ? TemporaryLocalName(localPath) : localPath;
        string? digest;
        long size;
        int chunk, depth, segments;
        using var stopRemoteHash = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bool wantsRemoteHash = options.Verify is VerifyMode.Auto or VerifyMode.Sha256 or VerifyMode.ReadBack;
        // The remote hash under way, if any: beside the transfer where that helps, else started after it.
        Task<RemoteHash?>? remoteHash = null;
        try
        {
            if (await SizeOfAsync(sftp, handle, cancellationToken).ConfigureAwait(false) is not ulong remoteSize)
            {
                throw new TransferException($"the server gives no size for {remotePath}; a download that cannot be checked against a size is refused",
                    TransferPhase.Transferring, 0);
            }

            size = (long)remoteSize;
            if (resumeFrom < 0 || resumeFrom > size || (resumeFrom > 0 && !options.UseTemporaryName))
            {
                throw new TransferException($"cannot resume {remotePath} at {resumeFrom}: the server's file has {size} bytes", TransferPhase.Transferring, 0);
            }

            chunk = TransferPlanner.ChunkSize(options.ChunkSize, sftp.MaxReadLength, sftp.Limits is not null);
            long window = sftp.Channel?.Counters.LocalWindow ?? 16 * 1024 * 1024;
            depth = TransferPlanner.Depth(options.RequestsInFlight, window, chunk);
            // Chosen from what is left to fetch (a resume with little left needs no extra sessions); as given when given.
            long remaining = size - resumeFrom;
            segments = options.Segments is not null || remaining < 2 * TransferPlanner.MinSegmentSize
                ? TransferPlanner.Segments(options.Segments, remaining, window, TimeSpan.Zero)
                : TransferPlanner.Segments(null, remaining, window, await RoundTripAsync(sftp, cancellationToken).ConfigureAwait(false));

            // The server hashes its file while we download it (the file is complete already), so verifying adds
            // little at the end. Only on the exec path: check-file would queue on the session the READs use (a
            // server that answers in order would hold every READ behind it), so it runs afterwards. With segments
            // the hash channel takes one of the server's sessions; a session refused one just does not join.
            if (wantsRemoteHash && !sftp.Supports(SftpExtensionNames.CheckFileName))
            {
                remoteHash = RemoteHashForAsync(sftp, remotePath, options.Verify, overlapped: true, stopRemoteHash.Token);
            }

            await using var tracker = new ProgressTracker(progress, size, resumeFrom, options.ProgressInterval, TimeProvider.System,
                () => ProgressTracker.FlowOf(sftp.Channel, () => sftp.RequestsInFlight)) { Attempt = attempt };
            using var hash = options.Verify == VerifyMode.None ? null : IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            await using (var file = new FileStream(temp, resumeFrom > 0 ? FileMode.Open : FileMode.Create, FileAccess.ReadWrite, FileShare.None, 0, FileOptions.Asynchronous))
            {
                if (resumeFrom > 0)
                {
                    file.SetLength(resumeFrom);
                    if (hash is not null)
                    {
                        // Before the stall watchdog starts: reading back what we kept is not the server stalling.
                        await HashFileAsync(file.SafeFileHandle, resumeFrom, hash, cancellationToken).ConfigureAwait(false);
                    }
                }

                int fullDepth = depth;
                if (segments > 1)
                {
                    depth = TransferPlanner.DownloadSegmentDepth(options.RequestsInFlight, depth, segments, chunk);
                }

                // Chunks are handed out in file order to whichever session has room and count as written only once
                // every byte of them is, so the tracker knows the whole prefix: what a resume starts from, and what
                // the hash of a segmented download follows. That hash runs outside the stall watchdog's watch (it
                // reads the local file; if it lags behind a fast link it finishes after the last byte arrived,
                // which is not the server stalling) and stops when the transfer fails.
                var follower = segments > 1 && hash is not null ? new PrefixHasher(resumeFrom, size) : null;
                var cursor = new ChunkCursor(new AckTracker(resumeFrom, follower is null ? null : follower.Advance), resumeFrom, size, chunk);
                using var stopHashing = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                Task hashing = follower is null ? Task.CompletedTask : follower.RunAsync(file.SafeFileHandle, hash!, stopHashing.Token);
                try
                {
                    await using (var watchdog = new StallWatchdog(sftp, tracker, options.StallTimeout, cancellationToken))
                    {
                        try
                        {
                            if (segments <= 1)
                            {
                                await new PipelinedDownload(sftp, handle, file.SafeFileHandle, depth, hash, tracker).RunAsync(cursor, watchdog.Token, ownCursor: true).ConfigureAwait(false);
                            }
                            else
                            {
                                segments = await DownloadSegmentsAsync(sftp, handle, file.SafeFileHandle, cursor, depth, fullDepth, segments, tracker, segmentSessions, watchdog.Watch, watchdog.Token).ConfigureAwait(false);
                            }
                        }
                        catch (Exception e)
                        {
                            // (The prefix hasher is stopped in the finally below; what it reads meanwhile is discarded.)
                            long written = cursor.Tracker.Acknowledged;
                            // Past the whole prefix the file may have holes (chunks still in flight on other sessions
                            // when the first one failed; every session has stopped by now): cut them off, so the
                            // partial holds only what arrived, and a later --resume finds its end.
                            TruncateQuietly(file, written);
                            if (watchdog.Diagnosis is not null)
                            {
                                throw watchdog.ToException(e, written);
                            }

                            if (e is TransferException { Phase: TransferPhase.Transferring } te && te.GetType() == typeof(TransferException) && te.AcknowledgedOffset < written)
                            {
                                // Made by one session (the file shrank under it) while others were still completing
                                // chunks: the prefix written by the time all stopped is what a resume can keep.
                                throw new TransferException(te.Message, te.Phase, written, te) { FirstFailedOffset = te.FirstFailedOffset };
                            }

                            if (e is TransferException or HostKeyVerificationException or SshAuthenticationException
                                || (e is OperationCanceledException && cancellationToken.IsCancellationRequested))
                            {
                                throw; // already says where it stopped, or is about who may connect, not the file
                            }

                            throw new TransferException($"downloading {remotePath} failed: {e.Message}; every byte below {written} is written to {temp}",
                                TransferPhase.Transferring, written, e);
                        }
                    }

                    await hashing.ConfigureAwait(false);
                }
                finally
                {
                    await stopHashing.CancelAsync().ConfigureAwait(false);
                    await ObserveAsync(hashing).ConfigureAwait(false);
                }

                // One more READ at the end: data there means the file grew while we read it. The CLOSE goes out right
                // behind it (the server answers a handle's requests in order, and nothing else sends on this session
                // now, so the READ takes the send lock first): one round trip for both, and both answers checked.
                byte[] probe = new byte[1];
                Task<int> probing = sftp.ReadAsync(handle, (ulong)size, probe, cancellationToken);
                Task closing = sftp.CloseAsync(handle, cancellationToken);
                int beyond;
                try
                {
                    beyond = await probing.ConfigureAwait(false);
                }
                catch
                {
                    await ObserveAsync(closing).ConfigureAwait(false);
                    throw;
                }

                await closing.ConfigureAwait(false);
                if (beyond != 0)
                {
                    throw new TransferException($"{remotePath} grew while it was being downloaded (more than {size} bytes)", TransferPhase.Transferring, size);
                }

                tracker.Phase = TransferPhase.Flushing;
                tracker.Report();
                file.Flush(flushToDisk: true);
                if (file.Length != size)
                {
                    throw new TransferException($"{temp} holds {file.Length} bytes after writing {size}", TransferPhase.Flushing, 0);
                }
            }

            digest = hash is null ? null : Convert.ToHexStringLower(hash.GetHashAndReset());
            tracker.Phase = TransferPhase.Verifying;
            tracker.Report();
            if (wantsRemoteHash)
            {
                remoteHash = remoteHash is null
                    ? RemoteHashForAsync(sftp, remotePath, options.Verify, overlapped: false, stopRemoteHash.Token)
                    : OverlappedOrNowAsync(remoteHash, sftp, remotePath, options.Verify, stopRemoteHash.Token);
            }

            string method = await VerifyDownloadAsync(remotePath, temp, size, digest, options.Verify, remoteHash ?? Task.FromResult<RemoteHash?>(null), cancellationToken).ConfigureAwait(false);
            if (options.UseTemporaryName)
            {
                File.Move(temp, localPath, overwrite: true);
            }

            tracker.Phase = TransferPhase.Completed;
            tracker.Report();
            return Completed(sftp, "download", localPath, remotePath, size, clock.Elapsed, method, digest, chunk, depth, segments, resumeFrom);
        }
        catch
        {
            await CloseAfterFailureAsync(sftp, handle).ConfigureAwait(false);
            if (remoteHash is not null)
            {
                await AbandonAsync(remoteHash, stopRemoteHash).ConfigureAwait(false);
            }

            throw;
        }
    }

    /// <summary>
    /// The remote SHA-256 of the whole file, for the verify mode: null for Auto where the
    /// server offers no way to hash; for Sha256 and ReadBack the lack of one is an error (thrown when awaited).
    /// </summary>
    private static async Task<RemoteHash?> RemoteHashForAsync(SftpClient sftp, string path, VerifyMode mode, bool overlapped, CancellationToken ct)
    {
        await Task.Yield();
        // Overlapped, a session the server would not open (the segments hold them all) is thrown, and the caller
        // asks again after the transfer; afterwards it means no hash command can be run, as for an account without
        // a shell.
        if (overlapped && !await RemoteHasher.HasCommandOrBusyAsync(sftp, ct).ConfigureAwait(false))
        {
            // Only a hash command runs beside the download: a check-file (announced or not) would queue among the
            // READs on a server that answers in order. It is asked for after the transfer instead.
            throw new HashAfterTransferException();
        }

        bool available = overlapped || await HashAvailableAfterTransferAsync(sftp, ct).ConfigureAwait(false);
        if (mode == VerifyMode.Auto && !available)
        {
            return null;
        }

        // The whole file, read straight by the hash command: a prefix would need head and a pipe, two more copies
        // of every byte on the server. A file that grew is caught by the EOF probe before this result is used;
        // one that changed in place makes the digests differ.
        return overlapped
            ? await RemoteHasher.ComputeAsync(sftp, path, null, ct).ConfigureAwait(false)
            : await WhileNoSessionAsync(() => RemoteHasher.ComputeAsync(sftp, path, null, ct), ct).ConfigureAwait(false);
    }

    /// <summary>Tries after a refused session: sshd frees a session's slot only when its sftp-server has exited, a moment after it answered our close.</summary>
    private const int SessionRetries = 6;

    private static readonly TimeSpan SessionRetryDelay = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Runs <paramref name="attempt"/>, again after a short wait while the server refuses a session (the segments'
    /// sessions may still be closing on its side); after that the refusal is the answer.
    /// </summary>
    private static async Task<T> WhileNoSessionAsync<T>(Func<Task<T>> attempt, CancellationToken ct)
    {
        for (int i = 1; ; i++)
        {
            try
            {
                return await attempt().ConfigureAwait(false);
            }
            catch (SshChannelOpenException) when (i < SessionRetries)
            {
                await Task.Delay(SessionRetryDelay, ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// The open file's size: FSTAT, else (a server that refuses FSTAT or leaves the size out of its answer, as some
    /// gateways and old Windows servers do) STAT of its path; null when neither says.
    /// </summary>
    private static async Task<ulong?> SizeOfAsync(SftpClient sftp, SftpFileHandle handle, CancellationToken ct)
    {
        try
        {
            if ((await sftp.FstatAsync(handle, ct).ConfigureAwait(false)).Size is ulong size)
            {
                return size;
            }
        }
        catch (SftpException)
        {
            // asked again by name below
        }

        return (await sftp.StatAsync(handle.Path, ct).ConfigureAwait(false)).Size;
    }

    /// <summary>
    /// ProFTPD's mod_sftp keeps one partial-request buffer per connection, not per channel, so a request split across
    /// channel packets is misparsed when another channel's packet comes between its parts (spec-notes/interop.md).
    /// Known by its identification line, as clients know servers' bugs (OpenSSH's compat.c, PuTTY's bug list).
    /// </summary>
    private static bool ReassemblesRequestsPerConnection(SftpClient sftp) =>
        sftp.Connection?.Transport.ServerVersion.Contains("mod_sftp", StringComparison.OrdinalIgnoreCase) == true;

    /// <summary>Whether <paramref name="path"/> is a directory on the server; false when it does not exist or cannot be told.</summary>
    private static async Task<bool> IsDirectoryAsync(SftpClient sftp, string path, CancellationToken ct)
    {
        try
        {
            return (await sftp.StatAsync(path, ct).ConfigureAwait(false)).IsDirectory;
        }
        catch (SftpException)
        {
            return false; // nothing there (the usual case), or nothing we may look at: the rename decides
        }
    }

    /// <summary>Removes a file this attempt created and will not use; a failure leaves it (the transfer's error is what counts).</summary>
    private static async Task RemoveQuietlyAsync(SftpClient sftp, string path)
    {
        try
        {
            await sftp.RemoveAsync(path, CancellationToken.None).ConfigureAwait(false);
        }
        catch (SshException)
        {
        }
    }

    /// <summary>
    /// <see cref="VerifyMode.Sha256"/> on a server that can hash nothing fails before a byte moves, not after the whole
    /// transfer. A server too busy to open a session for the probe just now is given the benefit of the doubt.
    /// </summary>
    private static async Task RequireRemoteHashAsync(SftpClient sftp, VerifyMode mode, CancellationToken ct)
    {
        if (mode != VerifyMode.Sha256)
        {
            return;
        }

        try
        {
            if (await RemoteHasher.IsAvailableOrBusyAsync(sftp, ct).ConfigureAwait(false))
            {
                return;
            }
        }
        catch (SshChannelOpenException)
        {
            return;
        }

        throw new NotSupportedException(
            "verifying by SHA-256 needs the server to hash the file (the check-file extension, or a hash command such as openssl or sha256sum " +
            "over exec) and this server offers neither; nothing was transferred. Verify by read-back (a second transfer of the data), by size, or with auto");
    }

    /// <summary>Whether the server can hash, after a transfer: a refused session is asked again for a moment, then taken as "no".</summary>
    private static async Task<bool> HashAvailableAfterTransferAsync(SftpClient sftp, CancellationToken ct)
    {
        try
        {
            return await WhileNoSessionAsync(() => RemoteHasher.IsAvailableOrBusyAsync(sftp, ct), ct).ConfigureAwait(false);
        }
        catch (SshChannelOpenException)
        {
            return false;
        }
    }

    /// <summary>The overlapped remote hash, or, when the server had no session for it during the transfer, the same computed now.</summary>
    private static async Task<RemoteHash?> OverlappedOrNowAsync(Task<RemoteHash?> overlapped, SftpClient sftp, string path, VerifyMode mode, CancellationToken ct)
    {
        try
        {
            return await overlapped.WaitAsync(ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SshChannelOpenException or HashAfterTransferException && !ct.IsCancellationRequested)
        {
            return await RemoteHashForAsync(sftp, path, mode, overlapped: false, ct).ConfigureAwait(false);
        }
    }

    /// <summary>The overlapped remote hash cannot run beside the transfer; it is computed after it.</summary>
    private sealed class HashAfterTransferException() : NotSupportedException("the remote hash is computed after the transfer");

    /// <summary>Stops a background remote hash the failed transfer no longer needs, and observes its end.</summary>
    private static async Task AbandonAsync(Task task, CancellationTokenSource stop)
    {
        await stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (Exception e) when (e is SshException or NotSupportedException or OperationCanceledException or InvalidOperationException)
        {
            // The transfer's own failure is what the caller gets.
        }
    }

    private static TransferResult Completed(SftpClient sftp, string operation, string localPath, string remotePath, long size, TimeSpan duration,
        string method, string? digest, int chunk, int depth, int segments, long resumeFrom) => new()
        {
            Operation = operation,
            LocalPath = localPath,
            RemotePath = remotePath,
            Bytes = size,
            Duration = duration,
            VerifyMethod = method,
            Sha256 = digest,
            ChunkSize = chunk,
            RequestsInFlight = depth,
            Segments = segments,
            ResumedFrom = resumeFrom,
            Algorithms = sftp.Connection?.Transport.Algorithms,
        };

    /// <summary>
    /// Uploads the file over several sessions at once; returns how many carried data. They share one cursor: each
    /// takes the next chunk in file order when it has a free slot, so the file is written front to back by all of
    /// them together and its acknowledged prefix grows steadily (the streamed hash follows it, a resume starts from
    /// it). A session the server refuses (its session limit, a refused connection) just does not join.
    /// </summary>
    private static async Task<int> UploadSegmentsAsync(SftpClient sftp, SftpFileHandle handle, SafeFileHandle local, long size, int chunk, int depth, int segments,
        IncrementalHash? hash, ProgressTracker tracker, SessionFactory? factory, StreamingRemoteHash? streamed, Action<SftpClient> joined, CancellationToken cancellationToken)
    {
        // The first failure stops the other sessions too.
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var ct = abort.Token;
        var cursor = new ChunkCursor(new AckTracker(0, streamed is null ? null : streamed.Advance), 0, size, chunk);
        // Every extra session opens at once (each costs a few round trips) and joins as soon as it is ready; the
        // main session starts straight away. Opens still pending when every chunk is taken are given up.
        using var opensStop = CancellationTokenSource.CreateLinkedTokenSource(ct, cursor.Exhausted);
        var opening = OpenExtraSessions(sftp, segments - 1, factory, opensStop.Token);
        var uploaders = new List<PipelinedUpload>();
        try
        {
            // Chunks go out of order across sessions, so the whole-file hash comes from a sequential read alongside
            // (the page cache usually serves it).
            var work = new List<Task> { hash is null ? Task.CompletedTask : HashFileAsync(local, size, hash, ct) };
            var main = new PipelinedUpload(sftp, handle, local, chunk, depth, null, tracker);
            uploaders.Add(main);
            work.Add(main.RunAsync(cursor, ct));
            foreach (var session in opening)
            {
                work.Add(Task.Run(async () =>
                {
                    if (await SegmentSessionAsync(session, cursor, s => s.OpenAsync(handle.Path, SftpOpenFlags.Write, null, ct)).ConfigureAwait(false) is not var (s, h))
                    {
                        return;
                    }

                    var uploader = new PipelinedUpload(s, h, local, chunk, depth, null, tracker);
                    lock (uploaders)
                    {
                        uploaders.Add(uploader);
                    }

                    joined(s);

                    try
                    {
                        await uploader.RunAsync(cursor, ct).ConfigureAwait(false);
                    }
                    catch
                    {
                        await CloseAfterFailureAsync(s, h).ConfigureAwait(false);
                        throw;
                    }

                    await s.CloseAsync(h, ct).ConfigureAwait(false);
                }));
            }

            await WhenAllFirstErrorAsync(work, abort).ConfigureAwait(false);
            if (cursor.Tracker.Acknowledged != size)
            {
                // Every part ended without an error, so this cannot happen; if it ever does, it must not pass.
                throw new TransferException($"the upload ended with only {cursor.Tracker.Acknowledged} of {size} bytes acknowledged", TransferPhase.Transferring, cursor.Tracker.Acknowledged);
            }

            lock (uploaders)
            {
                return uploaders.Count(u => u.ChunksSent > 0);
            }
        }
        finally
        {
            await DisposeSessionsAsync(opening).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Downloads the file over several sessions at once; returns how many carried data. Like uploads, they share one
    /// cursor: each takes the next chunk in file order when it has room, so the file fills front to back, its whole
    /// prefix grows steadily (the local hash follows it, a resume starts from it), a slower session takes fewer chunks,
    /// and a session the server refuses simply does not join.
    /// </summary>
    private static async Task<int> DownloadSegmentsAsync(SftpClient sftp, SftpFileHandle handle, SafeFileHandle local, ChunkCursor cursor, int depth, int fullDepth,
        int segments, ProgressTracker tracker, SessionFactory? factory, Action<SftpClient> joined, CancellationToken cancellationToken)
    {
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var ct = abort.Token;
        using var opensStop = CancellationTokenSource.CreateLinkedTokenSource(ct, cursor.Exhausted);
        var opening = OpenExtraSessions(sftp, segments - 1, factory, opensStop.Token);
        var downloaders = new List<PipelinedDownload>();
        try
        {
            var work = new List<Task>();
            var main = new PipelinedDownload(sftp, handle, local, depth, null, tracker);
            downloaders.Add(main);
            work.Add(main.RunAsync(cursor, ct));
            foreach (var session in opening)
            {
                work.Add(Task.Run(async () =>
                {
                    if (await SegmentSessionAsync(session, cursor, s => s.OpenAsync(handle.Path, SftpOpenFlags.Read, null, ct)).ConfigureAwait(false) is not var (s, h))
                    {
                        // Refused: its share of the bytes in flight goes to the main session (up to what one
                        // channel's window takes), which would otherwise run at a fraction of its depth alone.
                        if (!cursor.IsExhausted)
                        {
                            main.Widen(depth, fullDepth);
                        }

                        return;
                    }

                    var downloader = new PipelinedDownload(s, h, local, depth, null, tracker);
                    lock (downloaders)
                    {
                        downloaders.Add(downloader);
                    }

                    joined(s);

                    try
                    {
                        await downloader.RunAsync(cursor, ct).ConfigureAwait(false);
                    }
                    catch
                    {
                        await CloseAfterFailureAsync(s, h).ConfigureAwait(false);
                        throw;
                    }

                    await s.CloseAsync(h, ct).ConfigureAwait(false);
                }));
            }

            await WhenAllFirstErrorAsync(work, abort).ConfigureAwait(false);
            if (cursor.Tracker.Acknowledged != cursor.End)
            {
                // Every part ended without an error, so this cannot happen; if it ever does, it must not pass.
                throw new TransferException($"the download ended with only {cursor.Tracker.Acknowledged} of {cursor.End} bytes written", TransferPhase.Transferring, cursor.Tracker.Acknowledged);
            }

            lock (downloaders)
            {
                return downloaders.Count(d => d.ChunksTaken > 0);
            }
        }
        finally
        {
            await DisposeSessionsAsync(opening).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A segment's session and its own handle on the file, or null when either could not be had: the server's
    /// session limit (OpenSSH's MaxSessions, 10 by default), a refused subsystem, a separate connection refused
    /// (MaxStartups), a limit on open files. Such a server still gets the whole file, with less parallelism: the
    /// session just does not join the shared cursor.
    /// </summary>
    private static async Task<(SftpClient Sftp, SftpFileHandle Handle)?> SegmentSessionAsync(Task<(SftpClient Sftp, IAsyncDisposable? Owner)> opening,
        ChunkCursor cursor, Func<SftpClient, Task<SftpFileHandle>> open)
    {
        try
        {
            var session = (await opening.ConfigureAwait(false)).Sftp;
            if (cursor.IsExhausted)
            {
                // Ready too late: every chunk is taken. Opening a handle only to close it would add two round trips
                // to the transfer's end.
                return null;
            }

            return (session, await open(session).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (cursor.IsExhausted)
        {
            // Still opening when every chunk was taken: given up, so a server slow to answer (or never answering) an
            // extra channel's open cannot hold a transfer whose work is all handed out.
            return null;
        }
        catch (Exception e) when (e is SshException and not (HostKeyVerificationException or SshAuthenticationException)
                                   or IOException or System.Net.Sockets.SocketException or NotSupportedException)
        {
            // Capacity to do without: a refused channel or subsystem, a separate connection reset before it said
            // hello (MaxStartups), no connection to open channels on. Not a host key or login problem on a
            // separate connection: those are refusals to be reported.
            return null;
        }
    }

    /// <summary>
    /// Starts opening <paramref name="count"/> extra sessions for segments, all at once: channels on the same
    /// connection, or (with a factory) separate connections. The caller disposes every one that opened.
    /// </summary>
    private static List<Task<(SftpClient Sftp, IAsyncDisposable? Owner)>> OpenExtraSessions(SftpClient sftp, int count, SessionFactory? factory, CancellationToken ct)
    {
        var list = new List<Task<(SftpClient, IAsyncDisposable?)>>(count);
        for (int i = 0; i < count; i++)
        {
            list.Add(factory is not null
                ? factory(ct)
                : sftp.Connection is { } connection
                    ? OpenChannelSessionAsync(connection, ct)
                    : Task.FromException<(SftpClient, IAsyncDisposable?)>(new NotSupportedException("parallel segments need an SSH connection to open more channels on")));
        }

        return list;
    }

    private static async Task<(SftpClient, IAsyncDisposable?)> OpenChannelSessionAsync(Connection.SshConnection connection, CancellationToken ct) =>
        (await SftpClient.OpenAsync(connection, ct).ConfigureAwait(false), null);

    /// <summary>Disposes every session that opened (after all attempts ended); one that failed to open has nothing to dispose.</summary>
    private static Task DisposeSessionsAsync(List<Task<(SftpClient Sftp, IAsyncDisposable? Owner)>> sessions) =>
        // All at once: each may wait a moment for the server to answer its channel's CLOSE.
        Task.WhenAll(sessions.Select(DisposeSessionAsync));

    private static async Task DisposeSessionAsync(Task<(SftpClient Sftp, IAsyncDisposable? Owner)> opening)
    {
        try
        {
            var session = await opening.ConfigureAwait(false);
            try
            {
                await session.Sftp.DisposeAsync().ConfigureAwait(false);
            }
            finally
            {
                if (session.Owner is not null)
                {
                    await session.Owner.DisposeAsync().ConfigureAwait(false);
                }
            }
        }
#pragma warning disable CA1031 // Whatever failed to open or close here was the segment's failure, reported by it; it must neither mask the transfer's error nor stop the others being disposed.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    /// <summary>
    /// Waits for all; throws the first failure (by completion order) after every task has finished. With
    /// <paramref name="abortOthers"/>, the first failure cancels it, so the other parts stop early.
    /// </summary>
    private static async Task WhenAllFirstErrorAsync(List<Task> tasks, CancellationTokenSource? abortOthers = null)
    {
        Exception? first = null;
        var remaining = new List<Task>(tasks);
        while (remaining.Count > 0)
        {
            var done = await Task.WhenAny(remaining).ConfigureAwait(false);
            remaining.Remove(done);
            if (done.Exception is { } e && first is null)
            {
                first = e.InnerException ?? e;
            }
            else if (done.IsCanceled && first is null)
            {
                // A canceled part did not do its share: never let it pass as done.
                first = new OperationCanceledException("a part of the transfer was canceled");
            }

            if (first is not null && abortOthers is { IsCancellationRequested: false })
            {
                await abortOthers.CancelAsync().ConfigureAwait(false);
            }
        }

        if (first is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(first);
        }
    }

    /// <summary>Waits for a task that is being abandoned, so its failure (an echo of the real one) is observed, not thrown.</summary>
    private static async Task ObserveAsync(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
#pragma warning disable CA1031 // The transfer's own failure is what the caller gets.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    /// <summary>Cuts a failed download's partial back to its whole prefix; a file we cannot cut is left for the resume check to judge.</summary>
    private static void TruncateQuietly(FileStream file, long length)
    {
        try
        {
            if (file.Length > length)
            {
                file.SetLength(length);
            }
        }
#pragma warning disable CA1031 // The transfer's own failure is what the caller gets; the resume planner checks the partial anyway.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    internal static Task HashFileAsync(SafeFileHandle file, long size, IncrementalHash hash, CancellationToken ct) => HashRangeAsync(file, 0, size, hash, ct);

    /// <summary>Appends bytes [start, end) of a local file to <paramref name="hash"/>; a file that ends first is an error.</summary>
    internal static async Task HashRangeAsync(SafeFileHandle file, long start, long end, IncrementalHash hash, CancellationToken ct,
        TransferPhase phase = TransferPhase.Verifying)
    {
        byte[] buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(1024 * 1024);
        try
        {
            long offset = start;
            while (offset < end)
            {
                int n = await RandomAccess.ReadAsync(file, buffer.AsMemory(0, (int)Math.Min(buffer.Length, end - offset)), offset, ct).ConfigureAwait(false);
                if (n == 0)
                {
                    throw new TransferException($"the file ended at {offset} while hashing up to {end}", phase, offset);
                }

                hash.AppendData(buffer, 0, n);
                offset += n;
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// fsync@openssh.com (when wanted) and CLOSE, sent back to back and both statuses checked: a server handles
    /// requests on one file in the order they arrive (draft-ietf-secsh-filexfer-02 §6.1), so the CLOSE follows the
    /// flush there, and the upload's end costs one round trip instead of two. Nothing else sends on this session
    /// now, so the fsync takes the send lock first and goes out first.
    /// </summary>
    private static async Task FlushAndCloseAsync(SftpClient sftp, SftpFileHandle handle, bool fsync, CancellationToken ct)
    {
        if (!fsync)
        {
            await sftp.CloseAsync(handle, ct).ConfigureAwait(false);
            return;
        }

        Task flushed = sftp.FsyncAsync(handle, ct);
        Task closed = sftp.CloseAsync(handle, ct);
        try
        {
            await flushed.ConfigureAwait(false);
        }
        catch
        {
            // The flush's failure is the one to report; the CLOSE's outcome no longer matters, but is awaited.
            try
            {
                await closed.ConfigureAwait(false);
            }
#pragma warning disable CA1031 // Its echo: the handle is gone either way, and the flush's failure is what the caller gets.
            catch (Exception)
#pragma warning restore CA1031
            {
            }

            throw;
        }

        await closed.ConfigureAwait(false);
    }

    /// <summary>
    /// The round trip of one cheap request (a STAT of "."), for choosing segments; only asked when the choice is the
    /// engine's (a large file, no Segments given). Not the session's first request: that one also pays for code
    /// still being compiled, and a few milliseconds too many on loopback would look like a link that needs segments.
    /// </summary>
    private static async Task<TimeSpan> RoundTripAsync(SftpClient sftp, CancellationToken ct)
    {
        var sw = Stopwatch.StartNew();
        await sftp.StatAsync(".", ct).ConfigureAwait(false);
        return sw.Elapsed;
    }

    internal static async Task CloseAfterFailureAsync(SftpClient sftp, SftpFileHandle handle)
    {
        if (handle.IsClosed)
        {
            return;
        }

        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await sftp.CloseAsync(handle, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SshException or OperationCanceledException)
        {
            // The transfer already failed with its own cause, which is what the caller gets; a CLOSE that also
            // fails (a dead session, say) adds nothing to it.
        }
    }

    /// <summary>
    /// Gives the verified temporary file its final name. With posix-rename@openssh.com that is one atomic step. Plain
    /// SFTP v3 RENAME refuses an existing target, so the old file is first renamed aside, then the new one into place,
    /// then the old one removed; if the second rename fails the old file is renamed back. A reader may briefly see no
    /// file under the name (one round trip), never a partial one, and a failure never loses the old file (removing it
    /// first, as before, lost it whenever the RENAME then failed: a quota, a permission, a dropped connection).
    /// </summary>
    private static async Task RenameIntoPlaceAsync(SftpClient sftp, string temp, string target, string localName, CancellationToken ct)
    {
        if (sftp.Supports(SftpExtensionNames.PosixRename))
        {
            await sftp.PosixRenameAsync(temp, target, ct).ConfigureAwait(false);
            return;
        }

        try
        {
            // No file under the name (the usual case for a new upload): one round trip.
            await sftp.RenameAsync(temp, target, ct).ConfigureAwait(false);
            return;
        }
        catch (SftpException first) when (first.StatusCode is SftpStatusCode.Failure or SftpStatusCode.PermissionDenied or SftpStatusCode.OpUnsupported)
        {
            SftpAttributes? inTheWay;
            try
            {
                inTheWay = await sftp.LstatAsync(target, ct).ConfigureAwait(false);
            }
            catch (SftpException)
            {
                inTheWay = null; // nothing there, or nothing we may look at: the rename's own error is the answer
            }

            if (inTheWay is null)
            {
                throw;
            }

            if (inTheWay.IsDirectory)
            {
                // Never moved aside: a directory under the name is the caller's mistake, not a file to replace.
                throw new RemoteIsDirectoryException(target, localName);
            }
        }

        string aside = AsideName(target);
        await sftp.RenameAsync(target, aside, ct).ConfigureAwait(false);
        try
        {
            await sftp.RenameAsync(temp, target, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SshException or OperationCanceledException)
        {
            try
            {
                // Even after a cancel: the previous file must not be left under another name. Bounded, so a
                // server that stopped answering cannot hold the caller for ever.
                using var restoring = new CancellationTokenSource(RestoreTimeout);
                await sftp.RenameAsync(aside, target, restoring.Token).ConfigureAwait(false);
            }
            catch (Exception restore) when (restore is SshException or OperationCanceledException)
            {
                throw new TransferException(
                    $"renaming {temp} to {target} failed ({e.Message}), and putting the previous {target} back from {aside} failed too ({restore.Message}): " +
                    $"the previous file is at {aside}", TransferPhase.Verifying, 0, e);
            }

            throw;
        }

        try
        {
            // The new file is in place: the transfer has succeeded whatever happens now, so neither a dropped
            // connection nor a late cancel turns it into a failure. A previous copy left under its aside name wastes
            // space but loses nothing.
            using var removing = new CancellationTokenSource(RestoreTimeout);
            await sftp.RemoveAsync(aside, removing.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SshException or OperationCanceledException)
        {
        }
    }

    /// <summary>How long putting a previous file back, or removing it, may take.</summary>
    private static readonly TimeSpan RestoreTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Where the previous file waits while the new one is renamed into place: beside it, hidden, unique.</summary>
    private static string AsideName(string path)
    {
        int slash = path.LastIndexOf('/');
        return path[..(slash + 1)] + "." + path[(slash + 1)..] + ".nsftp-old-" + Guid.NewGuid().ToString("N")[..8];
    }

    private static async Task<string> VerifyRemoteAsync(SftpClient sftp, string path, long size, string? digest, VerifyMode mode, StreamingRemoteHash? streamed, CancellationToken ct)
    {
        if (mode == VerifyMode.None || digest is null)
        {
            return "none";
        }

        var attrs = await sftp.StatAsync(path, ct).ConfigureAwait(false);
        long actual = (long)(attrs.Size ?? ulong.MaxValue);
        if (actual != size)
        {
            throw new TransferVerificationException($"{path} holds {actual} bytes on the server; {size} were sent", "size", size, actual, null, null);
        }

        if (mode == VerifyMode.Size)
        {
            return "size";
        }

        RemoteHash? remote = null;
        if (mode == VerifyMode.ReadBack)
        {
            remote = new RemoteHash(await ReadBackHashAsync(sftp, path, ct).ConfigureAwait(false), "sha256 (read-back)");
        }
        else if (mode == VerifyMode.Sha256 || await HashAvailableAfterTransferAsync(sftp, ct).ConfigureAwait(false))
        {
            if (streamed is not null && await StreamedAgreesAsync(streamed, size, digest, ct).ConfigureAwait(false) is { } method)
            {
                return method;
            }

            remote = await WhileNoSessionAsync(() => RemoteHasher.ComputeAsync(sftp, path, null, ct), ct).ConfigureAwait(false);
        }

        if (remote is null)
        {
            return "size (no remote hash available)";
        }

        if (remote.Sha256Hex != digest)
        {
            throw new TransferVerificationException($"{path} on the server has SHA-256 {remote.Sha256Hex}; the data sent has {digest}", remote.Method, size, actual, digest, remote.Sha256Hex);
        }

        return remote.Method;
    }

    /// <summary>
    /// The streamed hash's method when it produced the digest of the data sent; null when it failed or disagreed,
    /// and the caller then hashes the whole file again, which decides (the streamed path is only a shortcut).
    /// </summary>
    internal static async Task<string?> StreamedAgreesAsync(StreamingRemoteHash streamed, long size, string digest, CancellationToken ct)
    {
        try
        {
            var r = await streamed.CompleteAsync(size, ct).ConfigureAwait(false);
            return r.Sha256Hex == digest ? r.Method : null;
        }
        catch (Exception e) when (!ct.IsCancellationRequested && e is SshException or NotSupportedException or OperationCanceledException or InvalidOperationException)
        {
            return null;
        }
    }

    private static async Task<string> VerifyDownloadAsync(string remotePath, string localPath, long size, string? digest, VerifyMode mode, Task<RemoteHash?> remoteHash, CancellationToken ct)
    {
        if (mode == VerifyMode.None || digest is null)
        {
            return "none";
        }

        long actual = new FileInfo(localPath).Length;
        if (actual != size)
        {
            throw new TransferVerificationException($"{localPath} holds {actual} bytes; the server's file has {size}", "size", size, actual, null, null);
        }

        if (mode == VerifyMode.Size)
        {
            return "size";
        }

        // Started with the transfer (see DownloadCoreAsync); usually done by now.
        RemoteHash? remote = await remoteHash.WaitAsync(ct).ConfigureAwait(false);

        if (mode == VerifyMode.ReadBack)
        {
            // The local copy as it now lies on disk, read back, against what streamed in.
            using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            using var file = File.OpenHandle(localPath, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.Asynchronous | FileOptions.SequentialScan);
            await HashFileAsync(file, size, h, ct).ConfigureAwait(false);
            string onDisk = Convert.ToHexStringLower(h.GetHashAndReset());
            if (onDisk != digest)
            {
                throw new TransferVerificationException($"{localPath} read back from disk has SHA-256 {onDisk}; the data received has {digest}", "sha256 (read-back)", size, actual, digest, onDisk);
            }
        }

        if (remote is null)
        {
            return "size (no remote hash available)";
        }

        if (remote.Sha256Hex != digest)
        {
            throw new TransferVerificationException($"{remotePath} on the server has SHA-256 {remote.Sha256Hex}; the data received has {digest}", remote.Method, size, actual, remote.Sha256Hex, digest);
        }

        return remote.Method;
    }

    private static async Task<string> ReadBackHashAsync(SftpClient sftp, string path, CancellationToken ct)
    {
        var handle = await sftp.OpenAsync(path, SftpOpenFlags.Read, null, ct).ConfigureAwait(false);
        try
        {
            long size = (long)(await SizeOfAsync(sftp, handle, ct).ConfigureAwait(false)
                ?? throw new TransferException($"the server gives no size for {path}: it cannot be read back", TransferPhase.Verifying, 0));
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            await using (var tracker = new ProgressTracker(null, size, 0, TimeSpan.FromSeconds(1), TimeProvider.System, null))
            {
                int chunk = TransferPlanner.ChunkSize(null, sftp.MaxReadLength, sftp.Limits is not null);
                await new PipelinedDownload(sftp, handle, null, TransferPlanner.MaxDepth, hash, tracker).RunAsync(0, size, chunk, ct).ConfigureAwait(false);
            }

            await sftp.CloseAsync(handle, ct).ConfigureAwait(false);
            return Convert.ToHexStringLower(hash.GetHashAndReset());
        }
        catch
        {
            await CloseAfterFailureAsync(sftp, handle).ConfigureAwait(false);
            throw;
        }
    }
}
