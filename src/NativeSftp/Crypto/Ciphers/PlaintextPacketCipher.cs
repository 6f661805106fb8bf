using System.Buffers.Binary;

namespace NativeSftp.Crypto.Ciphers;

/// <summary>
/// The state before the first NEWKEYS (RFC 4253 §6): no encryption and no MAC. Padding is to a multiple of 8
/// including the length field, as for a cipher with a block size under 8. Never registered under a name, so
/// "none" can never be negotiated.
/// </summary>
public sealed class PlaintextPacketCipher : IPacketSealer, IPacketOpener
{
    /// <summary>RFC 4253 §6: "or 8, whichever is larger" with no cipher.</summary>
    public const int PlaintextBlockSize = 8;

    public int BlockSize => PlaintextBlockSize;

    public int MacSize => 0;

    public bool LengthExcludedFromPadding => false;

    public int LengthPrefixSize => PacketCipherErrors.LengthFieldSize;

    public void Seal(uint sequenceNumber, Span<byte> packet, Span<byte> mac)
    {
        if (packet.Length < PacketCipherErrors.LengthFieldSize || !mac.IsEmpty)
        {
            throw new ArgumentException("A plaintext packet has a 4-byte length field and no MAC.");
        }
    }

    public uint DecryptLength(uint sequenceNumber, ReadOnlySpan<byte> prefix) =>
        BinaryPrimitives.ReadUInt32BigEndian(prefix);

    public void Open(uint sequenceNumber, ReadOnlySpan<byte> packet, ReadOnlySpan<byte> mac, Span<byte> output)
    {
        PacketCipherErrors.CheckShape(packet, mac.Length, 0, output.Length);
        packet.CopyTo(output);
    }

    public void Dispose()
    {
        // Nothing secret is held.
    }
}
