using System.Buffers.Binary;
using System.Security.Cryptography;

namespace NativeSftp.Crypto.Ciphers;

/// <summary>
/// aes{128,192,256}-ctr (RFC 4344) with an HMAC-SHA2 MAC (RFC 6668), in either of the two SSH orders:
/// <list type="bullet">
/// <item>encrypt-and-MAC (RFC 4253 §6.4): MAC = HMAC(seq || plaintext packet), the length field encrypted with
/// the first block, so the transport needs one block (16 bytes) to learn the length;</item>
/// <item>encrypt-then-MAC (*-etm@openssh.com, OpenSSH PROTOCOL §1.5): the length stays in the clear, the rest is
/// encrypted, and MAC = HMAC(seq || length || ciphertext) is checked before anything is decrypted.</item>
/// </list>
/// One instance per direction; the CTR counter runs on across packets.
/// </summary>
internal sealed class AesCtrHmacCipher : IPacketSealer, IPacketOpener
{
    private const int SequenceNumberSize = sizeof(uint);

    private readonly string _name;
    private readonly AesCtr _ctr;
    private readonly IncrementalHash _hmac;
    private readonly int _macLength;
    private readonly bool _encryptThenMac;
    private bool _disposed;

    public AesCtrHmacCipher(string cipherName, ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv, MacInfo mac, ReadOnlySpan<byte> macKey)
    {
        if (macKey.Length != mac.KeyLength)
        {
            throw new ArgumentException($"{mac.Name} needs a {mac.KeyLength}-byte key, got {macKey.Length}.", nameof(macKey));
        }

        _name = cipherName + " with " + mac.Name;
        _macLength = mac.MacLength;
        _encryptThenMac = mac.EncryptThenMac;
        _ctr = new AesCtr(key, iv);
        _hmac = IncrementalHash.CreateHMAC(HmacAlgorithm(mac.Name), macKey);
    }

    public int BlockSize => AesCtr.BlockSize;

    public int MacSize => _macLength;

    public bool LengthExcludedFromPadding => _encryptThenMac;

    public int LengthPrefixSize => _encryptThenMac ? PacketCipherErrors.LengthFieldSize : AesCtr.BlockSize;

    public void Seal(uint sequenceNumber, Span<byte> packet, Span<byte> mac)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (mac.Length != _macLength)
        {
            throw new ArgumentException($"Expected a {_macLength}-byte MAC span, got {mac.Length}.", nameof(mac));
        }

        if (_encryptThenMac)
        {
            Span<byte> body = packet.Slice(PacketCipherErrors.LengthFieldSize);
            _ctr.Transform(body, body);
            ComputeMac(sequenceNumber, packet, mac);
        }
        else
        {
            ComputeMac(sequenceNumber, packet, mac);
            _ctr.Transform(packet, packet);
        }
    }

    public uint DecryptLength(uint sequenceNumber, ReadOnlySpan<byte> prefix)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_encryptThenMac)
        {
            return BinaryPrimitives.ReadUInt32BigEndian(prefix);
        }

        Span<byte> first = stackalloc byte[AesCtr.BlockSize];
        _ctr.PeekFirstBlock(prefix, first);
        uint length = BinaryPrimitives.ReadUInt32BigEndian(first);
        CryptographicOperations.ZeroMemory(first);
        return length;
    }

    public void Open(uint sequenceNumber, ReadOnlySpan<byte> packet, ReadOnlySpan<byte> mac, Span<byte> output)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        PacketCipherErrors.CheckShape(packet, mac.Length, _macLength, output.Length);
        Span<byte> expected = stackalloc byte[_macLength];

        if (_encryptThenMac)
        {
            int encrypted = packet.Length - PacketCipherErrors.LengthFieldSize;
            if (encrypted == 0 || encrypted % AesCtr.BlockSize != 0)
            {
                PacketCipherErrors.ThrowBadLength(_name, encrypted, AesCtr.BlockSize);
            }

            // Encrypt-then-MAC: authenticate the ciphertext first; a forged packet is never decrypted.
            ComputeMac(sequenceNumber, packet, expected);
            if (!CryptographicOperations.FixedTimeEquals(expected, mac))
            {
                PacketCipherErrors.ThrowMacError(_name, sequenceNumber);
            }

            _ctr.Transform(packet.Slice(PacketCipherErrors.LengthFieldSize), output.Slice(PacketCipherErrors.LengthFieldSize));
            packet.Slice(0, PacketCipherErrors.LengthFieldSize).CopyTo(output);
            return;
        }

        if (packet.Length % AesCtr.BlockSize != 0)
        {
            PacketCipherErrors.ThrowBadLength(_name, packet.Length, AesCtr.BlockSize);
        }

        // Encrypt-and-MAC can only be checked on the plaintext; on failure the plaintext is wiped before throwing.
        _ctr.Transform(packet, output);
        ComputeMac(sequenceNumber, output, expected);
        if (!CryptographicOperations.FixedTimeEquals(expected, mac))
        {
            CryptographicOperations.ZeroMemory(output);
            PacketCipherErrors.ThrowMacError(_name, sequenceNumber);
        }
    }

    private void ComputeMac(uint sequenceNumber, ReadOnlySpan<byte> packet, Span<byte> destination)
    {
        Span<byte> seq = stackalloc byte[SequenceNumberSize];
        BinaryPrimitives.WriteUInt32BigEndian(seq, sequenceNumber);
        _hmac.AppendData(seq);
        _hmac.AppendData(packet);
        _hmac.GetHashAndReset(destination);
    }

    private static HashAlgorithmName HmacAlgorithm(string macName) => macName switch
    {
        MacNames.HmacSha256 or MacNames.HmacSha256Etm => HashAlgorithmName.SHA256,
        MacNames.HmacSha512 or MacNames.HmacSha512Etm => HashAlgorithmName.SHA512,
        _ => throw new ArgumentException($"No HMAC implementation for {macName}.", nameof(macName)),
    };

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _ctr.Dispose();
        _hmac.Dispose();
    }
}
