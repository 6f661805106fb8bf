using System.Buffers;
using System.Runtime.ExceptionServices;
using NativeSftp.Sftp.Protocol;

namespace NativeSftp.Sftp;

// Writing: chunks sent as pipelined WRITEs (write-behind); every status is checked and a failure is never lost.
public sealed partial class SftpFileStream
{
    // ---- writing ----

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Enter();
        try
        {
            if (!_canWrite)
            {
                throw new NotSupportedException($"{Path} was not opened for writing");
            }

            ThrowIfWriteFailed();
            if (buffer.IsEmpty)
            {
                return;
            }

            if (_aheadCount > 0 || _current is not null)
            {
                // Read-ahead may hold the bytes about to be overwritten.
                ReleaseCurrent();
                await DiscardReadAheadAsync().ConfigureAwait(false);
            }

            if (_writeCount > 0 && _writeOffset + _writeCount != _position)
            {
                // A seek since the last write: the chunk so far is one WRITE, the new bytes start another.
                await SendChunkAsync(cancellationToken).ConfigureAwait(false);
            }

            while (!buffer.IsEmpty)
            {
                if (_writeCount == _chunk)
                {
                    // Left full by a write cancelled while it waited for a slot.
                    await SendChunkAsync(cancellationToken).ConfigureAwait(false);
                }

                if (_writeBuffer is null)
                {
                    _writeBuffer = ArrayPool<byte>.Shared.Rent(_writeHeader + _chunk);
                    _writeOffset = _position;
                    _writeCount = 0;
                }

                int n = Math.Min(buffer.Length, _chunk - _writeCount);
                buffer.Span[..n].CopyTo(_writeBuffer.AsSpan(_writeHeader + _writeCount));
                _writeCount += n;
                _position += n;
                buffer = buffer[n..];
                if (_length is long l && _position > l)
                {
                    _length = _position;
                }

                if (_writeCount == _chunk)
                {
                    await SendChunkAsync(cancellationToken).ConfigureAwait(false);
                }
            }

            ThrowIfWriteFailed();
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>Sends the filled chunk as a WRITE and does not wait for its status (only for a free slot).</summary>
    private async ValueTask SendChunkAsync(CancellationToken cancellationToken)
    {
        // Cancelled here, the chunk stays buffered: nothing is lost, a later write or flush sends it.
        await _writeSlots.WaitAsync(cancellationToken).ConfigureAwait(false);
        byte[] buffer = _writeBuffer!;
        int count = _writeCount;
        long offset = _writeOffset;
        _writeBuffer = null;
        _writeCount = 0;
        if (_writes.Count == _writes.Capacity)
        {
            _writes.RemoveAll(static t => t.IsCompleted);
        }

        _writes.Add(WriteOneAsync(buffer, offset, count));
    }

    private async Task WriteOneAsync(byte[] buffer, long offset, int count)
    {
        try
        {
            // No token: a WRITE on the wire is awaited to its status, or the file's state would be unknown.
            await _sftp.WriteInPlaceAsync(_handle, (ulong)offset, buffer, count, CancellationToken.None).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Every failure is kept and thrown from the next Write/Flush/Dispose; none may vanish with the task.
        catch (Exception e)
#pragma warning restore CA1031
        {
            lock (_failureLock)
            {
                // The lowest failed offset is the one reported, unless one was already thrown to the caller.
                if (_writeFailure is null || (!_writeFailureThrown && offset < _writeFailureOffset))
                {
                    _writeFailure = e;
                    _writeFailureOffset = offset;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            _writeSlots.Release();
        }
    }

    private bool WritesInFlight()
    {
        foreach (var t in _writes)
        {
            if (!t.IsCompleted)
            {
                return true;
            }
        }

        return false;
    }

    private void ThrowIfWriteFailed()
    {
        Exception? failure;
        lock (_failureLock)
        {
            failure = _writeFailure;
            _writeFailureThrown |= failure is not null;
        }

        if (failure is not null)
        {
            ExceptionDispatchInfo.Throw(failure);
        }
    }

    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        Enter();
        try
        {
            if (_canWrite)
            {
                await FlushWritesAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>Sends the partial chunk, waits for every WRITE status, and throws the failure if one failed.</summary>
    private async ValueTask FlushWritesAsync(CancellationToken cancellationToken)
    {
        if (_writeCount > 0)
        {
            await SendChunkAsync(cancellationToken).ConfigureAwait(false);
        }

        if (_writes.Count > 0)
        {
            // WriteOneAsync never faults (it records), so this only ends early by cancellation.
            await Task.WhenAll(_writes).WaitAsync(cancellationToken).ConfigureAwait(false);
            _writes.Clear();
        }

        ThrowIfWriteFailed();
    }
}
