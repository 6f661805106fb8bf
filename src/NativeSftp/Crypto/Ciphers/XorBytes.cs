using System.Numerics;

namespace NativeSftp.Crypto.Ciphers;

/// <summary>The keystream XOR shared by the CTR and ChaCha20 paths, a vector at a time.</summary>
internal static class XorBytes
{
    /// <summary>
    /// destination = source ^ keystream over source.Length bytes. <paramref name="destination"/> may be the same
    /// memory as <paramref name="source"/> (each vector is read before it is written).
    /// </summary>
    public static void Xor(ReadOnlySpan<byte> source, ReadOnlySpan<byte> keystream, Span<byte> destination)
    {
        int length = source.Length;
        if (keystream.Length < length || destination.Length < length)
        {
            throw new ArgumentException("The keystream and destination must be at least as long as the source.");
        }

        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            int width = Vector<byte>.Count;
            for (; i <= length - width; i += width)
            {
                var v = new Vector<byte>(source.Slice(i)) ^ new Vector<byte>(keystream.Slice(i));
                v.CopyTo(destination.Slice(i));
            }
        }

        for (; i < length; i++)
        {
            destination[i] = (byte)(source[i] ^ keystream[i]);
        }
    }
}
