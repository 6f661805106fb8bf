using System.Globalization;
using NativeSftp.Wire;

namespace NativeSftp.Sftp.Protocol;

/// <summary>SSH_FXP_HANDLE (draft-ietf-secsh-filexfer-02 §7): <c>uint32 id, string handle</c>, at most 256 bytes.</summary>
internal static class SftpHandle
{
    /// <summary>Parses a HANDLE body (after the request id). The handle is copied: it outlives the receive buffer.</summary>
    public static byte[] Read(ReadOnlySpan<byte> body)
    {
        var reader = new SshReader(body);
        var handle = reader.ReadString();
        if (handle.Length > SftpProtocolLimits.MaxHandleLength)
        {
            throw new SshProtocolException(DisconnectReason.ProtocolError, string.Create(CultureInfo.InvariantCulture,
                $"SFTP HANDLE of {handle.Length} bytes; the draft allows at most {SftpProtocolLimits.MaxHandleLength}"));
        }

        reader.EnsureAtEnd("SFTP HANDLE");
        return handle.ToArray();
    }
}
