namespace NativeSftp.Cli.CommandLine;

/// <summary>The process exit codes scripts rely on (documented in the README and `nsftp --help`).</summary>
public static class ExitCodes
{
    /// <summary>The operation completed (and was verified as asked).</summary>
    public const int Success = 0;

    /// <summary>Something unexpected (a bug, or a failure outside SSH): the message says what.</summary>
    public const int InternalError = 1;

    /// <summary>Bad URL, unknown option, missing argument.</summary>
    public const int Usage = 2;

    /// <summary>Connection, authentication, host key or key file failure.</summary>
    public const int Connection = 3;

    /// <summary>The remote operation failed (SFTP status, transfer failure).</summary>
    public const int OperationFailed = 4;

    /// <summary>A transfer completed but verification found a mismatch.</summary>
    public const int VerificationMismatch = 5;

    /// <summary>Interrupted (Ctrl+C): 128 + SIGINT (2), as shells report it.</summary>
    public const int Interrupted = 130;
}

/// <summary>A usage error found after parsing (a bad URL, a malformed option value): exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);
