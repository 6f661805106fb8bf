using System.Security.Cryptography;
using System.Text;
using NativeSftp.Wire;

namespace NativeSftp.Crypto.Keys;

/// <summary>
/// Reads the openssh-key-v1 format (OpenSSH PROTOCOL.key), the body of "BEGIN OPENSSH PRIVATE KEY":
/// <code>
/// byte[15] "openssh-key-v1\0"
/// string   ciphername          "none" or an OpenSshKeyCipher name
/// string   kdfname             "none" or "bcrypt"
/// string   kdfoptions          bcrypt: string salt, uint32 rounds; none: empty
/// uint32   number of keys      we accept exactly 1
/// string   public key blob     (repeated per key)
/// string   private section     encrypted, a multiple of the cipher block size
/// byte[]   tag                 AEAD ciphers only, outside the string
/// private section:
/// uint32   checkint, uint32 checkint (equal: a wrong passphrase makes them differ)
/// key      type-specific private fields (OpenSshPrivateKeyFields), then string comment
/// byte[]   padding 1, 2, 3, ... up to the block size
/// </code>
/// </summary>
internal static class OpenSshKeyFile
{
    private static ReadOnlySpan<byte> Magic => "openssh-key-v1\0"u8;

    private const string KdfNone = "none";
    private const string KdfBcrypt = "bcrypt";

    /// <summary>
    /// bcrypt rounds we will run. ssh-keygen's default is 16 (-a); 10000 is 625 times that: at ~135 ms per 16
    /// rounds for a 48-byte aes256-ctr key+IV here, about 85 s. A file asking for more (the field is a uint32, up
    /// to ~4e9, i.e. years) would hang the caller, so it is refused.
    /// </summary>
    public const int MaxBcryptRounds = 10_000;

    /// <summary>The private section of an RSA-16384 key is about 9.3 KB; 64 KiB bounds a hostile length cheaply.</summary>
    private const int MaxPrivateSectionLength = 64 * 1024;

    public static SshPrivateKey Parse(ReadOnlySpan<byte> data, string? passphrase)
    {
        if (!data.StartsWith(Magic))
        {
            throw new PrivateKeyFormatException("OPENSSH PRIVATE KEY body does not start with \"openssh-key-v1\\0\"");
        }

        var reader = new SshReader(data[Magic.Length..]);
        string cipherName, kdfName;
        ReadOnlySpan<byte> kdfOptions, publicBlob, encrypted, tag;
        OpenSshKeyCipher cipher;
        try
        {
            cipherName = reader.ReadAscii();
            kdfName = reader.ReadAscii();
            kdfOptions = reader.ReadString();
            uint keyCount = reader.ReadUInt32();
            if (keyCount != 1)
            {
                throw new PrivateKeyFormatException(
                    $"openssh-key-v1 file holds {keyCount} keys; only files with exactly one key are supported");
            }

            publicBlob = reader.ReadString();
            encrypted = reader.ReadString();
            cipher = OpenSshKeyCipher.Find(cipherName)
                ?? throw new PrivateKeyFormatException($"openssh-key-v1 cipher '{cipherName}' is not supported");
            tag = reader.ReadBytes(cipher.TagSize);
            reader.EnsureAtEnd("openssh-key-v1 file");
        }
        catch (SshProtocolException e)
        {
            throw new PrivateKeyFormatException("openssh-key-v1 header is damaged: " + e.Message, e);
        }

        if (encrypted.Length > MaxPrivateSectionLength || encrypted.Length % cipher.BlockSize != 0)
        {
            throw new PrivateKeyFormatException(
                $"openssh-key-v1 private section is {encrypted.Length} bytes, not a multiple of {cipherName}'s {cipher.BlockSize}-byte block (or over {MaxPrivateSectionLength})");
        }

        byte[] plain = new byte[encrypted.Length];
        try
        {
            Decrypt(cipher, kdfName, kdfOptions, passphrase, encrypted, tag, plain);
            return ReadPrivateSection(plain, cipher, publicBlob);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plain);
        }
    }

    private static void Decrypt(
        OpenSshKeyCipher cipher, string kdfName, ReadOnlySpan<byte> kdfOptions, string? passphrase,
        ReadOnlySpan<byte> encrypted, ReadOnlySpan<byte> tag, Span<byte> plain)
    {
        if (cipher.IsNone)
        {
            if (kdfName != KdfNone || !kdfOptions.IsEmpty)
            {
                throw new PrivateKeyFormatException($"openssh-key-v1 cipher 'none' with kdf '{kdfName}' is inconsistent");
            }

            encrypted.CopyTo(plain);
            return;
        }

        if (kdfName != KdfBcrypt)
        {
            throw new PrivateKeyFormatException($"openssh-key-v1 kdf '{kdfName}' is not supported (only bcrypt)");
        }

        ReadOnlySpan<byte> salt;
        uint rounds;
        try
        {
            var kdf = new SshReader(kdfOptions);
            salt = kdf.ReadString();
            rounds = kdf.ReadUInt32();
            kdf.EnsureAtEnd("bcrypt kdf options");
        }
        catch (SshProtocolException e)
        {
            throw new PrivateKeyFormatException("openssh-key-v1 bcrypt options are damaged: " + e.Message, e);
        }

        if (rounds < 1 || rounds > MaxBcryptRounds || salt.IsEmpty || salt.Length > BcryptPbkdf.MaxSaltLength)
        {
            throw new PrivateKeyFormatException(
                $"openssh-key-v1 bcrypt options out of range: {rounds} rounds (1..{MaxBcryptRounds}), {salt.Length}-byte salt");
        }

        if (passphrase is null)
        {
            throw new PrivateKeyPassphraseException($"the key is encrypted ({cipher.Name}) and no passphrase was given", passphraseWasGiven: false);
        }

        byte[] password = Encoding.UTF8.GetBytes(passphrase);
        byte[] keyAndIv = new byte[cipher.KeySize + cipher.IvSize];
        try
        {
            BcryptPbkdf.Derive(password, salt, (int)rounds, keyAndIv);
            if (!cipher.TryDecrypt(keyAndIv, encrypted, tag, plain))
            {
                throw new PrivateKeyPassphraseException($"wrong passphrase: the {cipher.Name} authentication tag does not verify", passphraseWasGiven: true);
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(password);
            CryptographicOperations.ZeroMemory(keyAndIv);
        }
    }

    private static SshPrivateKey ReadPrivateSection(ReadOnlySpan<byte> plain, OpenSshKeyCipher cipher, ReadOnlySpan<byte> publicBlob)
    {
        var reader = new SshReader(plain);
        SshPrivateKey? key = null;
        try
        {
            uint check1 = reader.ReadUInt32();
            uint check2 = reader.ReadUInt32();
            if (check1 != check2)
            {
                if (cipher.IsNone)
                {
                    throw new PrivateKeyFormatException("openssh-key-v1 check-ints differ in an unencrypted key: the file is damaged");
                }

                throw new PrivateKeyPassphraseException("wrong passphrase: the decrypted check-ints differ", passphraseWasGiven: true);
            }

            key = OpenSshPrivateKeyFields.Read(ref reader);
            if (!key.PublicKey.Blob.SequenceEqual(publicBlob))
            {
                throw new PrivateKeyFormatException("openssh-key-v1 public key does not match the private key in the same file");
            }

            // PROTOCOL.key: pad with 1, 2, 3, ... so a truncated or tampered section is noticed.
            ReadOnlySpan<byte> padding = reader.ReadRemaining();
            if (padding.Length >= cipher.BlockSize)
            {
                throw new PrivateKeyFormatException(
                    $"openssh-key-v1 private section has {padding.Length} bytes after the key, more than one {cipher.BlockSize}-byte block of padding (a second key?)");
            }

            for (int i = 0; i < padding.Length; i++)
            {
                if (padding[i] != (byte)(i + 1))
                {
                    throw new PrivateKeyFormatException($"openssh-key-v1 padding byte {i} is {padding[i]}, expected {i + 1}");
                }
            }

            var result = key;
            key = null;
            return result;
        }
        catch (SshProtocolException e)
        {
            throw new PrivateKeyFormatException("openssh-key-v1 private section is damaged: " + e.Message, e);
        }
        finally
        {
            key?.Dispose();
        }
    }
}
