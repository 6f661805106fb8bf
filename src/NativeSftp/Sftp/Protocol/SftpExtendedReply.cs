using NativeSftp.Wire;

namespace NativeSftp.Sftp.Protocol;

/// <summary>
/// SSH_FXP_EXTENDED_REPLY (draft-ietf-secsh-filexfer-02 §8): <c>uint32 id, ... body</c>. The body's layout belongs
/// to the request it answers, so the framer's body (after the id) goes raw to that extension's parser
/// (<see cref="Extensions.SftpStatvfs"/>, <see cref="Extensions.SftpLimits"/>, <see cref="Extensions.SftpCheckFile"/>).
/// </summary>
internal static class SftpExtendedReply
{
    /// <summary>Reads a reply that is exactly <c>fields.Length</c> uint64 values (statvfs, limits), nothing more.</summary>
    internal static void ReadUInt64Fields(ReadOnlySpan<byte> body, Span<ulong> fields, string what)
    {
        var reader = new SshReader(body);
        for (int i = 0; i < fields.Length; i++)
        {
            fields[i] = reader.ReadUInt64();
        }

        reader.EnsureAtEnd(what);
    }
}
