using System.Security.Cryptography;
using Org.BouncyCastle.Math.EC.Rfc7748;

namespace NativeSftp.Crypto.Kex;

/// <summary>
/// One ephemeral X25519 key (RFC 7748) whose private scalar lives in an array we own, so it can be zeroed; the
/// BouncyCastle parameter objects keep a private copy we could not clear.
/// </summary>
internal sealed class X25519Ephemeral : IDisposable
{
    /// <summary>RFC 7748 §5: scalars, u-coordinates and the shared secret are all 32 bytes.</summary>
    public const int KeySize = 32;

    private readonly byte[] _privateKey = new byte[KeySize];

    /// <param name="privateKey">A fixed scalar for deterministic tests; empty draws one from the system RNG.</param>
    public X25519Ephemeral(ReadOnlySpan<byte> privateKey = default)
    {
        if (privateKey.IsEmpty)
        {
            RandomNumberGenerator.Fill(_privateKey);
        }
        else if (privateKey.Length != KeySize)
        {
            throw new ArgumentException("an X25519 private key is 32 bytes", nameof(privateKey));
        }
        else
        {
            privateKey.CopyTo(_privateKey);
        }

        // Clamping happens inside the scalar multiplication (RFC 7748 §5 decodeScalar25519), so raw random bytes do.
        X25519.ScalarMultBase(_privateKey, PublicKey);
    }

    public byte[] PublicKey { get; } = new byte[KeySize];

    /// <summary>
    /// Writes X25519(k, peer) to <paramref name="sharedSecret"/>. Returns false when the result is all zero, which
    /// happens for the small-order points a hostile peer would send (RFC 7748 §6.1, RFC 8731 §3: MUST abort).
    /// </summary>
    public bool TryAgree(ReadOnlySpan<byte> peerPublicKey, Span<byte> sharedSecret)
    {
        if (peerPublicKey.Length != KeySize || sharedSecret.Length != KeySize)
        {
            return false;
        }

        // BouncyCastle already reports an all-zero output as false; the explicit OR keeps the check ours and visible.
        bool ok = X25519.CalculateAgreement(_privateKey, peerPublicKey, sharedSecret);
        int acc = 0;
        foreach (byte b in sharedSecret)
        {
            acc |= b;
        }

        return ok && acc != 0;
    }

    public void Dispose() => CryptographicOperations.ZeroMemory(_privateKey);
}
