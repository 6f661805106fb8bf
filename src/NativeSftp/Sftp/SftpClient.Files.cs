using System.Runtime.CompilerServices;
using NativeSftp.Sftp.Protocol;
using NativeSftp.Sftp.Protocol.Extensions;

namespace NativeSftp.Sftp;

// Every v3 request as a typed async method (draft-ietf-secsh-filexfer-02 §6).
public sealed partial class SftpClient
{
    public async Task<SftpFileHandle> OpenAsync(string path, SftpOpenFlags flags, SftpAttributes? attributes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(path);
        var reply = await RequestAsync(SftpPacketType.Open, path, (w, id) => SftpOpen.Write(w, id, path, flags, attributes), cancellationToken).ConfigureAwait(false);
        return new SftpFileHandle(SftpHandle.Read(Expect(reply, SftpPacketType.Handle, SftpPacketType.Open, path)), path);
    }

    /// <summary>Opens with .NET's meanings of <see cref="FileMode"/> and <see cref="FileAccess"/>.</summary>
    public Task<SftpFileHandle> OpenAsync(string path, FileMode mode, FileAccess access, CancellationToken cancellationToken) =>
        OpenAsync(path, SftpOpenFlagsMapping.FromFileMode(mode, access), null, cancellationToken);

    /// <summary>Closes a handle and checks the status: a failed CLOSE (the server could not flush) is a failed write.</summary>
    public async Task CloseAsync(SftpFileHandle handle, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(handle);
        if (handle.IsClosed)
        {
            return;
        }

        handle.IsClosed = true;
        var reply = await RequestAsync(SftpPacketType.Close, handle.Path, (w, id) => SftpClose.Write(w, id, handle.Handle), cancellationToken).ConfigureAwait(false);
        ExpectOk(reply, SftpPacketType.Close, handle.Path);
    }

    /// <summary>
    /// Reads at <paramref name="offset"/> into <paramref name="destination"/>. Returns the bytes read, which may be
    /// fewer than asked (a short read is data, not end of file), or 0 at end of file (STATUS EOF).
    /// </summary>
    public async Task<int> ReadAsync(SftpFileHandle handle, ulong offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(handle);
        if (destination.IsEmpty)
        {
            return 0;
        }

        uint length = (uint)destination.Length;
        var reply = await RequestAsync(SftpPacketType.Read, handle.Path, (w, id) => SftpRead.Write(w, id, handle.Handle, offset, length), cancellationToken, destination).ConfigureAwait(false);
        if (reply.Type == SftpPacketType.Data)
        {
            return reply.DataLength;
        }

        var status = SftpStatus.Read(reply.Body);
        if (status.Code == SftpStatusCode.Eof)
        {
            return 0;
        }

        throw status.IsOk
            ? new SshProtocolException(DisconnectReason.ProtocolError, "READ answered with STATUS OK")
            : status.ToException(SftpPacketType.Read, handle.Path);
    }

    /// <summary>Writes <paramref name="data"/> at <paramref name="offset"/> and waits for (and checks) the server's status.</summary>
    public async Task WriteAsync(SftpFileHandle handle, ulong offset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(handle);
        var reply = await RequestAsync(SftpPacketType.Write, handle.Path, (w, id) => SftpWrite.Write(w, id, handle.Handle, offset, data.Span), cancellationToken).ConfigureAwait(false);
        ExpectOk(reply, SftpPacketType.Write, handle.Path);
    }

    /// <summary>The most file bytes one WRITE may carry for <paramref name="handle"/>: the server's limit, else the 256 KiB packet bound.</summary>
    public int MaxWriteLength(SftpFileHandle handle)
    {
        ArgumentNullException.ThrowIfNull(handle);
        long max = SftpWrite.MaxDataLength(handle.Handle.Length);
        if (Limits is { MaxWriteLength: > 0 } l)
        {
            max = (long)Math.Min((ulong)max, l.MaxWriteLength);
        }

        return (int)max;
    }

    /// <summary>
    /// The most file bytes a WRITE for <paramref name="handle"/> can carry and still travel in one SSH channel packet
    /// (the peer's maximum packet size less the WRITE header); null over a plain stream. A larger WRITE is split
    /// across packets, which SSH allows, but which costs a runt packet per WRITE and which some servers' SFTP parsers
    /// get wrong when packets of several channels interleave (ProFTPD's mod_sftp keeps one partial-request buffer per
    /// connection, not per channel).
    /// </summary>
    public int? SinglePacketWriteLength(SftpFileHandle handle)
    {
        ArgumentNullException.ThrowIfNull(handle);
        return Channel is { PeerMaxPacketSize: > 0 } c
            ? (int)Math.Min(int.MaxValue, (long)c.PeerMaxPacketSize - SftpWrite.HeaderSize(handle.Handle.Length))
            : null;
    }

    /// <summary>The most bytes one READ may ask for: the server's limit, else 256 KiB less the DATA header.</summary>
    public int MaxReadLength
    {
        get
        {
            long max = SftpProtocolLimits.MaxOutgoingPacketLength - SftpData.HeaderSize;
            if (Limits is { MaxReadLength: > 0 } l)
            {
                max = (long)Math.Min((ulong)max, l.MaxReadLength);
            }

            return (int)max;
        }
    }

    /// <summary>Bytes to reserve in front of file data for <see cref="WriteInPlaceAsync"/>.</summary>
    public static int WriteHeaderSize(SftpFileHandle handle) => SftpWrite.HeaderSize(handle.Handle.Length);

    /// <summary>
    /// The data path's WRITE: <paramref name="buffer"/> holds <see cref="WriteHeaderSize"/> spare bytes, then
    /// <paramref name="dataLength"/> file bytes read straight into it; the header is written in place in front of
    /// them, so the file bytes are not copied on their way to the channel. Waits for and checks the status.
    /// </summary>
    public async Task WriteInPlaceAsync(SftpFileHandle handle, ulong offset, byte[] buffer, int dataLength, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(handle);
        ArgumentNullException.ThrowIfNull(buffer);
        int header = WriteHeaderSize(handle);
        if (dataLength < 0 || header + dataLength > buffer.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(dataLength));
        }

        var reply = await RequestAsync(SftpPacketType.Write, handle.Path, id =>
        {
            SftpWrite.WriteHeader(buffer, id, handle.Handle, offset, dataLength);
            return buffer.AsMemory(0, header + dataLength);
        }, cancellationToken).ConfigureAwait(false);
        ExpectOk(reply, SftpPacketType.Write, handle.Path);
    }

    public async Task<SftpAttributes> StatAsync(string path, CancellationToken cancellationToken)
    {
        var reply = await RequestAsync(SftpPacketType.Stat, path, (w, id) => SftpStat.Write(w, id, path), cancellationToken).ConfigureAwait(false);
        return SftpAttributes.ReadReply(Expect(reply, SftpPacketType.Attrs, SftpPacketType.Stat, path));
    }

    /// <summary>Like <see cref="StatAsync"/> but does not follow a final symbolic link.</summary>
    public async Task<SftpAttributes> LstatAsync(string path, CancellationToken cancellationToken)
    {
        var reply = await RequestAsync(SftpPacketType.Lstat, path, (w, id) => SftpLstat.Write(w, id, path), cancellationToken).ConfigureAwait(false);
        return SftpAttributes.ReadReply(Expect(reply, SftpPacketType.Attrs, SftpPacketType.Lstat, path));
    }

    public async Task<SftpAttributes> FstatAsync(SftpFileHandle handle, CancellationToken cancellationToken)
    {
        var reply = await RequestAsync(SftpPacketType.Fstat, handle.Path, (w, id) => SftpFstat.Write(w, id, handle.Handle), cancellationToken).ConfigureAwait(false);
        return SftpAttributes.ReadReply(Expect(reply, SftpPacketType.Attrs, SftpPacketType.Fstat, handle.Path));
    }

    public async Task SetStatAsync(string path, SftpAttributes attributes, CancellationToken cancellationToken)
    {
        var reply = await RequestAsync(SftpPacketType.Setstat, path, (w, id) => SftpSetstat.Write(w, id, path, attributes), cancellationToken).ConfigureAwait(false);
        ExpectOk(reply, SftpPacketType.Setstat, path);
    }

    public async Task FsetStatAsync(SftpFileHandle handle, SftpAttributes attributes, CancellationToken cancellationToken)
    {
        var reply = await RequestAsync(SftpPacketType.Fsetstat, handle.Path, (w, id) => SftpFsetstat.Write(w, id, handle.Handle, attributes), cancellationToken).ConfigureAwait(false);
        ExpectOk(reply, SftpPacketType.Fsetstat, handle.Path);
    }

    /// <summary>Lists a directory (OPENDIR, READDIR until EOF, CLOSE), including "." and "..". The close status is checked.</summary>
    public async IAsyncEnumerable<SftpNameEntry> ListDirectoryAsync(string path, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var reply = await RequestAsync(SftpPacketType.Opendir, path, (w, id) => SftpOpendir.Write(w, id, path), cancellationToken).ConfigureAwait(false);
        var handle = new SftpFileHandle(SftpHandle.Read(Expect(reply, SftpPacketType.Handle, SftpPacketType.Opendir, path)), path);
        bool completed = false;
        try
        {
            while (true)
            {
                var batch = await RequestAsync(SftpPacketType.Readdir, path, (w, id) => SftpReaddir.Write(w, id, handle.Handle), cancellationToken).ConfigureAwait(false);
                if (batch.Type == SftpPacketType.Status)
                {
                    var status = SftpStatus.Read(batch.Body);
                    if (status.Code == SftpStatusCode.Eof)
                    {
                        break;
                    }

                    throw status.IsOk
                        ? new SshProtocolException(DisconnectReason.ProtocolError, "READDIR answered with STATUS OK")
                        : status.ToException(SftpPacketType.Readdir, path);
                }

                foreach (var entry in SftpName.Read(batch.Body))
                {
                    yield return entry;
                }
            }

            // A listing that ran to its end reports a failed CLOSE like any other failure.
            completed = true;
            await CloseAsync(handle, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (!completed && !handle.IsClosed)
            {
                await CloseAfterAbandonedListingAsync(handle).ConfigureAwait(false);
            }
        }
    }

    /// <summary>How long closing a listing that failed or was abandoned may take: it must not hang on a silent server.</summary>
    private static readonly TimeSpan AbandonedCloseTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The listing failed (that failure is what the caller gets) or the caller stopped early: close the handle, best
    /// effort, bounded in time, without letting a CLOSE failure replace the original exception.
    /// </summary>
    private async Task CloseAfterAbandonedListingAsync(SftpFileHandle handle)
    {
        using var timeout = new CancellationTokenSource(AbandonedCloseTimeout);
        try
        {
            await CloseAsync(handle, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SshException or OperationCanceledException)
        {
            // Nothing was written through a directory handle, so a failed CLOSE loses nothing; the caller already
            // has the reason the listing ended.
        }
    }

    public async Task RemoveAsync(string path, CancellationToken cancellationToken)
    {
        var reply = await RequestAsync(SftpPacketType.Remove, path, (w, id) => SftpRemove.Write(w, id, path), cancellationToken).ConfigureAwait(false);
        ExpectOk(reply, SftpPacketType.Remove, path);
    }

    public async Task CreateDirectoryAsync(string path, SftpAttributes? attributes, CancellationToken cancellationToken)
    {
        var reply = await RequestAsync(SftpPacketType.Mkdir, path, (w, id) => SftpMkdir.Write(w, id, path, attributes), cancellationToken).ConfigureAwait(false);
        ExpectOk(reply, SftpPacketType.Mkdir, path);
    }

    public async Task RemoveDirectoryAsync(string path, CancellationToken cancellationToken)
    {
        var reply = await RequestAsync(SftpPacketType.Rmdir, path, (w, id) => SftpRmdir.Write(w, id, path), cancellationToken).ConfigureAwait(false);
        ExpectOk(reply, SftpPacketType.Rmdir, path);
    }

    /// <summary>The canonical absolute form of <paramref name="path"/> ("." gives the home directory).</summary>
    public async Task<string> RealPathAsync(string path, CancellationToken cancellationToken)
    {
        var reply = await RequestAsync(SftpPacketType.Realpath, path, (w, id) => SftpRealpath.Write(w, id, path), cancellationToken).ConfigureAwait(false);
        return SftpName.ReadSingle(Expect(reply, SftpPacketType.Name, SftpPacketType.Realpath, path)).Name;
    }

    /// <summary>
    /// Plain v3 RENAME: fails when <paramref name="newPath"/> exists (OpenSSH). To replace a target atomically use
    /// <see cref="PosixRenameAsync"/>.
    /// </summary>
    public async Task RenameAsync(string oldPath, string newPath, CancellationToken cancellationToken)
    {
        var reply = await RequestAsync(SftpPacketType.Rename, oldPath, (w, id) => SftpRename.Write(w, id, oldPath, newPath), cancellationToken).ConfigureAwait(false);
        ExpectOk(reply, SftpPacketType.Rename, oldPath);
    }

    public async Task<string> ReadLinkAsync(string path, CancellationToken cancellationToken)
    {
        var reply = await RequestAsync(SftpPacketType.Readlink, path, (w, id) => SftpReadlink.Write(w, id, path), cancellationToken).ConfigureAwait(false);
        return SftpName.ReadSingle(Expect(reply, SftpPacketType.Name, SftpPacketType.Readlink, path)).Name;
    }

    /// <summary>Creates <paramref name="linkPath"/> pointing at <paramref name="targetPath"/> (OpenSSH's argument order is handled).</summary>
    public async Task CreateSymbolicLinkAsync(string linkPath, string targetPath, CancellationToken cancellationToken)
    {
        var reply = await RequestAsync(SftpPacketType.Symlink, linkPath, (w, id) => SftpSymlink.Write(w, id, linkPath, targetPath), cancellationToken).ConfigureAwait(false);
        ExpectOk(reply, SftpPacketType.Symlink, linkPath);
    }
}
