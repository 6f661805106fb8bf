using NativeSftp.Wire;

namespace NativeSftp.Crypto.HostKeys;

/// <summary>
/// The public half of a plain (non-certificate) key, parsed from its wire fields, that can check a raw signature.
/// Holds only the key's parameters; platform crypto objects are created per verification (cold path: once per key
/// exchange or certificate check), so instances need no disposal and are safe to share.
/// </summary>
internal abstract class VerifyingKey
{
    public const string Ed25519KeyType = "ssh-ed25519";
    public const string EcdsaNistP256KeyType = "ecdsa-sha2-nistp256";
    public const string EcdsaNistP384KeyType = "ecdsa-sha2-nistp384";
    public const string EcdsaNistP521KeyType = "ecdsa-sha2-nistp521";
    public const string RsaKeyType = "ssh-rsa";

    /// <summary>The plain key type name as it opens the key's blob, e.g. <c>ssh-rsa</c>.</summary>
    public abstract string KeyType { get; }

    /// <summary>
    /// True when <paramref name="signature"/> (the inner <c>string sig</c> of a signature blob) is a valid signature
    /// of <paramref name="data"/> under <paramref name="signatureAlgorithm"/>, which the caller has already matched to
    /// this key's type. A signature whose encoding is impossible for this key throws <see cref="SshProtocolException"/>.
    /// </summary>
    public abstract bool Verify(string signatureAlgorithm, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature);

    /// <summary>Writes the key's own blob: <c>string</c> type || the type's fields (RFC 4253 §6.6).</summary>
    public void WriteBlob(SshWriter writer)
    {
        writer.WriteAscii(KeyType);
        WriteFields(writer);
    }

    public byte[] ToBlob()
    {
        using var buffer = new PooledBufferWriter();
        WriteBlob(new SshWriter(buffer));
        return buffer.ToArray();
    }

    /// <summary>Writes the fields that follow the type name (the same fields a certificate embeds after its nonce).</summary>
    protected abstract void WriteFields(SshWriter writer);

    /// <summary>True for the plain key types this layer can parse.</summary>
    public static bool IsKnownKeyType(string keyType) => keyType switch
    {
        Ed25519KeyType or EcdsaNistP256KeyType or EcdsaNistP384KeyType or EcdsaNistP521KeyType or RsaKeyType => true,
        _ => false,
    };

    /// <summary>
    /// Reads the fields of a <paramref name="keyType"/> key (everything after the type name). The same layout appears
    /// in a plain key blob and, after the nonce, in a certificate (PROTOCOL.certkeys).
    /// </summary>
    public static VerifyingKey ReadFields(string keyType, ref SshReader reader) => keyType switch
    {
        Ed25519KeyType => Ed25519VerifyingKey.Read(ref reader),
        EcdsaNistP256KeyType or EcdsaNistP384KeyType or EcdsaNistP521KeyType => EcdsaVerifyingKey.Read(keyType, ref reader),
        RsaKeyType => RsaVerifyingKey.Read(ref reader),
        _ => throw new SshProtocolException(DisconnectReason.KeyExchangeFailed, $"unsupported public key type '{keyType}'"),
    };

    /// <summary>Parses a whole plain key blob; trailing bytes are malformed.</summary>
    public static VerifyingKey Parse(ReadOnlySpan<byte> blob)
    {
        var reader = new SshReader(blob);
        string keyType = reader.ReadAscii();
        var key = ReadFields(keyType, ref reader);
        reader.EnsureAtEnd($"{keyType} public key");
        return key;
    }

    /// <summary>
    /// Reads an <c>mpint</c> that must not be negative and returns its magnitude without leading zeros. Unlike
    /// <see cref="SshReader.ReadPositiveMPInt"/> this accepts redundant leading zero bytes, as OpenSSH does for
    /// keys and signatures (sshbuf_get_bignum2_bytes_direct trims them): a peer whose encoder pads r or s is
    /// interoperable there, and the padding changes no value, so refusing it would only break connections.
    /// </summary>
    internal static ReadOnlySpan<byte> ReadUnsignedMPInt(ref SshReader reader, string what)
    {
        var raw = reader.ReadString();
        if (raw.Length > 0 && (raw[0] & 0x80) != 0)
        {
            throw new SshProtocolException(DisconnectReason.ProtocolError, $"negative mpint for {what}");
        }

        int start = 0;
        while (start < raw.Length && raw[start] == 0)
        {
            start++;
        }

        return raw[start..];
    }
}
