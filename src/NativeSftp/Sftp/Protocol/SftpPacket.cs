using System.Buffers;

namespace NativeSftp.Sftp.Protocol;

/// <summary>
/// One framed SFTP packet. <see cref="Body"/> is a slice of the receive buffer, not a copy: it is valid until the
/// caller advances its buffer past the packet. A DATA body goes from there straight into the reader's buffer
/// (the one copy); cold-path replies take <see cref="ContiguousBody"/> and parse from a span.
/// </summary>
internal readonly struct SftpPacket
{
    public SftpPacket(byte type, uint requestId, ReadOnlySequence<byte> body)
    {
        Type = type;
        RequestId = requestId;
        Body = body;
    }

    public byte Type { get; }

    /// <summary>The request id this packet answers; for VERSION the uint32 in that place is the protocol version.</summary>
    public uint RequestId { get; }

    /// <summary>Everything after the request id (for VERSION: after the version).</summary>
    public ReadOnlySequence<byte> Body { get; }

    /// <summary>The body as one span: free when it lies in one segment, otherwise a copy (cold-path replies only).</summary>
    public ReadOnlySpan<byte> ContiguousBody() => Body.IsSingleSegment ? Body.FirstSpan : Body.ToArray();
}
