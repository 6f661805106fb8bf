using System.Buffers.Binary;
using System.Security.Cryptography;

namespace NativeSftp.Crypto.Ciphers;

/// <summary>
/// One-shot Poly1305 (RFC 8439 §2.5) over a contiguous message, in 26-bit limbs so every product fits a ulong.
/// Static and allocation-free because chacha20-poly1305@openssh.com derives a fresh one-time key per packet;
/// BouncyCastle's Poly1305 would need a new KeyParameter for each. Cross-checked in the tests against RFC 8439
/// §2.5.2 and BouncyCastle's Poly1305.
/// </summary>
internal static class Poly1305
{
    /// <summary>r (16 bytes, clamped) || s (16 bytes), RFC 8439 §2.5.</summary>
    public const int KeySize = 32;

    /// <summary>The tag is the low 128 bits of (acc + s).</summary>
    public const int TagSize = 16;

    private const int ChunkSize = 16;
    private const uint Mask26 = 0x3ffffff;

    /// <summary>Writes the 16-byte tag of <paramref name="message"/> under the one-time <paramref name="key"/>.</summary>
    public static void Compute(ReadOnlySpan<byte> key, ReadOnlySpan<byte> message, Span<byte> tag)
    {
        uint t0 = BinaryPrimitives.ReadUInt32LittleEndian(key);
        uint t1 = BinaryPrimitives.ReadUInt32LittleEndian(key.Slice(4));
        uint t2 = BinaryPrimitives.ReadUInt32LittleEndian(key.Slice(8));
        uint t3 = BinaryPrimitives.ReadUInt32LittleEndian(key.Slice(12));

        // Clamp r (RFC 8439 §2.5: r &= 0x0ffffffc0ffffffc0ffffffc0fffffff) while splitting it into 26-bit limbs.
        uint r0 = t0 & 0x3ffffff;
        uint r1 = ((t0 >> 26) | (t1 << 6)) & 0x3ffff03;
        uint r2 = ((t1 >> 20) | (t2 << 12)) & 0x3ffc0ff;
        uint r3 = ((t2 >> 14) | (t3 << 18)) & 0x3f03fff;
        uint r4 = (t3 >> 8) & 0x00fffff;

        // 2^130 = 5 (mod 2^130 - 5), so limb products that overflow 130 bits fold back multiplied by 5.
        uint s1 = r1 * 5, s2 = r2 * 5, s3 = r3 * 5, s4 = r4 * 5;
        uint h0 = 0, h1 = 0, h2 = 0, h3 = 0, h4 = 0;

        Span<byte> last = stackalloc byte[ChunkSize];
        while (!message.IsEmpty)
        {
            scoped ReadOnlySpan<byte> chunk;
            uint highBit;
            if (message.Length >= ChunkSize)
            {
                chunk = message.Slice(0, ChunkSize);
                message = message.Slice(ChunkSize);
                highBit = 1u << 24; // the appended 0x01 byte lands at bit 128 = limb 4, bit 24
            }
            else
            {
                // A short final chunk gets its 0x01 right after its last byte and is zero-filled.
                last.Clear();
                message.CopyTo(last);
                last[message.Length] = 1;
                chunk = last;
                message = default;
                highBit = 0;
            }

            uint m0 = BinaryPrimitives.ReadUInt32LittleEndian(chunk);
            uint m1 = BinaryPrimitives.ReadUInt32LittleEndian(chunk.Slice(4));
            uint m2 = BinaryPrimitives.ReadUInt32LittleEndian(chunk.Slice(8));
            uint m3 = BinaryPrimitives.ReadUInt32LittleEndian(chunk.Slice(12));
            h0 += m0 & Mask26;
            h1 += ((m0 >> 26) | (m1 << 6)) & Mask26;
            h2 += ((m1 >> 20) | (m2 << 12)) & Mask26;
            h3 += ((m2 >> 14) | (m3 << 18)) & Mask26;
            h4 += (m3 >> 8) | highBit;

            ulong d0 = ((ulong)h0 * r0) + ((ulong)h1 * s4) + ((ulong)h2 * s3) + ((ulong)h3 * s2) + ((ulong)h4 * s1);
            ulong d1 = ((ulong)h0 * r1) + ((ulong)h1 * r0) + ((ulong)h2 * s4) + ((ulong)h3 * s3) + ((ulong)h4 * s2);
            ulong d2 = ((ulong)h0 * r2) + ((ulong)h1 * r1) + ((ulong)h2 * r0) + ((ulong)h3 * s4) + ((ulong)h4 * s3);
            ulong d3 = ((ulong)h0 * r3) + ((ulong)h1 * r2) + ((ulong)h2 * r1) + ((ulong)h3 * r0) + ((ulong)h4 * s4);
            ulong d4 = ((ulong)h0 * r4) + ((ulong)h1 * r3) + ((ulong)h2 * r2) + ((ulong)h3 * r1) + ((ulong)h4 * r0);

            ulong c = d0 >> 26; h0 = (uint)d0 & Mask26;
            d1 += c; c = d1 >> 26; h1 = (uint)d1 & Mask26;
            d2 += c; c = d2 >> 26; h2 = (uint)d2 & Mask26;
            d3 += c; c = d3 >> 26; h3 = (uint)d3 & Mask26;
            d4 += c; c = d4 >> 26; h4 = (uint)d4 & Mask26;
            h0 += (uint)(c * 5);
            c = h0 >> 26; h0 &= Mask26;
            h1 += (uint)c;
        }

        CryptographicOperations.ZeroMemory(last);

        // Fully carry h, then compute g = h + 5 - 2^130 and pick g when it is non-negative (h >= p), in constant time.
        uint b = h1 >> 26; h1 &= Mask26;
        h2 += b; b = h2 >> 26; h2 &= Mask26;
        h3 += b; b = h3 >> 26; h3 &= Mask26;
        h4 += b; b = h4 >> 26; h4 &= Mask26;
        h0 += b * 5; b = h0 >> 26; h0 &= Mask26;
        h1 += b;

        uint g0 = h0 + 5; b = g0 >> 26; g0 &= Mask26;
        uint g1 = h1 + b; b = g1 >> 26; g1 &= Mask26;
        uint g2 = h2 + b; b = g2 >> 26; g2 &= Mask26;
        uint g3 = h3 + b; b = g3 >> 26; g3 &= Mask26;
        uint g4 = h4 + b - (1u << 26);

        uint useG = (g4 >> 31) - 1; // all ones when g4 did not borrow
        uint useH = ~useG;
        h0 = (h0 & useH) | (g0 & useG);
        h1 = (h1 & useH) | (g1 & useG);
        h2 = (h2 & useH) | (g2 & useG);
        h3 = (h3 & useH) | (g3 & useG);
        h4 = (h4 & useH) | (g4 & useG);

        // Repack to 4 x 32 bits and add s modulo 2^128.
        ulong f0 = (h0 | (h1 << 26)) + (ulong)BinaryPrimitives.ReadUInt32LittleEndian(key.Slice(16));
        ulong f1 = ((h1 >> 6) | (h2 << 20)) + (ulong)BinaryPrimitives.ReadUInt32LittleEndian(key.Slice(20)) + (f0 >> 32);
        ulong f2 = ((h2 >> 12) | (h3 << 14)) + (ulong)BinaryPrimitives.ReadUInt32LittleEndian(key.Slice(24)) + (f1 >> 32);
        ulong f3 = ((h3 >> 18) | (h4 << 8)) + (ulong)BinaryPrimitives.ReadUInt32LittleEndian(key.Slice(28)) + (f2 >> 32);
        BinaryPrimitives.WriteUInt32LittleEndian(tag, (uint)f0);
        BinaryPrimitives.WriteUInt32LittleEndian(tag.Slice(4), (uint)f1);
        BinaryPrimitives.WriteUInt32LittleEndian(tag.Slice(8), (uint)f2);
        BinaryPrimitives.WriteUInt32LittleEndian(tag.Slice(12), (uint)f3);
    }
}
