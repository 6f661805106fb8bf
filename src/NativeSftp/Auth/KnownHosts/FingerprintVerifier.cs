using NativeSftp.Crypto;
using NativeSftp.Crypto.HostKeys;

namespace NativeSftp.Auth.KnownHosts;

/// <summary>
/// Trusts exactly the host keys whose SHA-256 fingerprints are pinned, written as <c>ssh-keygen -l -E sha256</c>
/// prints them (<c>SHA256:</c> and 43 characters of unpadded base64). A host certificate is accepted when its own
/// fingerprint or that of the key it certifies is pinned (ssh-keygen -l prints the latter for a certificate).
/// </summary>
public sealed class FingerprintVerifier : IHostKeyVerifier
{
    private const string Prefix = "SHA256:";

    /// <summary>A SHA-256 digest is 32 bytes; unpadded base64 of 32 bytes is ceil(32 × 4 / 3) = 43 characters.</summary>
    private const int Sha256Base64Chars = 43;

    private readonly string[] _pinned;

    public FingerprintVerifier(IEnumerable<string> fingerprints)
    {
        ArgumentNullException.ThrowIfNull(fingerprints);
        var pinned = new List<string>();
        foreach (string raw in fingerprints)
        {
            string fp = (raw ?? throw new ArgumentException("a pinned fingerprint is null", nameof(fingerprints))).Trim();
            if (!fp.StartsWith(Prefix, StringComparison.Ordinal) || fp.Length != Prefix.Length + Sha256Base64Chars)
            {
                throw new ArgumentException(
                    $"'{fp}' is not a SHA-256 fingerprint; expected 'SHA256:' and 43 base64 characters, as `ssh-keygen -l -E sha256 -f key.pub` prints",
                    nameof(fingerprints));
            }

            pinned.Add(fp);
        }

        if (pinned.Count == 0)
        {
            throw new ArgumentException("at least one fingerprint must be pinned", nameof(fingerprints));
        }

        _pinned = [.. pinned];
    }

    public FingerprintVerifier(params string[] fingerprints) : this((IEnumerable<string>)fingerprints) { }

    public IReadOnlyList<string> Fingerprints => _pinned;

    public ValueTask VerifyAsync(string host, int port, SshPublicKey hostKey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(hostKey);
        cancellationToken.ThrowIfCancellationRequested();
        string fingerprint = hostKey.Sha256Fingerprint;
        if (IsPinned(fingerprint))
        {
            return ValueTask.CompletedTask;
        }

        if (SshCertificate.PlainKeyTypeOf(hostKey.KeyType) is not null && IsPinned(SshCertificate.Parse(hostKey.Blob).CertifiedKey.Sha256Fingerprint))
        {
            return ValueTask.CompletedTask;
        }

        throw new HostKeyVerificationException(
            $"The host key of {HostKeyRefusal.Display(host, port)} is {hostKey.KeyType} {fingerprint}, which is not the pinned " +
            $"{(_pinned.Length == 1 ? "fingerprint " : "fingerprints ")}{string.Join(", ", _pinned)}. " +
            "If the server's key was replaced on purpose, pin the new fingerprint (check it with the server's administrator).",
            host, port, hostKey.KeyType, fingerprint)
        {
            ExpectedFingerprint = _pinned[0],
        };
    }

    private bool IsPinned(string fingerprint) => Array.IndexOf(_pinned, fingerprint) >= 0;
}
