using System.Diagnostics.CodeAnalysis;

namespace NativeSftp.Crypto.Ciphers;

/// <summary>A packet cipher as negotiated by name. Lengths in bytes; BlockSize is the padding multiple.</summary>
public sealed record CipherInfo(string Name, int KeyLength, int IvLength, int BlockSize, bool IsAead);

/// <summary>A MAC as negotiated by name. Lengths in bytes.</summary>
public sealed record MacInfo(string Name, int KeyLength, int MacLength, bool EncryptThenMac);

/// <summary>
/// Every packet cipher and MAC we can negotiate, by OpenSSH name, with our preference order. Checks at type
/// initialisation that each default name has an implementation. Never CBC, never SHA-1 or MD5 MACs, never "none".
/// </summary>
public static class CipherRegistry
{
    /// <summary>AES-128 key, 128 bits.</summary>
    private const int Aes128Key = 16;

    /// <summary>AES-192 key, 192 bits.</summary>
    private const int Aes192Key = 24;

    /// <summary>AES-256 key, 256 bits.</summary>
    private const int Aes256Key = 32;

    /// <summary>RFC 4344 §4: the CTR IV is one whole 128-bit counter block.</summary>
    private const int CtrIvLength = AesCtr.BlockSize;

    /// <summary>PROTOCOL.chacha20poly1305: the nonce is the sequence number, so the KDF yields no IV.</summary>
    private const int ChaChaIvLength = 0;

    /// <summary>RFC 6668 §2: hmac-sha2-256 keys and digests are 32 bytes (the hash output length).</summary>
    private const int Sha256Length = 32;

    /// <summary>RFC 6668 §2: hmac-sha2-512 keys and digests are 64 bytes.</summary>
    private const int Sha512Length = 64;

    /// <summary>
    /// RFC 4344 §3.1: re-key before 2^(L/4) blocks for an L-bit block cipher; L = 128 for AES gives 2^32 blocks
    /// (64 GiB). This is also what OpenSSH computes (1 &lt;&lt; (block_size * 2) for 16-byte blocks).
    /// </summary>
    private const long AesMaxBlocks = 1L << (128 / 4);

    /// <summary>
    /// OpenSSH (packet.c) uses 2^30 / block_size for block sizes under 16; chacha20-poly1305 reports 8, giving
    /// 2^27 blocks of 8 bytes = 1 GiB per key set.
    /// </summary>
    private const long ChaChaMaxBlocks = (1L << 30) / ChaCha20Poly1305Cipher.PaddingBlockSize;

    private static readonly Dictionary<string, CipherInfo> Ciphers = new(StringComparer.Ordinal)
    {
        [AesGcmPacketCipher.Aes128Name] = new(AesGcmPacketCipher.Aes128Name, Aes128Key, AesGcmPacketCipher.IvLength, AesGcmPacketCipher.AesBlockSize, IsAead: true),
        [AesGcmPacketCipher.Aes256Name] = new(AesGcmPacketCipher.Aes256Name, Aes256Key, AesGcmPacketCipher.IvLength, AesGcmPacketCipher.AesBlockSize, IsAead: true),
        [ChaCha20Poly1305Cipher.Name] = new(ChaCha20Poly1305Cipher.Name, ChaCha20Poly1305Cipher.KeyLength, ChaChaIvLength, ChaCha20Poly1305Cipher.PaddingBlockSize, IsAead: true),
        ["aes128-ctr"] = new("aes128-ctr", Aes128Key, CtrIvLength, AesCtr.BlockSize, IsAead: false),
        ["aes192-ctr"] = new("aes192-ctr", Aes192Key, CtrIvLength, AesCtr.BlockSize, IsAead: false),
        ["aes256-ctr"] = new("aes256-ctr", Aes256Key, CtrIvLength, AesCtr.BlockSize, IsAead: false),
    };

    private static readonly Dictionary<string, MacInfo> Macs = new(StringComparer.Ordinal)
    {
        [MacNames.HmacSha256Etm] = new(MacNames.HmacSha256Etm, Sha256Length, Sha256Length, EncryptThenMac: true),
        [MacNames.HmacSha512Etm] = new(MacNames.HmacSha512Etm, Sha512Length, Sha512Length, EncryptThenMac: true),
        [MacNames.HmacSha256] = new(MacNames.HmacSha256, Sha256Length, Sha256Length, EncryptThenMac: false),
        [MacNames.HmacSha512] = new(MacNames.HmacSha512, Sha512Length, Sha512Length, EncryptThenMac: false),
    };

    static CipherRegistry()
    {
        DefaultCiphers = HasAesInstructions()
            ? [AesGcmPacketCipher.Aes128Name, AesGcmPacketCipher.Aes256Name, ChaCha20Poly1305Cipher.Name, "aes128-ctr", "aes192-ctr", "aes256-ctr"]
            // Without AES instructions software AES is slow and cache-timing prone: OpenSSH's order puts chacha first.
            : [ChaCha20Poly1305Cipher.Name, AesGcmPacketCipher.Aes128Name, AesGcmPacketCipher.Aes256Name, "aes128-ctr", "aes192-ctr", "aes256-ctr"];
        DefaultMacs = [MacNames.HmacSha256Etm, MacNames.HmacSha512Etm, MacNames.HmacSha256, MacNames.HmacSha512];
        SelfCheck();
    }

    /// <summary>Cipher names in preference order for KEXINIT.</summary>
    public static IReadOnlyList<string> DefaultCiphers { get; }

    /// <summary>MAC names in preference order for KEXINIT (ETM first).</summary>
    public static IReadOnlyList<string> DefaultMacs { get; }

    public static bool TryGetCipher(string name, [NotNullWhen(true)] out CipherInfo? info) => Ciphers.TryGetValue(name, out info);

    public static bool TryGetMac(string name, [NotNullWhen(true)] out MacInfo? info) => Macs.TryGetValue(name, out info);

    /// <summary>
    /// RFC 4344 §3.1 re-key limit in units of the cipher's <see cref="CipherInfo.BlockSize"/>-byte blocks: the
    /// transport re-keys before a key set has carried this many blocks in one direction.
    /// </summary>
    public static long MaxBlocksBeforeRekey(string cipher)
    {
        CipherInfo info = GetCipher(cipher);
        return info.Name == ChaCha20Poly1305Cipher.Name ? ChaChaMaxBlocks : AesMaxBlocks;
    }

    /// <summary>
    /// Creates the outgoing half. <paramref name="mac"/> is ignored for AEAD ciphers (RFC 5647 §5.1, OpenSSH) and
    /// required otherwise. key, iv and macKey must be exactly the registered lengths (the KDF output); they are
    /// copied, and the caller zeroes its own copies.
    /// </summary>
    public static IPacketSealer CreateSealer(string cipher, string? mac, ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> macKey) =>
        Create(cipher, mac, key, iv, macKey);

    /// <summary>Creates the incoming half; the same rules as <see cref="CreateSealer"/>.</summary>
    public static IPacketOpener CreateOpener(string cipher, string? mac, ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> macKey) =>
        (IPacketOpener)Create(cipher, mac, key, iv, macKey);

    private static IPacketSealer Create(string cipher, string? mac, ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> macKey)
    {
        CipherInfo info = GetCipher(cipher);
        if (key.Length != info.KeyLength)
        {
            throw new ArgumentException($"{cipher} needs a {info.KeyLength}-byte key, got {key.Length}.", nameof(key));
        }

        if (iv.Length != info.IvLength)
        {
            throw new ArgumentException($"{cipher} needs a {info.IvLength}-byte IV, got {iv.Length}.", nameof(iv));
        }

        switch (info.Name)
        {
            case AesGcmPacketCipher.Aes128Name:
            case AesGcmPacketCipher.Aes256Name:
                return new AesGcmPacketCipher(info.Name, key, iv);
            case ChaCha20Poly1305Cipher.Name:
                return new ChaCha20Poly1305Cipher(key);
        }

        if (mac is null || !Macs.TryGetValue(mac, out MacInfo? macInfo))
        {
            throw new ArgumentException($"{cipher} needs one of the MACs {string.Join(", ", Macs.Keys)}; got '{mac ?? "(none)"}'.", nameof(mac));
        }

        return new AesCtrHmacCipher(info.Name, key, iv, macInfo, macKey);
    }

    private static CipherInfo GetCipher(string cipher) =>
        Ciphers.TryGetValue(cipher, out CipherInfo? info)
            ? info
            : throw new ArgumentException($"Unknown cipher '{cipher}'.", nameof(cipher));

    private static bool HasAesInstructions() =>
        System.Runtime.Intrinsics.X86.Aes.IsSupported || System.Runtime.Intrinsics.Arm.Aes.IsSupported;

    // Builds and disposes one sealer per default name with dummy keys, so a name listed without an
    // implementation (or with wrong lengths) fails at start-up rather than in the middle of a key exchange.
    private static void SelfCheck()
    {
        foreach (string name in DefaultCiphers)
        {
            CipherInfo info = GetCipher(name);
            string? mac = info.IsAead ? null : DefaultMacs[0];
            int macKeyLength = mac is null ? 0 : Macs[mac].KeyLength;
            using IPacketSealer sealer = Create(name, mac, new byte[info.KeyLength], new byte[info.IvLength], new byte[macKeyLength]);
            if (sealer.BlockSize != info.BlockSize || sealer is not IPacketOpener)
            {
                throw new InvalidOperationException($"Cipher registry entry {name} does not match its implementation.");
            }
        }

        foreach (string mac in DefaultMacs)
        {
            MacInfo info = Macs[mac];
            using IPacketSealer sealer = Create("aes128-ctr", mac, new byte[Aes128Key], new byte[CtrIvLength], new byte[info.KeyLength]);
            if (sealer.MacSize != info.MacLength)
            {
                throw new InvalidOperationException($"MAC registry entry {mac} does not match its implementation.");
            }
        }
    }
}
