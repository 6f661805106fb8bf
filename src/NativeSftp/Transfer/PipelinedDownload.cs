using System.Buffers;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;
using NativeSftp.Sftp;

namespace NativeSftp.Transfer;

/// <summary>
/// Downloads [start, end) of an open remote file into a local file (or only through the hash, when there is no
/// local file: read-back verification) with up to <c>depth</c> READs in flight.
/// Replies are consumed in offset order (so the hash streams and the written prefix is always contiguous); a
/// short READ is re-requested for its remainder, never taken for end of file; end of file before
/// <c>end</c> means the file shrank under us and fails.
/// </summary>
internal sealed class PipelinedDownload
{
    private readonly SftpClient _sftp;
    private readonly SftpFileHandle _remote;
    private readonly SafeFileHandle? _local;
    private readonly int _chunk;
    private readonly int _depth;
    private readonly IncrementalHash? _hash;
    private readonly ProgressTracker _progress;

    public PipelinedDownload(SftpClient sftp, SftpFileHandle remote, SafeFileHandle? local, int chunk, int depth, IncrementalHash? hash, ProgressTracker progress)
    {
        _sftp = sftp;
        _remote = remote;
        _local = local;
        _chunk = chunk;
        _depth = depth;
        _hash = hash;
        _progress = progress;
    }

    /// <summary>Every byte below this offset is written locally.</summary>
    public long Written { get; private set; }

    private sealed record ReadRequest(long Offset, int Length, byte[] Buffer, Task<int> Reply);

    public async Task RunAsync(long start, long end, CancellationToken cancellationToken)
    {
        Written = start;
        var queue = new LinkedList<ReadRequest>();
        long next = start;
        try
        {
            while (true)
            {
                while (queue.Count < _depth && next < end)
                {
                    int n = (int)Math.Min(_chunk, end - next);
                    queue.AddLast(Issue(next, n, cancellationToken));
                    next += n;
                }

                if (queue.First is not { } node)
                {
                    break;
                }

                var head = node.Value;
                queue.RemoveFirst();
                int got;
                try
                {
                    got = await head.Reply.ConfigureAwait(false);
                }
                catch
                {
                    ArrayPool<byte>.Shared.Return(head.Buffer);
                    throw;
                }

                try
                {
                    if (got == 0)
                    {
                        throw new TransferException(
                            $"{_remote.Path} ended at {head.Offset}, before the {end} bytes it had when the download started: it changed under us",
                            TransferPhase.Transferring, Written);
                    }

                    if (_local is not null)
                    {
                        await RandomAccess.WriteAsync(_local, head.Buffer.AsMemory(0, got), head.Offset, cancellationToken).ConfigureAwait(false);
                    }
                    _hash?.AppendData(head.Buffer, 0, got);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(head.Buffer);
                }

                Written = head.Offset + got;
                _progress.Add(got);
                if (got < head.Length)
                {
                    // A short read is data, not end of file: ask for the rest next, ahead of everything queued.
                    queue.AddFirst(Issue(head.Offset + got, head.Length - got, cancellationToken));
                }
            }
        }
        finally
        {
            // Replies still in flight write into their buffers: wait for every one before the buffers go back.
            foreach (var r in queue)
            {
                try
                {
                    await r.Reply.ConfigureAwait(false);
                }
#pragma warning disable CA1031 // The first failure is what the caller gets; these are its echoes, and every buffer must go back.
                catch (Exception)
#pragma warning restore CA1031
                {
                }

                ArrayPool<byte>.Shared.Return(r.Buffer);
            }
        }
    }

    private ReadRequest Issue(long offset, int length, CancellationToken ct)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(length);
        return new ReadRequest(offset, length, buffer, _sftp.ReadAsync(_remote, (ulong)offset, buffer.AsMemory(0, length), ct));
    }
}
