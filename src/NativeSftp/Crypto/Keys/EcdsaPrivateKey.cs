using System.Security.Cryptography;
using NativeSftp.Wire;

namespace NativeSftp.Crypto.Keys;

/// <summary>An ECDSA key on NIST P-256, P-384 or P-521 (RFC 5656), signing with .NET's <see cref="ECDsa"/>.</summary>
public sealed class EcdsaPrivateKey : SshPrivateKey
{
    private readonly ECDsa _ecdsa;
    private readonly HashAlgorithmName _hash;
    private readonly string[] _algorithms;

    private EcdsaPrivateKey(ECDsa ecdsa, EcdsaCurve curve, SshPublicKey publicKey, string comment) : base(publicKey, comment)
    {
        _ecdsa = ecdsa;
        _hash = curve.Hash;
        _algorithms = [curve.KeyType];
    }

    public override IReadOnlyList<string> SignatureAlgorithms => _algorithms;

    /// <summary>
    /// Takes ownership of <paramref name="ecdsa"/> (disposed here on failure). The curve must be one of the
    /// three RFC 5656 §10.1 REQUIRED curves; when the file carries the public point it must match the key's.
    /// </summary>
    internal static EcdsaPrivateKey Create(ECDsa ecdsa, ReadOnlySpan<byte> expectedPoint, string comment)
    {
        try
        {
            ECParameters p = ecdsa.ExportParameters(includePrivateParameters: false);
            EcdsaCurve curve = EcdsaCurve.FromOid(p.Curve.Oid?.Value)
                ?? throw new PrivateKeyFormatException(
                    $"ECDSA key on curve '{p.Curve.Oid?.Value ?? p.Curve.Oid?.FriendlyName ?? "explicit"}' is not supported (only nistp256, nistp384, nistp521)");
            byte[] point = curve.EncodePoint(p.Q);
            if (!expectedPoint.IsEmpty && !expectedPoint.SequenceEqual(point))
            {
                throw new PrivateKeyFormatException($"{curve.KeyType} public point does not match the private scalar");
            }

            var publicKey = BuildPublicKey(w =>
            {
                // RFC 5656 §3.1: string "ecdsa-sha2-[identifier]", string [identifier], string Q.
                w.WriteAscii(curve.KeyType);
                w.WriteAscii(curve.Identifier);
                w.WriteString(point);
            });
            return new EcdsaPrivateKey(ecdsa, curve, publicKey, comment);
        }
        catch
        {
            ecdsa.Dispose();
            throw;
        }
    }

    private protected override void WriteSignature(string algorithm, ReadOnlySpan<byte> data, SshWriter writer)
    {
        // RFC 5656 §3.1.2: the signature string holds mpint r || mpint s. IEEE P1363 gives r and s as two
        // fixed-size big-endian halves, which WriteMPInt trims and sign-pads.
        int fieldBytes = (_ecdsa.KeySize + 7) / 8;
        Span<byte> rs = stackalloc byte[2 * fieldBytes];
        int written = _ecdsa.SignData(data, rs, _hash, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        if (written != rs.Length)
        {
            throw new CryptographicException($"ECDSA signature was {written} bytes, expected {rs.Length}");
        }

        using var inner = new PooledBufferWriter();
        var innerWriter = new SshWriter(inner);
        innerWriter.WriteMPInt(rs[..fieldBytes]);
        innerWriter.WriteMPInt(rs[fieldBytes..]);
        writer.WriteString(inner.WrittenSpan);
    }

    protected override void DisposeSecret() => _ecdsa.Dispose();
}
