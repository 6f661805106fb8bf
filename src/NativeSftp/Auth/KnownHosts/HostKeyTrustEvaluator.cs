using NativeSftp.Crypto;
using NativeSftp.Crypto.HostKeys;

namespace NativeSftp.Auth.KnownHosts;

/// <summary>
/// The decision OpenSSH's check_key_in_hostkeys and check_host_cert make, over lines already read:
/// revoked first, then a certificate against the CAs listed for the host (falling back to its certified key when no
/// listed CA signed it, as ssh does: "No matching CA found. Retry with plain key"), then the plain keys.
/// </summary>
internal static class HostKeyTrustEvaluator
{
    internal readonly record struct Decision(KnownHostsStatus Status, KnownHostsEntry? Entry, string? Reason);

    /// <param name="allEntries">Every key line of every file; <c>@revoked</c> lines apply whatever their host field.</param>
    /// <param name="hostEntries">The lines whose host field names this host.</param>
    /// <param name="lowerHost">The host name, lowercased: the name a host certificate must list as a principal.</param>
    /// <param name="key">The presented key or certificate.</param>
    /// <param name="now">The time a certificate must be valid at.</param>
    public static Decision Evaluate(IReadOnlyList<KnownHostsEntry> allEntries, IReadOnlyList<KnownHostsEntry> hostEntries, string lowerHost, SshPublicKey key, DateTimeOffset now)
    {
        SshCertificate? cert = null;
        string? certError = null;
        if (key.KeyType.EndsWith(SshCertificate.CertificateSuffix, StringComparison.Ordinal))
        {
            try
            {
                cert = SshCertificate.Parse(key.Blob);
            }
            catch (SshProtocolException e)
            {
                certError = "the certificate could not be read: " + e.Message;
            }
        }

        // Revocation is checked against every @revoked line, not only those naming the host: a revoked key is
        // compromised everywhere. (OpenSSH itself only loads lines that match the host; ours is the stricter reading
        // of sshd(8): "the key contained on the line is revoked and must not ever be accepted".)
        foreach (var entry in allEntries)
        {
            if (entry.Marker == KnownHostsMarker.Revoked && IsRevokedBy(entry.Key, key, cert))
            {
                return new Decision(KnownHostsStatus.Revoked, entry, null);
            }
        }

        if (certError is not null)
        {
            return new Decision(KnownHostsStatus.InvalidCertificate, null, certError);
        }

        string? fallbackNote = null;
        var plainKey = key;
        if (cert is not null)
        {
            foreach (var entry in hostEntries)
            {
                if (entry.Marker == KnownHostsMarker.CertAuthority && entry.IsUsable && entry.Key.Equals(cert.SignatureKey))
                {
                    string? problem = CertificateProblem(cert, lowerHost, now);
                    return problem is null
                        ? new Decision(KnownHostsStatus.Trusted, entry, "host certificate signed by a trusted CA")
                        : new Decision(KnownHostsStatus.InvalidCertificate, entry, problem);
                }
            }

            plainKey = cert.CertifiedKey;
            fallbackNote = $"no @cert-authority line for this host names the certificate's CA ({cert.SignatureKey}); the certified key was checked as a plain key";
        }

        // As OpenSSH's check_key_in_hostkeys: only a line of the same key type can show the key CHANGED; lines of other
        // types say the host is known by another kind of key (a server usually has several).
        KnownHostsEntry? sameType = null, otherType = null;
        foreach (var entry in hostEntries)
        {
            if (entry.Marker != KnownHostsMarker.None)
            {
                continue;
            }

            if (entry.IsUsable && entry.Key.Equals(plainKey))
            {
                return new Decision(KnownHostsStatus.Trusted, entry, fallbackNote);
            }

            if (entry.Key.KeyType == plainKey.KeyType)
            {
                sameType ??= entry;
            }
            else
            {
                otherType ??= entry;
            }
        }

        return sameType is not null ? new Decision(KnownHostsStatus.Changed, sameType, fallbackNote)
            : otherType is not null ? new Decision(KnownHostsStatus.OtherKeyTypeKnown, otherType, fallbackNote)
            : new Decision(KnownHostsStatus.Unknown, null, fallbackNote);
    }

    /// <summary>OpenSSH's sshkey_equal_public: the key itself, its certificate's CA, or the key a certificate wraps.</summary>
    private static bool IsRevokedBy(SshPublicKey revoked, SshPublicKey presented, SshCertificate? cert) =>
        revoked.Equals(presented)
        || (cert is not null && (revoked.Equals(cert.SignatureKey) || revoked.Equals(cert.CertifiedKey)));

    /// <summary>What makes a certificate from a trusted CA unacceptable for this host now, or null when nothing does.</summary>
    private static string? CertificateProblem(SshCertificate cert, string lowerHost, DateTimeOffset now)
    {
        bool signatureValid;
        try
        {
            signatureValid = cert.VerifySignature();
        }
        catch (SshProtocolException e)
        {
            return "the CA's signature on the certificate is malformed: " + e.Message;
        }

        if (!signatureValid)
        {
            return $"the CA's signature on the certificate does not verify (or uses {cert.SignatureAlgorithm}, which we do not accept)";
        }

        if (cert.Type != SshCertificateType.Host)
        {
            return $"the certificate is a {cert.Type.ToString().ToLowerInvariant()} certificate, not a host certificate";
        }

        if (!cert.IsValidAt(now))
        {
            return $"the certificate is not valid at {FormatTime((ulong)Math.Max(0, now.ToUnixTimeSeconds()))} (valid {FormatTime(cert.ValidAfter)} to {FormatTime(cert.ValidBefore)})";
        }

        // OpenSSH accepts a host certificate with no principals for any host; we require the name to be listed,
        // because a CA that signs "any host" certificates lets any one certified host impersonate all the others.
        if (!cert.HasPrincipal(lowerHost))
        {
            string listed = cert.ValidPrincipals.Count == 0 ? "none" : string.Join(", ", cert.ValidPrincipals);
            return $"the certificate does not name '{lowerHost}' among its principals (it names: {listed})";
        }

        // check_host_cert: no critical options are defined for host certificates, so any is unsupported.
        if (cert.CriticalOptions.Count != 0)
        {
            return "the certificate carries critical options, which no host certificate may have";
        }

        return null;
    }

    private static string FormatTime(ulong unixSeconds) =>
        unixSeconds == SshCertificate.Forever
            ? "forever"
            : unixSeconds > (ulong)DateTimeOffset.MaxValue.ToUnixTimeSeconds()
                ? unixSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)
                : DateTimeOffset.FromUnixTimeSeconds((long)unixSeconds).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
}
