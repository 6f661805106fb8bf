using System.Buffers;

namespace NativeSftp.Sftp.Protocol;

/// <summary>SSH_FXP_OPEN (draft-ietf-secsh-filexfer-02 §6.3): <c>uint32 id, string filename, uint32 pflags, ATTRS attrs</c>.</summary>
internal static class SftpOpen
{
    // The attributes apply only when the file is created (OpenSSH uses just the permissions); null sends none.
    public static void Write(IBufferWriter<byte> output, uint requestId, SftpPath path, SftpOpenFlags flags, SftpAttributes? attributes = null)
    {
        attributes ??= Empty;
        var w = SftpPacketWriter.Begin(output, SftpPacketType.Open, requestId,
            SftpPacketWriter.StringSize(path) + 4 + attributes.EncodedLength);
        w.WritePath(path);
        w.WriteUInt32((uint)flags);
        w.WriteAttributes(attributes);
        w.Finish();
    }

    private static readonly SftpAttributes Empty = new();
}
