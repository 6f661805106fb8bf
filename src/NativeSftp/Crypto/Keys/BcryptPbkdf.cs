using System.Buffers.Binary;
using System.Security.Cryptography;

namespace NativeSftp.Crypto.Keys;

/// <summary>
/// bcrypt-pbkdf (OpenBSD libutil bcrypt_pbkdf.c, used by OpenSSH's PROTOCOL.key "bcrypt" KDF): PBKDF2's
/// structure with SHA-512 pre-hashing and a bcrypt-derived 32-byte block function, whose output bytes are
/// spread across the key with a stride so that every key byte depends on every round.
/// </summary>
internal static class BcryptPbkdf
{
    /// <summary>One bcrypt_hash call produces 32 bytes: 8 big-endian words of the magic text, encrypted.</summary>
    private const int HashSize = 32;

    /// <summary>The reference refuses outputs over 32 blocks: 32 * 32 = 1024 bytes. OpenSSH asks for at most 64 + 16.</summary>
    public const int MaxOutputLength = HashSize * HashSize;

    /// <summary>The reference refuses salts over 1 MiB (1 &lt;&lt; 20); OpenSSH writes 16 bytes.</summary>
    public const int MaxSaltLength = 1 << 20;

    /// <summary>bcrypt_hash runs the expensive schedule 64 times and encrypts the magic text 64 times.</summary>
    private const int ScheduleRounds = 64;

    private const int WordCount = HashSize / 4;

    /// <summary>The plaintext bcrypt_hash encrypts; 32 ASCII bytes, from the reference.</summary>
    private static ReadOnlySpan<byte> MagicText => "OxychromaticBlowfishSwatDynamite"u8;

    public static void Derive(ReadOnlySpan<byte> password, ReadOnlySpan<byte> salt, int rounds, Span<byte> output)
    {
        if (rounds < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(rounds), rounds, "bcrypt-pbkdf needs at least one round");
        }

        if (salt.IsEmpty || salt.Length > MaxSaltLength)
        {
            throw new ArgumentOutOfRangeException(nameof(salt), salt.Length, $"bcrypt-pbkdf salt must be 1..{MaxSaltLength} bytes");
        }

        if (output.IsEmpty || output.Length > MaxOutputLength)
        {
            throw new ArgumentOutOfRangeException(nameof(output), output.Length, $"bcrypt-pbkdf output must be 1..{MaxOutputLength} bytes");
        }

        // Each 32-byte block contributes every stride-th output byte: block 'count' writes positions
        // count-1, count-1+stride, count-1+2*stride, ...
        int stride = (output.Length + HashSize - 1) / HashSize;
        int perBlock = (output.Length + stride - 1) / stride;

        Span<byte> passHash = stackalloc byte[SHA512.HashSizeInBytes];
        Span<byte> saltHash = stackalloc byte[SHA512.HashSizeInBytes];
        Span<byte> block = stackalloc byte[HashSize];
        Span<byte> accumulated = stackalloc byte[HashSize];
        Span<byte> countBytes = stackalloc byte[4];
        using var blowfish = new EksBlowfish();
        using var saltHasher = IncrementalHash.CreateHash(HashAlgorithmName.SHA512);
        try
        {
            SHA512.HashData(password, passHash);
            int remaining = output.Length;
            for (uint count = 1; remaining > 0; count++)
            {
                BinaryPrimitives.WriteUInt32BigEndian(countBytes, count);
                saltHasher.AppendData(salt);
                saltHasher.AppendData(countBytes);
                saltHasher.GetHashAndReset(saltHash);
                Hash(blowfish, passHash, saltHash, block);
                block.CopyTo(accumulated);

                for (int round = 1; round < rounds; round++)
                {
                    SHA512.HashData(block, saltHash);
                    Hash(blowfish, passHash, saltHash, block);
                    for (int j = 0; j < HashSize; j++)
                    {
                        accumulated[j] ^= block[j];
                    }
                }

                int take = Math.Min(perBlock, remaining);
                int written = 0;
                for (; written < take; written++)
                {
                    int dest = (written * stride) + (int)(count - 1);
                    if (dest >= output.Length)
                    {
                        break;
                    }

                    output[dest] = accumulated[written];
                }

                remaining -= written;
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(passHash);
            CryptographicOperations.ZeroMemory(saltHash);
            CryptographicOperations.ZeroMemory(block);
            CryptographicOperations.ZeroMemory(accumulated);
        }
    }

    /// <summary>bcrypt_hash: eksblowfish keyed by the two SHA-512 digests, then 64 encryptions of the magic text.</summary>
    private static void Hash(EksBlowfish blowfish, ReadOnlySpan<byte> passHash, ReadOnlySpan<byte> saltHash, Span<byte> output)
    {
        blowfish.Initialize();
        blowfish.ExpandState(saltHash, passHash);
        for (int i = 0; i < ScheduleRounds; i++)
        {
            blowfish.ExpandKeyOnly(saltHash);
            blowfish.ExpandKeyOnly(passHash);
        }

        Span<uint> words = stackalloc uint[WordCount];
        EksBlowfish.LoadBigEndian(MagicText, words);
        for (int i = 0; i < ScheduleRounds; i++)
        {
            blowfish.EncryptBlocks(words);
        }

        // The reference writes each word out little-endian (a historical quirk that all implementations keep).
        for (int i = 0; i < WordCount; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(output.Slice(i * 4, 4), words[i]);
        }

        words.Clear();
    }
}
