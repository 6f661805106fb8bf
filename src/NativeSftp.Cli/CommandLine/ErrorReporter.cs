using NativeSftp.Crypto.Keys;
using NativeSftp.Sftp.Protocol;

namespace NativeSftp.Cli.CommandLine;

/// <summary>
/// Maps a failure to its exit code and one or two lines for stderr: what failed, why, what to try. With -v the
/// exception chain follows (types and messages, no stack trace unless the failure is a bug).
/// </summary>
public static class ErrorReporter
{
    public static int Report(Exception exception, CliContext context)
    {
        ArgumentNullException.ThrowIfNull(exception);
        ArgumentNullException.ThrowIfNull(context);
        (int code, string headline, string? hint) = Classify(exception, context.Phase);
        context.Error.WriteLine("nsftp: " + headline);
        if (hint is not null)
        {
            context.Error.WriteLine("nsftp: " + hint);
        }

        if (context.IsVerbose)
        {
            for (Exception? e = exception; e is not null; e = e.InnerException)
            {
                context.Error.WriteLine($"  {e.GetType().FullName}: {e.Message}");
            }

            if (code == ExitCodes.InternalError)
            {
                context.Error.WriteLine(exception.StackTrace);
            }
        }

        return code;
    }

    public static (int Code, string Headline, string? Hint) Classify(Exception exception, CommandPhase phase)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception switch
        {
            UsageException e => (ExitCodes.Usage, e.Message, "Run 'nsftp --help' for usage."),
            OperationCanceledException => (ExitCodes.Interrupted, "interrupted", null),
            TransferVerificationException e => (ExitCodes.VerificationMismatch, "verification failed: " + e.Message, "The remote copy does not match; it was kept for inspection. Run the transfer again."),
            TransferException e => (ExitCodes.OperationFailed, "transfer failed: " + e.Message, null),
            SftpException e => (ExitCodes.OperationFailed, e.Message, SftpHint(e)),
            HostKeyVerificationException e => (ExitCodes.Connection, $"host key verification failed for {e.Host}:{e.Port} ({e.KeyType} {e.Fingerprint})", e.Message),
            SshAuthenticationException e => (ExitCodes.Connection, "authentication failed: " + e.Message,
                "Check the user name, pass a key with -i FILE, or a password with --password-env VAR; -v shows what was tried."),
            PrivateKeyPassphraseException e => (ExitCodes.Connection, "cannot load key: " + e.Message,
                e.PassphraseWasGiven ? "The passphrase is wrong." : "Set NSFTP_PASSPHRASE, or run on a terminal to be asked."),
            PrivateKeyFormatException e => (ExitCodes.Connection, "cannot load key: " + e.Message, null),
            SshConnectionException e => (ExitCodes.Connection, "connection failed: " + e.Message, null),
            SshProtocolException e => (ExitCodes.Connection, $"protocol error ({e.Reason}): {e.Message}", null),
            SshException e when phase != CommandPhase.Operating => (ExitCodes.Connection, "connection failed: " + e.Message, null),
            SshException e => (ExitCodes.OperationFailed, e.Message, null),
            // Key files, known_hosts and the config are the only local files a non-transfer command touches, all
            // before the session is up: a failure to read one is a connection setup failure.
            IOException or UnauthorizedAccessException when phase != CommandPhase.Operating =>
                (ExitCodes.Connection, "cannot read a local file: " + exception.Message, null),
            IOException or UnauthorizedAccessException => (ExitCodes.OperationFailed, exception.Message, null),
            _ => (ExitCodes.InternalError, $"unexpected error: {exception.GetType().Name}: {exception.Message}", "This is a bug in nsftp; -v shows where."),
        };
    }

    private static string? SftpHint(SftpException e) => e.StatusCode switch
    {
        SftpStatusCode.NoSuchFile => "Check the path; a path without a leading / (or ~/...) is relative to the login directory.",
        SftpStatusCode.PermissionDenied => "The server refused; check the file's owner and permissions.",
        _ => null,
    };
}
