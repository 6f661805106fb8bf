using System.Buffers.Binary;
using System.Security.Cryptography;
using NativeSftp.Crypto;

namespace NativeSftp.Transport;

/// <summary>
/// Pads, numbers and seals outbound packets in place (RFC 4253 §6). The caller writes the payload at
/// <see cref="HeaderSize"/> into a buffer with <see cref="MaxTrailerSize"/> spare bytes after it. Used only
/// under the transport's write lock, so sequence numbers go out in order.
/// </summary>
internal sealed class PacketEncoder : IDisposable
{
    /// <summary>uint32 packet_length + byte padding_length.</summary>
    public const int HeaderSize = 5;

    /// <summary>Padding is at most one block plus 3 (a block is at most 16 bytes here) → 19; round to 32.</summary>
    private const int MaxPaddingSize = 32;

    /// <summary>The largest MAC we support, hmac-sha2-512: 64 bytes.</summary>
    private const int MaxMacSize = 64;

    /// <summary>Spare bytes a packet buffer needs after the payload for padding and MAC.</summary>
    public const int MaxTrailerSize = MaxPaddingSize + MaxMacSize;

    private const int MinPadding = 4;

    /// <summary>RFC 4253 §6: the whole packet (MAC excluded) is at least 16 bytes.</summary>
    private const int MinPacketSize = 16;

    private IPacketSealer _sealer;

    public PacketEncoder(IPacketSealer initial) => _sealer = initial;

    public uint Sequence { get; private set; }
    public long PacketCount { get; private set; }
    public long ByteCount { get; private set; }

    public void SetSealer(IPacketSealer sealer)
    {
        _sealer.Dispose();
        _sealer = sealer;
    }

    public void ResetSequence() => Sequence = 0;

    /// <summary>Seals the packet whose payload is at buffer[HeaderSize..HeaderSize+payloadLength]; returns the bytes to send.</summary>
    public int Seal(Span<byte> buffer, int payloadLength)
    {
        int blockSize = Math.Max(_sealer.BlockSize, 8);
        int aligned = (_sealer.LengthExcludedFromPadding ? 0 : 4) + 1 + payloadLength;
        int padding = blockSize - (aligned % blockSize);
        if (padding < MinPadding)
        {
            padding += blockSize;
        }

        if (HeaderSize + payloadLength + padding < MinPacketSize)
        {
            padding += blockSize;
        }

        int packetLength = 1 + payloadLength + padding;
        int packetSize = 4 + packetLength;
        int total = packetSize + _sealer.MacSize;
        if (total > buffer.Length)
        {
            throw new ArgumentException("packet buffer too small for padding and MAC", nameof(buffer));
        }

        BinaryPrimitives.WriteUInt32BigEndian(buffer, (uint)packetLength);
        buffer[4] = (byte)padding;
        RandomNumberGenerator.Fill(buffer.Slice(HeaderSize + payloadLength, padding));
        _sealer.Seal(Sequence, buffer[..packetSize], buffer.Slice(packetSize, _sealer.MacSize));
        Sequence = unchecked(Sequence + 1);
        PacketCount++;
        ByteCount += total;
        return total;
    }

    public void Dispose() => _sealer.Dispose();
}
