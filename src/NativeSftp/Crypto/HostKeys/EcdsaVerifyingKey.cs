using System.Security.Cryptography;
using NativeSftp.Wire;

namespace NativeSftp.Crypto.HostKeys;

/// <summary>
/// ecdsa-sha2-nistp256/384/521 (RFC 5656 §3.1): key = <c>string</c> "ecdsa-sha2-[id]" || <c>string</c> [id] ||
/// <c>string</c> Q, Q an uncompressed point (SEC1 2.3.3: 0x04 || X || Y); signature (§3.1.2) = <c>string</c>
/// "ecdsa-sha2-[id]" || <c>string</c> (<c>mpint</c> r || <c>mpint</c> s), hashed with SHA-256/384/512 by curve size.
/// </summary>
internal sealed class EcdsaVerifyingKey : VerifyingKey
{
    /// <summary>SEC1 §2.3.3: the first octet of an uncompressed point. RFC 5656 §3.1 requires uncompressed points.</summary>
    private const byte UncompressedPointTag = 0x04;

    private readonly string _keyType;
    private readonly string _curveName;
    private readonly ECCurve _curve;
    private readonly HashAlgorithmName _hash;

    /// <summary>Bytes per coordinate and per r or s: ceil(field bits / 8) = 32, 48, 66 for P-256, P-384, P-521
    /// (each curve's order has the same bit length as its field).</summary>
    private readonly int _fieldSize;

    private readonly byte[] _point;

    private EcdsaVerifyingKey(string keyType, string curveName, ECCurve curve, HashAlgorithmName hash, int fieldSize, byte[] point)
    {
        _keyType = keyType;
        _curveName = curveName;
        _curve = curve;
        _hash = hash;
        _fieldSize = fieldSize;
        _point = point;
    }

    public override string KeyType => _keyType;

    public static EcdsaVerifyingKey Read(string keyType, ref SshReader reader)
    {
        // RFC 5656 §6.1: SHA-256 for curves up to 256 bits, SHA-384 up to 384, SHA-512 above.
        (string curveName, ECCurve curve, HashAlgorithmName hash, int fieldSize) = keyType switch
        {
            EcdsaNistP256KeyType => ("nistp256", ECCurve.NamedCurves.nistP256, HashAlgorithmName.SHA256, 32),  // 256 bits / 8
            EcdsaNistP384KeyType => ("nistp384", ECCurve.NamedCurves.nistP384, HashAlgorithmName.SHA384, 48),  // 384 bits / 8
            EcdsaNistP521KeyType => ("nistp521", ECCurve.NamedCurves.nistP521, HashAlgorithmName.SHA512, 66),  // ceil(521 / 8)
            _ => throw new ArgumentOutOfRangeException(nameof(keyType), keyType, "not an ECDSA key type"),
        };

        // RFC 5656 §3.1: the identifier inside the blob must name the same curve as the key type.
        string inner = reader.ReadAscii();
        if (inner != curveName)
        {
            throw new SshProtocolException(DisconnectReason.KeyExchangeFailed, $"{keyType} key names curve '{inner}'");
        }

        var q = reader.ReadString();
        if (q.Length != 1 + (2 * fieldSize) || q[0] != UncompressedPointTag)
        {
            throw new SshProtocolException(DisconnectReason.KeyExchangeFailed, $"{keyType} public point is not an uncompressed {curveName} point ({q.Length} bytes)");
        }

        var key = new EcdsaVerifyingKey(keyType, curveName, curve, hash, fieldSize, q.ToArray());

        // Import once now so a point that is not on the curve is reported as a bad key at parse time.
        using (key.CreateEcdsa())
        {
        }

        return key;
    }

    public override bool Verify(string signatureAlgorithm, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        var reader = new SshReader(signature);
        var r = ReadUnsignedMPInt(ref reader, "ECDSA r");
        var s = ReadUnsignedMPInt(ref reader, "ECDSA s");
        reader.EnsureAtEnd($"{_keyType} signature");

        // r and s are reduced modulo the order n, so neither can be wider than n; a wider one is not a signature.
        if (r.Length > _fieldSize || s.Length > _fieldSize)
        {
            throw new SshProtocolException(DisconnectReason.KeyExchangeFailed, $"{_keyType} signature r or s wider than the curve order");
        }

        // IEEE P1363 form: r || s, each left-padded with zeros to the field size. 2 * 66 bytes at most.
        Span<byte> p1363 = stackalloc byte[2 * _fieldSize];
        p1363.Clear();
        r.CopyTo(p1363[(_fieldSize - r.Length).._fieldSize]);
        s.CopyTo(p1363[(2 * _fieldSize - s.Length)..]);

        using var ecdsa = CreateEcdsa();
        return ecdsa.VerifyData(data, p1363, _hash, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
    }

    protected override void WriteFields(SshWriter writer)
    {
        writer.WriteAscii(_curveName);
        writer.WriteString(_point);
    }

    private ECDsa CreateEcdsa()
    {
        var parameters = new ECParameters
        {
            Curve = _curve,
            Q = new ECPoint
            {
                X = _point.AsSpan(1, _fieldSize).ToArray(),
                Y = _point.AsSpan(1 + _fieldSize, _fieldSize).ToArray(),
            },
        };

        var ecdsa = ECDsa.Create();
        try
        {
            // ImportParameters validates that Q is on the curve (and not the point at infinity).
            ecdsa.ImportParameters(parameters);
            return ecdsa;
        }
        catch (CryptographicException e)
        {
            ecdsa.Dispose();
            throw new SshProtocolException(DisconnectReason.KeyExchangeFailed, $"{_keyType} public point is not on {_curveName}", e);
        }
    }
}
