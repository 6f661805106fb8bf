using System.Buffers;
using System.Security.Cryptography;

namespace NativeSftp.Crypto;

/// <summary>
/// The inputs every key-exchange method hashes into H (RFC 4253 §8): V_C and V_S are the identification lines
/// without CR LF; I_C and I_S are the full KEXINIT payloads, message number included.
/// </summary>
public sealed record KexContext(byte[] ClientVersion, byte[] ServerVersion, byte[] ClientKexInit, byte[] ServerKexInit);

/// <summary>What a completed key exchange yields. Dispose zeroes the shared secret.</summary>
public sealed class KexResult : IDisposable
{
    public KexResult(HashAlgorithmName hash, byte[] exchangeHash, byte[] encodedSharedSecret, byte[] hostKeyBlob, byte[] signatureBlob)
    {
        Hash = hash;
        ExchangeHash = exchangeHash;
        EncodedSharedSecret = encodedSharedSecret;
        HostKeyBlob = hostKeyBlob;
        SignatureBlob = signatureBlob;
    }

    /// <summary>The method's hash, used for H and for key derivation (RFC 4253 §7.2).</summary>
    public HashAlgorithmName Hash { get; }

    /// <summary>H.</summary>
    public byte[] ExchangeHash { get; }

    /// <summary>
    /// K exactly as it enters the hash for H and the KDF, length prefix included: an <c>mpint</c> for the classic
    /// methods, a <c>string</c> for the post-quantum hybrids (sntrup761x25519-sha512, mlkem768x25519-sha256).
    /// </summary>
    public byte[] EncodedSharedSecret { get; }

    /// <summary>K_S, the server's public host key blob as sent in the reply.</summary>
    public byte[] HostKeyBlob { get; }

    /// <summary>The signature of H: <c>string</c> algorithm || <c>string</c> signature.</summary>
    public byte[] SignatureBlob { get; }

    public void Dispose() => CryptographicOperations.ZeroMemory(EncodedSharedSecret);
}

/// <summary>
/// The client side of one key-exchange method as a state machine with no I/O: it writes the messages to send
/// into a buffer and consumes the server's KEX messages (numbers 30-49) one at a time.
/// </summary>
public interface IKeyExchange : IDisposable
{
    /// <summary>The method's name as negotiated, e.g. <c>curve25519-sha256</c>.</summary>
    string Name { get; }

    /// <summary>Writes the first client message (message number included), e.g. KEX_ECDH_INIT or KEX_DH_GEX_REQUEST.</summary>
    void WriteInitialMessage(IBufferWriter<byte> output);

    /// <summary>
    /// Consumes one server message (payload, message number included). Returns null after writing the next client
    /// message to <paramref name="output"/> when the exchange needs another round (group exchange), or the result
    /// once the server's reply is processed. An unexpected message number, a malformed message or an invalid
    /// public value throws <see cref="SshProtocolException"/> (KeyExchangeFailed or ProtocolError). The host key
    /// signature is NOT verified here; the transport does that with the negotiated host-key algorithm.
    /// </summary>
    KexResult? HandleMessage(ReadOnlySpan<byte> payload, IBufferWriter<byte> output);
}
