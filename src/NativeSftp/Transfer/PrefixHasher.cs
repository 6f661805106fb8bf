using System.Security.Cryptography;
using System.Threading.Channels;
using Microsoft.Win32.SafeHandles;

namespace NativeSftp.Transfer;

/// <summary>
/// Hashes a local file front to back while several sessions write it out of order: it follows the offset below which
/// every byte is written (an <see cref="AckTracker"/>'s, through <see cref="Advance"/>) and reads what was just
/// written, which the page cache still holds. So a segmented download's SHA-256 is ready when its last byte lands,
/// instead of costing a pass over the whole file afterwards.
/// </summary>
internal sealed class PrefixHasher
{
    /// <summary>Hash in steps of at least this much (the end always counts), so the tracker's lock is not held up.</summary>
    private const long Step = 4 * 1024 * 1024;

    private readonly Channel<long> _prefixes = Channel.CreateUnbounded<long>(new UnboundedChannelOptions { SingleReader = true });
    private readonly long _size;
    private long _queued;
    private long _hashed;

    /// <param name="start">Where hashing starts: bytes before it (a resumed download's kept prefix) the caller has
    /// already put into the hash.</param>
    /// <param name="size">The file's final size: hashing ends there.</param>
    public PrefixHasher(long start, long size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(start, size);
        _size = size;
        _queued = start;
        Hashed = start;
    }

    /// <summary>Every byte below this offset is in the hash.</summary>
    public long Hashed
    {
        get => Interlocked.Read(ref _hashed);
        private set => Interlocked.Exchange(ref _hashed, value);
    }

    /// <summary>A new whole prefix. Called in increasing order under the tracker's lock: cheap, never blocks.</summary>
    public void Advance(long prefix)
    {
        if (prefix - _queued >= Step || (prefix == _size && _queued != _size))
        {
            _queued = prefix;
            _prefixes.Writer.TryWrite(prefix);
        }
    }

    /// <summary>Hashes [start, size) into <paramref name="hash"/> as the prefix allows; cancel it if the transfer fails.</summary>
    public async Task RunAsync(SafeFileHandle file, IncrementalHash hash, CancellationToken ct)
    {
        while (Hashed < _size)
        {
            long whole = await _prefixes.Reader.ReadAsync(ct).ConfigureAwait(false);
            await SftpFileTransfer.HashRangeAsync(file, Hashed, whole, hash, ct, TransferPhase.Transferring).ConfigureAwait(false);
            Hashed = whole;
        }
    }
}
