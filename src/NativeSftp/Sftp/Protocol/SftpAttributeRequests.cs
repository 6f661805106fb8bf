using System.Buffers;

namespace NativeSftp.Sftp.Protocol;

/// <summary>SSH_FXP_SETSTAT (draft-ietf-secsh-filexfer-02 §6.9): <c>uint32 id, string path, ATTRS attrs</c>.</summary>
internal static class SftpSetstat
{
    public static void Write(IBufferWriter<byte> output, uint requestId, SftpPath path, SftpAttributes attributes)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        var w = SftpPacketWriter.Begin(output, SftpPacketType.Setstat, requestId,
            SftpPacketWriter.StringSize(path) + attributes.EncodedLength);
        w.WritePath(path);
        w.WriteAttributes(attributes);
        w.Finish();
    }
}

/// <summary>SSH_FXP_FSETSTAT (§6.9): <c>uint32 id, string handle, ATTRS attrs</c>.</summary>
internal static class SftpFsetstat
{
    public static void Write(IBufferWriter<byte> output, uint requestId, ReadOnlySpan<byte> handle, SftpAttributes attributes)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        var w = SftpPacketWriter.Begin(output, SftpPacketType.Fsetstat, requestId,
            SftpPacketWriter.HandleSize(handle) + attributes.EncodedLength);
        w.WriteString(handle);
        w.WriteAttributes(attributes);
        w.Finish();
    }
}

/// <summary>SSH_FXP_MKDIR (§6.6): <c>uint32 id, string path, ATTRS attrs</c>.</summary>
internal static class SftpMkdir
{
    public static void Write(IBufferWriter<byte> output, uint requestId, SftpPath path, SftpAttributes? attributes = null)
    {
        attributes ??= Empty;
        var w = SftpPacketWriter.Begin(output, SftpPacketType.Mkdir, requestId,
            SftpPacketWriter.StringSize(path) + attributes.EncodedLength);
        w.WritePath(path);
        w.WriteAttributes(attributes);
        w.Finish();
    }

    private static readonly SftpAttributes Empty = new();
}
