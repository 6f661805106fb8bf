using System.Buffers;

namespace NativeSftp.Sftp.Protocol.Extensions;

/// <summary>
/// copy-data (draft-ietf-secsh-filexfer-extensions-00): <c>string read-from-handle, uint64 read-from-offset,
/// uint64 read-data-length, string write-to-handle, uint64 write-to-offset</c>. A server-side copy; a length of 0
/// copies to the end of the source. Answered by STATUS.
/// </summary>
internal static class SftpCopyData
{
    public static void Write(IBufferWriter<byte> output, uint requestId,
        ReadOnlySpan<byte> readFromHandle, ulong readFromOffset, ulong readDataLength,
        ReadOnlySpan<byte> writeToHandle, ulong writeToOffset)
    {
        var w = SftpExtended.Begin(output, requestId, SftpExtensionNames.CopyData,
            SftpPacketWriter.HandleSize(readFromHandle) + 8 + 8 + SftpPacketWriter.HandleSize(writeToHandle) + 8);
        w.WriteString(readFromHandle);
        w.WriteUInt64(readFromOffset);
        w.WriteUInt64(readDataLength);
        w.WriteString(writeToHandle);
        w.WriteUInt64(writeToOffset);
        w.Finish();
    }
}
