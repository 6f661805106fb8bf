namespace NativeSftp.Crypto.Kex;

/// <summary>The key-exchange methods we offer, by their SSH names (RFC 4250 §4.10 and later registrations).</summary>
public static class KexRegistry
{
    // SHA-1 methods (diffie-hellman-group1-sha1, group14-sha1, group-exchange-sha1) are deliberately absent:
    // RFC 9142 §4 says they SHOULD NOT / MUST NOT be offered.
    private static readonly Dictionary<string, Func<string, KexContext, IKeyExchange>> Factories = new(StringComparer.Ordinal)
    {
        ["mlkem768x25519-sha256"] = HybridKeyExchange.CreateMlKem768,
        ["sntrup761x25519-sha512"] = HybridKeyExchange.CreateSntrup761,
        ["sntrup761x25519-sha512@openssh.com"] = HybridKeyExchange.CreateSntrup761,
        ["curve25519-sha256"] = (n, c) => new Curve25519KeyExchange(n, c),
        ["curve25519-sha256@libssh.org"] = (n, c) => new Curve25519KeyExchange(n, c),
        ["ecdh-sha2-nistp256"] = (n, c) => new EcdhKeyExchange(n, c),
        ["ecdh-sha2-nistp384"] = (n, c) => new EcdhKeyExchange(n, c),
        ["ecdh-sha2-nistp521"] = (n, c) => new EcdhKeyExchange(n, c),
        [DhGroupExchange.MethodName] = (_, c) => new DhGroupExchange(c),
        ["diffie-hellman-group16-sha512"] = (n, c) => new DhGroupKeyExchange(n, c),
        ["diffie-hellman-group18-sha512"] = (n, c) => new DhGroupKeyExchange(n, c),
        ["diffie-hellman-group14-sha256"] = (n, c) => new DhGroupKeyExchange(n, c),
    };

    static KexRegistry()
    {
        // Every name we advertise must have an implementation; fail at type init, not mid-handshake.
        foreach (string name in DefaultOrder)
        {
            if (!Factories.ContainsKey(name))
            {
                throw new InvalidOperationException($"KexRegistry lists '{name}' but has no implementation for it");
            }
        }
    }

    /// <summary>Client preference order, as OpenSSH 9.9+ sends it: post-quantum hybrids, then X25519, NIST curves, DH.</summary>
    public static IReadOnlyList<string> DefaultOrder { get; } =
    [
        "mlkem768x25519-sha256",
        "sntrup761x25519-sha512",
        "sntrup761x25519-sha512@openssh.com",
        "curve25519-sha256",
        "curve25519-sha256@libssh.org",
        "ecdh-sha2-nistp256",
        "ecdh-sha2-nistp384",
        "ecdh-sha2-nistp521",
        DhGroupExchange.MethodName,
        "diffie-hellman-group16-sha512",
        "diffie-hellman-group18-sha512",
        "diffie-hellman-group14-sha256",
    ];

    public static bool IsSupported(string name) => name is not null && Factories.ContainsKey(name);

    /// <summary>A fresh client-side state machine for <paramref name="name"/>, with a new ephemeral key.</summary>
    public static IKeyExchange Create(string name, KexContext context)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(context);
        return Factories.TryGetValue(name, out var factory)
            ? factory(name, context)
            : throw new ArgumentException($"unsupported key exchange method '{name}'", nameof(name));
    }
}
