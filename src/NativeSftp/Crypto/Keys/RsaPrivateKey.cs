using System.Numerics;
using System.Security.Cryptography;
using NativeSftp.Wire;

namespace NativeSftp.Crypto.Keys;

/// <summary>
/// An RSA key signing with PKCS#1 v1.5 over SHA-512 or SHA-256 (RFC 8332). SHA-1 "ssh-rsa" signatures are
/// never offered: they are deprecated by OpenSSH 8.8 and RFC 8332 §5 leaves them optional.
/// </summary>
public sealed class RsaPrivateKey : SshPrivateKey
{
    public const string Name = "ssh-rsa";
    public const string Sha512 = "rsa-sha2-512";
    public const string Sha256 = "rsa-sha2-256";

    /// <summary>OpenSSH refuses RSA keys under 1024 bits (SSH_RSA_MINIMUM_MODULUS_SIZE in sshkey.h).</summary>
    public const int MinimumBits = 1024;

    /// <summary>OpenSSL refuses moduli over 16384 bits (OPENSSL_RSA_MAX_MODULUS_BITS); so do we, bounding the work.</summary>
    public const int MaximumBits = 16384;

    private static readonly string[] Algorithms = [Sha512, Sha256];

    private readonly RSA _rsa;

    private RsaPrivateKey(RSA rsa, SshPublicKey publicKey, string comment) : base(publicKey, comment) => _rsa = rsa;

    public override IReadOnlyList<string> SignatureAlgorithms => Algorithms;

    /// <summary>Takes ownership of <paramref name="rsa"/> (disposed here on failure).</summary>
    internal static RsaPrivateKey Create(RSA rsa, string comment)
    {
        try
        {
            if (rsa.KeySize < MinimumBits || rsa.KeySize > MaximumBits)
            {
                throw new PrivateKeyFormatException($"RSA key of {rsa.KeySize} bits is outside {MinimumBits}..{MaximumBits}");
            }

            RSAParameters p = rsa.ExportParameters(includePrivateParameters: false);
            var publicKey = BuildPublicKey(w =>
            {
                // RFC 4253 §6.6: string "ssh-rsa", mpint e, mpint n.
                w.WriteAscii(Name);
                w.WriteMPInt(p.Exponent);
                w.WriteMPInt(p.Modulus);
            });
            return new RsaPrivateKey(rsa, publicKey, comment);
        }
        catch
        {
            rsa.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Builds the key from the OpenSSH private fields (PROTOCOL.key / sshkey.c: n, e, d, iqmp, p, q). .NET also
    /// wants d mod (p-1) and d mod (q-1), which the format leaves out, so they are computed here.
    /// </summary>
    internal static RsaPrivateKey FromComponents(
        ReadOnlySpan<byte> n, ReadOnlySpan<byte> e, ReadOnlySpan<byte> d,
        ReadOnlySpan<byte> iqmp, ReadOnlySpan<byte> p, ReadOnlySpan<byte> q, string comment)
    {
        int bits = (int)ToInteger(n).GetBitLength();
        if (bits < MinimumBits || bits > MaximumBits)
        {
            throw new PrivateKeyFormatException($"RSA key of {bits} bits is outside {MinimumBits}..{MaximumBits}");
        }

        BigInteger bp = ToInteger(p), bq = ToInteger(q), bd = ToInteger(d);
        if (bp <= BigInteger.One || bq <= BigInteger.One || bp * bq != ToInteger(n))
        {
            throw new PrivateKeyFormatException("RSA primes p and q do not multiply to the modulus n");
        }

        int modulusBytes = n.Length;
        int halfBytes = (modulusBytes + 1) / 2;
        var parameters = new RSAParameters
        {
            Modulus = n.ToArray(),
            Exponent = e.ToArray(),
            D = Pad(bd, modulusBytes),
            P = Pad(bp, halfBytes),
            Q = Pad(bq, halfBytes),
            DP = Pad(bd % (bp - BigInteger.One), halfBytes),
            DQ = Pad(bd % (bq - BigInteger.One), halfBytes),
            InverseQ = Pad(ToInteger(iqmp), halfBytes),
        };

        RSA rsa = RSA.Create();
        try
        {
            rsa.ImportParameters(parameters);
        }
        catch (CryptographicException ex)
        {
            rsa.Dispose();
            throw new PrivateKeyFormatException("RSA private key fields are inconsistent: " + ex.Message, ex);
        }
        finally
        {
            Zero(parameters.D);
            Zero(parameters.P);
            Zero(parameters.Q);
            Zero(parameters.DP);
            Zero(parameters.DQ);
            Zero(parameters.InverseQ);
        }

        return Create(rsa, comment);
    }

    private protected override void WriteSignature(string algorithm, ReadOnlySpan<byte> data, SshWriter writer)
    {
        // RFC 8332 §3: the signature blob is exactly as long as the modulus (no mpint trimming).
        HashAlgorithmName hash = algorithm == Sha512 ? HashAlgorithmName.SHA512 : HashAlgorithmName.SHA256;
        byte[] signature = _rsa.SignData(data, hash, RSASignaturePadding.Pkcs1);
        writer.WriteString(signature);
    }

    protected override void DisposeSecret() => _rsa.Dispose();

    private static BigInteger ToInteger(ReadOnlySpan<byte> magnitude) => new(magnitude, isUnsigned: true, isBigEndian: true);

    /// <summary>Big-endian magnitude left-padded with zeros to <paramref name="size"/> bytes, as RSAParameters requires.</summary>
    private static byte[] Pad(BigInteger value, int size)
    {
        int needed = value.GetByteCount(isUnsigned: true);
        if (needed > size)
        {
            throw new PrivateKeyFormatException($"RSA private field of {needed} bytes does not fit {size}");
        }

        var result = new byte[size];
        value.TryWriteBytes(result.AsSpan(size - needed), out _, isUnsigned: true, isBigEndian: true);
        return result;
    }

    private static void Zero(byte[]? array)
    {
        if (array is not null)
        {
            CryptographicOperations.ZeroMemory(array);
        }
    }
}
