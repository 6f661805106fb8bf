using NativeSftp.Crypto;
using NativeSftp.Crypto.HostKeys;

namespace NativeSftp.Auth.KnownHosts;

/// <summary>What to do with a host key the known_hosts files do not know.</summary>
public enum HostKeyPolicy
{
    /// <summary>Refuse unknown, changed, revoked and unacceptable certificate keys (OpenSSH StrictHostKeyChecking=yes).</summary>
    Strict,

    /// <summary>
    /// Record an unknown host's key in the user's file and trust it; still refuse a changed or revoked key
    /// (OpenSSH StrictHostKeyChecking=accept-new).
    /// </summary>
    AcceptNew,
}

/// <summary>
/// Trusts host keys by known_hosts files. Reuse one instance across connections: the files are parsed once and
/// read again only when they change.
/// </summary>
public sealed class KnownHostsVerifier : IHostKeyVerifier
{
    /// <summary>Serializes accept-new within the process, so two connections to a new host add one line, not two.</summary>
    private static readonly Lock AppendLock = new();

    private readonly string[] _files;
    private readonly TimeProvider _time;

    /// <param name="files">The files to search, in order; the first is the user's, the one <see cref="HostKeyPolicy.AcceptNew"/> writes to.</param>
    /// <param name="policy">What to do with an unknown host.</param>
    /// <param name="hashNewEntries">Write new lines with hashed host names, like HashKnownHosts=yes and ssh-keygen -H.</param>
    /// <param name="time">The clock host certificates are checked against; the system clock when null.</param>
    public KnownHostsVerifier(IReadOnlyList<string> files, HostKeyPolicy policy = HostKeyPolicy.Strict, bool hashNewEntries = false, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(files);
        if (files.Count == 0)
        {
            throw new ArgumentException("at least one known_hosts file is needed (the user's file comes first)", nameof(files));
        }

        if (!Enum.IsDefined(policy))
        {
            throw new ArgumentOutOfRangeException(nameof(policy), policy, "unknown host-key policy");
        }

        _files = [.. files];
        Policy = policy;
        HashNewEntries = hashNewEntries;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>A verifier over the default files (~/.ssh/known_hosts, then /etc/ssh/ssh_known_hosts).</summary>
    public static KnownHostsVerifier ForDefaultFiles(HostKeyPolicy policy = HostKeyPolicy.Strict, bool hashNewEntries = false) =>
        new(KnownHostsFile.DefaultFiles, policy, hashNewEntries);

    public IReadOnlyList<string> Files => _files;

    public HostKeyPolicy Policy { get; }

    public bool HashNewEntries { get; }

    public ValueTask VerifyAsync(string host, int port, SshPublicKey hostKey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(hostKey);
        cancellationToken.ThrowIfCancellationRequested();

        var result = KnownHostsFile.Lookup(_files, host, port, hostKey, _time.GetUtcNow());
        if (result.Status == KnownHostsStatus.Trusted)
        {
            return ValueTask.CompletedTask;
        }

        if (result.Status == KnownHostsStatus.Unknown && Policy == HostKeyPolicy.AcceptNew)
        {
            AcceptNew(host, port, hostKey);
            return ValueTask.CompletedTask;
        }

        throw HostKeyRefusal.For(result, _files[0]);
    }

    private void AcceptNew(string host, int port, SshPublicKey hostKey)
    {
        lock (AppendLock)
        {
            // Another connection may have added the host while we waited; decide again on the current files.
            var again = KnownHostsFile.Lookup(_files, host, port, hostKey, _time.GetUtcNow());
            if (again.Status == KnownHostsStatus.Trusted)
            {
                return;
            }

            if (again.Status != KnownHostsStatus.Unknown)
            {
                throw HostKeyRefusal.For(again, _files[0]);
            }

            // Like ssh, record the key a certificate wraps: a certificate expires, the host key does not.
            var toRecord = hostKey;
            if (SshCertificate.PlainKeyTypeOf(hostKey.KeyType) is not null)
            {
                toRecord = SshCertificate.Parse(hostKey.Blob).CertifiedKey;
            }

            try
            {
                KnownHostsFile.AppendLine(_files[0], KnownHostsFile.FormatLine(host, port, toRecord, HashNewEntries));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Trust on first use is only safe if the first key is remembered; otherwise every later connection
                // would accept whatever key it is shown. So a key we cannot record is refused.
                throw new HostKeyVerificationException(
                    $"The host key of {HostKeyRefusal.Display(host, port)} ({hostKey.KeyType} {hostKey.Sha256Fingerprint}) is new, " +
                    $"but it could not be recorded in {_files[0]}: {e.Message}. Fix the file's permissions or location and connect again.",
                    host, port, hostKey.KeyType, hostKey.Sha256Fingerprint)
                {
                    KnownHostsFile = _files[0],
                };
            }
        }
    }
}
