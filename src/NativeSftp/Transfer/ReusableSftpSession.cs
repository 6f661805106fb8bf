using NativeSftp.Sftp;

namespace NativeSftp.Transfer;

/// <summary>
/// One connection and SFTP session kept across a series of resilient transfers (the files of a tree), so each file
/// costs no handshake: a new connection is a key exchange, a login and a channel, 0.1 to 0.3 s per file against a
/// local server, several round trips on a far one. A transfer attempt that fails (or is cancelled) discards the
/// session, so its retry, and the next file, connect afresh exactly as <see cref="SftpTransfer"/> does without one;
/// a session whose connection died meanwhile (keepalive, the server's idle timeout) is replaced before it is used.
/// Not for concurrent transfers: one at a time.
/// </summary>
public sealed class ReusableSftpSession : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private SshClient? _ssh;
    private SftpClient? _sftp;

    public ReusableSftpSession(SshClientOptions connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        Connection = connection;
    }

    public SshClientOptions Connection { get; }

    /// <summary>Connections opened so far (1 for a series that never failed).</summary>
    public int ConnectionsOpened { get; private set; }

    /// <summary>The live session, or a new one when there is none or its connection has failed.</summary>
    internal async Task<SftpClient> AcquireAsync(CancellationToken ct)
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_sftp is not null && _ssh is not null && _ssh.Connection.Transport.Failure is null)
            {
                return _sftp;
            }

            await DiscardCoreAsync().ConfigureAwait(false);
            (_ssh, _sftp) = await SftpTransfer.OpenSessionAsync(Connection, ct).ConfigureAwait(false);
            ConnectionsOpened++;
            return _sftp;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Drops the session after a failed attempt: whatever state it was left in is not reused.</summary>
    internal async Task DiscardAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            await DiscardCoreAsync().ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task DiscardCoreAsync()
    {
        var (ssh, sftp) = (_ssh, _sftp);
        (_ssh, _sftp) = (null, null);
        if (sftp is not null)
        {
            await sftp.DisposeAsync().ConfigureAwait(false);
        }

        if (ssh is not null)
        {
            await ssh.DisposeAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await DiscardAsync().ConfigureAwait(false);
        _gate.Dispose();
    }
}
