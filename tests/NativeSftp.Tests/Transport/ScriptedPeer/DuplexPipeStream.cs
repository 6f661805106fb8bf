using System.Buffers;
using System.IO.Pipelines;

namespace NativeSftp.Tests.Transport.ScriptedPeer;

/// <summary>
/// One end of an in-memory, full-duplex byte connection built on two <see cref="Pipe"/>s, standing in for a TCP
/// socket in scripted tests. What one end writes the other reads, in order, with back-pressure (a writer waits
/// when the reader is <see cref="PauseWriterThreshold"/> bytes behind, like a full socket buffer). Disposing an
/// end is a close: the other end reads end-of-stream and its writes fail with <see cref="IOException"/>.
/// </summary>
public sealed class DuplexPipeStream : Stream
{
    /// <summary>
    /// Bytes a writer may run ahead of the reader before it waits: 1 MiB, a generous socket buffer, so tests
    /// that write a burst before reading (a whole key exchange, say: a few KiB) never stall on it.
    /// </summary>
    public const long PauseWriterThreshold = 1024 * 1024;

    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private int _disposed;

    // The read side's state. Completing a PipeReader while a ReadAsync on it is awaiting is not allowed, so a
    // close during a read cancels that read and the reader completes the pipe on its way out.
    private const int Idle = 0, Reading = 1, Closed = 2, ClosedWhileReading = 3;
    private int _readState;

    private DuplexPipeStream(PipeReader input, PipeWriter output)
    {
        _input = input;
        _output = output;
    }

    /// <summary>Creates the two connected ends.</summary>
    public static (DuplexPipeStream A, DuplexPipeStream B) CreatePair()
    {
        var options = new PipeOptions(pauseWriterThreshold: PauseWriterThreshold, resumeWriterThreshold: PauseWriterThreshold / 2,
            useSynchronizationContext: false);
        var aToB = new Pipe(options);
        var bToA = new Pipe(options);
        return (new DuplexPipeStream(bToA.Reader, aToB.Writer), new DuplexPipeStream(aToB.Reader, bToA.Writer));
    }

    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (buffer.IsEmpty)
        {
            return 0;
        }

        if (Interlocked.CompareExchange(ref _readState, Reading, Idle) != Idle)
        {
            throw new InvalidOperationException("one read at a time, and not after close");
        }

        try
        {
            ReadResult result = await _input.ReadAsync(cancellationToken).ConfigureAwait(false);
            if (result.IsCanceled)
            {
                return 0; // closed by Dispose in the middle of this read
            }

            ReadOnlySequence<byte> data = result.Buffer;
            int n = (int)Math.Min(data.Length, buffer.Length);
            data.Slice(0, n).CopyTo(buffer.Span);
            _input.AdvanceTo(data.GetPosition(n));
            return n; // 0 only when the writer completed and everything was read: end of stream.
        }
        finally
        {
            if (Interlocked.CompareExchange(ref _readState, Idle, Reading) == ClosedWhileReading)
            {
                Volatile.Write(ref _readState, Closed);
                _input.Complete();
            }
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        FlushResult result = await _output.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        if (result.IsCompleted)
        {
            // The other end stopped reading (it was disposed): what a reset socket looks like to a writer.
            throw new IOException("the other end of the in-memory connection is closed");
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    // Synchronous I/O would block a test thread on the other end's progress; everything here is async.
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("use ReadAsync");
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("use WriteAsync");
    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>
    /// Half-close, like a TCP FIN: the other end reads end-of-stream once it has read what was written, while its
    /// own writes still succeed (into a buffer nobody reads) until this end is disposed.
    /// </summary>
    public void CompleteWriting() => _output.Complete();

    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _output.Complete();
            while (true)
            {
                int state = Volatile.Read(ref _readState);
                if (state == Idle && Interlocked.CompareExchange(ref _readState, Closed, Idle) == Idle)
                {
                    _input.Complete();
                    break;
                }

                if (state == Reading && Interlocked.CompareExchange(ref _readState, ClosedWhileReading, Reading) == Reading)
                {
                    _input.CancelPendingRead();
                    break;
                }
            }
        }

        base.Dispose(disposing);
    }

    public override ValueTask DisposeAsync()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }
}
