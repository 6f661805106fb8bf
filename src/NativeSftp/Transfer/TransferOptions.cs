namespace NativeSftp.Transfer;

/// <summary>How the end result is checked (TransferResult.VerifyMethod says what was actually used).</summary>
public enum VerifyMode
{
    /// <summary>The strongest method the server allows: check-file, else a remote hash command, else size.</summary>
    Auto,
    None,
    Size,
    /// <summary>A SHA-256 of the remote file by check-file or a remote command; fails when neither is available.</summary>
    Sha256,
    /// <summary>Reads the remote file back and compares hashes (a second transfer: only when asked for).</summary>
    ReadBack,
}

/// <summary>Where a transfer is.</summary>
public enum TransferPhase
{
    Connecting,
    Transferring,
    Flushing,
    Verifying,
    Retrying,
    Completed,
}

/// <summary>Options for one file transfer. Defaults are the safe ones.</summary>
public sealed class TransferOptions
{
    public VerifyMode Verify { get; set; } = VerifyMode.Auto;

    /// <summary>Write to a temporary name beside the target and rename at the end (so nobody sees a partial file under the final name).</summary>
    public bool UseTemporaryName { get; set; } = true;

    /// <summary>Ask the server to fsync before closing, where it supports fsync@openssh.com.</summary>
    public bool Fsync { get; set; } = true;

    /// <summary>Bytes per READ/WRITE request; null: from limits@openssh.com, else 32 KiB.</summary>
    public int? ChunkSize { get; set; }

    /// <summary>Requests in flight; null: enough to cover the channel window.</summary>
    public int? RequestsInFlight { get; set; }

    /// <summary>Parallel segments (each on its own SFTP channel); null: chosen from the file size.</summary>
    public int? Segments { get; set; }

    /// <summary>
    /// Run each extra segment on its own SSH connection instead of its own channel (resilient entry points only):
    /// for servers or middleboxes that cap a connection's throughput; costs a handshake per segment.
    /// </summary>
    public bool SegmentsOnSeparateConnections { get; set; }

    /// <summary>Retries after a retryable failure (resilient entry points only).</summary>
    public int Retries { get; set; } = 5;

    /// <summary>No acknowledged progress for this long ends the attempt with a diagnosis.</summary>
    public TimeSpan StallTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Continue a partial file left by an earlier run, from an offset proven good.</summary>
    public bool Resume { get; set; }

    /// <summary>First wait before a retry; each further retry doubles it (with jitter), up to <see cref="RetryMaxDelay"/>.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>No new attempt starts after this much time since the first (the attempt under way finishes).</summary>
    public TimeSpan MaxRetryDuration { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>
    /// How often progress is reported at most. Reports are made one at a time, so a synchronous
    /// <see cref="IProgress{T}"/> sees <see cref="TransferProgress.BytesDone"/> never go backwards; <see cref="Progress{T}"/>
    /// without a synchronization context posts each report to the thread pool, which may deliver two in either order.
    /// </summary>
    public TimeSpan ProgressInterval { get; set; } = TimeSpan.FromMilliseconds(250);
}

/// <summary>A progress report, at a bounded rate.</summary>
public sealed record TransferProgress(
    TransferPhase Phase,
    long BytesDone,
    long? TotalBytes,
    double BytesPerSecond,
    TimeSpan? EstimatedRemaining,
    int RequestsInFlight,
    TimeSpan TimeBlockedOnWindow,
    int Attempt);

/// <summary>One attempt of a (resilient) transfer.</summary>
public sealed record TransferAttempt(int Number, long StartOffset, long BytesAcknowledged, TimeSpan Duration, TimeSpan WaitedBefore, string? Failure);

/// <summary>What a completed transfer did, and how it was verified.</summary>
public sealed record TransferResult
{
    public required string Operation { get; init; }
    public required string LocalPath { get; init; }
    public required string RemotePath { get; init; }
    public required long Bytes { get; init; }
    public required TimeSpan Duration { get; init; }
    public double BytesPerSecond => Duration > TimeSpan.Zero ? Bytes / Duration.TotalSeconds : 0;

    /// <summary>"none", "size", "sha256 (check-file)", "sha256 (remote openssl)", "sha256 (read-back)".</summary>
    public required string VerifyMethod { get; init; }

    /// <summary>SHA-256 of the data (lower-case hex) when one was computed.</summary>
    public string? Sha256 { get; init; }

    public int ChunkSize { get; init; }
    public int RequestsInFlight { get; init; }
    public int Segments { get; init; } = 1;
    public long ResumedFrom { get; init; }

    /// <summary>How the resumed prefix was proven good ("sha256 of the prefix", "last 4 MiB read back; the rest trusted by size").</summary>
    public string? ResumeVerification { get; init; }
    public Transport.NegotiatedAlgorithms? Algorithms { get; init; }
    public IReadOnlyList<TransferAttempt> Attempts { get; init; } = [];
}
