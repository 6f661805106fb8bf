using System.Buffers;

namespace NativeSftp.Sftp.Protocol.Extensions;

/// <summary>
/// The server's limits@openssh.com answer (OpenSSH PROTOCOL §4). Zero means "no limit stated" for that field;
/// OpenSSH's sftp-server answers 256 KiB packets, 255 KiB reads and writes, and its open-file limit.
/// </summary>
public sealed record SftpServerLimits(ulong MaxPacketLength, ulong MaxReadLength, ulong MaxWriteLength, ulong MaxOpenHandles);

/// <summary>limits@openssh.com: an empty request; EXTENDED_REPLY with four uint64 fields.</summary>
internal static class SftpLimits
{
    /// <summary>max-packet-length, max-read-length, max-write-length, max-open-handles: 4 x 8 = 32 bytes.</summary>
    private const int FieldCount = 4;

    public static void Write(IBufferWriter<byte> output, uint requestId) =>
        SftpExtended.Begin(output, requestId, SftpExtensionNames.Limits, 0).Finish();

    /// <summary>Parses the EXTENDED_REPLY body (after the request id).</summary>
    public static SftpServerLimits ReadReply(ReadOnlySpan<byte> body)
    {
        Span<ulong> f = stackalloc ulong[FieldCount];
        SftpExtendedReply.ReadUInt64Fields(body, f, "SFTP limits reply");
        return new SftpServerLimits(f[0], f[1], f[2], f[3]);
    }
}
