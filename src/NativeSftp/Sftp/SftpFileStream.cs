using System.Buffers;
using System.Runtime.ExceptionServices;
using NativeSftp.Sftp.Protocol;

namespace NativeSftp.Sftp;

/// <summary>
/// A remote file as an asynchronous <see cref="Stream"/>, from <see cref="SftpClient.OpenStreamAsync(string, FileMode, FileAccess, SftpStreamOptions?, CancellationToken)"/>.
/// <para>
/// Reading keeps READs in flight ahead of the position while reads are sequential (starting with one after an
/// open or a seek and doubling up to <see cref="SftpStreamOptions.ReadAhead"/>); a short READ is re-requested
/// for its remainder, never taken for end of file. Writing collects bytes into chunks and sends each as a WRITE
/// without waiting (up to <see cref="SftpStreamOptions.WriteBehind"/> unanswered); every status is checked as it
/// arrives and a failure is kept until it has been thrown: from the next WriteAsync, FlushAsync, ReadAsync or
/// DisposeAsync. FlushAsync returns only when every WRITE so far is acknowledged; DisposeAsync also CLOSEs and
/// checks that status (a server may report a failed write only there).
/// </para>
/// <para>
/// Only the asynchronous methods do I/O: <see cref="Read(byte[], int, int)"/>, <see cref="Write(byte[], int, int)"/>
/// and <see cref="SetLength"/> throw <see cref="NotSupportedException"/>, because blocking on the network would
/// be sync-over-async. <see cref="Length"/> is the size read by FSTAT at open, grown by this stream's writes;
/// <see cref="GetLengthAsync"/> asks again. A stream opened for writing must be disposed with
/// <see cref="DisposeAsync"/> (<c>await using</c>): a synchronous <see cref="Stream.Dispose()"/> cannot wait for
/// the CLOSE status, so it throws <see cref="InvalidOperationException"/> and leaves the stream open rather than
/// drop a failure. A read-only stream may be disposed synchronously; its CLOSE then completes in the background.
/// </para>
/// Not for concurrent use (like <see cref="FileStream"/>): overlapping calls throw <see cref="InvalidOperationException"/>.
/// </summary>
public sealed partial class SftpFileStream : Stream
{
    private readonly SftpClient _sftp;
    private readonly SftpFileHandle _handle;
    private readonly bool _canRead;
    private readonly bool _canWrite;
    private readonly long _appendStart;
    private readonly bool _append;
    private readonly int _chunk;
    private readonly int _readAheadLimit;
    private readonly int _writeHeader;
    private long _position;
    private long? _length;
    private bool _disposed;
    private int _busy;

    // ---- read side: a ring of READs in flight, in offset order, and the buffer being consumed ----
    private readonly ReadSlot[] _ahead;
    private int _aheadHead;
    private int _aheadCount;
    private int _aheadDepth = 1;
    private long _nextReadOffset;
    private byte[]? _current;
    private long _currentOffset;
    private int _currentCount;

    // ---- write side: the chunk being filled, and WRITEs sent and not yet answered ----
    private readonly SemaphoreSlim _writeSlots;
    private readonly List<Task> _writes;
    private readonly object _failureLock = new();
    private byte[]? _writeBuffer;
    private long _writeOffset;
    private int _writeCount;
    private Exception? _writeFailure;
    private long _writeFailureOffset = long.MaxValue;
    private bool _writeFailureThrown;

    internal SftpFileStream(SftpClient sftp, SftpFileHandle handle, FileAccess access, bool append, long? length, int chunk, int readAhead, int writeBehind)
    {
        _sftp = sftp;
        _handle = handle;
        _canRead = (access & FileAccess.Read) != 0;
        _canWrite = (access & FileAccess.Write) != 0;
        _append = append;
        _length = length;
        _chunk = chunk;
        _readAheadLimit = readAhead;
        _writeHeader = SftpClient.WriteHeaderSize(handle);
        _ahead = new ReadSlot[readAhead + 1];
        _writeSlots = new SemaphoreSlim(writeBehind, writeBehind);
        _writes = new List<Task>(writeBehind);
        if (append)
        {
            _position = _appendStart = length ?? 0;
        }
    }

    /// <summary>A READ in flight: its range, the pooled buffer the reply lands in, and the reply (bytes read, 0 at EOF).</summary>
    private readonly record struct ReadSlot(long Offset, int Length, byte[] Buffer, Task<int> Reply);

    /// <summary>The path the stream was opened with.</summary>
    public string Path => _handle.Path;

    /// <summary>Bytes per READ and per WRITE.</summary>
    public int ChunkSize => _chunk;

    /// <summary>The offset of the failed WRITE whose failure this stream reports (the lowest, when several failed).</summary>
    public long? FailedWriteOffset
    {
        get
        {
            lock (_failureLock)
            {
                return _writeFailure is null ? null : _writeFailureOffset;
            }
        }
    }

    /// <summary>READs in flight now (read-ahead).</summary>
    internal int ReadsInFlight => _aheadCount;

    /// <summary>After a synchronous dispose of a read-only stream: the background CLOSE.</summary>
    internal Task? BackgroundClose { get; private set; }

    public override bool CanRead => _canRead && !_disposed;
    public override bool CanWrite => _canWrite && !_disposed;
    public override bool CanSeek => !_disposed;

    /// <summary>The size FSTAT gave at open (or the last <see cref="GetLengthAsync"/>), grown by writes through this stream.</summary>
    public override long Length
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _length ?? throw new NotSupportedException($"the server gave no size for {Path}");
        }
    }

    public override long Position
    {
        get => _position;
        set
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            if (_append && value < _appendStart)
            {
                // FileStream's rule: an append stream cannot move into the data that was there before it.
                throw new IOException($"a stream opened for append cannot seek before its start ({_appendStart})");
            }

            // No I/O: read-ahead that no longer matches is drained by the next read; buffered write bytes keep
            // their own offset and are sent by the next write or flush.
            _position = value;
        }
    }

    public override long Seek(long offset, SeekOrigin origin)
    {
        Position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => checked(_position + offset),
            SeekOrigin.End => checked(Length + offset),
            _ => throw new ArgumentOutOfRangeException(nameof(origin)),
        };
        return _position;
    }

    // ---- synchronous I/O: refused ----

    private const string AsyncOnly = "SftpFileStream does network I/O only asynchronously (no sync-over-async): use ReadAsync, WriteAsync, FlushAsync, SetLengthAsync and DisposeAsync";

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException(AsyncOnly);

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException(AsyncOnly);

    public override void SetLength(long value) => throw new NotSupportedException(AsyncOnly);

    /// <summary>Returns when nothing is waiting to be written; otherwise throws (waiting would block): use <see cref="FlushAsync(CancellationToken)"/>.</summary>
    public override void Flush()
    {
        if (_disposed || !_canWrite)
        {
            return;
        }

        ThrowIfWriteFailed();
        if (_writeCount > 0 || WritesInFlight())
        {
            throw new NotSupportedException(AsyncOnly);
        }
    }

    // ---- length ----

    /// <summary>Flushes, then asks the server for the size (FSTAT) and keeps it as <see cref="Length"/>.</summary>
    public async Task<long> GetLengthAsync(CancellationToken cancellationToken)
    {
        Enter();
        try
        {
            if (_canWrite)
            {
                await FlushWritesAsync(cancellationToken).ConfigureAwait(false);
            }

            var attributes = await _sftp.FstatAsync(_handle, cancellationToken).ConfigureAwait(false);
            _length = attributes.Size is ulong s ? checked((long)s) : throw new NotSupportedException($"the server gave no size for {Path}");
            return _length.Value;
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>Flushes, then truncates or extends the file (FSETSTAT size). Like FileStream, a position past the new end moves to it.</summary>
    public async Task SetLengthAsync(long value, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(value);
        Enter();
        try
        {
            if (!_canWrite)
            {
                throw new NotSupportedException($"{Path} was not opened for writing");
            }

            await FlushWritesAsync(cancellationToken).ConfigureAwait(false);
            ReleaseCurrent();
            await DiscardReadAheadAsync().ConfigureAwait(false);
            await _sftp.FsetStatAsync(_handle, new SftpAttributes { Size = (ulong)value }, cancellationToken).ConfigureAwait(false);
            _length = value;
            _position = Math.Min(_position, value);
        }
        finally
        {
            Exit();
        }
    }

    // ---- disposal ----

    /// <summary>
    /// Sends what is buffered, waits for every WRITE status, CLOSEs and checks that status. Throws the write
    /// failure not yet thrown to the caller, else a failed CLOSE. The handle is closed in every case.
    /// </summary>
    public override async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        Enter();
        _disposed = true;
        try
        {
            bool unthrownWriteFailure = false;
            if (_canWrite)
            {
                if (_writeCount > 0)
                {
                    await SendChunkAsync(CancellationToken.None).ConfigureAwait(false);
                }

                await Task.WhenAll(_writes).ConfigureAwait(false);
                _writes.Clear();
                lock (_failureLock)
                {
                    unthrownWriteFailure = _writeFailure is not null && !_writeFailureThrown;
                }
            }

            ReleaseCurrent();
            await DiscardReadAheadAsync().ConfigureAwait(false);

            Exception? closeFailure = null;
            try
            {
                await _sftp.CloseAsync(_handle, CancellationToken.None).ConfigureAwait(false);
            }
            catch (SshException e)
            {
                closeFailure = e;
            }

            if (unthrownWriteFailure)
            {
                // The write failure is the first cause; a CLOSE failing after it says nothing more about the file.
                ThrowIfWriteFailed();
            }

            if (closeFailure is not null)
            {
                ExceptionDispatchInfo.Throw(closeFailure);
            }
        }
        finally
        {
            _writeSlots.Dispose();
            Exit();
            GC.SuppressFinalize(this);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (!disposing || _disposed)
        {
            base.Dispose(disposing);
            return;
        }

        if (_canWrite)
        {
            throw new InvalidOperationException(
                $"{Path} was opened for writing: dispose it with DisposeAsync (await using) so every WRITE status and the CLOSE status are checked; a synchronous Dispose cannot wait for them. The stream was left open.");
        }

        Enter();
        _disposed = true;
        BackgroundClose = CloseReadOnlyAsync();
        base.Dispose(disposing);
    }

    /// <summary>A read-only stream's synchronous dispose: drain the read-ahead (buffers back) and CLOSE, in the background.</summary>
    private async Task CloseReadOnlyAsync()
    {
        try
        {
            ReleaseCurrent();
            await DiscardReadAheadAsync().ConfigureAwait(false);
            await _sftp.CloseAsync(_handle, CancellationToken.None).ConfigureAwait(false);
        }
        catch (SshException)
        {
            // Nothing was written through this handle, so a failed CLOSE loses no data; a dead session reports
            // itself to its next request. (DisposeAsync throws this same failure, for callers who want it.)
        }
        finally
        {
            _writeSlots.Dispose();
            Exit();
        }
    }

    private void Enter()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (Interlocked.Exchange(ref _busy, 1) != 0)
        {
            throw new InvalidOperationException($"another operation on the stream for {Path} is in progress; like FileStream, SftpFileStream is not for concurrent use");
        }
    }

    private void Exit() => Volatile.Write(ref _busy, 0);
}
