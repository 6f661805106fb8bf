using NativeSftp.Crypto;

namespace NativeSftp.Auth.KnownHosts;

/// <summary>What a host-key callback decides on: the presented key and what the known_hosts files say about it.</summary>
public sealed class HostKeyCheck
{
    internal HostKeyCheck(string host, int port, SshPublicKey key, KnownHostsLookupResult knownHosts)
    {
        Host = host;
        Port = port;
        Key = key;
        KnownHosts = knownHosts;
    }

    public string Host { get; }

    public int Port { get; }

    public SshPublicKey Key { get; }

    /// <summary><c>SHA256:...</c> as <c>ssh-keygen -l -E sha256</c> prints it.</summary>
    public string Fingerprint => Key.Sha256Fingerprint;

    /// <summary>The known_hosts verdict (Trusted, Unknown, Changed, Revoked, InvalidCertificate) and the lines behind it.</summary>
    public KnownHostsLookupResult KnownHosts { get; }
}

/// <summary>
/// Lets the application decide, with the known_hosts verdict in hand (e.g. ask the user about an unknown key, or
/// trust only what known_hosts trusts plus an allow-list). True accepts; false refuses with
/// <see cref="HostKeyVerificationException"/>. The callback may also throw to refuse with its own exception.
/// </summary>
public sealed class CallbackHostKeyVerifier : IHostKeyVerifier
{
    private readonly Func<HostKeyCheck, CancellationToken, ValueTask<bool>> _decide;
    private readonly string[] _files;
    private readonly TimeProvider _time;

    /// <param name="decide">The decision.</param>
    /// <param name="files">The known_hosts files to consult; the defaults when null.</param>
    /// <param name="time">The clock host certificates are checked against; the system clock when null.</param>
    public CallbackHostKeyVerifier(Func<HostKeyCheck, CancellationToken, ValueTask<bool>> decide, IReadOnlyList<string>? files = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(decide);
        _decide = decide;
        _files = [.. files ?? KnownHostsFile.DefaultFiles];
        _time = time ?? TimeProvider.System;
    }

    public async ValueTask VerifyAsync(string host, int port, SshPublicKey hostKey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(hostKey);
        cancellationToken.ThrowIfCancellationRequested();
        var result = KnownHostsFile.Lookup(_files, host, port, hostKey, _time.GetUtcNow());
        var check = new HostKeyCheck(host, port, hostKey, result);
        if (await _decide(check, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        var entry = result.DecidingEntry;
        string files = entry is null ? "" : $" ({entry.Location})";
        throw new HostKeyVerificationException(
            $"The host key of {HostKeyRefusal.Display(host, port)} ({hostKey.KeyType} {hostKey.Sha256Fingerprint}) was refused by the " +
            $"application's host-key check; known_hosts says {result.Status}{files}.",
            host, port, hostKey.KeyType, hostKey.Sha256Fingerprint)
        {
            ExpectedFingerprint = result.Status == KnownHostsStatus.Changed ? entry?.Key.Sha256Fingerprint : null,
            KnownHostsFile = entry?.File,
            KnownHostsLine = entry?.LineNumber,
        };
    }
}
