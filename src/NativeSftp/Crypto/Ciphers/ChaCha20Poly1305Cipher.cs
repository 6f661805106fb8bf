using System.Buffers.Binary;
using System.Security.Cryptography;

namespace NativeSftp.Crypto.Ciphers;

/// <summary>
/// chacha20-poly1305@openssh.com (OpenSSH PROTOCOL.chacha20poly1305). The 64-byte key is K_2 (bytes 0-31,
/// payload and Poly1305 key) || K_1 (bytes 32-63, the length field only). The nonce is the packet sequence
/// number as a 64-bit big-endian value; the length is encrypted with K_1 at block 0, the Poly1305 key is the
/// first 32 bytes of K_2's block 0, the rest of the packet is encrypted with K_2 from block 1, and the tag covers
/// the encrypted length || encrypted rest. One instance serves one direction.
/// </summary>
internal sealed class ChaCha20Poly1305Cipher : IPacketSealer, IPacketOpener
{
    public const string Name = "chacha20-poly1305@openssh.com";

    /// <summary>Two 256-bit ChaCha20 keys (PROTOCOL.chacha20poly1305: "512 bits of key material").</summary>
    public const int KeyLength = 2 * ChaCha20.KeySize;

    /// <summary>
    /// The padding multiple: PROTOCOL.chacha20poly1305 keeps RFC 4253's minimum of 8 for a stream cipher, and the
    /// length is left out of the padding arithmetic as it is encrypted separately.
    /// </summary>
    public const int PaddingBlockSize = 8;

    /// <summary>Payload keystream starts at block 1 because block 0 of K_2 yields the Poly1305 key.</summary>
    private const ulong PayloadFirstBlock = 1;

    private readonly uint[] _payloadKey = new uint[ChaCha20.KeyWords]; // K_2
    private readonly uint[] _lengthKey = new uint[ChaCha20.KeyWords];  // K_1
    private bool _disposed;

    public ChaCha20Poly1305Cipher(ReadOnlySpan<byte> key)
    {
        if (key.Length != KeyLength)
        {
            throw new ArgumentException($"{Name} needs a {KeyLength}-byte key, got {key.Length}.", nameof(key));
        }

        ChaCha20.LoadKey(key.Slice(0, ChaCha20.KeySize), _payloadKey);
        ChaCha20.LoadKey(key.Slice(ChaCha20.KeySize), _lengthKey);
    }

    public int BlockSize => PaddingBlockSize;

    public int MacSize => Poly1305.TagSize;

    public bool LengthExcludedFromPadding => true;

    public int LengthPrefixSize => PacketCipherErrors.LengthFieldSize;

    public void Seal(uint sequenceNumber, Span<byte> packet, Span<byte> mac)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (packet.Length < PacketCipherErrors.LengthFieldSize || mac.Length != Poly1305.TagSize)
        {
            throw new ArgumentException("A packet needs its 4-byte length field and a 16-byte tag span.");
        }

        Span<byte> nonce = stackalloc byte[ChaCha20.NonceSize];
        BinaryPrimitives.WriteUInt64BigEndian(nonce, sequenceNumber);

        Span<byte> lengthField = packet.Slice(0, PacketCipherErrors.LengthFieldSize);
        ChaCha20.Xor(_lengthKey, 0, nonce, lengthField, lengthField);
        Span<byte> body = packet.Slice(PacketCipherErrors.LengthFieldSize);
        ChaCha20.Xor(_payloadKey, PayloadFirstBlock, nonce, body, body);

        Span<byte> polyKey = stackalloc byte[ChaCha20.BlockSize];
        ChaCha20.Block(_payloadKey, 0, nonce, polyKey);
        Poly1305.Compute(polyKey.Slice(0, Poly1305.KeySize), packet, mac);
        CryptographicOperations.ZeroMemory(polyKey);
    }

    public uint DecryptLength(uint sequenceNumber, ReadOnlySpan<byte> prefix)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Span<byte> nonce = stackalloc byte[ChaCha20.NonceSize];
        BinaryPrimitives.WriteUInt64BigEndian(nonce, sequenceNumber);
        Span<byte> length = stackalloc byte[PacketCipherErrors.LengthFieldSize];
        ChaCha20.Xor(_lengthKey, 0, nonce, prefix.Slice(0, PacketCipherErrors.LengthFieldSize), length);
        return BinaryPrimitives.ReadUInt32BigEndian(length);
    }

    public void Open(uint sequenceNumber, ReadOnlySpan<byte> packet, ReadOnlySpan<byte> mac, Span<byte> output)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        PacketCipherErrors.CheckShape(packet, mac.Length, Poly1305.TagSize, output.Length);

        Span<byte> nonce = stackalloc byte[ChaCha20.NonceSize];
        BinaryPrimitives.WriteUInt64BigEndian(nonce, sequenceNumber);

        // Authenticate the ciphertext first: nothing reaches the output unless the tag matches.
        Span<byte> polyKey = stackalloc byte[ChaCha20.BlockSize];
        Span<byte> expected = stackalloc byte[Poly1305.TagSize];
        ChaCha20.Block(_payloadKey, 0, nonce, polyKey);
        Poly1305.Compute(polyKey.Slice(0, Poly1305.KeySize), packet, expected);
        CryptographicOperations.ZeroMemory(polyKey);
        if (!CryptographicOperations.FixedTimeEquals(expected, mac))
        {
            PacketCipherErrors.ThrowMacError(Name, sequenceNumber);
        }

        ChaCha20.Xor(_lengthKey, 0, nonce, packet.Slice(0, PacketCipherErrors.LengthFieldSize), output.Slice(0, PacketCipherErrors.LengthFieldSize));
        ChaCha20.Xor(_payloadKey, PayloadFirstBlock, nonce, packet.Slice(PacketCipherErrors.LengthFieldSize), output.Slice(PacketCipherErrors.LengthFieldSize));
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        CryptographicOperations.ZeroMemory(System.Runtime.InteropServices.MemoryMarshal.AsBytes(_payloadKey.AsSpan()));
        CryptographicOperations.ZeroMemory(System.Runtime.InteropServices.MemoryMarshal.AsBytes(_lengthKey.AsSpan()));
    }
}
