using System.Globalization;
using System.Text;
using System.Threading.Channels;
using NativeSftp.Connection;
using NativeSftp.Sftp;
using NativeSftp.Sftp.Protocol.Extensions;

namespace NativeSftp.Transfer;

/// <summary>
/// The SHA-256 of a remote file, computed on the server while an upload is still writing it, so that verifying
/// costs almost no wall time after the last WRITE. One exec channel runs a shell loop feeding the hash command;
/// each line we send ("skip count", in MiB) makes <c>dd</c> pass the next whole MiBs to it, and we only ever
/// announce MiBs that every WRITE below has acknowledged, so the server never reads what was not yet written.
/// When all is written we announce the rest and send EOF, and the command prints the digest of the whole file.
/// <para>
/// An optimisation, never the authority: if it cannot start (no shell, no hash command), fails, or disagrees with
/// the data sent (a <c>dd</c> that returns short blocks, say), the caller hashes the whole file again after the
/// transfer, and that result decides.
/// </para>
/// </summary>
internal sealed class StreamingRemoteHash : IAsyncDisposable
{
    /// <summary>dd's block: offsets and counts on the wire are in these units.</summary>
    internal const long Block = 1024 * 1024;

    /// <summary>At most one line (one dd process on the server) per this many newly acknowledged bytes: 64 per GiB.</summary>
    internal const long Step = 16 * Block;

    private readonly Channel<long> _prefixes = Channel.CreateUnbounded<long>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _cancel = new();
    private readonly Task<RemoteHash> _run;
    private long _queued;
    private long _finalSize = -1; // set by CompleteAsync before the queue is closed; -1: abandoned

    private StreamingRemoteHash(SshConnection connection, string path, long alreadyWritten)
    {
        _queued = alreadyWritten;
        _prefixes.Writer.TryWrite(alreadyWritten);
        _run = RunAsync(connection, path, _cancel.Token);
    }

    /// <summary>
    /// Starts hashing <paramref name="path"/> (already open for writing and holding <paramref name="alreadyWritten"/>
    /// verified bytes) in the background, or returns null where it can't help: no SSH connection under the session,
    /// or a server with check-file, which hashes better by itself.
    /// </summary>
    public static StreamingRemoteHash? TryStart(SftpClient sftp, string path, long alreadyWritten)
    {
        if (sftp.Connection is not { } connection || sftp.Supports(SftpExtensionNames.CheckFileName))
        {
            return null;
        }

        return new StreamingRemoteHash(connection, path, alreadyWritten);
    }

    /// <summary>Every byte below <paramref name="prefix"/> is acknowledged. Called in increasing order (under the ack tracker's lock); cheap.</summary>
    public void Advance(long prefix)
    {
        if (prefix - _queued >= Step)
        {
            _queued = prefix;
            _prefixes.Writer.TryWrite(prefix);
        }
    }

    /// <summary>All <paramref name="size"/> bytes are written and closed: hashes the rest and returns the whole file's digest, or throws why not.</summary>
    public async Task<RemoteHash> CompleteAsync(long size, CancellationToken cancellationToken)
    {
        Volatile.Write(ref _finalSize, size);
        _prefixes.Writer.TryComplete();
        return await _run.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<RemoteHash> RunAsync(SshConnection connection, string path, CancellationToken ct)
    {
        await Task.Yield();
        var (command, why) = await RemoteHasher.FindCommandAsync(connection, ct).ConfigureAwait(false);
        if (command is null)
        {
            throw new NotSupportedException(why);
        }

        // dd, not head -c on a shared descriptor: POSIX, seeks to each range itself, reads whole blocks of a
        // regular file; any short block would only make the digests disagree, and the caller re-hashes then.
        // A failing dd would only end the loop (the hash command still prints a digest, of less data), so it also
        // says so on standard error, which we check.
        string loop = $"while read -r s c; do dd if={RemoteHasher.ShellQuote(path)} bs={Block} skip=\"$s\" count=\"$c\" 2>/dev/null || {{ echo '{RemoteHasher.ReadFailureMarker}' >&2; exit 1; }}; done | {command}";
        await using var ch = await connection.ExecIdempotentAsync(loop, ct).ConfigureAwait(false);
        using var stopReading = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var output = RemoteHasher.CollectAsync(ch, stopReading.Token);
        try
        {
            long announced = 0;
            async Task AnnounceAsync(long blocks)
            {
                if (blocks > announced && !output.IsCompleted)
                {
                    await ch.WriteAsync(Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{announced} {blocks - announced}\n")), ct).ConfigureAwait(false);
                    announced = blocks;
                }
            }

            await foreach (long prefix in _prefixes.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            {
                await AnnounceAsync(prefix / Block).ConfigureAwait(false);
            }

            // Queue closed: by CompleteAsync (the last line also takes the final partial block), or abandoned.
            long size = Volatile.Read(ref _finalSize);
            if (size < 0)
            {
                throw new OperationCanceledException("the streamed hash was abandoned");
            }

            await AnnounceAsync((size + Block - 1) / Block).ConfigureAwait(false);

            await ch.SendEofAsync(ct).ConfigureAwait(false);
        }
        catch
        {
            // The reader ends before the channel it reads is disposed, and its own failure is not left unobserved.
            await stopReading.CancelAsync().ConfigureAwait(false);
            try
            {
                await output.ConfigureAwait(false);
            }
            catch (Exception e) when (e is SshException or OperationCanceledException or InvalidOperationException)
            {
                // The loop's failure is the one reported.
            }

            throw;
        }

        var (status, text, stderr) = await output.ConfigureAwait(false);
        string digest = RemoteHasher.ParseDigest(text);
        if (status != 0 || digest.Length != 64 || stderr.Contains(RemoteHasher.ReadFailureMarker, StringComparison.Ordinal))
        {
            throw new SftpRemoteCommandException($"the streamed remote hash failed (exit {status?.ToString(CultureInfo.InvariantCulture) ?? "none"}): {stderr.Trim()}");
        }

        return new RemoteHash(digest, $"sha256 (remote {command.Split(' ')[0]}, streamed)");
    }

    public async ValueTask DisposeAsync()
    {
        _prefixes.Writer.TryComplete();
        if (!_run.IsCompleted)
        {
            await _cancel.CancelAsync().ConfigureAwait(false);
        }

        try
        {
            await _run.ConfigureAwait(false);
        }
        catch (Exception e) when (e is SshException or NotSupportedException or OperationCanceledException or InvalidOperationException)
        {
            // Abandoned (the upload failed) or already reported through CompleteAsync.
        }

        _cancel.Dispose();
    }
}
