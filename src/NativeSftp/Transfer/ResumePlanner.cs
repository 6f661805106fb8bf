using System.Security.Cryptography;
using NativeSftp.Sftp;
using NativeSftp.Sftp.Protocol;

namespace NativeSftp.Transfer;

/// <summary>
/// Finds the offset a partial file can be continued from, and proves it: the partial's prefix must hash the same as
/// the source's (remote side by check-file or a hash command); where the server can hash nothing, the last few MiB
/// are read back and compared and the rest is trusted by size, and the result says so. Pipelined writes can leave
/// holes just before the partial's end, so a failed check is retried once a window's worth earlier before giving up
/// and starting from zero.
/// </summary>
internal static class ResumePlanner
{
    /// <summary>Bytes compared byte for byte when no remote hash exists: 4 MiB, a few seconds on a slow link.</summary>
    public const long ReadBackBytes = 4L * 1024 * 1024;

    /// <summary>
    /// How far before a partial's end holes may reach when the process that wrote it was killed (a failed attempt cuts
    /// its partial back itself): the bytes a transfer keeps in flight — a segmented download's shared budget, which
    /// also covers one channel's 64 × 256 KiB and segmented uploads at their default depth.
    /// </summary>
    public const long MaxOutOfOrderBytes = TransferPlanner.MaxDownloadBytesInFlight;

    public sealed record Plan(long Offset, string? Verification);

    /// <summary>Upload: the remote temporary file against the local source.</summary>
    public static async Task<Plan> ForUploadAsync(SftpClient sftp, string localPath, string remoteTemp, long? hint, CancellationToken ct)
    {
        long remoteSize;
        try
        {
            remoteSize = (long)((await sftp.StatAsync(remoteTemp, ct).ConfigureAwait(false)).Size ?? 0);
        }
        catch (SftpException e) when (e.StatusCode == SftpStatusCode.NoSuchFile)
        {
            return new Plan(0, null);
        }

        long localSize = new FileInfo(localPath).Length;
        using var local = File.OpenHandle(localPath, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.Asynchronous);
        return await ChooseAsync(sftp, remoteTemp, remoteSize, local, remoteSize, localSize, hint, ct).ConfigureAwait(false);
    }

    /// <summary>Download: the local partial against the remote source.</summary>
    public static async Task<Plan> ForDownloadAsync(SftpClient sftp, string remotePath, string localTemp, long? hint, CancellationToken ct)
    {
        if (!File.Exists(localTemp))
        {
            return new Plan(0, null);
        }

        long partial = new FileInfo(localTemp).Length;
        long remoteSize = (long)((await sftp.StatAsync(remotePath, ct).ConfigureAwait(false)).Size ?? 0);
        using var local = File.OpenHandle(localTemp, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.Asynchronous);
        return await ChooseAsync(sftp, remotePath, remoteSize, local, partial, remoteSize, hint, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// <paramref name="partialSize"/> is the partial's size, <paramref name="sourceSize"/> the source's; the remote file
    /// named <paramref name="remotePath"/> (of <paramref name="remoteSize"/> bytes) is the partial (upload) or the source
    /// (download), <paramref name="local"/> the other.
    /// </summary>
    private static async Task<Plan> ChooseAsync(SftpClient sftp, string remotePath, long remoteSize, Microsoft.Win32.SafeHandles.SafeFileHandle local,
        long partialSize, long sourceSize, long? hint, CancellationToken ct)
    {
        if (partialSize <= 0 || partialSize > sourceSize)
        {
            return new Plan(0, partialSize > sourceSize ? $"the partial ({partialSize} bytes) is larger than the source ({sourceSize}): started over" : null);
        }

        var candidates = new List<long>();
        if (hint is long h && h > 0 && h <= partialSize)
        {
            candidates.Add(h);
        }

        candidates.Add(partialSize);
        if (partialSize > MaxOutOfOrderBytes)
        {
            candidates.Add(partialSize - MaxOutOfOrderBytes);
        }

        candidates = [.. candidates.Distinct()];
        // A prefix is hashed by the server with announced check-file or a hash command. A server that hashes whole
        // files only (ProFTPD's unannounced check-file ignores the length) still proves the candidate that is its
        // whole file: an upload's partial at its full size. Any other candidate is checked by reading back its tail.
        bool prefixes = await RemoteHasher.CanHashPrefixAsync(sftp, ct).ConfigureAwait(false);
        bool wholeFiles = !prefixes && candidates.Contains(remoteSize) && await RemoteHasher.IsAvailableAsync(sftp, ct).ConfigureAwait(false);
        // One pass over the local prefix gives its digest at every candidate; the server hashes only as far as the
        // candidates need, best first.
        var mine = prefixes || wholeFiles ? await PrefixDigestsAsync(local, candidates, ct).ConfigureAwait(false) : null;
        foreach (long offset in candidates)
        {
            if (prefixes || (wholeFiles && offset == remoteSize))
            {
                var remote = await RemoteHasher.ComputeAsync(sftp, remotePath, prefixes ? offset : null, ct).ConfigureAwait(false);
                if (mine![offset] == remote.Sha256Hex)
                {
                    return new Plan(offset, $"sha256 of the first {offset} bytes ({remote.Method})");
                }
            }
            else if (await TailMatchesAsync(sftp, remotePath, local, offset, ct).ConfigureAwait(false))
            {
                long n = Math.Min(offset, ReadBackBytes);
                return new Plan(offset, $"the last {n} bytes before {offset} read back and compared; the rest trusted by size (no remote hash available)");
            }
        }

        return new Plan(0, "the partial's prefix did not match the source: started over");
    }

    /// <summary>The SHA-256 of the local file's first N bytes for each N in <paramref name="offsets"/>, in one pass.</summary>
    private static async Task<Dictionary<long, string>> PrefixDigestsAsync(Microsoft.Win32.SafeHandles.SafeFileHandle local, IEnumerable<long> offsets, CancellationToken ct)
    {
        var digests = new Dictionary<long, string>();
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long hashed = 0;
        foreach (long offset in offsets.Order())
        {
            await SftpFileTransfer.HashRangeAsync(local, hashed, offset, hash, ct).ConfigureAwait(false);
            hashed = offset;
            digests[offset] = Convert.ToHexStringLower(hash.GetCurrentHash());
        }

        return digests;
    }

    /// <summary>
    /// Whether the last <see cref="ReadBackBytes"/> before <paramref name="offset"/> are the same on both sides: the
    /// remote side read with the transfer's pipelined READs, both sides hashed as they stream (no buffer the size of
    /// the tail).
    /// </summary>
    private static async Task<bool> TailMatchesAsync(SftpClient sftp, string remotePath, Microsoft.Win32.SafeHandles.SafeFileHandle local, long offset, CancellationToken ct)
    {
        long n = Math.Min(offset, ReadBackBytes);
        long start = offset - n;
        using var mine = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var theirs = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        try
        {
            await SftpFileTransfer.HashRangeAsync(local, start, offset, mine, ct).ConfigureAwait(false);
        }
        catch (TransferException)
        {
            return false; // the local file is shorter than the candidate
        }

        var handle = await sftp.OpenAsync(remotePath, SftpOpenFlags.Read, null, ct).ConfigureAwait(false);
        bool shorter = false;
        try
        {
            await using (var progress = new ProgressTracker(null, n, 0, TimeSpan.FromSeconds(1), TimeProvider.System, null))
            {
                int chunk = TransferPlanner.ChunkSize(null, sftp.MaxReadLength, sftp.Limits is not null);
                try
                {
                    await new PipelinedDownload(sftp, handle, null, TransferPlanner.MaxDepth, theirs, progress).RunAsync(start, offset, chunk, ct).ConfigureAwait(false);
                }
                catch (TransferException)
                {
                    shorter = true; // the remote file ends before the candidate
                }
            }
        }
        catch
        {
            await SftpFileTransfer.CloseAfterFailureAsync(sftp, handle).ConfigureAwait(false);
            throw;
        }

        await sftp.CloseAsync(handle, ct).ConfigureAwait(false);
        return !shorter && mine.GetHashAndReset().AsSpan().SequenceEqual(theirs.GetHashAndReset());
    }
}
