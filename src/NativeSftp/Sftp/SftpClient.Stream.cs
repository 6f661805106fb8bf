using NativeSftp.Sftp.Protocol;

namespace NativeSftp.Sftp;

/// <summary>How an <see cref="SftpFileStream"/> sizes and pipelines its requests.</summary>
public sealed class SftpStreamOptions
{
    /// <summary>
    /// 32 KiB: the request size every SFTP server accepts (OpenSSH's sftp client default, and the smallest
    /// max-read/write-length OpenSSH ever announced in limits@openssh.com is larger).
    /// </summary>
    public const int DefaultChunkSize = 32 * 1024;

    /// <summary>16 requests of 32 KiB = 512 KiB in flight: fills a 2 MiB-per-second link at 250 ms round trip.</summary>
    public const int DefaultRequestsInFlight = 16;

    /// <summary>
    /// Requests in flight at most, each way: 256 × 255 KiB (the largest request OpenSSH allows) ≈ 64 MiB of pooled
    /// buffers, the most one stream may pin. OpenSSH's own sftp client stops at 64 by default.
    /// </summary>
    public const int MaxRequestsInFlight = 256;

    /// <summary>Bytes per READ and per WRITE (and so the size of each buffer); null: 32 KiB. Always capped by the server's limit.</summary>
    public int? ChunkSize { get; set; }

    /// <summary>READs kept in flight while reading sequentially (1 turns read-ahead off).</summary>
    public int ReadAhead { get; set; } = DefaultRequestsInFlight;

    /// <summary>WRITEs sent without waiting for their status (1 makes each write wait for the one before).</summary>
    public int WriteBehind { get; set; } = DefaultRequestsInFlight;

    internal void Validate()
    {
        if (ChunkSize is <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(ChunkSize), ChunkSize, "chunk size must be positive");
        }

        if (ReadAhead is < 1 or > MaxRequestsInFlight)
        {
            throw new ArgumentOutOfRangeException(nameof(ReadAhead), ReadAhead, $"read-ahead is 1 to {MaxRequestsInFlight} requests");
        }

        if (WriteBehind is < 1 or > MaxRequestsInFlight)
        {
            throw new ArgumentOutOfRangeException(nameof(WriteBehind), WriteBehind, $"write-behind is 1 to {MaxRequestsInFlight} requests");
        }
    }
}

// The remote file as a Stream.
public sealed partial class SftpClient
{
    /// <summary>
    /// Opens <paramref name="path"/> as a <see cref="Stream"/> with .NET's meanings of <paramref name="mode"/> and
    /// <paramref name="access"/>. Reads are served by a read-ahead pipeline, writes by a write-behind one; every
    /// WRITE status and the CLOSE status are checked before <see cref="SftpFileStream.FlushAsync(CancellationToken)"/>
    /// or <see cref="SftpFileStream.DisposeAsync"/> complete. Dispose a writable stream with
    /// <c>await using</c>: see <see cref="SftpFileStream"/>.
    /// </summary>
    public async Task<SftpFileStream> OpenStreamAsync(string path, FileMode mode, FileAccess access, SftpStreamOptions? options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(path);
        options ??= new SftpStreamOptions();
        options.Validate();
        var handle = await OpenAsync(path, SftpOpenFlagsMapping.FromFileMode(mode, access), null, cancellationToken).ConfigureAwait(false);
        try
        {
            // The size is read once here so Length and Seek(End) can stay synchronous, as Stream requires; a stream
            // opened for append needs it anyway to know where its writes land.
            var attributes = await FstatAsync(handle, cancellationToken).ConfigureAwait(false);
            long? length = attributes.Size is ulong s ? checked((long)s) : null;
            if (mode == FileMode.Append && length is null)
            {
                throw new NotSupportedException($"the server gives no size for {path}, so an append position cannot be known");
            }

            int serverMax = Math.Min(MaxReadLength, MaxWriteLength(handle));
            int chunk = Math.Min(options.ChunkSize ?? SftpStreamOptions.DefaultChunkSize, serverMax);
            return new SftpFileStream(this, handle, access, mode == FileMode.Append, length, chunk, options.ReadAhead, options.WriteBehind);
        }
        catch (Exception e) when (e is SshException or NotSupportedException or OverflowException)
        {
            // Nothing was written through the handle, so its CLOSE status carries no data; if it fails too, both are reported.
            try
            {
                await CloseAsync(handle, CancellationToken.None).ConfigureAwait(false);
            }
            catch (SshException closeError)
            {
                throw new AggregateException($"opening a stream on {path} failed, and so did closing its handle", e, closeError);
            }

            throw;
        }
    }

    /// <summary>As <see cref="OpenStreamAsync(string, FileMode, FileAccess, SftpStreamOptions?, CancellationToken)"/> with default options.</summary>
    public Task<SftpFileStream> OpenStreamAsync(string path, FileMode mode, FileAccess access, CancellationToken cancellationToken) =>
        OpenStreamAsync(path, mode, access, null, cancellationToken);
}
