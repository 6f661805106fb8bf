using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Kems;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;

namespace NativeSftp.Crypto.Kex;

/// <summary>ML-KEM-768 (FIPS 203) via BouncyCastle, for mlkem768x25519-sha256.</summary>
internal sealed class MlKem768 : IHybridKem
{
    /// <summary>FIPS 203 Table 3, ML-KEM-768: ek = 384*k + 32 = 384*3 + 32 = 1184 bytes.</summary>
    public const int EncapsulationKeyBytes = 1184;

    /// <summary>FIPS 203 Table 3: c = 32*(du*k + dv) = 32*(10*3 + 4) = 1088 bytes.</summary>
    public const int CiphertextBytes = 1088;

    /// <summary>FIPS 203 §6: the shared secret K is 32 bytes.</summary>
    public const int SharedSecretBytes = 32;

    /// <summary>FIPS 203 §7.1: key generation from the 64-byte seed d || z.</summary>
    public const int SeedBytes = 64;

    private readonly byte[] _publicKey;
    private MLKemPrivateKeyParameters? _privateKey;

    /// <param name="seed">Test seam: the 64-byte d || z seed; empty draws one from the system RNG.</param>
    public MlKem768(ReadOnlySpan<byte> seed = default)
    {
        if (seed.IsEmpty)
        {
            var generator = new MLKemKeyPairGenerator();
            generator.Init(new MLKemKeyGenerationParameters(new SecureRandom(), MLKemParameters.ml_kem_768));
            _privateKey = (MLKemPrivateKeyParameters)generator.GenerateKeyPair().Private;
        }
        else
        {
            if (seed.Length != SeedBytes)
            {
                throw new ArgumentException("an ML-KEM seed is 64 bytes", nameof(seed));
            }

            byte[] copy = seed.ToArray();
            _privateKey = MLKemPrivateKeyParameters.FromSeed(MLKemParameters.ml_kem_768, copy);
            CryptographicOperations.ZeroMemory(copy);
        }

        _publicKey = _privateKey.GetPublicKeyEncoded();
    }

    public int PublicKeyLength => EncapsulationKeyBytes;

    public int CiphertextLength => CiphertextBytes;

    public int SharedSecretLength => SharedSecretBytes;

    public ReadOnlySpan<byte> PublicKey => _publicKey;

    public void Decapsulate(ReadOnlySpan<byte> ciphertext, Span<byte> sharedSecret)
    {
        var key = _privateKey ?? throw new ObjectDisposedException(nameof(MlKem768));
        var decapsulator = new MLKemDecapsulator(MLKemParameters.ml_kem_768);
        decapsulator.Init(key);
        decapsulator.Decapsulate(ciphertext, sharedSecret);
    }

    /// <summary>BouncyCastle keeps its own copy of the private key; dropping the reference is all we can do.</summary>
    public void Dispose() => _privateKey = null;
}
