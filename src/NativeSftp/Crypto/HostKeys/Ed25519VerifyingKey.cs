using NativeSftp.Wire;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Math.EC.Rfc8032;

namespace NativeSftp.Crypto.HostKeys;

/// <summary>
/// ssh-ed25519 (RFC 8709 §4 and §6): key = <c>string</c> "ssh-ed25519" || <c>string</c> ENC(A) (32 bytes);
/// signature = <c>string</c> "ssh-ed25519" || <c>string</c> R || S (64 bytes). Pure Ed25519, no context.
/// </summary>
internal sealed class Ed25519VerifyingKey : VerifyingKey
{
    /// <summary>RFC 8032 §5.1.5: the public key is the 32-byte encoding of a point.</summary>
    public const int PublicKeySize = 32;

    /// <summary>RFC 8032 §5.1.6: a signature is ENC(R) (32 bytes) || ENC(S) (32 bytes) = 64 bytes.</summary>
    public const int SignatureSize = 64;

    private readonly byte[] _publicKey;
    private readonly Ed25519PublicKeyParameters _parameters;

    private Ed25519VerifyingKey(ReadOnlySpan<byte> publicKey)
    {
        try
        {
            // The constructor decodes the point, so an encoding that is not on the curve is refused here rather than
            // surfacing later as an unexplained "bad signature".
            _parameters = new Ed25519PublicKeyParameters(publicKey);
        }
        catch (ArgumentException e)
        {
            throw new SshProtocolException(DisconnectReason.KeyExchangeFailed, "ssh-ed25519 public key is not a valid curve point", e);
        }

        _publicKey = publicKey.ToArray();
    }

    public override string KeyType => Ed25519KeyType;

    public static Ed25519VerifyingKey Read(ref SshReader reader)
    {
        var publicKey = reader.ReadString();
        if (publicKey.Length != PublicKeySize)
        {
            throw new SshProtocolException(DisconnectReason.KeyExchangeFailed, $"ssh-ed25519 public key of {publicKey.Length} bytes, expected {PublicKeySize}");
        }

        return new Ed25519VerifyingKey(publicKey);
    }

    public override bool Verify(string signatureAlgorithm, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        if (signature.Length != SignatureSize)
        {
            throw new SshProtocolException(DisconnectReason.KeyExchangeFailed, $"ssh-ed25519 signature of {signature.Length} bytes, expected {SignatureSize}");
        }

        // RFC 8709 §6 uses pure Ed25519: no context (null) and no prehash.
        return _parameters.Verify(Ed25519.Algorithm.Ed25519, null, data, signature);
    }

    protected override void WriteFields(SshWriter writer) => writer.WriteString(_publicKey);
}
