using System.Security.Cryptography;

namespace NativeSftp.Crypto.Keys;

/// <summary>The three ECDSA curves SSH uses (RFC 5656 §10.1), their names, OIDs and hashes (§6.2.1).</summary>
internal sealed class EcdsaCurve
{
    /// <summary>Uncompressed SEC1 point encoding (SEC1 §2.3.3): 0x04 || X || Y; RFC 5656 §3.1 requires it.</summary>
    private const byte UncompressedPoint = 0x04;

    public static readonly EcdsaCurve NistP256 = new("nistp256", "1.2.840.10045.3.1.7", ECCurve.NamedCurves.nistP256, HashAlgorithmName.SHA256, 32);
    public static readonly EcdsaCurve NistP384 = new("nistp384", "1.3.132.0.34", ECCurve.NamedCurves.nistP384, HashAlgorithmName.SHA384, 48);
    /// <summary>P-521 coordinates are ceil(521 / 8) = 66 bytes.</summary>
    public static readonly EcdsaCurve NistP521 = new("nistp521", "1.3.132.0.35", ECCurve.NamedCurves.nistP521, HashAlgorithmName.SHA512, 66);

    private EcdsaCurve(string identifier, string oid, ECCurve curve, HashAlgorithmName hash, int coordinateSize)
    {
        Identifier = identifier;
        KeyType = "ecdsa-sha2-" + identifier;
        Oid = oid;
        Curve = curve;
        Hash = hash;
        CoordinateSize = coordinateSize;
    }

    public string Identifier { get; }
    public string KeyType { get; }
    public string Oid { get; }
    public ECCurve Curve { get; }
    public HashAlgorithmName Hash { get; }
    public int CoordinateSize { get; }

    public static EcdsaCurve? FromOid(string? oid) => oid switch
    {
        "1.2.840.10045.3.1.7" => NistP256,
        "1.3.132.0.34" => NistP384,
        "1.3.132.0.35" => NistP521,
        _ => null,
    };

    public static EcdsaCurve? FromIdentifier(string identifier) => identifier switch
    {
        "nistp256" => NistP256,
        "nistp384" => NistP384,
        "nistp521" => NistP521,
        _ => null,
    };

    public byte[] EncodePoint(ECPoint q)
    {
        var point = new byte[1 + (2 * CoordinateSize)];
        point[0] = UncompressedPoint;
        CopyPadded(q.X, point.AsSpan(1, CoordinateSize));
        CopyPadded(q.Y, point.AsSpan(1 + CoordinateSize, CoordinateSize));
        return point;
    }

    /// <summary>Splits an uncompressed point into X and Y, refusing any other encoding or size.</summary>
    public ECPoint DecodePoint(ReadOnlySpan<byte> point)
    {
        if (point.Length != 1 + (2 * CoordinateSize) || point[0] != UncompressedPoint)
        {
            throw new PrivateKeyFormatException(
                $"{KeyType} public point must be {1 + (2 * CoordinateSize)} bytes starting 0x04 (uncompressed), got {point.Length} bytes");
        }

        return new ECPoint
        {
            X = point.Slice(1, CoordinateSize).ToArray(),
            Y = point.Slice(1 + CoordinateSize, CoordinateSize).ToArray(),
        };
    }

    private void CopyPadded(byte[]? value, Span<byte> destination)
    {
        if (value is null || value.Length > CoordinateSize)
        {
            throw new CryptographicException($"{KeyType} coordinate does not fit {CoordinateSize} bytes");
        }

        destination.Clear();
        value.CopyTo(destination[(CoordinateSize - value.Length)..]);
    }
}
