using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
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

    /// <summary>Blocks computed at once by the vector path: one per 32-bit lane of a Vector128.</summary>
    private const int WideBlocks = 4;

    /// <summary>Blocks computed at once with 256-bit vectors (AVX2): eight 32-bit lanes.</summary>
    private const int WiderBlocks = 8;

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
        Span<byte> block = stackalloc byte[WideBlocks * BlockSize];
        int offset = 0;
        // The 4-byte length field skips the wide buffer (and zeroing it) altogether.
        if (Vector256.IsHardwareAccelerated && source.Length >= WiderBlocks * BlockSize)
        {
            Span<byte> wide = stackalloc byte[WiderBlocks * BlockSize];
            for (; source.Length - offset >= wide.Length; offset += wide.Length, counter += WiderBlocks)
            {
                CoreX8(keyWords, counter, n0, n1, wide);
                XorBytes.Xor(source.Slice(offset, wide.Length), wide, destination.Slice(offset, wide.Length));
            }

            CryptographicOperations.ZeroMemory(wide);
        }

        if (Vector128.IsHardwareAccelerated)
        {
            for (; source.Length - offset >= WideBlocks * BlockSize; offset += WideBlocks * BlockSize, counter += WideBlocks)
            {
                CoreX4(keyWords, counter, n0, n1, block);
                XorBytes.Xor(source.Slice(offset, block.Length), block, destination.Slice(offset, block.Length));
            }
        }

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

    // Four consecutive blocks at once: lane j of every state vector belongs to block counter + j, so the rounds
    // are the scalar ones on Vector128 lanes, and the output is transposed back to four 64-byte blocks.
    private static void CoreX4(ReadOnlySpan<uint> k, ulong counter, uint n0, uint n1, Span<byte> output)
    {
        Vector128<uint> c0 = Vector128.Create((uint)counter, (uint)(counter + 1), (uint)(counter + 2), (uint)(counter + 3));
        Vector128<uint> c1 = Vector128.Create((uint)(counter >> 32), (uint)((counter + 1) >> 32), (uint)((counter + 2) >> 32), (uint)((counter + 3) >> 32));

        Vector128<uint> i0 = Vector128.Create(Sigma0), i1 = Vector128.Create(Sigma1), i2 = Vector128.Create(Sigma2), i3 = Vector128.Create(Sigma3);
        Vector128<uint> i4 = Vector128.Create(k[0]), i5 = Vector128.Create(k[1]), i6 = Vector128.Create(k[2]), i7 = Vector128.Create(k[3]);
        Vector128<uint> i8 = Vector128.Create(k[4]), i9 = Vector128.Create(k[5]), i10 = Vector128.Create(k[6]), i11 = Vector128.Create(k[7]);
        Vector128<uint> i14 = Vector128.Create(n0), i15 = Vector128.Create(n1);

        Vector128<uint> x0 = i0, x1 = i1, x2 = i2, x3 = i3, x4 = i4, x5 = i5, x6 = i6, x7 = i7;
        Vector128<uint> x8 = i8, x9 = i9, x10 = i10, x11 = i11, x12 = c0, x13 = c1, x14 = i14, x15 = i15;
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

        Store(x0 + i0, 0, output); Store(x1 + i1, 1, output); Store(x2 + i2, 2, output); Store(x3 + i3, 3, output);
        Store(x4 + i4, 4, output); Store(x5 + i5, 5, output); Store(x6 + i6, 6, output); Store(x7 + i7, 7, output);
        Store(x8 + i8, 8, output); Store(x9 + i9, 9, output); Store(x10 + i10, 10, output); Store(x11 + i11, 11, output);
        Store(x12 + c0, 12, output); Store(x13 + c1, 13, output); Store(x14 + i14, 14, output); Store(x15 + i15, 15, output);
    }

    // The CoreX4 scheme on eight lanes.
    private static void CoreX8(ReadOnlySpan<uint> k, ulong counter, uint n0, uint n1, Span<byte> output)
    {
        Span<uint> low = stackalloc uint[WiderBlocks];
        Span<uint> high = stackalloc uint[WiderBlocks];
        for (int j = 0; j < WiderBlocks; j++)
        {
            ulong c = counter + (ulong)j;
            low[j] = (uint)c;
            high[j] = (uint)(c >> 32);
        }

        Vector256<uint> c0 = Vector256.Create((ReadOnlySpan<uint>)low), c1 = Vector256.Create((ReadOnlySpan<uint>)high);
        Vector256<uint> i0 = Vector256.Create(Sigma0), i1 = Vector256.Create(Sigma1), i2 = Vector256.Create(Sigma2), i3 = Vector256.Create(Sigma3);
        Vector256<uint> i4 = Vector256.Create(k[0]), i5 = Vector256.Create(k[1]), i6 = Vector256.Create(k[2]), i7 = Vector256.Create(k[3]);
        Vector256<uint> i8 = Vector256.Create(k[4]), i9 = Vector256.Create(k[5]), i10 = Vector256.Create(k[6]), i11 = Vector256.Create(k[7]);
        Vector256<uint> i14 = Vector256.Create(n0), i15 = Vector256.Create(n1);

        Vector256<uint> x0 = i0, x1 = i1, x2 = i2, x3 = i3, x4 = i4, x5 = i5, x6 = i6, x7 = i7;
        Vector256<uint> x8 = i8, x9 = i9, x10 = i10, x11 = i11, x12 = c0, x13 = c1, x14 = i14, x15 = i15;
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

        Store(x0 + i0, 0, output); Store(x1 + i1, 1, output); Store(x2 + i2, 2, output); Store(x3 + i3, 3, output);
        Store(x4 + i4, 4, output); Store(x5 + i5, 5, output); Store(x6 + i6, 6, output); Store(x7 + i7, 7, output);
        Store(x8 + i8, 8, output); Store(x9 + i9, 9, output); Store(x10 + i10, 10, output); Store(x11 + i11, 11, output);
        Store(x12 + c0, 12, output); Store(x13 + c1, 13, output); Store(x14 + i14, 14, output); Store(x15 + i15, 15, output);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector256<uint> word, int index, Span<byte> output)
    {
        Store(word.GetLower(), index, output);
        Store(word.GetUpper(), index, output.Slice(WideBlocks * BlockSize));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void QuarterRound(ref Vector256<uint> a, ref Vector256<uint> b, ref Vector256<uint> c, ref Vector256<uint> d)
    {
        a += b; d = Rotate(d ^ a, 16);
        c += d; b = Rotate(b ^ c, 12);
        a += b; d = Rotate(d ^ a, 8);
        c += d; b = Rotate(b ^ c, 7);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<uint> Rotate(Vector256<uint> x, int bits) => (x << bits) | (x >>> (32 - bits));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector128<uint> word, int index, Span<byte> output)
    {
        int at = index * sizeof(uint);
        BinaryPrimitives.WriteUInt32LittleEndian(output.Slice(at), word.GetElement(0));
        BinaryPrimitives.WriteUInt32LittleEndian(output.Slice(BlockSize + at), word.GetElement(1));
        BinaryPrimitives.WriteUInt32LittleEndian(output.Slice((2 * BlockSize) + at), word.GetElement(2));
        BinaryPrimitives.WriteUInt32LittleEndian(output.Slice((3 * BlockSize) + at), word.GetElement(3));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void QuarterRound(ref Vector128<uint> a, ref Vector128<uint> b, ref Vector128<uint> c, ref Vector128<uint> d)
    {
        a += b; d = Rotate(d ^ a, 16);
        c += d; b = Rotate(b ^ c, 12);
        a += b; d = Rotate(d ^ a, 8);
        c += d; b = Rotate(b ^ c, 7);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<uint> Rotate(Vector128<uint> x, int bits) => (x << bits) | (x >>> (32 - bits));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void QuarterRound(ref uint a, ref uint b, ref uint c, ref uint d)
    {
        a += b; d = BitOperations.RotateLeft(d ^ a, 16);
        c += d; b = BitOperations.RotateLeft(b ^ c, 12);
        a += b; d = BitOperations.RotateLeft(d ^ a, 8);
        c += d; b = BitOperations.RotateLeft(b ^ c, 7);
    }
}
