using System.Buffers;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;
using NativeSftp.Sftp;

namespace NativeSftp.Transfer;

/// <summary>
/// Uploads [start, end) of a local file into an open remote handle with up to <c>depth</c> WRITEs in flight. File
/// bytes are read straight into the buffer that becomes the WRITE (header written in place in front), hashed as
/// they are read (no second pass), and every WRITE status is checked as it arrives. On the first failure no more
/// requests are issued, what is in flight is drained, and the failure is thrown with the first failed offset and the
/// offset up to which everything is acknowledged.
/// </summary>
internal sealed class PipelinedUpload
{
    private readonly SftpClient _sftp;
    private readonly SftpFileHandle _remote;
    private readonly SafeFileHandle _local;
    private readonly int _chunk;
    private readonly int _depth;
    private readonly IncrementalHash? _hash;
    private readonly ProgressTracker _progress;
    private readonly Action<long>? _onAcknowledged;
    private readonly object _failureLock = new();
    private Exception? _failure;
    private long _firstFailedOffset = long.MaxValue;

    /// <summary><paramref name="onAcknowledged"/> is told each new offset below which every byte is acknowledged (see <see cref="AckTracker"/>).</summary>
    public PipelinedUpload(SftpClient sftp, SftpFileHandle remote, SafeFileHandle local, int chunk, int depth, IncrementalHash? hash, ProgressTracker progress,
        Action<long>? onAcknowledged = null)
    {
        _onAcknowledged = onAcknowledged;
        _sftp = sftp;
        _remote = remote;
        _local = local;
        _chunk = chunk;
        _depth = depth;
        _hash = hash;
        _progress = progress;
    }

    public AckTracker? Tracker { get; private set; }

    /// <summary>Chunks written by this uploader (with a shared cursor, its share of the work).</summary>
    public int ChunksSent { get; private set; }

    /// <summary>Uploads [start, end) alone, hashing as it reads when a hash was given.</summary>
    public Task RunAsync(long start, long end, CancellationToken cancellationToken) =>
        RunCoreAsync(new ChunkCursor(new AckTracker(start, _onAcknowledged), start, end, _chunk), cancellationToken);

    /// <summary>
    /// Uploads chunks taken from <paramref name="cursor"/>, which other uploaders on other sessions may share. The
    /// streaming hash needs the chunks in order, so it is only for a cursor of one's own.
    /// </summary>
    public Task RunAsync(ChunkCursor cursor, CancellationToken cancellationToken) =>
        _hash is null
            ? RunCoreAsync(cursor, cancellationToken)
            : throw new InvalidOperationException("a streaming hash needs the chunks in order: it cannot be used with a shared cursor");

    private async Task RunCoreAsync(ChunkCursor cursor, CancellationToken cancellationToken)
    {
        var tracker = cursor.Tracker;
        Tracker = tracker;
        using var slots = new SemaphoreSlim(_depth, _depth);
        var outstanding = new List<Task>(_depth * 2);
        int header = SftpClient.WriteHeaderSize(_remote);
        try
        {
            while (Volatile.Read(ref _failure) is null)
            {
                await slots.WaitAsync(cancellationToken).ConfigureAwait(false);
                if (Volatile.Read(ref _failure) is not null || !cursor.TryTake(out long offset, out int n, out object token))
                {
                    slots.Release();
                    break;
                }

                byte[] buffer = ArrayPool<byte>.Shared.Rent(header + n);
                try
                {
                    await ReadExactlyAsync(buffer.AsMemory(header, n), offset, cancellationToken).ConfigureAwait(false);
                }
                catch
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    slots.Release();
                    throw;
                }

                _hash?.AppendData(buffer, header, n);
                outstanding.Add(WriteOneAsync(tracker, token, offset, buffer, n, slots, cancellationToken));
                ChunksSent++;
                if (outstanding.Count >= _depth * 2)
                {
                    outstanding.RemoveAll(t => t.IsCompleted);
                }
            }
        }
        finally
        {
            // Drain: nothing is abandoned in flight, so every buffer is back and every status seen before we report.
            await Task.WhenAll(outstanding).ConfigureAwait(false);
        }

        if (_failure is { } f)
        {
            throw new TransferException(
                $"WRITE at offset {_firstFailedOffset} of {_remote.Path} failed: {f.Message}; every byte below {tracker.Acknowledged} is acknowledged",
                TransferPhase.Transferring, tracker.Acknowledged, f)
            {
                FirstFailedOffset = _firstFailedOffset,
            };
        }
    }

    private async Task WriteOneAsync(AckTracker tracker, object token, long offset, byte[] buffer, int n, SemaphoreSlim slots, CancellationToken ct)
    {
        try
        {
            await _sftp.WriteInPlaceAsync(_remote, (ulong)offset, buffer, n, ct).ConfigureAwait(false);
            tracker.Complete(token);
            _progress.Add(n);
        }
        catch (Exception e)
        {
            lock (_failureLock)
            {
                // The first failure is the one reported; the offset is the lowest that failed.
                _failure ??= e;
                _firstFailedOffset = Math.Min(_firstFailedOffset, offset);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            slots.Release();
        }
    }

    private async Task ReadExactlyAsync(Memory<byte> destination, long offset, CancellationToken ct)
    {
        int total = 0;
        while (total < destination.Length)
        {
            int n = await RandomAccess.ReadAsync(_local, destination[total..], offset + total, ct).ConfigureAwait(false);
            if (n == 0)
            {
                throw new TransferException($"the local file became shorter while it was being uploaded (end at {offset + total})",
                    TransferPhase.Transferring, Tracker?.Acknowledged ?? 0);
            }

            total += n;
        }
    }
}
