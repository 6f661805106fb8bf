using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using NativeSftp.Wire;

namespace NativeSftp.Sftp.Protocol;

/// <summary>Where the file bytes of a DATA packet are, counted from the packet's first (length) byte.</summary>
/// <param name="RequestId">The READ this answers.</param>
/// <param name="DataOffset">Where the file bytes start, counted from the length field.</param>
/// <param name="DataLength">How many file bytes there are.</param>
/// <param name="PacketSize">The whole packet, length prefix included: what to consume after copying the data
/// (one more than <c>DataOffset + DataLength</c> when the server added the optional end-of-file byte).</param>
public readonly record struct SftpDataHeader(uint RequestId, int DataOffset, int DataLength, int PacketSize);

/// <summary>
/// SSH_FXP_DATA (draft-ietf-secsh-filexfer-02 §7): <c>uint32 id, string data</c>.
/// <code>
/// +--------+--------+--------+--------+----------+
/// | len 4  | 103  1 | id 4   | dlen 4 | data ... |
/// +--------+--------+--------+--------+----------+
/// </code>
/// In v3 nothing follows the data, so <c>dlen</c> is <c>len - 9</c>. Version 6 added an optional
/// <c>bool end-of-file</c> after the data and some v3 servers send it anyway, so one trailing byte is
/// tolerated and ignored (the data length is explicit, so it cannot be mistaken for data); more is an error.
/// </summary>
internal static class SftpData
{
    /// <summary>length(4) + type(1) + id(4) + data length(4): the file bytes start here.</summary>
    public const int HeaderSize = SftpProtocolLimits.CommonHeaderSize + SftpProtocolLimits.StringPrefixSize;

    /// <summary>The optional v6 end-of-file boolean some v3 servers append (draft-ietf-secsh-filexfer-13 §9.3).</summary>
    private const int EndOfFileFlagSize = 1;

    /// <summary>type(1) + id(4) + data length(4): the length field of a DATA packet minus its data.</summary>
    private const int FieldsBeforeData = HeaderSize - SftpProtocolLimits.LengthFieldSize;

    /// <summary>Parses a DATA body (after the request id) and returns the data as a slice of it: no copy.</summary>
    public static ReadOnlySpan<byte> Read(ReadOnlySpan<byte> body)
    {
        var reader = new SshReader(body);
        var data = reader.ReadString();
        if (reader.Remaining == EndOfFileFlagSize)
        {
            reader.ReadBoolean();
        }

        reader.EnsureAtEnd("SFTP DATA");
        return data;
    }

    /// <summary>
    /// Given the first bytes of a DATA packet (from its length field on), says where the file bytes start and how
    /// many there are, so the receive loop can copy them straight into the reader's buffer as they arrive.
    /// Returns false when fewer than <see cref="HeaderSize"/> bytes are available. Throws
    /// <see cref="SshProtocolException"/> for a length outside the framer's bounds or a data length that
    /// disagrees with it; <see cref="ArgumentException"/> when the packet is not a DATA packet (check first).
    /// </summary>
    public static bool TryParseHeader(ReadOnlySpan<byte> packetStart, out SftpDataHeader header)
    {
        if (packetStart.Length < HeaderSize)
        {
            header = default;
            return false;
        }

        uint packetLength = BinaryPrimitives.ReadUInt32BigEndian(packetStart);
        SftpFramer.CheckLength(packetLength);
        if (packetStart[4] != SftpPacketType.Data)
        {
            throw new ArgumentException($"packet type {SftpPacketType.NameOf(packetStart[4])} is not DATA", nameof(packetStart));
        }

        uint requestId = BinaryPrimitives.ReadUInt32BigEndian(packetStart[5..]);
        uint dataLength = BinaryPrimitives.ReadUInt32BigEndian(packetStart[9..]);
        ulong expected = (ulong)dataLength + FieldsBeforeData;
        if (packetLength != expected && packetLength != expected + EndOfFileFlagSize)
        {
            throw new SshProtocolException(DisconnectReason.ProtocolError, string.Create(CultureInfo.InvariantCulture,
                $"SFTP DATA of length {packetLength} claims {dataLength} data bytes; it must be {packetLength - FieldsBeforeData}"));
        }

        header = new SftpDataHeader(requestId, HeaderSize, (int)dataLength, SftpProtocolLimits.LengthFieldSize + (int)packetLength);
        return true;
    }

    /// <summary>The same over a possibly multi-segment buffer (the header may straddle two segments).</summary>
    public static bool TryParseHeader(in ReadOnlySequence<byte> packetStart, out SftpDataHeader header)
    {
        if (packetStart.FirstSpan.Length >= HeaderSize)
        {
            return TryParseHeader(packetStart.FirstSpan, out header);
        }

        if (packetStart.Length < HeaderSize)
        {
            header = default;
            return false;
        }

        Span<byte> scratch = stackalloc byte[HeaderSize];
        packetStart.Slice(0, HeaderSize).CopyTo(scratch);
        return TryParseHeader(scratch, out header);
    }
}
