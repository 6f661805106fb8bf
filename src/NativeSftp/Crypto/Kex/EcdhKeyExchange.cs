using System.Security.Cryptography;
using NativeSftp.Wire;

namespace NativeSftp.Crypto.Kex;

/// <summary>
/// ecdh-sha2-nistp256/384/521 (RFC 5656 §4). Q_C and Q_S are strings holding uncompressed SEC1 points
/// (0x04 || X || Y, RFC 5656 §3.1); K is the x coordinate of the shared point as an mpint (RFC 5656 §4, SEC1 §3.3.1).
/// </summary>
internal sealed class EcdhKeyExchange : SingleRoundKeyExchange
{
    // SEC1 §2.3.3: an uncompressed point starts with 0x04. RFC 5656 §3.1 says implementations MUST accept
    // uncompressed points and OpenSSH only ever sends them, so compressed ones are refused.
    private const byte UncompressedPointTag = 0x04;

    private readonly ECCurve _curve;
    private readonly int _fieldBytes;
    private ECDiffieHellman? _key;

    public EcdhKeyExchange(string name, KexContext context)
        : this(name, context, null)
    {
    }

    /// <summary>Test seam: <paramref name="privateKey"/> (curve, D and Q) fixes the ephemeral key.</summary>
    internal EcdhKeyExchange(string name, KexContext context, ECParameters? privateKey)
        : base(name, HashFor(name), context)
    {
        (_curve, _fieldBytes) = CurveFor(name);
        _key = privateKey is { } p ? ECDiffieHellman.Create(p) : ECDiffieHellman.Create(_curve);
    }

    protected override bool PublicValuesAreMPInts => false;

    /// <summary>RFC 5656 §6.2.1: the hash follows the curve size.</summary>
    private static HashAlgorithmName HashFor(string name) => name switch
    {
        "ecdh-sha2-nistp256" => HashAlgorithmName.SHA256,
        "ecdh-sha2-nistp384" => HashAlgorithmName.SHA384,
        "ecdh-sha2-nistp521" => HashAlgorithmName.SHA512,
        _ => throw new ArgumentException($"not an ECDH method: {name}", nameof(name)),
    };

    // Field element sizes: ceil(256/8) = 32, ceil(384/8) = 48, ceil(521/8) = 66 bytes (SEC1 §2.3.5).
    private static (ECCurve Curve, int FieldBytes) CurveFor(string name) => name switch
    {
        "ecdh-sha2-nistp256" => (ECCurve.NamedCurves.nistP256, 32),
        "ecdh-sha2-nistp384" => (ECCurve.NamedCurves.nistP384, 48),
        "ecdh-sha2-nistp521" => (ECCurve.NamedCurves.nistP521, 66),
        _ => throw new ArgumentException($"not an ECDH method: {name}", nameof(name)),
    };

    protected override void WriteClientPublicValue(SshWriter writer)
    {
        var q = Key.ExportParameters(includePrivateParameters: false).Q;
        int length = 1 + 2 * _fieldBytes;
        writer.WriteUInt32((uint)length);
        writer.WriteByte(UncompressedPointTag);
        WriteFixed(writer, q.X!);
        WriteFixed(writer, q.Y!);
    }

    private void WriteFixed(SshWriter writer, byte[] coordinate)
    {
        // .NET exports coordinates at the field size already; pad defensively so Q_C is always 1 + 2 * size bytes.
        for (int i = coordinate.Length; i < _fieldBytes; i++)
        {
            writer.WriteByte(0);
        }

        writer.WriteRaw(coordinate);
    }

    protected override byte[] ComputeEncodedSharedSecret(ReadOnlySpan<byte> serverPublicValue)
    {
        if (serverPublicValue.Length != 1 + 2 * _fieldBytes || serverPublicValue[0] != UncompressedPointTag)
        {
            throw InvalidValue($"Q_S is not an uncompressed {Name} point ({serverPublicValue.Length} bytes)");
        }

        var peerParameters = new ECParameters
        {
            Curve = _curve,
            Q = new ECPoint
            {
                X = serverPublicValue.Slice(1, _fieldBytes).ToArray(),
                Y = serverPublicValue.Slice(1 + _fieldBytes, _fieldBytes).ToArray(),
            },
        };

        ECDiffieHellman peer;
        try
        {
            // ImportParameters validates the point (on the curve, not infinity), which RFC 5656 §4 requires and
            // which stops invalid-curve attacks on our ephemeral scalar.
            peer = ECDiffieHellman.Create(peerParameters);
        }
        catch (CryptographicException e)
        {
            throw new SshProtocolException(DisconnectReason.KeyExchangeFailed, $"{Name}: Q_S is not a valid point on the curve", e);
        }

        byte[]? x = null;
        try
        {
            using (peer)
            using (var peerPublic = peer.PublicKey)
            {
                x = Key.DeriveRawSecretAgreement(peerPublic);
            }

            return SharedSecretEncoding.AsMPInt(x);
        }
        finally
        {
            if (x is not null)
            {
                CryptographicOperations.ZeroMemory(x);
            }
        }
    }

    private ECDiffieHellman Key => _key ?? throw new ObjectDisposedException(GetType().Name);

    protected override void ForgetPrivateKey()
    {
        _key?.Dispose();
        _key = null;
    }
}
