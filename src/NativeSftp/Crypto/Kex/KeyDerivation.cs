using System.Security.Cryptography;

namespace NativeSftp.Crypto.Kex;

/// <summary>The SSH key derivation of RFC 4253 §7.2 (also NIST SP 800-135 §5.2).</summary>
public static class KeyDerivation
{
    // The largest digest any method here uses (SHA-512, 64 bytes); a stack buffer of this size holds one block.
    private const int MaxHashBytes = 64;

    /// <summary>
    /// K1 = HASH(K || H || letter || session_id), Kn = HASH(K || H || K1 || ... || Kn-1), concatenated and
    /// truncated to <paramref name="length"/>. <paramref name="encodedSharedSecret"/> is
    /// <see cref="KexResult.EncodedSharedSecret"/>, length prefix included, because RFC 4253 §7.2 hashes K in its
    /// wire encoding (mpint, or string for the hybrids).
    /// </summary>
    public static byte[] Derive(HashAlgorithmName hash, ReadOnlySpan<byte> encodedSharedSecret, ReadOnlySpan<byte> exchangeHash,
        char letter, ReadOnlySpan<byte> sessionId, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (letter < 'A' || letter > 'F')
        {
            // RFC 4253 §7.2 defines exactly six keys, "A" to "F"; anything else is a caller bug.
            throw new ArgumentOutOfRangeException(nameof(letter), letter, "key letter must be 'A'..'F' (RFC 4253 §7.2)");
        }

        var result = new byte[length];
        using var h = IncrementalHash.CreateHash(hash);
        int hashLength = h.HashLengthInBytes;
        Span<byte> block = stackalloc byte[MaxHashBytes];
        block = block[..hashLength];
        Span<byte> letterByte = [(byte)letter];
        try
        {
            int produced = 0;
            while (produced < length)
            {
                h.AppendData(encodedSharedSecret);
                h.AppendData(exchangeHash);
                if (produced == 0)
                {
                    h.AppendData(letterByte);
                    h.AppendData(sessionId);
                }
                else
                {
                    // Every earlier block was copied whole (only the last one is truncated), so result[..produced]
                    // is exactly K1 || ... || Kn-1.
                    h.AppendData(result.AsSpan(0, produced));
                }

                h.GetHashAndReset(block);
                int take = Math.Min(hashLength, length - produced);
                block[..take].CopyTo(result.AsSpan(produced));
                produced += take;
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(block);
        }

        return result;
    }
}
