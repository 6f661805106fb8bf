using System.Buffers.Binary;
using NativeSftp.Crypto;
using NativeSftp.Crypto.Ciphers;

namespace NativeSftp.Tests.Crypto.Ciphers;

/// <summary>
/// Frames payloads the way the transport will (RFC 4253 §6): uint32 packet_length || byte padding_length ||
/// payload || random padding, padding at least 4 bytes, and the padded total a multiple of the block size,
/// counting the length field unless the cipher leaves it out of the padding arithmetic.
/// </summary>
internal static class PacketFraming
{
    /// <summary>RFC 4253 §6: "There MUST be at least four bytes of padding."</summary>
    public const int MinPadding = 4;

    public static byte[] Frame(ReadOnlySpan<byte> payload, int blockSize, bool lengthExcludedFromPadding, Random random)
    {
        int covered = 1 + payload.Length + (lengthExcludedFromPadding ? 0 : sizeof(uint));
        int padding = blockSize - (covered % blockSize);
        if (padding < MinPadding)
        {
            padding += blockSize;
        }

        var packet = new byte[sizeof(uint) + 1 + payload.Length + padding];
        BinaryPrimitives.WriteUInt32BigEndian(packet, (uint)(packet.Length - sizeof(uint)));
        packet[sizeof(uint)] = (byte)padding;
        payload.CopyTo(packet.AsSpan(sizeof(uint) + 1));
        random.NextBytes(packet.AsSpan(sizeof(uint) + 1 + payload.Length));
        return packet;
    }

    public static byte[] Frame(ReadOnlySpan<byte> payload, IPacketSealer sealer, Random random) =>
        Frame(payload, sealer.BlockSize, sealer.LengthExcludedFromPadding, random);

    public static byte[] PayloadOf(ReadOnlySpan<byte> plaintextPacket)
    {
        uint length = BinaryPrimitives.ReadUInt32BigEndian(plaintextPacket);
        int padding = plaintextPacket[sizeof(uint)];
        return plaintextPacket.Slice(sizeof(uint) + 1, (int)length - padding - 1).ToArray();
    }
}

/// <summary>One negotiable cipher/MAC combination with a sealer and opener over the same random keys.</summary>
public sealed record CipherCase(string Cipher, string? Mac)
{
    public static IEnumerable<CipherCase> All()
    {
        foreach (string cipher in new[] { "aes128-gcm@openssh.com", "aes256-gcm@openssh.com", "chacha20-poly1305@openssh.com" })
        {
            yield return new CipherCase(cipher, null);
        }

        foreach (string cipher in new[] { "aes128-ctr", "aes192-ctr", "aes256-ctr" })
        {
            foreach (string mac in new[] { "hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com", "hmac-sha2-256", "hmac-sha2-512" })
            {
                yield return new CipherCase(cipher, mac);
            }
        }
    }

    public bool EncryptThenMacOrAead =>
        !CipherRegistry.TryGetMac(Mac ?? "", out MacInfo? mac) || mac.EncryptThenMac;

    public (IPacketSealer Sealer, IPacketOpener Opener) Create(Random random)
    {
        Assert.That(CipherRegistry.TryGetCipher(Cipher, out CipherInfo? info), Is.True);
        int macKeyLength = 0;
        if (Mac is not null)
        {
            Assert.That(CipherRegistry.TryGetMac(Mac, out MacInfo? mac), Is.True);
            macKeyLength = mac!.KeyLength;
        }

        byte[] key = new byte[info!.KeyLength];
        byte[] iv = new byte[info.IvLength];
        byte[] macKey = new byte[macKeyLength];
        random.NextBytes(key);
        random.NextBytes(iv);
        random.NextBytes(macKey);
        return (CipherRegistry.CreateSealer(Cipher, Mac, key, iv, macKey), CipherRegistry.CreateOpener(Cipher, Mac, key, iv, macKey));
    }

    public override string ToString() => Mac is null ? Cipher : Cipher + "+" + Mac;
}
