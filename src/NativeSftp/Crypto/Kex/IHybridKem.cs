namespace NativeSftp.Crypto.Kex;

/// <summary>
/// The client half of the post-quantum KEM in a hybrid method: generate a key pair, then decapsulate the server's
/// ciphertext. Lengths are fixed per KEM, so the hybrid can check the server's reply length exactly.
/// </summary>
internal interface IHybridKem : IDisposable
{
    int PublicKeyLength { get; }

    int CiphertextLength { get; }

    /// <summary>Both KEMs here yield 32-byte shared secrets.</summary>
    int SharedSecretLength { get; }

    /// <summary>The encapsulation (public) key, generated at construction.</summary>
    ReadOnlySpan<byte> PublicKey { get; }

    /// <summary>
    /// Decapsulates. Both KEMs use implicit rejection (FIPS 203 §6.3; NTRU Prime's Decap), so a tampered
    /// ciphertext yields an unrelated secret rather than an error, and the exchange fails at the signature check.
    /// </summary>
    void Decapsulate(ReadOnlySpan<byte> ciphertext, Span<byte> sharedSecret);
}
