using System.Numerics;
using System.Security.Cryptography;
using NativeSftp.Wire;

namespace NativeSftp.Crypto.HostKeys;

/// <summary>
/// ssh-rsa keys with rsa-sha2-256 / rsa-sha2-512 signatures (RFC 8332): key = <c>string</c> "ssh-rsa" ||
/// <c>mpint</c> e || <c>mpint</c> n (RFC 4253 §6.6); signature = <c>string</c> "rsa-sha2-256|512" ||
/// <c>string</c> S, RSASSA-PKCS1-v1_5 (RFC 8017 §8.2). SHA-1 "ssh-rsa" signatures are not accepted.
/// </summary>
internal sealed class RsaVerifyingKey : VerifyingKey
{
    /// <summary>OpenSSH's RequiredRSASize default and SSH_RSA_MINIMUM_MODULUS_SIZE: 1024 bits. Smaller moduli are
    /// factorable in practice, so a host proving itself with one proves nothing.</summary>
    public const int MinimumModulusBits = 1024;

    /// <summary>OpenSSH's upper bound, SSHBUF_MAX_BIGNUM = 16384 / 8 bytes: 16384 bits. Caps the work a hostile key
    /// can ask of one verification.</summary>
    public const int MaximumModulusBits = 16384;

    /// <summary>OpenSSL's OPENSSL_RSA_MAX_PUBEXP_BITS = 64 (8 bytes): larger public exponents are refused by
    /// OpenSSL for big moduli anyway, and real keys use 65537.</summary>
    public const int MaximumExponentBytes = 64 / 8;

    private readonly byte[] _exponent;
    private readonly byte[] _modulus;

    private RsaVerifyingKey(byte[] exponent, byte[] modulus)
    {
        _exponent = exponent;
        _modulus = modulus;
    }

    public override string KeyType => RsaKeyType;

    public static RsaVerifyingKey Read(ref SshReader reader)
    {
        var e = ReadUnsignedMPInt(ref reader, "RSA e");
        var n = ReadUnsignedMPInt(ref reader, "RSA n");

        // e = 1 makes every "signature" its own message; an even e is not a valid RSA exponent (gcd with phi(n) > 1).
        if (e.Length == 0 || e.Length > MaximumExponentBytes || (e[^1] & 1) == 0 || (e.Length == 1 && e[0] < 3))
        {
            throw new SshProtocolException(DisconnectReason.KeyExchangeFailed, "ssh-rsa public exponent is out of range");
        }

        int bits = BitLength(n);
        if (bits < MinimumModulusBits || bits > MaximumModulusBits)
        {
            throw new SshProtocolException(DisconnectReason.KeyExchangeFailed, $"ssh-rsa modulus of {bits} bits; {MinimumModulusBits} to {MaximumModulusBits} are accepted");
        }

        if ((n[^1] & 1) == 0)
        {
            throw new SshProtocolException(DisconnectReason.KeyExchangeFailed, "ssh-rsa modulus is even");
        }

        return new RsaVerifyingKey(e.ToArray(), n.ToArray());
    }

    public override bool Verify(string signatureAlgorithm, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        HashAlgorithmName hash = signatureAlgorithm switch
        {
            "rsa-sha2-256" => HashAlgorithmName.SHA256,
            "rsa-sha2-512" => HashAlgorithmName.SHA512,
            _ => throw new SshProtocolException(DisconnectReason.KeyExchangeFailed, $"'{signatureAlgorithm}' is not an accepted RSA signature algorithm"),
        };

        if (signature.Length == 0 || signature.Length > _modulus.Length)
        {
            throw new SshProtocolException(DisconnectReason.KeyExchangeFailed, $"rsa signature of {signature.Length} bytes for a {_modulus.Length}-byte modulus");
        }

        // RFC 8017 §8.2.2 wants S exactly k bytes long, but some signers drop leading zero bytes (S is an integer,
        // and roughly 1 signature in 256 starts with 0x00). OpenSSH left-pads such signatures, so we do too.
        byte[] padded = new byte[_modulus.Length];
        signature.CopyTo(padded.AsSpan(padded.Length - signature.Length));

        using var rsa = RSA.Create();
        try
        {
            rsa.ImportParameters(new RSAParameters { Exponent = _exponent, Modulus = _modulus });
        }
        catch (CryptographicException e)
        {
            throw new SshProtocolException(DisconnectReason.KeyExchangeFailed, "ssh-rsa public key was refused by the platform", e);
        }

        return rsa.VerifyData(data, padded, hash, RSASignaturePadding.Pkcs1);
    }

    protected override void WriteFields(SshWriter writer)
    {
        writer.WriteMPInt(_exponent);
        writer.WriteMPInt(_modulus);
    }

    /// <summary>Bit length of a big-endian magnitude that has no leading zero byte.</summary>
    private static int BitLength(ReadOnlySpan<byte> magnitude) =>
        magnitude.IsEmpty ? 0 : ((magnitude.Length - 1) * 8) + (32 - BitOperations.LeadingZeroCount((uint)magnitude[0]));
}
