using NativeSftp.Wire;

namespace NativeSftp.Crypto.HostKeys;

/// <summary>
/// The server host-key algorithms we offer and how to verify the server's signature of the exchange hash with the
/// negotiated one (RFC 4253 §8: "signature of H" with K_S). Certificates (PROTOCOL.certkeys) are verified with the
/// key they certify; whether the CA is trusted is the known_hosts layer's job.
/// </summary>
public static class HostKeyAlgorithmRegistry
{
    /// <param name="KeyType">The type name that opens the key blob sent with this algorithm.</param>
    /// <param name="SignatureAlgorithm">The name inside the signature blob: certificates sign with their plain algorithm.</param>
    /// <param name="IsCertificate">True when the key blob is a certificate whose certified key signs.</param>
    private sealed record Entry(string KeyType, string SignatureAlgorithm, bool IsCertificate);

    // OpenSSH's default HostKeyAlgorithms order (ssh_config(5)) minus ssh-rsa (SHA-1, RFC 9142 §3.3 / OpenSSH 8.8)
    // and the sk-* security-key types, which hosts do not use.
    private static readonly (string Name, Entry Entry)[] Table =
    [
        ("ssh-ed25519-cert-v01@openssh.com", new("ssh-ed25519-cert-v01@openssh.com", "ssh-ed25519", true)),
        ("ecdsa-sha2-nistp256-cert-v01@openssh.com", new("ecdsa-sha2-nistp256-cert-v01@openssh.com", "ecdsa-sha2-nistp256", true)),
        ("ecdsa-sha2-nistp384-cert-v01@openssh.com", new("ecdsa-sha2-nistp384-cert-v01@openssh.com", "ecdsa-sha2-nistp384", true)),
        ("ecdsa-sha2-nistp521-cert-v01@openssh.com", new("ecdsa-sha2-nistp521-cert-v01@openssh.com", "ecdsa-sha2-nistp521", true)),
        // RFC 8332 §3 for the plain forms; OpenSSH names the RSA certificate variants after the signature algorithm.
        ("rsa-sha2-512-cert-v01@openssh.com", new("ssh-rsa-cert-v01@openssh.com", "rsa-sha2-512", true)),
        ("rsa-sha2-256-cert-v01@openssh.com", new("ssh-rsa-cert-v01@openssh.com", "rsa-sha2-256", true)),
        ("ssh-ed25519", new("ssh-ed25519", "ssh-ed25519", false)),
        ("ecdsa-sha2-nistp256", new("ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256", false)),
        ("ecdsa-sha2-nistp384", new("ecdsa-sha2-nistp384", "ecdsa-sha2-nistp384", false)),
        ("ecdsa-sha2-nistp521", new("ecdsa-sha2-nistp521", "ecdsa-sha2-nistp521", false)),
        ("rsa-sha2-512", new("ssh-rsa", "rsa-sha2-512", false)),
        ("rsa-sha2-256", new("ssh-rsa", "rsa-sha2-256", false)),
    ];

    private static readonly Dictionary<string, Entry> ByName = BuildIndex();

    public static IReadOnlyList<string> DefaultOrder { get; } = Array.AsReadOnly(Array.ConvertAll(Table, t => t.Name));

    public static bool IsSupported(string algorithm) => algorithm is not null && ByName.ContainsKey(algorithm);

    /// <summary>
    /// The key blob type that goes with a host-key algorithm: rsa-sha2-256 → ssh-rsa, rsa-sha2-512-cert-v01@openssh.com →
    /// ssh-rsa-cert-v01@openssh.com; the others are their own. An unsupported name throws <see cref="ArgumentException"/>.
    /// </summary>
    public static string KeyTypeFor(string algorithm) => Lookup(algorithm).KeyType;

    /// <summary>
    /// True when <paramref name="signatureBlob"/> (<c>string</c> algorithm || <c>string</c> signature) is a valid
    /// signature of <paramref name="data"/> by the key in <paramref name="publicKeyBlob"/> under the negotiated
    /// <paramref name="algorithm"/>. For a certificate the certified key inside it verifies; the CA is not checked here.
    /// A key blob whose type is not <see cref="KeyTypeFor"/>(algorithm), a signature made with another algorithm than
    /// the negotiated one (for certificates: its plain algorithm), or any malformed key or signature throws
    /// <see cref="SshProtocolException"/>; a well-formed signature that does not verify returns false. An algorithm
    /// we do not support (it cannot have been negotiated) throws <see cref="ArgumentException"/>.
    /// </summary>
    public static bool Verify(string algorithm, ReadOnlySpan<byte> publicKeyBlob, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signatureBlob)
    {
        var entry = Lookup(algorithm);
        var reader = new SshReader(publicKeyBlob);
        string blobType = reader.ReadAscii();

        // RFC 4253 §7.1: the host key must be of the negotiated algorithm's type; a server that sends another kind of
        // key is either broken or trying to steer us to a weaker check.
        if (blobType != entry.KeyType)
        {
            throw new SshProtocolException(DisconnectReason.KeyExchangeFailed, $"host key of type '{blobType}' for negotiated algorithm '{algorithm}' (expected '{entry.KeyType}')");
        }

        VerifyingKey key = entry.IsCertificate
            ? SshCertificate.Parse(publicKeyBlob).CertifiedVerifyingKey
            : VerifyingKey.Parse(publicKeyBlob);
        return VerifyWithKey(key, entry.SignatureAlgorithm, data, signatureBlob);
    }

    /// <summary>
    /// <paramref name="algorithms"/> with those whose keys the client can already check moved to the front, each group
    /// in its given order (OpenSSH's order_hostkeyalgs): a plain algorithm whose key type is in
    /// <paramref name="knownKeyTypes"/>, a certificate algorithm when <paramref name="caKnown"/> or its certified key's
    /// type is known. Without this a server with several host keys would show the key we prefer (ed25519), not the one
    /// known_hosts holds (an RSA key recorded years ago), and a known host would look like a new or changed one.
    /// Names we do not support keep their place among the rest.
    /// </summary>
    public static List<string> PreferKnown(IEnumerable<string> algorithms, IReadOnlySet<string> knownKeyTypes, bool caKnown)
    {
        ArgumentNullException.ThrowIfNull(algorithms);
        ArgumentNullException.ThrowIfNull(knownKeyTypes);
        var first = new List<string>();
        var rest = new List<string>();
        foreach (string name in algorithms)
        {
            bool known = ByName.TryGetValue(name, out var e) && (e.IsCertificate
                ? caKnown || knownKeyTypes.Contains(SshCertificate.PlainKeyTypeOf(e.KeyType) ?? e.KeyType)
                : knownKeyTypes.Contains(e.KeyType));
            (known ? first : rest).Add(name);
        }

        first.AddRange(rest);
        return first;
    }

    /// <summary>True for the plain signature algorithms we accept inside a signature blob (also a CA's).</summary>
    internal static bool IsSignatureAlgorithm(string name) =>
        ByName.TryGetValue(name, out var e) && !e.IsCertificate && e.SignatureAlgorithm == name;

    /// <summary>
    /// Checks a signature blob made with <paramref name="signatureAlgorithm"/> (a plain signature algorithm) by
    /// <paramref name="key"/>. The blob's algorithm name must be exactly <paramref name="signatureAlgorithm"/> and the
    /// key must be of that algorithm's key type.
    /// </summary>
    internal static bool VerifyWithKey(VerifyingKey key, string signatureAlgorithm, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signatureBlob)
    {
        var entry = Lookup(signatureAlgorithm);
        if (entry.IsCertificate || entry.SignatureAlgorithm != signatureAlgorithm)
        {
            throw new ArgumentException($"'{signatureAlgorithm}' is not a plain signature algorithm", nameof(signatureAlgorithm));
        }

        if (key.KeyType != entry.KeyType)
        {
            throw new SshProtocolException(DisconnectReason.KeyExchangeFailed, $"a {key.KeyType} key cannot make {signatureAlgorithm} signatures");
        }

        var reader = new SshReader(signatureBlob);
        string name = reader.ReadAscii();
        var signature = reader.ReadString();
        reader.EnsureAtEnd("signature");

        // RFC 8332 §3: the signature must use the negotiated algorithm. Accepting another name would let a server
        // fall back to a hash (e.g. SHA-1 "ssh-rsa") the client never agreed to.
        if (name != signatureAlgorithm)
        {
            throw new SshProtocolException(DisconnectReason.KeyExchangeFailed, $"signature made with '{name}' where '{signatureAlgorithm}' was negotiated");
        }

        return key.Verify(signatureAlgorithm, data, signature);
    }

    private static Entry Lookup(string algorithm)
    {
        ArgumentNullException.ThrowIfNull(algorithm);
        return ByName.TryGetValue(algorithm, out var entry)
            ? entry
            : throw new ArgumentException($"host-key algorithm '{algorithm}' is not supported", nameof(algorithm));
    }

    /// <summary>
    /// Builds the lookup and checks the table against the implementations at start-up, so a listed name without a
    /// parser (a typo, a half-added algorithm) fails the first use loudly instead of failing a later handshake.
    /// </summary>
    private static Dictionary<string, Entry> BuildIndex()
    {
        var index = new Dictionary<string, Entry>(StringComparer.Ordinal);
        foreach (var (name, entry) in Table)
        {
            string plainKeyType = entry.IsCertificate
                ? SshCertificate.PlainKeyTypeOf(entry.KeyType) ?? throw new InvalidOperationException($"no certificate parser for {entry.KeyType}")
                : entry.KeyType;
            if (!VerifyingKey.IsKnownKeyType(plainKeyType))
            {
                throw new InvalidOperationException($"host-key algorithm {name} has no key parser for {plainKeyType}");
            }

            index.Add(name, entry);
        }

        return index;
    }
}
