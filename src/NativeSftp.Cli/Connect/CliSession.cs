using NativeSftp.Cli.CommandLine;
using NativeSftp.Diagnostics;
using NativeSftp.Sftp;
using NativeSftp.Transfer;

namespace NativeSftp.Cli.Connect;

/// <summary>
/// One command's connection: the SSH client, an SFTP session on it, and the trace file. Disposing closes them in
/// reverse order and flushes the trace last, so the trace shows the closing packets too.
/// </summary>
public sealed class CliSession : IAsyncDisposable
{
    private readonly ProtocolTraceWriter? _trace;

    private CliSession(SshClient ssh, SftpClient sftp, ProtocolTraceWriter? trace, RemoteUrl url)
    {
        Ssh = ssh;
        Sftp = sftp;
        _trace = trace;
        Url = url;
    }

    public SshClient Ssh { get; }
    public SftpClient Sftp { get; }
    public RemoteUrl Url { get; }

    /// <summary>Connects, authenticates and opens SFTP. Failures here are connection failures (exit code 3).</summary>
    public static async Task<CliSession> OpenAsync(RemoteUrl url, ConnectionArguments args, CliContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(context);
        ResolvedTarget target = ClientOptionsBuilder.Resolve(url, args, context.Environment);
        foreach (string note in target.Notes)
        {
            context.Verbose(note);
        }

        context.Verbose($"connecting to {target.User}@{target.Host}:{target.Port} (identities: {Join(target.IdentityFiles)}; known_hosts: {Join(target.KnownHostsFiles)})");
        ProtocolTraceWriter? trace = args.TraceFile is { } traceFile ? ProtocolTraceWriter.ToFile(context.Environment.ExpandHome(traceFile)) : null;
        try
        {
            var options = ClientOptionsBuilder.Build(target, args, context.Environment, trace);
            context.Phase = CommandPhase.Connecting;
            // The library's connect-and-open, under one handshake deadline (ConnectTimeout): a server that goes
            // silent mid-handshake must not hang a command.
            var (ssh, sftp) = await SftpTransfer.OpenSessionAsync(options, cancellationToken).ConfigureAwait(false);
            context.Verbose($"connected: {ssh.ServerVersion}; {ssh.Algorithms}");
            context.Phase = CommandPhase.Operating;
            return new CliSession(ssh, sftp, trace, url);
        }
        catch
        {
            trace?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Connects with options already built (put -r / get -r: the same options, and trace file, as the file
    /// transfers that follow). The caller owns the trace; this session does not close it.
    /// </summary>
    public static async Task<CliSession> OpenAsync(RemoteUrl url, SshClientOptions options, CliContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(context);
        context.Phase = CommandPhase.Connecting;
        var (ssh, sftp) = await SftpTransfer.OpenSessionAsync(options, cancellationToken).ConfigureAwait(false);
        context.Phase = CommandPhase.Operating;
        return new CliSession(ssh, sftp, null, url);
    }

    /// <summary>
    /// The server path for a URL path: absolute paths as given; "", "~" and "~/x" against the login directory,
    /// by expand-path@openssh.com when offered, else REALPATH(".") (the login directory in every server we know).
    /// </summary>
    public async Task<string> ResolveAsync(string path, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.StartsWith('/'))
        {
            return path;
        }

        string rest = path == "~" ? "" : path.StartsWith("~/", StringComparison.Ordinal) ? path[2..] : path;
        if (Sftp.Supports("expand-path@openssh.com"))
        {
            return await Sftp.ExpandPathAsync(rest.Length == 0 ? "~" : "~/" + rest, cancellationToken).ConfigureAwait(false);
        }

        string home = await Sftp.RealPathAsync(".", cancellationToken).ConfigureAwait(false);
        return rest.Length == 0 ? home : home.TrimEnd('/') + "/" + rest;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Sftp.DisposeAsync().ConfigureAwait(false);
            await Ssh.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            _trace?.Dispose();
        }
    }

    private static string Join(IReadOnlyList<string> items) => items.Count == 0 ? "(defaults)" : string.Join(", ", items);
}
