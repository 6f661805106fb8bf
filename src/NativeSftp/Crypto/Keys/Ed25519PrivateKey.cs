using System.Security.Cryptography;
using NativeSftp.Wire;
using Rfc8032 = Org.BouncyCastle.Math.EC.Rfc8032.Ed25519;

namespace NativeSftp.Crypto.Keys;

/// <summary>
/// An Ed25519 key (RFC 8032). .NET has no Ed25519, so signing uses BouncyCastle's stateless RFC 8032 code over
/// our own seed array, which this class zeroes on dispose (a BouncyCastle key object would keep its own copy).
/// </summary>
public sealed class Ed25519PrivateKey : SshPrivateKey
{
    public const string Name = "ssh-ed25519";

    /// <summary>RFC 8032 §5.1.5: a 32-byte seed (the secret) and a 32-byte encoded public point.</summary>
    public const int SeedSize = 32;
    public const int PublicKeySize = 32;

    /// <summary>RFC 8032 §5.1.6: R || S, 32 + 32 = 64 bytes.</summary>
    private const int SignatureSize = 64;

    private static readonly string[] Algorithms = [Name];

    private readonly byte[] _seed;

    private Ed25519PrivateKey(byte[] seed, SshPublicKey publicKey, string comment) : base(publicKey, comment) => _seed = seed;

    public override IReadOnlyList<string> SignatureAlgorithms => Algorithms;

    /// <summary>
    /// Creates the key from its seed; when the file also carries the public half, it must be the one the seed
    /// generates (a mismatch means a damaged file, and signing with a wrong public key would leak the secret).
    /// </summary>
    internal static Ed25519PrivateKey Create(ReadOnlySpan<byte> seed, ReadOnlySpan<byte> expectedPublic, string comment)
    {
        if (seed.Length != SeedSize)
        {
            throw new PrivateKeyFormatException($"Ed25519 seed is {seed.Length} bytes, expected {SeedSize}");
        }

        Span<byte> pub = stackalloc byte[PublicKeySize];
        Rfc8032.GeneratePublicKey(seed, pub);
        if (!expectedPublic.IsEmpty && !CryptographicOperations.FixedTimeEquals(pub, expectedPublic))
        {
            throw new PrivateKeyFormatException("Ed25519 public key does not match the private seed");
        }

        byte[] pubArray = pub.ToArray();
        var publicKey = BuildPublicKey(w =>
        {
            w.WriteAscii(Name);
            w.WriteString(pubArray);
        });
        return new Ed25519PrivateKey(seed.ToArray(), publicKey, comment);
    }

    private protected override void WriteSignature(string algorithm, ReadOnlySpan<byte> data, SshWriter writer)
    {
        // RFC 8709 §6: the signature is the 64-byte RFC 8032 signature as one string.
        Span<byte> signature = stackalloc byte[SignatureSize];
        Rfc8032.Sign(_seed, data, signature);
        writer.WriteString(signature);
    }

    protected override void DisposeSecret() => CryptographicOperations.ZeroMemory(_seed);
}
