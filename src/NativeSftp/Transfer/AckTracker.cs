namespace NativeSftp.Transfer;

/// <summary>
/// Tracks requests issued in offset order and answered in any order, and says up to where every byte is
/// acknowledged: the offset a retry or a later run can resume from without re-sending anything. No I/O; thread-safe.
/// </summary>
internal sealed class AckTracker
{
    private readonly LinkedList<Range> _inFlight = new();
    private readonly object _lock = new();
    private readonly Action<long>? _onAdvance;
    private long _acknowledged;

    /// <param name="start">Where the first request will start.</param>
    /// <param name="onAdvance">Told each new acknowledged offset, in increasing order, under the tracker's lock (so it must be cheap and not block).</param>
    public AckTracker(long start, Action<long>? onAdvance = null)
    {
        _acknowledged = start;
        _onAdvance = onAdvance;
    }

    /// <summary>Every byte below this offset is acknowledged.</summary>
    public long Acknowledged
    {
        get
        {
            lock (_lock)
            {
                return _acknowledged;
            }
        }
    }

    /// <summary>Registers a request for [offset, offset+length); requests must be issued in increasing offset order.</summary>
    public object Issue(long offset, int length)
    {
        lock (_lock)
        {
            long expected = _inFlight.Last?.Value.End ?? _acknowledged;
            if (offset != expected)
            {
                throw new InvalidOperationException($"request at {offset} issued out of order (expected {expected})");
            }

            return _inFlight.AddLast(new Range(offset, offset + length));
        }
    }

    /// <summary>Marks a request answered OK; the acknowledged offset moves over every leading answered request.</summary>
    public void Complete(object token)
    {
        var node = (LinkedListNode<Range>)token;
        lock (_lock)
        {
            node.Value = node.Value with { Done = true };
            long before = _acknowledged;
            while (_inFlight.First is { Value.Done: true } first)
            {
                _acknowledged = first.Value.End;
                _inFlight.RemoveFirst();
            }

            if (_acknowledged != before)
            {
                _onAdvance?.Invoke(_acknowledged);
            }
        }
    }

    private record struct Range(long Start, long End, bool Done = false);
}
