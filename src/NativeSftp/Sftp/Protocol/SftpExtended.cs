using System.Buffers;

namespace NativeSftp.Sftp.Protocol;

/// <summary>
/// SSH_FXP_EXTENDED (draft-ietf-secsh-filexfer-02 §8): <c>uint32 id, string extended-request, ... body</c>. The
/// body is request-specific and not length-prefixed as a whole. Answered by STATUS or EXTENDED_REPLY.
/// </summary>
internal static class SftpExtended
{
    /// <summary>Writes an extension request whose body the caller has already encoded.</summary>
    public static void Write(IBufferWriter<byte> output, uint requestId, string requestName, ReadOnlySpan<byte> body)
    {
        var w = Begin(output, requestId, requestName, body.Length);
        w.WriteRaw(body);
        w.Finish();
    }

    /// <summary>Starts an extension request; the caller writes <paramref name="bodyLength"/> bytes of fields and calls Finish.</summary>
    internal static SftpPacketWriter Begin(IBufferWriter<byte> output, uint requestId, string requestName, int bodyLength)
    {
        ArgumentException.ThrowIfNullOrEmpty(requestName);
        var w = SftpPacketWriter.Begin(output, SftpPacketType.Extended, requestId, SftpPacketWriter.StringSize(requestName) + bodyLength);
        w.WritePath(requestName);
        return w;
    }
}
