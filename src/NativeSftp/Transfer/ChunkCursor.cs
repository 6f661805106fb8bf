namespace NativeSftp.Transfer;

/// <summary>
/// Hands out a range's chunks in offset order, registering each with one <see cref="AckTracker"/> as it goes, so
/// several uploaders (one per session) can share the work: whichever session has a free slot takes the next chunk.
/// The file is then written front to back by all of them together, so its acknowledged prefix grows steadily
/// (what a streamed hash follows and a resume starts from), and a slower session simply takes fewer chunks.
/// Thread-safe.
/// </summary>
internal sealed class ChunkCursor
{
    private readonly object _lock = new();
    private readonly long _end;
    private readonly int _chunk;
    private readonly CancellationTokenSource _exhausted = new();
    private long _next;

    public ChunkCursor(AckTracker tracker, long start, long end, int chunk)
    {
        ArgumentNullException.ThrowIfNull(tracker);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(chunk);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(start, end);
        Tracker = tracker;
        _next = start;
        _end = end;
        _chunk = chunk;
        if (start == end)
        {
            _exhausted.Cancel();
        }
    }

    public AckTracker Tracker { get; }

    /// <summary>Where the range ends: the tracker reaches this when every chunk is done.</summary>
    public long End => _end;

    /// <summary>Whether every chunk has been taken (a session that joins now has nothing to do).</summary>
    public bool IsExhausted
    {
        get
        {
            lock (_lock)
            {
                return _next >= _end;
            }
        }
    }

    /// <summary>
    /// Cancelled once every chunk has been taken: what a session still being opened for this range waits under, so a
    /// server that never answers an extra channel's open cannot hold a transfer whose work is all handed out.
    /// </summary>
    public CancellationToken Exhausted => _exhausted.Token;

    /// <summary>The next chunk, registered with the tracker (so the two orders can never differ); false when none is left.</summary>
    public bool TryTake(out long offset, out int length, out object token)
    {
        lock (_lock)
        {
            if (_next >= _end)
            {
                (offset, length, token) = (0, 0, null!);
                return false;
            }

            offset = _next;
            length = (int)Math.Min(_chunk, _end - _next);
            token = Tracker.Issue(offset, length);
            _next += length;
            if (_next < _end)
            {
                return true;
            }
        }

        // The last chunk: its callbacks (sessions still opening give up) run elsewhere, never on the transfer's path
        // or under the lock.
        _ = _exhausted.CancelAsync();
        return true;
    }
}
