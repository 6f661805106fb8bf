using NativeSftp.Crypto.HostKeys;

namespace NativeSftp.Auth.Agent;

/// <summary>
/// Which signature algorithms an agent-held key can be asked for, the SSH_AGENTC_SIGN_REQUEST flags each needs and
/// the name the returned signature blob must carry. Key types not listed here (sk-* security keys, ssh-dss, anything
/// newer) are kept in the identity list but offer no algorithms, so user authentication skips them.
/// </summary>
internal static class AgentKeyAlgorithms
{
    /// <summary>draft-miller-ssh-agent §3.6.1 / PROTOCOL.agent: ask an RSA key for an RFC 8332 rsa-sha2-256 signature.</summary>
    public const uint RsaSha2_256Flag = 0x02;

    /// <summary>draft-miller-ssh-agent §3.6.1 / PROTOCOL.agent: ask an RSA key for an RFC 8332 rsa-sha2-512 signature.</summary>
    public const uint RsaSha2_512Flag = 0x04;

    private const uint NoFlags = 0;

    /// <param name="Name">The algorithm user authentication names (also the publickey method's algorithm field).</param>
    /// <param name="SignatureName">The name inside the signature blob: a certificate signs with its plain algorithm.</param>
    /// <param name="Flags">The SIGN_REQUEST flags that select this algorithm (only RSA has a choice).</param>
    private sealed record Algorithm(string Name, string SignatureName, uint Flags);

    // Best first. SHA-1 "ssh-rsa" signatures are never requested (RFC 8332 §5, OpenSSH 8.8 disabled them); an agent
    // given flags 0 for an RSA key would produce exactly those.
    private static readonly Dictionary<string, Algorithm[]> ByKeyType = new(StringComparer.Ordinal)
    {
        ["ssh-ed25519"] = [new("ssh-ed25519", "ssh-ed25519", NoFlags)],
        ["ecdsa-sha2-nistp256"] = [new("ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256", NoFlags)],
        ["ecdsa-sha2-nistp384"] = [new("ecdsa-sha2-nistp384", "ecdsa-sha2-nistp384", NoFlags)],
        ["ecdsa-sha2-nistp521"] = [new("ecdsa-sha2-nistp521", "ecdsa-sha2-nistp521", NoFlags)],
        ["ssh-rsa"] =
        [
            new("rsa-sha2-512", "rsa-sha2-512", RsaSha2_512Flag),
            new("rsa-sha2-256", "rsa-sha2-256", RsaSha2_256Flag),
        ],

        // PROTOCOL.certkeys: the certificate is the key blob sent to the agent; the signature inside is the plain key's.
        ["ssh-ed25519-cert-v01@openssh.com"] = [new("ssh-ed25519-cert-v01@openssh.com", "ssh-ed25519", NoFlags)],
        ["ecdsa-sha2-nistp256-cert-v01@openssh.com"] = [new("ecdsa-sha2-nistp256-cert-v01@openssh.com", "ecdsa-sha2-nistp256", NoFlags)],
        ["ecdsa-sha2-nistp384-cert-v01@openssh.com"] = [new("ecdsa-sha2-nistp384-cert-v01@openssh.com", "ecdsa-sha2-nistp384", NoFlags)],
        ["ecdsa-sha2-nistp521-cert-v01@openssh.com"] = [new("ecdsa-sha2-nistp521-cert-v01@openssh.com", "ecdsa-sha2-nistp521", NoFlags)],

        // OpenSSH names the RSA certificate algorithms after the hash, while the blob keeps ssh-rsa-cert-v01.
        ["ssh-rsa-cert-v01@openssh.com"] =
        [
            new("rsa-sha2-512-cert-v01@openssh.com", "rsa-sha2-512", RsaSha2_512Flag),
            new("rsa-sha2-256-cert-v01@openssh.com", "rsa-sha2-256", RsaSha2_256Flag),
        ],
    };

    private static readonly Dictionary<string, IReadOnlyList<string>> NamesByKeyType = BuildNames();

    /// <summary>The signature algorithms for <paramref name="keyType"/>, best first; empty for a type we do not support.</summary>
    public static IReadOnlyList<string> For(string keyType) =>
        NamesByKeyType.TryGetValue(keyType, out var names) ? names : [];

    /// <summary>True when we can parse (and so check) blobs of <paramref name="keyType"/>.</summary>
    public static bool IsSupported(string keyType) => ByKeyType.ContainsKey(keyType);

    /// <summary>
    /// The flags and expected signature name for signing with <paramref name="algorithm"/> by a key of
    /// <paramref name="keyType"/>; an algorithm the key cannot make throws <see cref="ArgumentException"/>.
    /// </summary>
    public static (uint Flags, string SignatureName) Resolve(string keyType, string algorithm)
    {
        if (ByKeyType.TryGetValue(keyType, out var algorithms))
        {
            foreach (var a in algorithms)
            {
                if (string.Equals(a.Name, algorithm, StringComparison.Ordinal))
                {
                    return (a.Flags, a.SignatureName);
                }
            }
        }

        string offered = algorithms is null ? "none (unsupported key type)" : string.Join(", ", For(keyType));
        throw new ArgumentException($"a {keyType} key in ssh-agent cannot sign with '{algorithm}'; it offers {offered}", nameof(algorithm));
    }

    /// <summary>
    /// Parses a key blob of a supported type fully, so a malformed key from the agent is reported here rather than
    /// as a puzzling refusal by the server. Throws <see cref="SshProtocolException"/> when it is malformed.
    /// </summary>
    public static void Validate(string keyType, ReadOnlySpan<byte> blob)
    {
        if (SshCertificate.PlainKeyTypeOf(keyType) is not null)
        {
            SshCertificate.Parse(blob);
        }
        else
        {
            VerifyingKey.Parse(blob);
        }
    }

    /// <summary>
    /// Start-up check that every listed key type has a parser, so a half-added type fails the first use loudly.
    /// </summary>
    private static Dictionary<string, IReadOnlyList<string>> BuildNames()
    {
        var names = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var (keyType, algorithms) in ByKeyType)
        {
            string plain = SshCertificate.PlainKeyTypeOf(keyType) ?? keyType;
            if (!VerifyingKey.IsKnownKeyType(plain))
            {
                throw new InvalidOperationException($"agent key type {keyType} has no key parser");
            }

            names.Add(keyType, Array.AsReadOnly(Array.ConvertAll(algorithms, a => a.Name)));
        }

        return names;
    }
}
