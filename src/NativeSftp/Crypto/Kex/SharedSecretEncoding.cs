using System.Security.Cryptography;
using NativeSftp.Wire;

namespace NativeSftp.Crypto.Kex;

/// <summary>Encodes K for H and the KDF: an mpint for the classic methods, a string for the PQ hybrids.</summary>
internal static class SharedSecretEncoding
{
    // Room for the largest K we encode: an 8192-bit DH secret (1024 bytes) + 4-byte length + 1 pad byte.
    private const int InitialCapacity = 1024 + 4 + 1;

    /// <summary>RFC 4253 §8 / RFC 5656 §4 / RFC 8731 §3.1: K as an mpint of an unsigned big-endian magnitude.</summary>
    public static byte[] AsMPInt(ReadOnlySpan<byte> magnitude)
    {
        using var buffer = new PooledBufferWriter(InitialCapacity, clearOnReturn: true);
        new SshWriter(buffer).WriteMPInt(magnitude);
        return buffer.ToArray();
    }

    /// <summary>
    /// The hybrids (OpenSSH PROTOCOL, draft-ietf-sshm-mlkem-hybrid-kex §2.4): K = HASH(kem_ss || x25519_ss),
    /// encoded as a <c>string</c>, not an mpint, so leading zero bytes are kept.
    /// </summary>
    public static byte[] CombineAsString(HashAlgorithmName hash, ReadOnlySpan<byte> kemSecret, ReadOnlySpan<byte> x25519Secret)
    {
        using var h = IncrementalHash.CreateHash(hash);
        h.AppendData(kemSecret);
        h.AppendData(x25519Secret);
        var encoded = new byte[4 + h.HashLengthInBytes];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(encoded, (uint)h.HashLengthInBytes);
        h.GetHashAndReset(encoded.AsSpan(4));
        return encoded;
    }
}
