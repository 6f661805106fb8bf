using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Macs;
using Org.BouncyCastle.Crypto.Parameters;

namespace NativeSftp.Crypto.Keys;

/// <summary>
/// The ciphers that can protect the private section of an openssh-key-v1 file (PROTOCOL.key; OpenSSH's
/// cipher.c table). Key and IV come from one bcrypt-pbkdf output of KeySize + IvSize bytes. AEAD ciphers append
/// a tag after the encrypted section, outside its length-prefixed string. Decryption only: we never write keys.
/// </summary>
internal sealed class OpenSshKeyCipher
{
    /// <summary>AES's block size (FIPS 197): 128 bits = 16 bytes; the private section is padded to it.</summary>
    private const int AesBlock = 16;

    /// <summary>OpenSSH pads "none" and chacha20-poly1305 sections to 8 bytes (cipher.c block_size).</summary>
    private const int MinimumBlock = 8;

    /// <summary>GCM: 96-bit nonce (RFC 5647 §7.1) and 128-bit tag (RFC 5647 §6); Poly1305: 128-bit tag (RFC 8439 §2.5).</summary>
    private const int GcmNonceSize = 12;
    private const int AeadTagSize = 16;

    /// <summary>chacha20-poly1305@openssh.com takes 2 * 256-bit keys = 64 bytes (PROTOCOL.chacha20poly1305).</summary>
    private const int ChaChaKeySize = 64;
    private const int ChaChaHalfKey = 32;
    private const int ChaChaBlock = 64;
    private const int ChaChaNonceSize = 8;

    private enum Mode { None, Ctr, Cbc, Gcm, ChaChaPoly }

    private static readonly OpenSshKeyCipher[] All =
    [
        new("none", Mode.None, 0, 0, MinimumBlock, 0),
        new("aes128-ctr", Mode.Ctr, 16, AesBlock, AesBlock, 0),
        new("aes192-ctr", Mode.Ctr, 24, AesBlock, AesBlock, 0),
        new("aes256-ctr", Mode.Ctr, 32, AesBlock, AesBlock, 0),
        new("aes128-cbc", Mode.Cbc, 16, AesBlock, AesBlock, 0),
        new("aes192-cbc", Mode.Cbc, 24, AesBlock, AesBlock, 0),
        new("aes256-cbc", Mode.Cbc, 32, AesBlock, AesBlock, 0),
        new("aes128-gcm@openssh.com", Mode.Gcm, 16, GcmNonceSize, AesBlock, AeadTagSize),
        new("aes256-gcm@openssh.com", Mode.Gcm, 32, GcmNonceSize, AesBlock, AeadTagSize),
        new("chacha20-poly1305@openssh.com", Mode.ChaChaPoly, ChaChaKeySize, 0, MinimumBlock, AeadTagSize),
    ];

    private readonly Mode _mode;

    private OpenSshKeyCipher(string name, Mode mode, int keySize, int ivSize, int blockSize, int tagSize)
    {
        Name = name;
        _mode = mode;
        KeySize = keySize;
        IvSize = ivSize;
        BlockSize = blockSize;
        TagSize = tagSize;
    }

    public string Name { get; }
    public int KeySize { get; }
    public int IvSize { get; }
    public int BlockSize { get; }
    public int TagSize { get; }
    public bool IsNone => _mode == Mode.None;

    public static OpenSshKeyCipher? Find(string name)
    {
        foreach (var c in All)
        {
            if (c.Name == name)
            {
                return c;
            }
        }

        return null;
    }

    /// <summary>
    /// Decrypts <paramref name="ciphertext"/> into <paramref name="plaintext"/> (same length). Returns false when an
    /// AEAD tag does not verify, which for a key file means a wrong passphrase (or a damaged file).
    /// </summary>
    public bool TryDecrypt(ReadOnlySpan<byte> keyAndIv, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext)
    {
        ReadOnlySpan<byte> key = keyAndIv[..KeySize];
        ReadOnlySpan<byte> iv = keyAndIv.Slice(KeySize, IvSize);
        switch (_mode)
        {
            case Mode.None:
                ciphertext.CopyTo(plaintext);
                return true;
            case Mode.Ctr:
                AesCtr(key, iv, ciphertext, plaintext);
                return true;
            case Mode.Cbc:
                using (var aes = Aes.Create())
                {
                    aes.SetKey(key);
                    aes.DecryptCbc(ciphertext, iv, plaintext, PaddingMode.None);
                }

                return true;
            case Mode.Gcm:
                using (var gcm = new AesGcm(key, TagSize))
                {
                    try
                    {
                        // OpenSSH passes no additional data for key files (sshkey.c: aadlen 0).
                        gcm.Decrypt(iv, ciphertext, tag, plaintext);
                        return true;
                    }
                    catch (AuthenticationTagMismatchException)
                    {
                        // AesGcm has already zeroed plaintext; the caller reports the wrong passphrase.
                        return false;
                    }
                }

            default:
                return ChaChaPolyDecrypt(key, ciphertext, tag, plaintext);
        }
    }

    /// <summary>AES-CTR with a 128-bit big-endian counter (RFC 4344 §4) from ECB-encrypted counter blocks.</summary>
    private static void AesCtr(ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> input, Span<byte> output)
    {
        int blocks = (input.Length + AesBlock - 1) / AesBlock;
        byte[] stream = new byte[blocks * AesBlock];
        try
        {
            Span<byte> counter = stackalloc byte[AesBlock];
            iv.CopyTo(counter);
            for (int b = 0; b < blocks; b++)
            {
                counter.CopyTo(stream.AsSpan(b * AesBlock, AesBlock));
                Increment(counter);
            }

            using var aes = Aes.Create();
            aes.SetKey(key);
            aes.EncryptEcb(stream, stream, PaddingMode.None);
            for (int i = 0; i < input.Length; i++)
            {
                output[i] = (byte)(input[i] ^ stream[i]);
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(stream);
        }
    }

    private static void Increment(Span<byte> counter)
    {
        for (int i = counter.Length - 1; i >= 0; i--)
        {
            if (++counter[i] != 0)
            {
                break;
            }
        }
    }

    /// <summary>
    /// chacha20-poly1305@openssh.com as sshkey.c uses it (PROTOCOL.chacha20poly1305, sequence number 0, no
    /// encrypted length): the first 32 key bytes drive the payload cipher; ChaCha20 block 0 under nonce 0 gives the
    /// Poly1305 key, the payload is encrypted from block 1, and the tag covers the ciphertext alone.
    /// </summary>
    private static bool ChaChaPolyDecrypt(ReadOnlySpan<byte> key, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext)
    {
        byte[] mainKey = key[..ChaChaHalfKey].ToArray();
        byte[] block0 = new byte[ChaChaBlock];
        byte[] expectedTag = new byte[AeadTagSize];
        try
        {
            var chacha = new ChaChaEngine();
            chacha.Init(forEncryption: false, new ParametersWithIV(new KeyParameter(mainKey), new byte[ChaChaNonceSize]));
            // Running the keystream over 64 zero bytes yields block 0 and leaves the engine at block 1.
            chacha.ProcessBytes(block0, 0, ChaChaBlock, block0, 0);

            var poly = new Poly1305();
            poly.Init(new KeyParameter(block0, 0, ChaChaHalfKey));
            poly.BlockUpdate(ciphertext);
            poly.DoFinal(expectedTag, 0);
            if (!CryptographicOperations.FixedTimeEquals(expectedTag, tag))
            {
                return false;
            }

            chacha.ProcessBytes(ciphertext, plaintext);
            return true;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(mainKey);
            CryptographicOperations.ZeroMemory(block0);
        }
    }
}
