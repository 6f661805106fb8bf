using System.Security.Cryptography;
using NativeSftp.Wire;

namespace NativeSftp.Crypto.Keys;

/// <summary>
/// Reads one key's private fields as OpenSSH serializes them (sshkey.c sshkey_private_serialize; the same
/// layout ssh-agent's ADD_IDENTITY uses, draft-miller-ssh-agent §3.2), followed by its comment:
/// <code>
/// ssh-ed25519:          string type, string pub(32), string seed||pub(64)
/// ecdsa-sha2-nistpNNN:  string type, string curve, string Q, mpint d
/// ssh-rsa:              string type, mpint n, mpint e, mpint d, mpint iqmp, mpint p, mpint q
/// all:                  string comment
/// </code>
/// Truncation surfaces as the reader's <see cref="SshProtocolException"/>, which the caller turns into a
/// <see cref="PrivateKeyFormatException"/> naming the section.
/// </summary>
internal static class OpenSshPrivateKeyFields
{
    /// <summary>OpenSSH stores the Ed25519 secret as seed || public key: 32 + 32 = 64 bytes (RFC 8032 §5.1.5).</summary>
    private const int Ed25519StoredSecretSize = Ed25519PrivateKey.SeedSize + Ed25519PrivateKey.PublicKeySize;

    public static SshPrivateKey Read(ref SshReader reader)
    {
        string type = reader.ReadAscii();
        switch (type)
        {
            case Ed25519PrivateKey.Name:
                return ReadEd25519(ref reader);
            case RsaPrivateKey.Name:
                return ReadRsa(ref reader);
            default:
                if (type.StartsWith("ecdsa-sha2-", StringComparison.Ordinal))
                {
                    return ReadEcdsa(ref reader, type);
                }

                throw new PrivateKeyFormatException($"key type '{type}' is not supported (ssh-ed25519, ecdsa-sha2-nistp256/384/521, ssh-rsa are)");
        }
    }

    private static Ed25519PrivateKey ReadEd25519(ref SshReader reader)
    {
        ReadOnlySpan<byte> pub = reader.ReadString();
        ReadOnlySpan<byte> secret = reader.ReadString();
        string comment = reader.ReadUtf8();
        if (pub.Length != Ed25519PrivateKey.PublicKeySize || secret.Length != Ed25519StoredSecretSize)
        {
            throw new PrivateKeyFormatException(
                $"ssh-ed25519 fields are {pub.Length} and {secret.Length} bytes, expected {Ed25519PrivateKey.PublicKeySize} and {Ed25519StoredSecretSize}");
        }

        if (!secret[Ed25519PrivateKey.SeedSize..].SequenceEqual(pub))
        {
            throw new PrivateKeyFormatException("ssh-ed25519 private field's public half differs from the public key");
        }

        return Ed25519PrivateKey.Create(secret[..Ed25519PrivateKey.SeedSize], pub, comment);
    }

    private static EcdsaPrivateKey ReadEcdsa(ref SshReader reader, string type)
    {
        string identifier = reader.ReadAscii();
        EcdsaCurve curve = EcdsaCurve.FromIdentifier(identifier)
            ?? throw new PrivateKeyFormatException($"ECDSA curve '{identifier}' is not supported (nistp256, nistp384, nistp521 are)");
        if (curve.KeyType != type)
        {
            throw new PrivateKeyFormatException($"key type '{type}' names a different curve from its field '{identifier}'");
        }

        ReadOnlySpan<byte> point = reader.ReadString();
        ReadOnlySpan<byte> scalar = reader.ReadPositiveMPInt();
        string comment = reader.ReadUtf8();
        if (scalar.IsEmpty || scalar.Length > curve.CoordinateSize)
        {
            throw new PrivateKeyFormatException($"{type} private scalar is {scalar.Length} bytes, expected 1..{curve.CoordinateSize}");
        }

        var parameters = new ECParameters { Curve = curve.Curve, Q = curve.DecodePoint(point), D = new byte[curve.CoordinateSize] };
        scalar.CopyTo(parameters.D.AsSpan(curve.CoordinateSize - scalar.Length));
        var ecdsa = ECDsa.Create();
        try
        {
            ecdsa.ImportParameters(parameters);
        }
        catch (CryptographicException e)
        {
            ecdsa.Dispose();
            throw new PrivateKeyFormatException($"{type} key is not valid on its curve: {e.Message}", e);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(parameters.D);
        }

        return EcdsaPrivateKey.Create(ecdsa, point, comment);
    }

    private static RsaPrivateKey ReadRsa(ref SshReader reader)
    {
        ReadOnlySpan<byte> n = reader.ReadPositiveMPInt();
        ReadOnlySpan<byte> e = reader.ReadPositiveMPInt();
        ReadOnlySpan<byte> d = reader.ReadPositiveMPInt();
        ReadOnlySpan<byte> iqmp = reader.ReadPositiveMPInt();
        ReadOnlySpan<byte> p = reader.ReadPositiveMPInt();
        ReadOnlySpan<byte> q = reader.ReadPositiveMPInt();
        string comment = reader.ReadUtf8();
        return RsaPrivateKey.FromComponents(n, e, d, iqmp, p, q, comment);
    }
}
