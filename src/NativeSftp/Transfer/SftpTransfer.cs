using System.Diagnostics;
using System.Net.Sockets;
using NativeSftp.Connection;
using NativeSftp.Sftp;
using NativeSftp.Sftp.Protocol;

namespace NativeSftp.Transfer;

/// <summary>
/// Resilient transfers that own their connections: connect, transfer, and on a retryable failure tear everything
/// down, wait (exponential backoff with jitter, bounded attempts and total time), reconnect from scratch and resume
/// from an offset proven good. Loud or complete: the result lists every attempt, and a failure says which category
/// it is in and why it was not retried.
/// </summary>
public static class SftpTransfer
{
    public static Task<TransferResult> UploadAsync(SshClientOptions connection, string localPath, string remotePath,
        TransferOptions? options = null, IProgress<TransferProgress>? progress = null, CancellationToken cancellationToken = default) =>
        UploadAsync(connection, null, localPath, remotePath, options, progress, cancellationToken);

    /// <summary>As the other overload, on <paramref name="session"/>'s connection while it works (a series of files without a handshake each).</summary>
    public static Task<TransferResult> UploadAsync(ReusableSftpSession session, string localPath, string remotePath,
        TransferOptions? options = null, IProgress<TransferProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        return UploadAsync(session.Connection, session, localPath, remotePath, options, progress, cancellationToken);
    }

    private static Task<TransferResult> UploadAsync(SshClientOptions connection, ReusableSftpSession? session, string localPath, string remotePath,
        TransferOptions? options, IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(localPath);
        ArgumentNullException.ThrowIfNull(remotePath);
        options ??= new TransferOptions();
        if (!File.Exists(localPath))
        {
            throw new FileNotFoundException($"local file {localPath} does not exist", localPath);
        }

        return RunAsync(connection, session, options, progress, "upload", async (sftp, resume, hint, attempt, ct) =>
        {
            var plan = resume && options.UseTemporaryName
                ? await ResumePlanner.ForUploadAsync(sftp, localPath, SftpFileTransfer.TemporaryRemoteName(remotePath), hint, ct).ConfigureAwait(false)
                : new ResumePlanner.Plan(0, null);
            var result = await SftpFileTransfer.UploadCoreAsync(sftp, localPath, remotePath, options, progress, plan.Offset, attempt, SegmentFactory(connection, options), ct).ConfigureAwait(false);
            return (result, plan.Verification);
        }, cancellationToken);
    }

    public static Task<TransferResult> DownloadAsync(SshClientOptions connection, string remotePath, string localPath,
        TransferOptions? options = null, IProgress<TransferProgress>? progress = null, CancellationToken cancellationToken = default) =>
        DownloadAsync(connection, null, remotePath, localPath, options, progress, cancellationToken);

    /// <summary>As the other overload, on <paramref name="session"/>'s connection while it works (a series of files without a handshake each).</summary>
    public static Task<TransferResult> DownloadAsync(ReusableSftpSession session, string remotePath, string localPath,
        TransferOptions? options = null, IProgress<TransferProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        return DownloadAsync(session.Connection, session, remotePath, localPath, options, progress, cancellationToken);
    }

    private static Task<TransferResult> DownloadAsync(SshClientOptions connection, ReusableSftpSession? session, string remotePath, string localPath,
        TransferOptions? options, IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(remotePath);
        ArgumentNullException.ThrowIfNull(localPath);
        options ??= new TransferOptions();
        return RunAsync(connection, session, options, progress, "download", async (sftp, resume, hint, attempt, ct) =>
        {
            var plan = resume && options.UseTemporaryName
                ? await ResumePlanner.ForDownloadAsync(sftp, remotePath, SftpFileTransfer.TemporaryLocalName(localPath), hint, ct).ConfigureAwait(false)
                : new ResumePlanner.Plan(0, null);
            var result = await SftpFileTransfer.DownloadCoreAsync(sftp, remotePath, localPath, options, progress, plan.Offset, attempt, SegmentFactory(connection, options), ct).ConfigureAwait(false);
            return (result, plan.Verification);
        }, cancellationToken);
    }

    /// <summary>With <see cref="TransferOptions.SegmentsOnSeparateConnections"/>, each extra segment gets its own connection.</summary>
    private static SftpFileTransfer.SessionFactory? SegmentFactory(SshClientOptions connection, TransferOptions options) =>
        !options.SegmentsOnSeparateConnections ? null : async ct =>
        {
            // The same connect as every attempt's, with its handshake deadline: a segment's connection on a path
            // that goes silent mid-handshake must not hang the transfer.
            var (ssh, sftp) = await OpenSessionAsync(connection, ct).ConfigureAwait(false);
            return (sftp, ssh);
        };

    private delegate Task<(TransferResult Result, string? ResumeVerification)> Attempt(SftpClient sftp, bool resume, long? hint, int attempt, CancellationToken ct);

    private static async Task<TransferResult> RunAsync(SshClientOptions connection, ReusableSftpSession? reuse, TransferOptions options, IProgress<TransferProgress>? progress,
        string operation, Attempt attemptBody, CancellationToken cancellationToken)
    {
        var attempts = new List<TransferAttempt>();
        var total = Stopwatch.StartNew();
        bool everConnected = false;
        long? hint = null;
        TimeSpan waited = TimeSpan.Zero;
        for (int number = 1; ; number++)
        {
            var clock = Stopwatch.StartNew();
            long startOffset = hint ?? 0;
            try
            {
                bool resume = options.Resume || number > 1;
                TransferResult result;
                string? verification;
                if (reuse is null)
                {
                    var (ssh, sftp) = await OpenSessionAsync(connection, cancellationToken).ConfigureAwait(false);
                    await using var sshScope = ssh;
                    await using var sftpScope = sftp;
                    everConnected = true;
                    (result, verification) = await attemptBody(sftp, resume, hint, number, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    var sftp = await reuse.AcquireAsync(cancellationToken).ConfigureAwait(false);
                    everConnected = true;
                    try
                    {
                        (result, verification) = await attemptBody(sftp, resume, hint, number, cancellationToken).ConfigureAwait(false);
                    }
                    catch
                    {
                        // Whatever state a failed (or cancelled) attempt left the session in, it is not reused.
                        await reuse.DiscardAsync().ConfigureAwait(false);
                        throw;
                    }
                }

                attempts.Add(new TransferAttempt(number, result.ResumedFrom, result.Bytes, clock.Elapsed, waited, null));
                return result with
                {
                    Duration = total.Elapsed,
                    ResumeVerification = verification,
                    Attempts = attempts,
                };
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                long acknowledged = (e as TransferException)?.AcknowledgedOffset ?? startOffset;
                attempts.Add(new TransferAttempt(number, startOffset, acknowledged, clock.Elapsed, waited, Describe(e)));
                string? why = WhyNotRetryable(e);
                bool exhausted = number > options.Retries || total.Elapsed >= options.MaxRetryDuration;
                if (why is not null || exhausted)
                {
                    throw Final(e, operation, attempts, everConnected, why ?? (number > options.Retries
                        ? $"gave up after {number} attempt(s) (--retries {options.Retries})"
                        : $"gave up: {total.Elapsed.TotalSeconds:0} s since the first attempt"));
                }

                hint = acknowledged > 0 ? acknowledged : hint;
                waited = Backoff(options, number);
                progress?.Report(new TransferProgress(TransferPhase.Retrying, acknowledged, null, 0, null, 0, TimeSpan.Zero, number + 1));
                await Task.Delay(waited, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Connect, authenticate and open SFTP under one deadline, <see cref="SshClientOptions.ConnectTimeout"/>. The
    /// transport's own timeout covers only the TCP connect, and keepalive starts only once the connection layer
    /// exists, so a path that goes silent during identification, key exchange or authentication (a blackhole, or a
    /// corrupted plaintext packet length that leaves both sides waiting for bytes that never come) would otherwise
    /// hang the attempt for ever. Found by the randomized fault tests (Resilience/RandomizedFaultTests).
    /// </summary>
    /// <remarks>The caller owns both: dispose the SFTP session, then the connection.</remarks>
    public static async Task<(SshClient Ssh, SftpClient Sftp)> OpenSessionAsync(SshClientOptions connection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (connection.ConnectTimeout > TimeSpan.Zero)
        {
            deadline.CancelAfter(connection.ConnectTimeout);
        }

        SshClient? ssh = null;
        try
        {
            ssh = await SshClient.ConnectAsync(connection, deadline.Token).ConfigureAwait(false);
            var sftp = await ssh.OpenSftpAsync(deadline.Token).ConfigureAwait(false);
            return (ssh, sftp);
        }
        catch (Exception e) when (ssh is not null || (e is OperationCanceledException && deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested))
        {
            if (ssh is not null)
            {
                await ssh.DisposeAsync().ConfigureAwait(false);
            }

            if (e is OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                throw new SshConnectionException(
                    $"no SFTP session within {connection.ConnectTimeout.TotalSeconds:0.#} s (the server or the path went silent during the handshake, authentication or the SFTP start)",
                    DisconnectReason.ConnectionLost, ClosedBy.Network, e);
            }

            throw;
        }
    }

    /// <summary>Exponential backoff with "equal jitter": half the doubled delay fixed, half random.</summary>
    internal static TimeSpan Backoff(TransferOptions options, int failedAttempt)
    {
        double exp = options.RetryBaseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(failedAttempt - 1, 20));
        double capped = Math.Min(exp, options.RetryMaxDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds((capped / 2) + (Random.Shared.NextDouble() * capped / 2));
    }

    /// <summary>Null when another attempt may succeed; otherwise the category that makes retrying pointless.</summary>
    internal static string? WhyNotRetryable(Exception e)
    {
        if (e is TransferException { StallDiagnosis: not null })
        {
            return null; // a stall: reconnect and resume
        }

        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            switch (x)
            {
                case TransferVerificationException:
                    return "verification mismatch: the file arrived complete but different; retrying would not change that";
                case HostKeyVerificationException:
                case SshConnectionException { Reason: DisconnectReason.HostKeyNotVerifiable }:
                    return "host key not trusted";
                case SshAuthenticationException:
                    return "authentication failed";
                case Crypto.Keys.PrivateKeyPassphraseException or Crypto.Keys.PrivateKeyFormatException:
                    return "the key file cannot be used";
                case RemoteIsDirectoryException:
                    return "the target is a directory";
                case SftpException { StatusCode: SftpStatusCode.NoSuchFile }:
                    return "no such file";
                case SftpException { StatusCode: SftpStatusCode.PermissionDenied }:
                    return "permission denied";
                case SftpException { StatusCode: SftpStatusCode.OpUnsupported }:
                    return "the server does not support the operation";
                case SftpException { StatusCode: SftpStatusCode.Failure }:
                    // OpenSSH's catch-all: a full disk, a read-only file system, a quota. Retrying at once only
                    // storms; the partial stays for a later --resume.
                    return "the server refused the write (disk full, quota or read-only file system?); the partial file is kept for --resume";
                case SftpException { StatusCode: SftpStatusCode.ConnectionLost or SftpStatusCode.NoConnection }:
                case SshConnectionException or SshChannelException or SocketException or TimeoutException:
                case IOException { InnerException: SocketException }:
                    // The network, not a local file: a reset during the identification exchange (a server
                    // restarting, MaxStartups refusing, a proxy with no backend) surfaces from the stream like this.
                    // Found by Resilience/ServerFaultTests (restart on the same port).
                    return null;
                case FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException or IOException:
                    return "a local file problem: " + x.Message;
                case NotSupportedException:
                    return "not possible with this server: " + x.Message;
            }
        }

        return e is TransferException
            ? "the file changed during the transfer or the server misbehaved; retrying would not help"
            : "an unexpected error: " + e.GetType().Name;
    }

    private static string Describe(Exception e) => e.GetType().Name + ": " + e.Message;

    private static Exception Final(Exception last, string operation, List<TransferAttempt> attempts, bool everConnected, string why)
    {
        // Never got a session: that is a connection failure, not a transfer failure (nsftp exits 3, not 4).
        if (!everConnected && last is SshConnectionException or SocketException)
        {
            return last;
        }

        if (last is TransferVerificationException v)
        {
            return new TransferVerificationException(v.Message, v.Method, v.ExpectedSize, v.ActualSize, v.ExpectedDigest, v.ActualDigest) { Attempts = attempts };
        }

        // These keep their own type so callers (and nsftp's exit codes) can tell "cannot log in" from "transfer failed".
        if (last is SshAuthenticationException or HostKeyVerificationException)
        {
            return last;
        }

        var t = last as TransferException;
        return new TransferException($"{operation} failed ({why}): {last.Message}", t?.Phase ?? TransferPhase.Transferring, t?.AcknowledgedOffset ?? 0, last)
        {
            Attempts = attempts,
            FirstFailedOffset = t?.FirstFailedOffset,
            StallDiagnosis = t?.StallDiagnosis,
        };
    }
}
