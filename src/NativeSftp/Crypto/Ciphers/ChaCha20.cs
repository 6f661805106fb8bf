using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;

namespace NativeSftp.Crypto.Ciphers;

/// <summary>
/// The original ChaCha20 of D. J. Bernstein: 256-bit key, 64-bit block counter (state words 12-13) and 64-bit
/// nonce (words 14-15). OpenSSH's chacha20-poly1305 uses this variant, not RFC 8439's 32-bit counter / 96-bit
/// nonce layout. Written here rather than driving BouncyCastle's ChaChaEngine because that engine allocates on
/// every re-initialisation (one per packet here) and XORs one byte at a time; the tests cross-check this code
/// against ChaChaEngine and the RFC 8439 §2.3.2 block vector.
/// </summary>
internal static class ChaCha20
{
    /// <summary>One ChaCha20 block is 16 words of 32 bits = 64 bytes.</summary>
    public const int BlockSize = 64;

    /// <summary>32-byte key (RFC 8439 §2.3), held as 8 little-endian words.</summary>
    public const int KeySize = 32;

    /// <summary>The original construction's nonce: 64 bits = 8 bytes.</summary>
    public const int NonceSize = 8;

    /// <summary>Key words in the state: words 4..11.</summary>
    public const int KeyWords = KeySize / sizeof(uint);

    // "expand 32-byte k" as four little-endian words (RFC 8439 §2.3).
    private const uint Sigma0 = 0x61707865;
    private const uint Sigma1 = 0x3320646e;
    private const uint Sigma2 = 0x79622d32;
    private const uint Sigma3 = 0x6b206574;

    /// <summary>Loads a 32-byte key into 8 little-endian words.</summary>
    public static void LoadKey(ReadOnlySpan<byte> key, Span<uint> keyWords)
    {
        for (int i = 0; i < KeyWords; i++)
        {
            keyWords[i] = BinaryPrimitives.ReadUInt32LittleEndian(key.Slice(i * sizeof(uint)));
        }
    }

    /// <summary>Writes the 64-byte keystream block for <paramref name="counter"/> to <paramref name="output"/>.</summary>
    public static void Block(ReadOnlySpan<uint> keyWords, ulong counter, ReadOnlySpan<byte> nonce, Span<byte> output)
    {
        uint n0 = BinaryPrimitives.ReadUInt32LittleEndian(nonce);
        uint n1 = BinaryPrimitives.ReadUInt32LittleEndian(nonce.Slice(sizeof(uint)));
        Core(keyWords, (uint)counter, (uint)(counter >> 32), n0, n1, output);
    }

    /// <summary>
    /// XORs <paramref name="source"/> with the keystream starting at block <paramref name="counter"/> into
    /// <paramref name="destination"/> (same length; the two may be the same memory).
    /// </summary>
    public static void Xor(ReadOnlySpan<uint> keyWords, ulong counter, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> source, Span<byte> destination)
    {
        uint n0 = BinaryPrimitives.ReadUInt32LittleEndian(nonce);
        uint n1 = BinaryPrimitives.ReadUInt32LittleEndian(nonce.Slice(sizeof(uint)));
        Span<byte> block = stackalloc byte[BlockSize];
        int offset = 0;
        while (offset < source.Length)
        {
            Core(keyWords, (uint)counter, (uint)(counter >> 32), n0, n1, block);
            counter++;
            int n = Math.Min(BlockSize, source.Length - offset);
            XorBytes.Xor(source.Slice(offset, n), block.Slice(0, n), destination.Slice(offset, n));
            offset += n;
        }

        // The last keystream block would let anyone reading the stack decrypt the packet's tail.
        CryptographicOperations.ZeroMemory(block);
    }

    private static void Core(ReadOnlySpan<uint> k, uint c0, uint c1, uint n0, uint n1, Span<byte> output)
    {
        uint x0 = Sigma0, x1 = Sigma1, x2 = Sigma2, x3 = Sigma3;
        uint x4 = k[0], x5 = k[1], x6 = k[2], x7 = k[3];
        uint x8 = k[4], x9 = k[5], x10 = k[6], x11 = k[7];
        uint x12 = c0, x13 = c1, x14 = n0, x15 = n1;

        // 20 rounds = 10 double rounds: a column round then a diagonal round (RFC 8439 §2.3).
        for (int i = 0; i < 10; i++)
        {
            QuarterRound(ref x0, ref x4, ref x8, ref x12);
            QuarterRound(ref x1, ref x5, ref x9, ref x13);
            QuarterRound(ref x2, ref x6, ref x10, ref x14);
            QuarterRound(ref x3, ref x7, ref x11, ref x15);
            QuarterRound(ref x0, ref x5, ref x10, ref x15);
            QuarterRound(ref x1, ref x6, ref x11, ref x12);
            QuarterRound(ref x2, ref x7, ref x8, ref x13);
            QuarterRound(ref x3, ref x4, ref x9, ref x14);
        }

        BinaryPrimitives.WriteUInt32LittleEndian(output, x0 + Sigma0);
        BinaryPrimitives.WriteUInt32LittleEndian(output.Slice(4), x1 + Sigma1);
        BinaryPrimitives.WriteUInt32LittleEndian(output.Slice(8), x2 + Sigma2);
        BinaryPrimitives.WriteUInt32LittleEndian(output.Slice(12), x3 + Sigma3);
        BinaryPrimitives.WriteUInt32LittleEndian(output.Slice(16), x4 + k[0]);
        BinaryPrimitives.WriteUInt32LittleEndian(output.Slice(20), x5 + k[1]);
        BinaryPrimitives.WriteUInt32LittleEndian(output.Slice(24), x6 + k[2]);
        BinaryPrimitives.WriteUInt32LittleEndian(output.Slice(28), x7 + k[3]);
        BinaryPrimitives.WriteUInt32LittleEndian(output.Slice(32), x8 + k[4]);
        BinaryPrimitives.WriteUInt32LittleEndian(output.Slice(36), x9 + k[5]);
        BinaryPrimitives.WriteUInt32LittleEndian(output.Slice(40), x10 + k[6]);
        BinaryPrimitives.WriteUInt32LittleEndian(output.Slice(44), x11 + k[7]);
        BinaryPrimitives.WriteUInt32LittleEndian(output.Slice(48), x12 + c0);
        BinaryPrimitives.WriteUInt32LittleEndian(output.Slice(52), x13 + c1);
        BinaryPrimitives.WriteUInt32LittleEndian(output.Slice(56), x14 + n0);
        BinaryPrimitives.WriteUInt32LittleEndian(output.Slice(60), x15 + n1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void QuarterRound(ref uint a, ref uint b, ref uint c, ref uint d)
    {
        a += b; d = BitOperations.RotateLeft(d ^ a, 16);
        c += d; b = BitOperations.RotateLeft(b ^ c, 12);
        a += b; d = BitOperations.RotateLeft(d ^ a, 8);
        c += d; b = BitOperations.RotateLeft(b ^ c, 7);
    }
}
