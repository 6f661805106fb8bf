using System.Buffers;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;
using NativeSftp.Sftp;

namespace NativeSftp.Transfer;

/// <summary>
/// Downloads chunks taken from a <see cref="ChunkCursor"/> of an open remote file into a local file (or only through
/// the hash, when there is no local file: read-back verification) with up to <c>depth</c> READs in flight. Several
/// downloaders (one per session) may share a cursor; each registers a chunk with the cursor's tracker as it takes
/// it and completes it once every byte of it is written, so the tracker says up to where the local file is whole.
/// Each downloader consumes its replies in offset order; a short READ is re-requested for its remainder, never taken
/// for end of file; end of file before the chunk's end means the file shrank under us and fails.
/// </summary>
internal sealed class PipelinedDownload
{
    private readonly SftpClient _sftp;
    private readonly SftpFileHandle _remote;
    private readonly SafeFileHandle? _local;
    private int _depth;
    private readonly IncrementalHash? _hash;
    private readonly ProgressTracker _progress;

    /// <summary>The hash, if any, is appended in offset order as replies are consumed: only for a cursor of one's own.</summary>
    public PipelinedDownload(SftpClient sftp, SftpFileHandle remote, SafeFileHandle? local, int depth, IncrementalHash? hash, ProgressTracker progress)
    {
        _sftp = sftp;
        _remote = remote;
        _local = local;
        _depth = depth;
        _hash = hash;
        _progress = progress;
    }

    /// <summary>
    /// Allows <paramref name="more"/> more READs in flight, up to <paramref name="max"/> (a segment session that did not
    /// join leaves its share to this one). Takes effect as the next chunks are taken.
    /// </summary>
    public void Widen(int more, int max)
    {
        int current, wider;
        do
        {
            current = Volatile.Read(ref _depth);
            wider = Math.Max(current, Math.Min(max, current + more));
        }
        while (Interlocked.CompareExchange(ref _depth, wider, current) != current);
    }

    /// <summary>Chunks this downloader took (with a shared cursor, its share of the work).</summary>
    public int ChunksTaken { get; private set; }

    /// <summary>A READ in flight: part of a chunk (all of it, or what a short reply left).</summary>
    private sealed record ReadRequest(long Offset, int Length, byte[] Buffer, Task<int> Reply, object Token, long ChunkEnd);

    /// <summary>Downloads [start, end) alone (hashing in order when a hash was given); returns the tracker.</summary>
    public async Task<AckTracker> RunAsync(long start, long end, int chunk, CancellationToken cancellationToken)
    {
        var cursor = new ChunkCursor(new AckTracker(start), start, end, chunk);
        await RunAsync(cursor, cancellationToken, ownCursor: true).ConfigureAwait(false);
        return cursor.Tracker;
    }

    /// <summary>Downloads chunks from <paramref name="cursor"/> until none is left or something fails.</summary>
    public Task RunAsync(ChunkCursor cursor, CancellationToken cancellationToken, bool ownCursor = false) =>
        _hash is not null && !ownCursor
            ? throw new InvalidOperationException("a streaming hash needs the chunks in order: it cannot be used with a shared cursor")
            : RunCoreAsync(cursor, cancellationToken);

    private async Task RunCoreAsync(ChunkCursor cursor, CancellationToken cancellationToken)
    {
        var tracker = cursor.Tracker;
        var queue = new LinkedList<ReadRequest>();
        try
        {
            while (true)
            {
                while (queue.Count < Volatile.Read(ref _depth) && cursor.TryTake(out long offset, out int length, out object token))
                {
                    queue.AddLast(Issue(offset, length, token, offset + length, cancellationToken));
                    ChunksTaken++;
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
                            $"{_remote.Path} ended at {head.Offset}, before the size it had when the download started: it changed under us",
                            TransferPhase.Transferring, tracker.Acknowledged);
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

                _progress.Add(got);
                long reached = head.Offset + got;
                if (reached == head.ChunkEnd)
                {
                    tracker.Complete(head.Token);
                }
                else
                {
                    // A short read is data, not end of file: ask for the rest next, ahead of everything queued.
                    queue.AddFirst(Issue(reached, (int)(head.ChunkEnd - reached), head.Token, head.ChunkEnd, cancellationToken));
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

    private ReadRequest Issue(long offset, int length, object token, long chunkEnd, CancellationToken ct)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(length);
        return new ReadRequest(offset, length, buffer, _sftp.ReadAsync(_remote, (ulong)offset, buffer.AsMemory(0, length), ct), token, chunkEnd);
    }
}
