using System.Buffers;
using System.Runtime.ExceptionServices;
using NativeSftp.Sftp.Protocol;

namespace NativeSftp.Sftp;

// Reading: a ring of READs in flight ahead of the reader (read-ahead), consumed in offset order.
public sealed partial class SftpFileStream
{
    // ---- reading ----

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Enter();
        try
        {
            if (!_canRead)
            {
                throw new NotSupportedException($"{Path} was not opened for reading");
            }

            if (buffer.IsEmpty)
            {
                return 0;
            }

            if (_canWrite)
            {
                // Read what was written: every buffered byte must be on the server (and acknowledged) first.
                await FlushWritesAsync(cancellationToken).ConfigureAwait(false);
            }

            int total = 0;
            while (true)
            {
                if (_current is not null && _position >= _currentOffset && _position < _currentOffset + _currentCount)
                {
                    int start = (int)(_position - _currentOffset);
                    int n = Math.Min(buffer.Length - total, _currentCount - start);
                    _current.AsSpan(start, n).CopyTo(buffer.Span[total..]);
                    _position += n;
                    total += n;
                    if (start + n == _currentCount)
                    {
                        ReleaseCurrent();
                    }

                    // Keep filling only from replies already here: a stream read returns what it has rather than wait.
                    if (total == buffer.Length || _aheadCount == 0 || _ahead[_aheadHead].Offset != _position || !_ahead[_aheadHead].Reply.IsCompletedSuccessfully)
                    {
                        return total;
                    }
                }
                else
                {
                    ReleaseCurrent();
                }

                if (!await FillCurrentAsync(cancellationToken).ConfigureAwait(false))
                {
                    return total;
                }
            }
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>Makes the reply at the position the current buffer; false at end of file.</summary>
    private async ValueTask<bool> FillCurrentAsync(CancellationToken cancellationToken)
    {
        if (_aheadCount > 0 && _ahead[_aheadHead].Offset != _position)
        {
            // A seek: what is in flight is for other offsets. Its buffers go back only after their replies land.
            await DiscardReadAheadAsync().ConfigureAwait(false);
        }

        if (_aheadCount == 0)
        {
            _nextReadOffset = _position;
        }

        TopUpReadAhead();
        var head = _ahead[_aheadHead];

        // Cancellation leaves the request queued (state intact): a later read picks its reply up.
        int got;
        try
        {
            got = await head.Reply.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || head.Reply.IsFaulted)
        {
            // The READ failed: thrown to the caller; what was queued behind it is dropped.
            await DiscardReadAheadAsync().ConfigureAwait(false);
            throw;
        }

        PopHead();
        if (got == 0)
        {
            ArrayPool<byte>.Shared.Return(head.Buffer);
            await DiscardReadAheadAsync().ConfigureAwait(false);
            return false;
        }

        if (got < head.Length)
        {
            // A short read is data, not end of file: ask for the rest next, ahead of everything queued.
            PushHead(Issue(head.Offset + got, head.Length - got));
        }
        else
        {
            // Sequential progress earns a deeper pipeline, like TCP's slow start; a seek resets it to one.
            _aheadDepth = Math.Min(_aheadDepth * 2, _readAheadLimit);
        }

        _current = head.Buffer;
        _currentOffset = head.Offset;
        _currentCount = got;
        TopUpReadAhead();
        return true;
    }

    private void TopUpReadAhead()
    {
        while (_aheadCount < _aheadDepth)
        {
            PushTail(Issue(_nextReadOffset, _chunk));
            _nextReadOffset += _chunk;
        }
    }

    private ReadSlot Issue(long offset, int length)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(length);

        // Sent without the caller's token: once on the wire a READ's reply writes into the buffer, so it is always
        // awaited (by a read or by the discard) before the buffer goes back. Session failure completes it.
        return new ReadSlot(offset, length, buffer, _sftp.ReadAsync(_handle, (ulong)offset, buffer.AsMemory(0, length), CancellationToken.None));
    }

    private void PushTail(ReadSlot slot)
    {
        _ahead[(_aheadHead + _aheadCount) % _ahead.Length] = slot;
        _aheadCount++;
    }

    private void PushHead(ReadSlot slot)
    {
        _aheadHead = (_aheadHead + _ahead.Length - 1) % _ahead.Length;
        _ahead[_aheadHead] = slot;
        _aheadCount++;
    }

    private void PopHead()
    {
        _ahead[_aheadHead] = default;
        _aheadHead = (_aheadHead + 1) % _ahead.Length;
        _aheadCount--;
    }

    /// <summary>Waits for every READ in flight and returns its buffer; their outcomes are for offsets nobody asked for.</summary>
    private async Task DiscardReadAheadAsync()
    {
        while (_aheadCount > 0)
        {
            var slot = _ahead[_aheadHead];
            PopHead();
            try
            {
                await slot.Reply.ConfigureAwait(false);
            }
            catch (SshException)
            {
                // A read-ahead past end of file or after a seek: nothing the caller asked for. If the session died,
                // the next request fails with that cause, so nothing is lost by not throwing it here.
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(slot.Buffer);
            }
        }

        _aheadHead = 0;
        _aheadDepth = 1;
    }

    private void ReleaseCurrent()
    {
        if (_current is { } b)
        {
            _current = null;
            _currentCount = 0;
            ArrayPool<byte>.Shared.Return(b);
        }
    }
}
