using System.Security.Cryptography;
using NativeSftp.Wire;

namespace NativeSftp.Crypto.Kex;

/// <summary>
/// curve25519-sha256 and its pre-RFC alias curve25519-sha256@libssh.org (RFC 8731). Q_C and Q_S are 32-byte
/// strings; K is the 32-byte X25519 output read as an unsigned big-endian integer and sent as an mpint
/// (RFC 8731 §3.1 - no byte reversal, even though X25519 itself is little-endian).
/// </summary>
internal sealed class Curve25519KeyExchange : SingleRoundKeyExchange
{
    private readonly X25519Ephemeral _key;

    public Curve25519KeyExchange(string name, KexContext context)
        : this(name, context, default)
    {
    }

    /// <summary>Test seam: a fixed private scalar makes the exchange deterministic.</summary>
    internal Curve25519KeyExchange(string name, KexContext context, ReadOnlySpan<byte> privateKey)
        : base(name, HashAlgorithmName.SHA256, context) => _key = new X25519Ephemeral(privateKey);

    protected override bool PublicValuesAreMPInts => false;

    protected override void WriteClientPublicValue(SshWriter writer) => writer.WriteString(_key.PublicKey);

    protected override byte[] ComputeEncodedSharedSecret(ReadOnlySpan<byte> serverPublicValue)
    {
        if (serverPublicValue.Length != X25519Ephemeral.KeySize)
        {
            throw InvalidValue($"Q_S is {serverPublicValue.Length} bytes, expected {X25519Ephemeral.KeySize}");
        }

        Span<byte> secret = stackalloc byte[X25519Ephemeral.KeySize];
        try
        {
            if (!_key.TryAgree(serverPublicValue, secret))
            {
                throw InvalidValue("the X25519 shared secret is all zero (small-order server key)");
            }

            return SharedSecretEncoding.AsMPInt(secret);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    protected override void ForgetPrivateKey() => _key.Dispose();
}
