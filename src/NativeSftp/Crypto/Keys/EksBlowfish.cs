using System.Buffers.Binary;
using System.Security.Cryptography;

namespace NativeSftp.Crypto.Keys;

/// <summary>
/// Blowfish with the "expensive key schedule" of bcrypt (Provos and Mazieres, 1999), exactly the subset
/// bcrypt-pbkdf needs: start from pi, mix in key and salt (<see cref="ExpandState"/>), mix in one of them alone
/// (<see cref="ExpandKeyOnly"/>), and encrypt 64-bit blocks in ECB. BouncyCastle's BlowfishEngine cannot be
/// used: its key schedule takes no salt and its state is private. Disposing zeroes the key-dependent state.
/// </summary>
internal sealed class EksBlowfish : IDisposable
{
    /// <summary>Blowfish has 16 Feistel rounds and so 16 + 2 = 18 P-array subkeys.</summary>
    private const int Rounds = 16;
    private const int PCount = Rounds + 2;

    /// <summary>Four S-boxes of 256 entries each: 4 * 256 = 1024 words.</summary>
    private const int SBoxWords = 256;
    private const int SCount = 4 * SBoxWords;

    private readonly uint[] _p = new uint[PCount];
    private readonly uint[] _s = new uint[SCount];

    /// <summary>Resets to the initial state (the hex digits of pi).</summary>
    public void Initialize()
    {
        BlowfishConstants.P.CopyTo(_p);
        BlowfishConstants.S0.CopyTo(_s.AsSpan(0 * SBoxWords));
        BlowfishConstants.S1.CopyTo(_s.AsSpan(1 * SBoxWords));
        BlowfishConstants.S2.CopyTo(_s.AsSpan(2 * SBoxWords));
        BlowfishConstants.S3.CopyTo(_s.AsSpan(3 * SBoxWords));
    }

    /// <summary>
    /// The salted key schedule (OpenBSD blf.c Blowfish_expandstate): XOR the key cyclically into P, then
    /// regenerate P and the S-boxes by encrypting a running block that has the salt XORed in at each step.
    /// </summary>
    public void ExpandState(ReadOnlySpan<byte> salt, ReadOnlySpan<byte> key)
    {
        int keyPos = 0;
        for (int i = 0; i < PCount; i++)
        {
            _p[i] ^= NextWord(key, ref keyPos);
        }

        int saltPos = 0;
        uint left = 0, right = 0;
        for (int i = 0; i < PCount; i += 2)
        {
            left ^= NextWord(salt, ref saltPos);
            right ^= NextWord(salt, ref saltPos);
            Encrypt(ref left, ref right);
            _p[i] = left;
            _p[i + 1] = right;
        }

        for (int i = 0; i < SCount; i += 2)
        {
            left ^= NextWord(salt, ref saltPos);
            right ^= NextWord(salt, ref saltPos);
            Encrypt(ref left, ref right);
            _s[i] = left;
            _s[i + 1] = right;
        }
    }

    /// <summary>The unsalted schedule (blf.c Blowfish_expand0state): as <see cref="ExpandState"/> with an all-zero salt.</summary>
    public void ExpandKeyOnly(ReadOnlySpan<byte> key)
    {
        int keyPos = 0;
        for (int i = 0; i < PCount; i++)
        {
            _p[i] ^= NextWord(key, ref keyPos);
        }

        uint left = 0, right = 0;
        for (int i = 0; i < PCount; i += 2)
        {
            Encrypt(ref left, ref right);
            _p[i] = left;
            _p[i + 1] = right;
        }

        for (int i = 0; i < SCount; i += 2)
        {
            Encrypt(ref left, ref right);
            _s[i] = left;
            _s[i + 1] = right;
        }
    }

    /// <summary>Encrypts pairs of words (left, right) in place, each pair one 64-bit block (blf.c blf_enc).</summary>
    public void EncryptBlocks(Span<uint> words)
    {
        for (int i = 0; i + 1 < words.Length; i += 2)
        {
            uint l = words[i], r = words[i + 1];
            Encrypt(ref l, ref r);
            words[i] = l;
            words[i + 1] = r;
        }
    }

    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(System.Runtime.InteropServices.MemoryMarshal.AsBytes(_p.AsSpan()));
        CryptographicOperations.ZeroMemory(System.Runtime.InteropServices.MemoryMarshal.AsBytes(_s.AsSpan()));
    }

    private void Encrypt(ref uint left, ref uint right)
    {
        uint[] p = _p;
        uint l = left ^ p[0], r = right;
        for (int i = 1; i <= Rounds; i += 2)
        {
            r ^= F(l) ^ p[i];
            l ^= F(r) ^ p[i + 1];
        }

        left = r ^ p[PCount - 1];
        right = l;
    }

    private uint F(uint x)
    {
        uint[] s = _s;
        return ((s[x >> 24] + s[SBoxWords + ((x >> 16) & 0xff)]) ^ s[(2 * SBoxWords) + ((x >> 8) & 0xff)])
            + s[(3 * SBoxWords) + (x & 0xff)];
    }

    /// <summary>
    /// Next big-endian 32-bit word of <paramref name="data"/>, wrapping around to its start (blf.c
    /// Blowfish_stream2word); an empty input yields zero words, as the reference does.
    /// </summary>
    private static uint NextWord(ReadOnlySpan<byte> data, ref int position)
    {
        if (data.IsEmpty)
        {
            return 0;
        }

        uint word = 0;
        for (int i = 0; i < 4; i++)
        {
            if (position >= data.Length)
            {
                position = 0;
            }

            word = (word << 8) | data[position++];
        }

        return word;
    }

    /// <summary>Reads big-endian words (the reference's stream2word over a whole buffer).</summary>
    public static void LoadBigEndian(ReadOnlySpan<byte> bytes, Span<uint> words)
    {
        for (int i = 0; i < words.Length; i++)
        {
            words[i] = BinaryPrimitives.ReadUInt32BigEndian(bytes.Slice(i * 4, 4));
        }
    }
}
