using System.Buffers.Binary;
using System.Security.Cryptography;

namespace NativeSftp.Crypto.Ciphers;

/// <summary>
/// aes128-gcm@openssh.com and aes256-gcm@openssh.com: RFC 5647 as OpenSSH implements it. packet_length travels
/// in the clear as the additional authenticated data (§7.3); the 12-byte nonce is a 4-byte fixed field || an
/// 8-byte invocation counter, both taken from the KDF's IV, and the counter goes up by one after every packet
/// (§7.1), independent of the sequence number. The negotiated MAC is ignored (§5.1). One instance per direction.
/// </summary>
internal sealed class AesGcmPacketCipher : IPacketSealer, IPacketOpener
{
    public const string Aes128Name = "aes128-gcm@openssh.com";
    public const string Aes256Name = "aes256-gcm@openssh.com";

    /// <summary>RFC 5647 §7.1: 4-byte fixed field + 8-byte invocation counter = 12 bytes.</summary>
    public const int IvLength = 12;

    /// <summary>RFC 5647 §6: AEAD_AES_*_GCM tags are 16 bytes.</summary>
    public const int TagLength = 16;

    /// <summary>AES block size, 128 bits; RFC 5647 §7.2 pads the encrypted part to a multiple of it.</summary>
    public const int AesBlockSize = 16;

    private const int FixedFieldLength = 4;

    private readonly AesGcm _aes;
    private readonly byte[] _nonce = new byte[IvLength];
    private readonly string _name;
    private ulong _invocationCounter;
    private bool _disposed;

    public AesGcmPacketCipher(string name, ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv)
    {
        if (iv.Length != IvLength)
        {
            throw new ArgumentException($"{name} needs a {IvLength}-byte IV, got {iv.Length}.", nameof(iv));
        }

        _name = name;
        _aes = new AesGcm(key, TagLength); // validates the key length (16 or 32 here)
        iv.CopyTo(_nonce);
        _invocationCounter = BinaryPrimitives.ReadUInt64BigEndian(iv.Slice(FixedFieldLength));
    }

    public int BlockSize => AesBlockSize;

    public int MacSize => TagLength;

    public bool LengthExcludedFromPadding => true;

    public int LengthPrefixSize => PacketCipherErrors.LengthFieldSize;

    public void Seal(uint sequenceNumber, Span<byte> packet, Span<byte> mac)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Span<byte> body = packet.Slice(PacketCipherErrors.LengthFieldSize);
        if (body.IsEmpty || body.Length % AesBlockSize != 0)
        {
            throw new ArgumentException($"{_name} seals a multiple of {AesBlockSize} bytes after the length field; got {body.Length}.", nameof(packet));
        }

        _aes.Encrypt(_nonce, body, body, mac, packet.Slice(0, PacketCipherErrors.LengthFieldSize));
        NextNonce();
    }

    public uint DecryptLength(uint sequenceNumber, ReadOnlySpan<byte> prefix) =>
        BinaryPrimitives.ReadUInt32BigEndian(prefix);

    public void Open(uint sequenceNumber, ReadOnlySpan<byte> packet, ReadOnlySpan<byte> mac, Span<byte> output)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        PacketCipherErrors.CheckShape(packet, mac.Length, TagLength, output.Length);
        ReadOnlySpan<byte> body = packet.Slice(PacketCipherErrors.LengthFieldSize);
        if (body.IsEmpty || body.Length % AesBlockSize != 0)
        {
            PacketCipherErrors.ThrowBadLength(_name, body.Length, AesBlockSize);
        }

        try
        {
            // The primitive verifies the tag before releasing plaintext; on a mismatch it zeroes what it wrote.
            _aes.Decrypt(_nonce, body, mac, output.Slice(PacketCipherErrors.LengthFieldSize), packet.Slice(0, PacketCipherErrors.LengthFieldSize));
        }
        catch (AuthenticationTagMismatchException e)
        {
            throw new SshProtocolException(DisconnectReason.MacError,
                $"Packet {sequenceNumber} failed {_name} authentication (corrupted or forged in transit).", e);
        }

        packet.Slice(0, PacketCipherErrors.LengthFieldSize).CopyTo(output);
        NextNonce();
    }

    // RFC 5647 §7.1: the invocation counter is a 64-bit big-endian integer that wraps modulo 2^64; re-keying
    // long before that (RFC 4344 limit, 2^32 blocks) means a repeat never happens in practice.
    private void NextNonce()
    {
        _invocationCounter = unchecked(_invocationCounter + 1);
        BinaryPrimitives.WriteUInt64BigEndian(_nonce.AsSpan(FixedFieldLength), _invocationCounter);
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _aes.Dispose();
        CryptographicOperations.ZeroMemory(_nonce);
        _invocationCounter = 0;
    }
}
