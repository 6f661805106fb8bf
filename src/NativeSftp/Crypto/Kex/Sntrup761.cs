using System.Security.Cryptography;
using Org.BouncyCastle.Pqc.Crypto.NtruPrime;
using Org.BouncyCastle.Security;

namespace NativeSftp.Crypto.Kex;

/// <summary>
/// Streamlined NTRU Prime sntrup761 via BouncyCastle, for sntrup761x25519-sha512. BouncyCastle releases before the
/// fix for bc-java#1554 produced 16-byte secrets; 2.7.0 yields the 32 bytes OpenSSH's crypto_kem_sntrup761 does,
/// and the constructor asserts it.
/// </summary>
internal sealed class Sntrup761 : IHybridKem
{
    /// <summary>NTRU Prime round 3, sntrup761 (p=761, q=4591): public key 1158 bytes (OpenSSH crypto_api.h).</summary>
    public const int PublicKeyBytes = 1158;

    /// <summary>Ciphertext 1039 bytes: 1007 for the rounded polynomial + 32 for the confirmation hash.</summary>
    public const int CiphertextBytes = 1039;

    /// <summary>Session key 32 bytes (crypto_kem_sntrup761_BYTES).</summary>
    public const int SharedSecretBytes = 32;

    private readonly byte[] _publicKey;
    private SNtruPrimePrivateKeyParameters? _privateKey;

    /// <param name="random">Test seam: a deterministic generator; null uses a fresh <see cref="SecureRandom"/>.</param>
    public Sntrup761(SecureRandom? random = null)
    {
        var generator = new SNtruPrimeKeyPairGenerator();
        generator.Init(new SNtruPrimeKeyGenerationParameters(random ?? new SecureRandom(), SNtruPrimeParameters.sntrup761));
        var pair = generator.GenerateKeyPair();
        _privateKey = (SNtruPrimePrivateKeyParameters)pair.Private;
        _publicKey = ((SNtruPrimePublicKeyParameters)pair.Public).GetPublicKey();
        if (_publicKey.Length != PublicKeyBytes)
        {
            throw new InvalidOperationException($"BouncyCastle sntrup761 produced a {_publicKey.Length}-byte public key, expected {PublicKeyBytes}");
        }
    }

    public int PublicKeyLength => PublicKeyBytes;

    public int CiphertextLength => CiphertextBytes;

    public int SharedSecretLength => SharedSecretBytes;

    public ReadOnlySpan<byte> PublicKey => _publicKey;

    public void Decapsulate(ReadOnlySpan<byte> ciphertext, Span<byte> sharedSecret)
    {
        var key = _privateKey ?? throw new ObjectDisposedException(nameof(Sntrup761));
        byte[] secret = new SNtruPrimeKemExtractor(key).ExtractSecret(ciphertext.ToArray());
        try
        {
            if (secret.Length != SharedSecretBytes)
            {
                throw new InvalidOperationException($"BouncyCastle sntrup761 produced a {secret.Length}-byte secret, expected {SharedSecretBytes} (bc-java#1554)");
            }

            secret.CopyTo(sharedSecret);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    /// <summary>BouncyCastle keeps its own copy of the private key; dropping the reference is all we can do.</summary>
    public void Dispose() => _privateKey = null;
}
