using System.Numerics;
using System.Security.Cryptography;
using NativeSftp.Wire;

namespace NativeSftp.Crypto.Kex;

/// <summary>
/// diffie-hellman-group14-sha256, diffie-hellman-group16-sha512 and diffie-hellman-group18-sha512 (RFC 8268,
/// groups from RFC 3526). Messages per RFC 4253 §8: INIT (30) carries mpint e, REPLY (31) string K_S, mpint f,
/// string signature; H = HASH(V_C || V_S || I_C || I_S || K_S || e || f || K), K an mpint.
/// </summary>
internal sealed class DhGroupKeyExchange : SingleRoundKeyExchange
{
    private readonly DiffieHellman _dh;

    public DhGroupKeyExchange(string name, KexContext context)
        : this(name, context, default)
    {
    }

    /// <summary>Test seam: a fixed private exponent.</summary>
    internal DhGroupKeyExchange(string name, KexContext context, ReadOnlySpan<byte> fixedExponent)
        : base(name, GroupFor(name).Hash, context)
    {
        var (prime, hash) = GroupFor(name);
        Prime = BigInteger.Parse("0" + prime, System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
        _dh = new DiffieHellman(Prime, DhGroups.Generator, ExponentBits(hash), fixedExponent);
    }

    internal BigInteger Prime { get; }

    protected override bool PublicValuesAreMPInts => true;

    /// <summary>x has twice as many bits as the hash output: 512 for SHA-256, 1024 for SHA-512 (OpenSSH does the same).</summary>
    internal static int ExponentBits(HashAlgorithmName hash) => 2 * 8 * (hash == HashAlgorithmName.SHA512 ? SHA512.HashSizeInBytes : SHA256.HashSizeInBytes);

    private static (string Prime, HashAlgorithmName Hash) GroupFor(string name) => name switch
    {
        "diffie-hellman-group14-sha256" => (DhGroups.Group14PrimeHex, HashAlgorithmName.SHA256),
        "diffie-hellman-group16-sha512" => (DhGroups.Group16PrimeHex, HashAlgorithmName.SHA512),
        "diffie-hellman-group18-sha512" => (DhGroups.Group18PrimeHex, HashAlgorithmName.SHA512),
        _ => throw new ArgumentException($"not a fixed-group DH method: {name}", nameof(name)),
    };

    protected override void WriteClientPublicValue(SshWriter writer) => writer.WriteMPInt(_dh.E);

    protected override byte[] ComputeEncodedSharedSecret(ReadOnlySpan<byte> serverPublicValue)
    {
        byte[] k = _dh.TryAgree(serverPublicValue) ?? throw InvalidValue("f is outside 1 < f < p-1 (RFC 4253 §8)");
        try
        {
            return SharedSecretEncoding.AsMPInt(k);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(k);
        }
    }

    protected override void ForgetPrivateKey() => _dh.Dispose();
}
