using System.Buffers;
using System.Globalization;

namespace NativeSftp.Sftp.Protocol;

/// <summary>
/// Splits the SFTP byte stream (the channel's data) into packets, draft-ietf-secsh-filexfer-02 §3:
/// <code>
/// +-----------+--------+-------------------+---------------------------+
/// | length 4  | type 1 | request-id 4 (*)  | type-specific fields ...  |
/// +-----------+--------+-------------------+---------------------------+
///             |&lt;------------------- length bytes -------------------&gt;|
/// (*) VERSION carries the protocol version in this place.
/// </code>
/// Every server-to-client packet in v3 has the uint32 after the type, so the smallest valid length is 5. The
/// length is checked as soon as its 4 bytes are in, before waiting for the rest, so a hostile length fails at
/// once instead of making the caller buffer up to 4 GiB.
/// </summary>
internal static class SftpFramer
{
    /// <summary>
    /// Returns false when <paramref name="buffer"/> does not yet hold a whole packet (nothing consumed). On true,
    /// <paramref name="buffer"/> is advanced past the packet and the packet's body is a slice of the old buffer.
    /// Throws <see cref="SshProtocolException"/> for a length of 0, below 5, or above
    /// <see cref="SftpProtocolLimits.MaxIncomingPacketLength"/>.
    /// </summary>
    public static bool TryReadPacket(ref ReadOnlySequence<byte> buffer, out SftpPacket packet)
    {
        packet = default;
        var reader = new SequenceReader<byte>(buffer);
        if (!reader.TryReadBigEndian(out int rawLength))
        {
            return false;
        }

        uint length = unchecked((uint)rawLength);
        CheckLength(length);
        if (reader.Remaining < length)
        {
            return false;
        }

        reader.TryRead(out byte type);
        reader.TryReadBigEndian(out int requestId);
        var body = buffer.Slice(reader.Position, length - SftpProtocolLimits.MinPayloadLength);
        packet = new SftpPacket(type, unchecked((uint)requestId), body);
        buffer = buffer.Slice(body.End);
        return true;
    }

    /// <summary>The bounds every SFTP length field must meet; shared with the DATA fast path.</summary>
    internal static void CheckLength(uint length)
    {
        if (length < SftpProtocolLimits.MinPayloadLength || length > SftpProtocolLimits.MaxIncomingPacketLength)
        {
            throw new SshProtocolException(DisconnectReason.ProtocolError, string.Create(CultureInfo.InvariantCulture,
                $"SFTP packet length {length} is outside {SftpProtocolLimits.MinPayloadLength}..{SftpProtocolLimits.MaxIncomingPacketLength}"));
        }
    }
}
