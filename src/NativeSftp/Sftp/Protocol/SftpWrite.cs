using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;

namespace NativeSftp.Sftp.Protocol;

/// <summary>
/// SSH_FXP_WRITE (draft-ietf-secsh-filexfer-02 §6.4): <c>uint32 id, string handle, uint64 offset, string data</c>.
/// <para>
/// Wire layout, with the packet's length prefix:
/// <code>
/// +--------+------+--------+-----------+--------+----------+--------+----------+
/// | len 4  | 6  1 | id 4   | hlen 4    | handle | offset 8 | dlen 4 | data ... |
/// +--------+------+--------+-----------+--------+----------+--------+----------+
/// </code>
/// The data path uses <see cref="WriteHeader"/>: the file chunk is read straight into the buffer after the header,
/// so the bytes are never copied to build the packet.
/// </para>
/// </summary>
internal static class SftpWrite
{
    /// <summary>length(4) + type(1) + id(4) + handle length(4) + offset(8) + data length(4), without the handle bytes.</summary>
    private const int FixedHeaderSize = SftpProtocolLimits.CommonHeaderSize + SftpProtocolLimits.StringPrefixSize + 8 + SftpProtocolLimits.StringPrefixSize;

    /// <summary>Bytes in front of the file data for a handle of <paramref name="handleLength"/> bytes (25 + handle).</summary>
    public static int HeaderSize(int handleLength)
    {
        if ((uint)handleLength > SftpProtocolLimits.MaxHandleLength)
        {
            throw new ArgumentOutOfRangeException(nameof(handleLength), handleLength, "an SFTP handle is 0 to 256 bytes");
        }

        return FixedHeaderSize + handleLength;
    }

    /// <summary>
    /// The most file bytes one WRITE can carry with this handle and still fit the 256 KiB limit servers accept.
    /// The session should use the smaller of this and the server's limits@openssh.com max-write-length.
    /// </summary>
    public static int MaxDataLength(int handleLength) =>
        SftpProtocolLimits.MaxOutgoingPacketLength - (HeaderSize(handleLength) - SftpProtocolLimits.LengthFieldSize);

    /// <summary>
    /// Writes only the header of a WRITE whose <paramref name="dataLength"/> data bytes the caller places right
    /// after it. Returns the header size. No allocation: safe to call per packet.
    /// </summary>
    public static int WriteHeader(Span<byte> destination, uint requestId, ReadOnlySpan<byte> handle, ulong offset, int dataLength)
    {
        int headerSize = HeaderSize(handle.Length);
        if ((uint)dataLength > (uint)MaxDataLength(handle.Length))
        {
            throw new ArgumentOutOfRangeException(nameof(dataLength), dataLength, string.Create(CultureInfo.InvariantCulture,
                $"an SFTP WRITE with this handle carries 0 to {MaxDataLength(handle.Length)} bytes"));
        }

        if (destination.Length < headerSize)
        {
            throw new ArgumentException("destination is smaller than the WRITE header", nameof(destination));
        }

        BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)(headerSize - SftpProtocolLimits.LengthFieldSize + dataLength));
        destination[4] = SftpPacketType.Write;
        BinaryPrimitives.WriteUInt32BigEndian(destination[5..], requestId);
        BinaryPrimitives.WriteUInt32BigEndian(destination[9..], (uint)handle.Length);
        handle.CopyTo(destination[13..]);
        int p = 13 + handle.Length;
        BinaryPrimitives.WriteUInt64BigEndian(destination[p..], offset);
        BinaryPrimitives.WriteUInt32BigEndian(destination[(p + 8)..], (uint)dataLength);
        return headerSize;
    }

    /// <summary>The generic form, for callers that already hold the data in a span (it is copied once into the output).</summary>
    public static void Write(IBufferWriter<byte> output, uint requestId, ReadOnlySpan<byte> handle, ulong offset, ReadOnlySpan<byte> data)
    {
        var w = SftpPacketWriter.Begin(output, SftpPacketType.Write, requestId,
            SftpPacketWriter.HandleSize(handle) + 8 + SftpPacketWriter.StringSize(data.Length));
        w.WriteString(handle);
        w.WriteUInt64(offset);
        w.WriteString(data);
        w.Finish();
    }
}
