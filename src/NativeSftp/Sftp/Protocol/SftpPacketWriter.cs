using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;

namespace NativeSftp.Sftp.Protocol;

/// <summary>
/// Writes one whole SFTP packet, length prefix included, into a single span taken from an
/// <see cref="IBufferWriter{T}"/>. The caller states the size of the type-specific fields up front, so the
/// uint32 length is known before the first byte is written (an <see cref="IBufferWriter{T}"/> cannot be
/// written back into); <see cref="Finish"/> checks the fields filled exactly that size, so a miscounted writer
/// fails in its byte-exact test instead of sending a corrupt packet.
/// </summary>
internal ref struct SftpPacketWriter
{
    private readonly IBufferWriter<byte> _output;
    private readonly Span<byte> _span;
    private int _position;

    private SftpPacketWriter(IBufferWriter<byte> output, int totalLength)
    {
        _output = output;
        _span = output.GetSpan(totalLength)[..totalLength];
        _position = 0;
    }

    /// <summary>
    /// Starts a packet of <paramref name="type"/> whose first field is the uint32 <paramref name="idOrVersion"/>
    /// (the request id, or for INIT the version) followed by <paramref name="fieldsLength"/> bytes of fields.
    /// </summary>
    public static SftpPacketWriter Begin(IBufferWriter<byte> output, byte type, uint idOrVersion, int fieldsLength)
    {
        ArgumentNullException.ThrowIfNull(output);
        long packetLength = (long)SftpProtocolLimits.MinPayloadLength + fieldsLength;
        if (fieldsLength < 0 || packetLength > SftpProtocolLimits.MaxOutgoingPacketLength)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"an SFTP {SftpPacketType.NameOf(type)} of {packetLength} bytes exceeds the {SftpProtocolLimits.MaxOutgoingPacketLength}-byte limit servers accept"));
        }

        var w = new SftpPacketWriter(output, SftpProtocolLimits.LengthFieldSize + (int)packetLength);
        w.WriteUInt32((uint)packetLength);
        w.WriteByte(type);
        w.WriteUInt32(idOrVersion);
        return w;
    }

    /// <summary>Size on the wire of an SSH string of <paramref name="byteCount"/> bytes.</summary>
    public static int StringSize(int byteCount) => SftpProtocolLimits.StringPrefixSize + byteCount;

    /// <summary>Size on the wire of a path or UTF-8 string.</summary>
    public static int StringSize(SftpPath path) => SftpProtocolLimits.StringPrefixSize + path.ByteCount;

    /// <summary>Size on the wire of a handle, refusing one the draft does not allow (a caller bug, not a peer's).</summary>
    public static int HandleSize(ReadOnlySpan<byte> handle)
    {
        if (handle.Length > SftpProtocolLimits.MaxHandleLength)
        {
            throw new ArgumentException($"an SFTP handle is at most {SftpProtocolLimits.MaxHandleLength} bytes", nameof(handle));
        }

        return StringSize(handle.Length);
    }

    public void WriteByte(byte value) => _span[_position++] = value;

    public void WriteUInt32(uint value)
    {
        BinaryPrimitives.WriteUInt32BigEndian(_span[_position..], value);
        _position += 4;
    }

    public void WriteUInt64(ulong value)
    {
        BinaryPrimitives.WriteUInt64BigEndian(_span[_position..], value);
        _position += 8;
    }

    public void WriteString(ReadOnlySpan<byte> value)
    {
        WriteUInt32((uint)value.Length);
        value.CopyTo(_span[_position..]);
        _position += value.Length;
    }

    public void WriteRaw(ReadOnlySpan<byte> value)
    {
        value.CopyTo(_span[_position..]);
        _position += value.Length;
    }

    public void WritePath(SftpPath path)
    {
        int n = path.CopyTo(_span[(_position + SftpProtocolLimits.StringPrefixSize)..]);
        WriteUInt32((uint)n);
        _position += n;
    }

    public void WriteAttributes(SftpAttributes attributes) => _position += attributes.WriteTo(_span[_position..]);

    /// <summary>Commits the packet to the output; throws when the fields did not fill the announced length.</summary>
    public readonly void Finish()
    {
        if (_position != _span.Length)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"SFTP packet writer announced {_span.Length} bytes but wrote {_position}"));
        }

        _output.Advance(_position);
    }
}
