using System.Buffers;

namespace NativeSftp.Sftp.Protocol;

/// <summary>SSH_FXP_CLOSE (draft-ietf-secsh-filexfer-02 §6.3): <c>uint32 id, string handle</c>.</summary>
internal static class SftpClose
{
    public static void Write(IBufferWriter<byte> output, uint requestId, ReadOnlySpan<byte> handle) =>
        SftpRequestLayouts.WriteHandle(output, SftpPacketType.Close, requestId, handle);
}

/// <summary>SSH_FXP_FSTAT (§6.8): <c>uint32 id, string handle</c>; answered by ATTRS or STATUS.</summary>
internal static class SftpFstat
{
    public static void Write(IBufferWriter<byte> output, uint requestId, ReadOnlySpan<byte> handle) =>
        SftpRequestLayouts.WriteHandle(output, SftpPacketType.Fstat, requestId, handle);
}

/// <summary>SSH_FXP_READDIR (§6.7): <c>uint32 id, string handle</c>; answered by NAME, or STATUS EOF at the end.</summary>
internal static class SftpReaddir
{
    public static void Write(IBufferWriter<byte> output, uint requestId, ReadOnlySpan<byte> handle) =>
        SftpRequestLayouts.WriteHandle(output, SftpPacketType.Readdir, requestId, handle);
}
