using System.Security.Cryptography;
using NativeSftp.Wire;

namespace NativeSftp.Crypto.Kex;

/// <summary>
/// The post-quantum hybrids: sntrup761x25519-sha512 (and its @openssh.com alias; OpenSSH PROTOCOL,
/// draft-josefsson-ntruprime-ssh) and mlkem768x25519-sha256 (draft-ietf-sshm-mlkem-hybrid-kex, OpenSSH 9.9).
/// <code>
///   C: byte 30  string C_INIT  = kem public key || X25519 public key (32)
///   S: byte 31  string K_S, string S_REPLY = kem ciphertext || X25519 public key (32), string signature
///   K = HASH(kem shared secret || X25519 shared secret), sent as a string (not an mpint)
///   H = HASH(V_C || V_S || I_C || I_S || K_S || C_INIT || S_REPLY || K)
/// </code>
/// </summary>
internal sealed class HybridKeyExchange : SingleRoundKeyExchange
{
    private readonly IHybridKem _kem;
    private readonly X25519Ephemeral _x25519;

    private HybridKeyExchange(string name, HashAlgorithmName hash, KexContext context, IHybridKem kem, X25519Ephemeral x25519)
        : base(name, hash, context)
    {
        _kem = kem;
        _x25519 = x25519;
    }

    public static HybridKeyExchange CreateSntrup761(string name, KexContext context) =>
        CreateSntrup761(name, context, new Sntrup761(), new X25519Ephemeral());

    public static HybridKeyExchange CreateMlKem768(string name, KexContext context) =>
        CreateMlKem768(name, context, new MlKem768(), new X25519Ephemeral());

    /// <summary>Test seam: fixed KEM and X25519 keys.</summary>
    internal static HybridKeyExchange CreateSntrup761(string name, KexContext context, IHybridKem kem, X25519Ephemeral x25519) =>
        new(name, HashAlgorithmName.SHA512, context, kem, x25519);

    /// <summary>Test seam: fixed KEM and X25519 keys.</summary>
    internal static HybridKeyExchange CreateMlKem768(string name, KexContext context, IHybridKem kem, X25519Ephemeral x25519) =>
        new(name, HashAlgorithmName.SHA256, context, kem, x25519);

    protected override bool PublicValuesAreMPInts => false;

    protected override void WriteClientPublicValue(SshWriter writer)
    {
        writer.WriteUInt32((uint)(_kem.PublicKeyLength + X25519Ephemeral.KeySize));
        writer.WriteRaw(_kem.PublicKey);
        writer.WriteRaw(_x25519.PublicKey);
    }

    protected override byte[] ComputeEncodedSharedSecret(ReadOnlySpan<byte> serverPublicValue)
    {
        int expected = _kem.CiphertextLength + X25519Ephemeral.KeySize;
        if (serverPublicValue.Length != expected)
        {
            throw InvalidValue($"S_REPLY is {serverPublicValue.Length} bytes, expected {expected} (ciphertext {_kem.CiphertextLength} + X25519 32)");
        }

        Span<byte> kemSecret = stackalloc byte[_kem.SharedSecretLength];
        Span<byte> ecdhSecret = stackalloc byte[X25519Ephemeral.KeySize];
        try
        {
            // X25519 first: its all-zero check is the one way this method can reject the reply outright.
            if (!_x25519.TryAgree(serverPublicValue[_kem.CiphertextLength..], ecdhSecret))
            {
                throw InvalidValue("the X25519 shared secret is all zero (small-order server key)");
            }

            _kem.Decapsulate(serverPublicValue[.._kem.CiphertextLength], kemSecret);
            return SharedSecretEncoding.CombineAsString(Hash, kemSecret, ecdhSecret);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(kemSecret);
            CryptographicOperations.ZeroMemory(ecdhSecret);
        }
    }

    protected override void ForgetPrivateKey()
    {
        _kem.Dispose();
        _x25519.Dispose();
    }
}
