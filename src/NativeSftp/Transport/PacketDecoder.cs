using System.Buffers;
using System.Buffers.Binary;
using NativeSftp.Crypto;

namespace NativeSftp.Transport;

/// <summary>
/// Frames, authenticates and decrypts inbound binary packets (RFC 4253 §6):
/// <code>
/// uint32    packet_length
/// byte      padding_length
/// byte[n1]  payload; n1 = packet_length - padding_length - 1
/// byte[n2]  random padding; n2 = padding_length (at least 4)
/// byte[m]   mac (Message Authentication Code - MAC); m = mac_length
/// </code>
/// <see cref="TryDecode"/> returns false for "need more bytes" and throws <see cref="SshProtocolException"/> for a
/// bad packet. The length is bound-checked before any buffer is sized from it.
/// </summary>
internal sealed class PacketDecoder : IDisposable
{
    /// <summary>
    /// The largest packet_length we accept: 256 KiB, OpenSSH's PACKET_MAX_SIZE. RFC 4253 §6.1 requires at least
    /// 35000; a CHANNEL_DATA of our largest maximum packet size (256 KiB - 1 KiB headroom) fits.
    /// </summary>
    public const int MaxPacketLength = 256 * 1024;

    /// <summary>padding_length byte + the minimum 4 bytes of padding (RFC 4253 §6).</summary>
    private const int MinPacketLength = 1 + MinPadding;

    /// <summary>RFC 4253 §6: "There MUST be at least four bytes of padding."</summary>
    private const int MinPadding = 4;

    private const int MaxPrefixSize = 32;

    private IPacketOpener _opener;
    private uint? _pendingLength;

    public PacketDecoder(IPacketOpener initial) => _opener = initial;

    /// <summary>The sequence number the next packet will be opened with (RFC 4253 §6.4: wraps at 2^32).</summary>
    public uint Sequence { get; private set; }

    /// <summary>Total packets decoded, never reset (strict KEX resets <see cref="Sequence"/>, not this).</summary>
    public long PacketCount { get; private set; }

    public long ByteCount { get; private set; }

    /// <summary>Switches to the keys of a completed key exchange (after NEWKEYS is received).</summary>
    public void SetOpener(IPacketOpener opener)
    {
        if (_pendingLength is not null)
        {
            throw new InvalidOperationException("cannot switch keys in the middle of a packet");
        }

        _opener.Dispose();
        _opener = opener;
    }

    /// <summary>Strict KEX: the sequence number restarts at zero after every NEWKEYS.</summary>
    public void ResetSequence() => Sequence = 0;

    public bool TryDecode(ref ReadOnlySequence<byte> buffer, out InboundPacket packet)
    {
        packet = default;
        uint packetLength;
        if (_pendingLength is { } pending)
        {
            packetLength = pending;
        }
        else
        {
            int prefixSize = _opener.LengthPrefixSize;
            if (buffer.Length < prefixSize)
            {
                return false;
            }

            Span<byte> prefix = stackalloc byte[MaxPrefixSize];
            prefix = prefix[..prefixSize];
            buffer.Slice(0, prefixSize).CopyTo(prefix);
            packetLength = _opener.DecryptLength(Sequence, prefix);
            CheckLength(packetLength);
            _pendingLength = packetLength;
        }

        int packetSize = 4 + (int)packetLength;
        int total = packetSize + _opener.MacSize;
        if (buffer.Length < total)
        {
            return false;
        }

        byte[] array = ArrayPool<byte>.Shared.Rent(packetSize);
        try
        {
            Span<byte> plain = array.AsSpan(0, packetSize);
            ReadOnlySequence<byte> whole = buffer.Slice(0, total);
            if (whole.IsSingleSegment)
            {
                ReadOnlySpan<byte> span = whole.FirstSpan;
                _opener.Open(Sequence, span[..packetSize], span[packetSize..total], plain);
            }
            else
            {
                // The packet straddles pipe segments: gather it once, then open in place.
                whole.Slice(0, packetSize).CopyTo(plain);
                Span<byte> mac = stackalloc byte[_opener.MacSize];
                whole.Slice(packetSize).CopyTo(mac);
                _opener.Open(Sequence, plain, mac, plain);
            }

            int paddingLength = plain[4];
            if (paddingLength < MinPadding || paddingLength > packetLength - 1 - 1)
            {
                throw new SshProtocolException(DisconnectReason.ProtocolError,
                    $"bad padding length {paddingLength} in a packet of {packetLength} bytes (at least {MinPadding}, leaving a payload of at least 1 byte)");
            }

            int payloadLength = (int)packetLength - paddingLength - 1;
            packet = new InboundPacket(array, 5, payloadLength, Sequence, total);
            array = null!;
        }
        finally
        {
            if (array is not null)
            {
                ArrayPool<byte>.Shared.Return(array);
            }
        }

        _pendingLength = null;
        buffer = buffer.Slice(total);
        Sequence = unchecked(Sequence + 1);
        PacketCount++;
        ByteCount += total;
        return true;
    }

    private void CheckLength(uint packetLength)
    {
        if (packetLength < MinPacketLength || packetLength > MaxPacketLength)
        {
            throw new SshProtocolException(DisconnectReason.ProtocolError,
                $"bad packet length {packetLength} (allowed {MinPacketLength}..{MaxPacketLength}); the stream is corrupt or not SSH");
        }

        int blockSize = Math.Max(_opener.BlockSize, 8);
        long aligned = _opener.LengthExcludedFromPadding ? packetLength : 4L + packetLength;
        if (aligned % blockSize != 0)
        {
            throw new SshProtocolException(DisconnectReason.ProtocolError,
                $"packet length {packetLength} is not a multiple of the cipher block size {blockSize}");
        }
    }

    public void Dispose() => _opener.Dispose();
}

/// <summary>A decrypted packet in a pooled buffer; dispose returns the buffer.</summary>
internal readonly struct InboundPacket : IDisposable
{
    private readonly byte[]? _array;
    private readonly int _offset;
    private readonly int _length;

    public InboundPacket(byte[] array, int offset, int length, uint sequence, int wireLength)
    {
        WireLength = wireLength;
        _array = array;
        _offset = offset;
        _length = length;
        Sequence = sequence;
    }

    public uint Sequence { get; }
    public int WireLength { get; }
    public ReadOnlySpan<byte> Payload => _array.AsSpan(_offset, _length);
    public byte MessageNumber => _array![_offset];

    public void Dispose()
    {
        if (_array is not null)
        {
            ArrayPool<byte>.Shared.Return(_array);
        }
    }
}
