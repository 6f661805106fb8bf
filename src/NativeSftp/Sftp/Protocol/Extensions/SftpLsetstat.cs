using System.Buffers;

namespace NativeSftp.Sftp.Protocol.Extensions;

/// <summary>
/// lsetstat@openssh.com (OpenSSH PROTOCOL §4): <c>string path, ATTRS attrs</c>; SETSTAT without following a
/// final symlink, so a link's own times can be set. Answered by STATUS.
/// </summary>
internal static class SftpLsetstat
{
    public static void Write(IBufferWriter<byte> output, uint requestId, SftpPath path, SftpAttributes attributes)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        var w = SftpExtended.Begin(output, requestId, SftpExtensionNames.Lsetstat, SftpPacketWriter.StringSize(path) + attributes.EncodedLength);
        w.WritePath(path);
        w.WriteAttributes(attributes);
        w.Finish();
    }
}
