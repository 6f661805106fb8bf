using System.Numerics;
using System.Security.Cryptography;

namespace NativeSftp.Crypto.Kex;

/// <summary>
/// Finite-field Diffie-Hellman over a safe-prime group (RFC 4253 §8): the client's e = g^x mod p, the check on the
/// server's f, and K = f^x mod p. Numbers are unsigned big-endian magnitudes at the edges.
/// </summary>
internal sealed class DiffieHellman : IDisposable
{
    private readonly BigInteger _p;
    private readonly BigInteger _g;
    private BigInteger _x;

    /// <param name="p">The group's prime modulus.</param>
    /// <param name="g">The generator.</param>
    /// <param name="exponentBits">
    /// Size of the private exponent x. RFC 8268 §4 / NIST SP 800-56A ask for at least twice the security strength;
    /// callers pass twice the hash output size, which is at least that for every group here.
    /// </param>
    /// <param name="fixedExponent">Test seam: a fixed x (big-endian) instead of a random one.</param>
    public DiffieHellman(BigInteger p, BigInteger g, int exponentBits, ReadOnlySpan<byte> fixedExponent = default)
    {
        _p = p;
        _g = g;
        if (fixedExponent.IsEmpty)
        {
            var bytes = new byte[exponentBits / 8];
            try
            {
                do
                {
                    RandomNumberGenerator.Fill(bytes);
                    _x = new BigInteger(bytes, isUnsigned: true, isBigEndian: true);
                }
                while (_x <= BigInteger.One || _x >= _p - BigInteger.One);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(bytes);
            }
        }
        else
        {
            _x = new BigInteger(fixedExponent, isUnsigned: true, isBigEndian: true);
        }

        E = BigInteger.ModPow(_g, _x, _p).ToByteArray(isUnsigned: true, isBigEndian: true);
    }

    /// <summary>e = g^x mod p, big-endian magnitude.</summary>
    public byte[] E { get; }

    public static BigInteger FromMagnitude(ReadOnlySpan<byte> magnitude) => new(magnitude, isUnsigned: true, isBigEndian: true);

    /// <summary>
    /// Checks 1 &lt; f &lt; p-1 (RFC 4253 §8: "values not in the range [1, p-1] MUST NOT be sent or accepted";
    /// 1 and p-1 are excluded too, as OpenSSH's dh_pub_is_valid does, since they pin K to 1 or +-1) and returns
    /// K = f^x mod p as a big-endian magnitude. Returns null when f is out of range.
    /// </summary>
    public byte[]? TryAgree(ReadOnlySpan<byte> fMagnitude)
    {
        var f = FromMagnitude(fMagnitude);
        if (f <= BigInteger.One || f >= _p - BigInteger.One)
        {
            return null;
        }

        return BigInteger.ModPow(f, _x, _p).ToByteArray(isUnsigned: true, isBigEndian: true);
    }

    /// <summary>
    /// System.Numerics.BigInteger is immutable, so x cannot be wiped in place; dropping the reference is the best
    /// available (see spec-notes/kex.md, "gaps").
    /// </summary>
    public void Dispose() => _x = BigInteger.Zero;
}
