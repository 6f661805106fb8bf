using System.Text;
using NativeSftp.Connection;
using NativeSftp.Sftp;
using NativeSftp.Sftp.Protocol.Extensions;

namespace NativeSftp.Transfer;

/// <summary>A remote file's SHA-256 and how it was obtained.</summary>
public sealed record RemoteHash(string Sha256Hex, string Method);

/// <summary>
/// Computes a remote file's SHA-256 (whole, or a prefix) by the best means the server allows: the check-file
/// extension, else a hash command over an exec channel on the same connection. The command is found by hashing
/// empty input with each candidate and checking the well-known digest, so a command that exists but prints
/// something else is never trusted. Paths are single-quoted for the POSIX shell.
/// </summary>
public static class RemoteHasher
{
    /// <summary>SHA-256 of the empty string: what a working command must print for empty input.</summary>
    public const string EmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    /// <summary>
    /// Candidates, fastest first: OpenSSL uses the CPU's SHA instructions (1.8 GB/s here, against 256 MB/s for
    /// Debian's coreutils sha256sum, which does not), so verifying a 1 GiB upload costs the server 0.6 s, not 4 s;
    /// then GNU coreutils, Perl's shasum (macOS), BSD sha256.
    /// </summary>
    private static readonly string[] Commands = ["openssl dgst -sha256 -r", "sha256sum", "shasum -a 256", "sha256 -q"];

    /// <summary>What a remote pipeline prints on stderr when reading the file failed (its exit status would not say).</summary>
    internal const string ReadFailureMarker = "nsftp: reading the file failed";

    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(20);

    /// <summary>The hash command found on a connection (null: none works), cached per connection.</summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<SshConnection, Task<(string? Command, string Why)>> Found = new();

    /// <summary>
    /// Whether a SHA-256 can be computed at all (check-file or a working command). False too when the server would
    /// not open a session to look just now (its session limit); that answer is not remembered.
    /// </summary>
    public static async Task<bool> IsAvailableAsync(SftpClient sftp, CancellationToken ct)
    {
        try
        {
            return await IsAvailableOrBusyAsync(sftp, ct).ConfigureAwait(false);
        }
        catch (SshChannelOpenException)
        {
            return false;
        }
    }

    /// <summary>As <see cref="IsAvailableAsync"/>, but a session the server would not open just now is thrown (<see cref="SshChannelOpenException"/>), so a caller that can ask again later does.</summary>
    internal static async Task<bool> IsAvailableOrBusyAsync(SftpClient sftp, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(sftp);
        if (sftp.Supports(SftpExtensionNames.CheckFileName))
        {
            return true;
        }

        return await HasCommandOrBusyAsync(sftp, ct).ConfigureAwait(false) || await sftp.HashesWholeFilesAsync(ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Whether a prefix of a file (its first N bytes) can be hashed on the server: announced check-file, or a hash
    /// command. (A server's unannounced check-file hashes whole files only.) False too while no session can be had.
    /// </summary>
    internal static async Task<bool> CanHashPrefixAsync(SftpClient sftp, CancellationToken ct)
    {
        if (sftp.Supports(SftpExtensionNames.CheckFileName))
        {
            return true;
        }

        try
        {
            return await HasCommandOrBusyAsync(sftp, ct).ConfigureAwait(false);
        }
        catch (SshChannelOpenException)
        {
            return false;
        }
    }

    /// <summary>Whether a hash command runs on this connection (one that can work beside the SFTP session's READs).</summary>
    internal static async Task<bool> HasCommandOrBusyAsync(SftpClient sftp, CancellationToken ct) =>
        sftp.Connection is { } c && (await FindCommandAsync(c, ct).ConfigureAwait(false)).Command is not null;

    /// <summary>
    /// SHA-256 of the first <paramref name="length"/> bytes of <paramref name="path"/> (null: the whole file).
    /// Throws <see cref="NotSupportedException"/> saying why when no method works (no check-file, no shell access,
    /// no hash command).
    /// </summary>
    public static async Task<RemoteHash> ComputeAsync(SftpClient sftp, string path, long? length, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(sftp);
        ArgumentNullException.ThrowIfNull(path);
        if (sftp.Supports(SftpExtensionNames.CheckFileName))
        {
            var r = await sftp.CheckFileAsync(path, 0, length is long l ? (ulong)l : 0, 0, ct).ConfigureAwait(false);
            if (r.Algorithm == "sha256" && r.Count == 1)
            {
                return new RemoteHash(Convert.ToHexStringLower(r.GetHash(0)), "sha256 (check-file)");
            }
        }

        var connection = sftp.Connection;
        var (command, why) = connection is not null
            ? await FindCommandAsync(connection, ct).ConfigureAwait(false)
            : (null, "no SSH connection is available for a hash command");
        if (command is null)
        {
            // A server that hashes whole files by check-file without announcing it (ProFTPD's mod_sftp).
            if (length is null && await sftp.HashesWholeFilesAsync(ct).ConfigureAwait(false))
            {
                return await CheckWholeFileAsync(sftp, path, ct).ConfigureAwait(false);
            }

            throw new NotSupportedException($"cannot hash {path} on the server: no check-file extension, and {why}");
        }

        // The file comes in by redirection (a name starting with '-' is never an option). For a prefix, the hash
        // command's exit status is the pipeline's, so a file that cannot be opened or a head without -c would
        // pass as the digest of less data: the subshell says so on stderr instead, which is checked.
        string quoted = ShellQuote(path);
        string line = length is long n
            ? $"{{ (exec < {quoted} && head -c {n}) || echo '{ReadFailureMarker}' >&2; }} | {command}"
            : $"{command} < {quoted}";
        var (status, output, stderr) = await RunAsync(connection!, line, ct).ConfigureAwait(false);
        string digest = ParseDigest(output);
        if (status != 0 || digest.Length != 64 || stderr.Contains(ReadFailureMarker, StringComparison.Ordinal))
        {
            throw new SftpRemoteCommandException($"the remote hash command '{line}' failed (exit {status?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}): {stderr.Trim()}");
        }

        return new RemoteHash(digest, $"sha256 (remote {command.Split(' ')[0]})");
    }

    private static async Task<RemoteHash> CheckWholeFileAsync(SftpClient sftp, string path, CancellationToken ct)
    {
        SftpCheckFileResult r;
        try
        {
            r = await sftp.CheckWholeFileAsync(path, ct).ConfigureAwait(false);
        }
        catch (SftpException)
        {
            // mod_sftp refuses to hash an empty file (offset 0 is not below its size); its digest is no secret.
            if ((await sftp.StatAsync(path, ct).ConfigureAwait(false)).Size == 0)
            {
                return new RemoteHash(EmptySha256, "sha256 (empty file)");
            }

            throw;
        }

        if (r.Algorithm != "sha256" || r.Count != 1)
        {
            throw new NotSupportedException($"the server's check-file answered with {r.Count} {r.Algorithm} digest(s), not one SHA-256");
        }

        return new RemoteHash(Convert.ToHexStringLower(r.GetHash(0)), "sha256 (check-file)");
    }

    internal static async Task<(string? Command, string Why)> FindCommandAsync(SshConnection connection, CancellationToken ct)
    {
        Task<(string? Command, string Why)> probe;
        lock (Found)
        {
            probe = Found.GetValue(connection, c => ProbeAsync(c));
        }

        try
        {
            return await probe.WaitAsync(ct).ConfigureAwait(false);
        }
        catch when (probe.IsFaulted || probe.IsCanceled)
        {
            // Only an answer is kept. A probe that could not run (no session to be had just now, a timeout) is
            // tried again by the next caller instead of deciding for the rest of the connection. Under the lock,
            // so a newer probe another caller started is never the one removed.
            lock (Found)
            {
                if (Found.TryGetValue(connection, out var current) && ReferenceEquals(current, probe))
                {
                    Found.Remove(connection);
                }
            }

            throw;
        }
    }

    /// <summary>Runs once per connection (bounded by <see cref="ProbeTimeout"/> per candidate, not by any one caller's token).</summary>
    private static async Task<(string? Command, string Why)> ProbeAsync(SshConnection connection)
    {
        var ct = CancellationToken.None;
        var reasons = new List<string>();
        foreach (string command in Commands)
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(ProbeTimeout);
                var (status, output, stderr) = await RunAsync(connection, command, timeout.Token).ConfigureAwait(false);
                if (status == 0 && ParseDigest(output) == EmptySha256)
                {
                    return (command, "");
                }

                reasons.Add($"'{command}' exited {status?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "without a status"}{(stderr.Length > 0 ? ": " + stderr.Trim() : "")}");
            }
            catch (SshChannelOpenException)
            {
                // No session to be had just now (the server's session limit, say): that says nothing about
                // whether commands run, so it is not an answer.
                throw;
            }
            catch (SshChannelException e)
            {
                // The server refused exec (no shell for this account, ForceCommand internal-sftp, ...): no candidate will work.
                return (null, $"the account cannot run commands ({e.Message})");
            }
        }

        return (null, "no hash command works on the server: " + string.Join("; ", reasons));
    }

    private static async Task<(int? Status, string Output, string Stderr)> RunAsync(SshConnection connection, string command, CancellationToken ct)
    {
        await using var ch = await connection.ExecIdempotentAsync(command, ct).ConfigureAwait(false);
        await ch.SendEofAsync(ct).ConfigureAwait(false);
        return await CollectAsync(ch, ct).ConfigureAwait(false);
    }

    /// <summary>Reads a command's standard output to its end (keeping the first 64 KiB), then its exit status.</summary>
    internal static async Task<(int? Status, string Output, string Stderr)> CollectAsync(SshChannel ch, CancellationToken ct)
    {
        var sb = new StringBuilder();
        byte[] buffer = new byte[4096];
        int n;
        // A digest line is short; a command that prints more than 64 KiB is not one we want to parse.
        const int MaxOutput = 64 * 1024;
        while ((n = await ch.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
        {
            if (sb.Length < MaxOutput)
            {
                sb.Append(Encoding.ASCII.GetString(buffer, 0, n));
            }
        }

        int? status = await ch.ExitStatus.WaitAsync(ct).ConfigureAwait(false);
        return (status, sb.ToString(), ch.StandardError);
    }

    /// <summary>The first whitespace-separated word, lower-case, if it is 64 hex digits.</summary>
    internal static string ParseDigest(string output)
    {
        string first = output.TrimStart().Split([' ', '\t', '\n', '\r', '*'], 2, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "";
        return first.Length == 64 && first.All(Uri.IsHexDigit) ? first.ToLowerInvariant() : "";
    }

    /// <summary>POSIX shell single quotes: everything literal; a ' inside becomes '\''.</summary>
    public static string ShellQuote(string s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return "'" + s.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
    }
}

/// <summary>A command run on the server for us failed.</summary>
public sealed class SftpRemoteCommandException : SshException
{
    public SftpRemoteCommandException(string message) : base(message) { }
}
