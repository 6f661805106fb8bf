namespace NativeSftp.Transfer;

/// <summary>Chooses request size, requests in flight and segments (I/O-free, so the arithmetic is testable).</summary>
internal static class TransferPlanner
{
    /// <summary>draft-ietf-secsh-filexfer-02 promises nothing; 32 KiB is what every server accepts (OpenSSH's sftp default).</summary>
    public const int DefaultChunkSize = 32 * 1024;

    /// <summary>
    /// Requests in flight at most: 64 × 255 KiB ≈ 16 MiB, our default receive window, so downloads fill it;
    /// OpenSSH's sftp also defaults to 64.
    /// </summary>
    public const int MaxDepth = 64;

    /// <summary>At least two in flight, so the next request is on the wire while the previous reply is read.</summary>
    public const int MinDepth = 2;

    /// <summary>Throughput one segment should be able to reach before another is worth its channel (bytes/s).</summary>
    public const double TargetBytesPerSecond = 400.0 * 1024 * 1024;

    /// <summary>Segments at most: each is an SFTP channel and a server process (sftp-server) or thread.</summary>
    public const int MaxSegments = 8;

    /// <summary>A segment smaller than this is not worth its own channel.</summary>
    public const long MinSegmentSize = 16L * 1024 * 1024;

    /// <summary>A channel packet that leaves less than this for a WRITE's data is not worth fitting WRITEs into.</summary>
    public const int MinSinglePacketChunk = 4096;

    /// <summary>
    /// The request size: as asked (up to the server's maximum); else the server's limits@openssh.com maximum; else
    /// 32 KiB, cut to <paramref name="singlePacketMax"/> (a WRITE that fits one channel packet) when that is given and
    /// not absurdly small. A server that announces no limits is usually not OpenSSH: one packet per WRITE is what such
    /// servers are tested with (ProFTPD's mod_sftp, whose channel packets are 32 KiB, misparses a 32 KiB WRITE split
    /// in two when another channel's packets come between the halves).
    /// </summary>
    public static int ChunkSize(int? requested, int serverMax, bool serverAnnouncedLimits, int? singlePacketMax = null)
    {
        if (requested is int r)
        {
            if (r <= 0)
            {
                throw new ArgumentOutOfRangeException(nameof(requested), "chunk size must be positive");
            }

            return Math.Min(r, serverMax);
        }

        if (serverAnnouncedLimits)
        {
            return serverMax;
        }

        int chunk = Math.Min(DefaultChunkSize, serverMax);
        return singlePacketMax is int p && p >= MinSinglePacketChunk ? Math.Min(chunk, p) : chunk;
    }

    /// <summary>Enough requests to keep <paramref name="window"/> bytes in flight (one more to cover the reply turnaround).</summary>
    public static int Depth(int? requested, long window, int chunk)
    {
        if (requested is int r)
        {
            return Math.Clamp(r, 1, 1024);
        }

        long d = (window + chunk - 1) / chunk + 1;
        return (int)Math.Clamp(d, MinDepth, MaxDepth);
    }

    /// <summary>Bytes a segmented download keeps in flight over all its segments together (their buffers are the memory it needs).</summary>
    public const long MaxDownloadBytesInFlight = 32L * 1024 * 1024;

    /// <summary>
    /// Requests in flight per download segment: the one-channel depth, but together no more than
    /// <see cref="MaxDownloadBytesInFlight"/> (at least 2 each), so more segments do not mean more memory. An explicit
    /// <paramref name="requested"/> is taken as it is.
    /// </summary>
    public static int DownloadSegmentDepth(int? requested, int depth, int segments, int chunk)
    {
        if (requested is not null || segments <= 1)
        {
            return depth;
        }

        long share = MaxDownloadBytesInFlight / segments / chunk;
        return (int)Math.Clamp(share, MinDepth, depth);
    }

    /// <summary>
    /// One channel moves at most window ÷ round trip; enough segments to reach <see cref="TargetBytesPerSecond"/>,
    /// no more than the file can give each <see cref="MinSegmentSize"/>.
    /// </summary>
    public static int Segments(int? requested, long size, long window, TimeSpan roundTrip)
    {
        if (requested is int r)
        {
            return Math.Clamp(r, 1, 64);
        }

        if (size < 2 * MinSegmentSize || window <= 0)
        {
            return 1;
        }

        double perChannel = window / Math.Max(roundTrip.TotalSeconds, 1e-4);
        int wanted = (int)Math.Ceiling(TargetBytesPerSecond / perChannel);
        int bySize = (int)(size / MinSegmentSize);
        return Math.Clamp(Math.Min(wanted, bySize), 1, MaxSegments);
    }
}
