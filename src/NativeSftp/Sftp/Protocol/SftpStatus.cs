using System.Text;
using NativeSftp.Wire;

namespace NativeSftp.Sftp.Protocol;

/// <summary>
/// SSH_FXP_STATUS (draft-ietf-secsh-filexfer-02 §7): <c>uint32 id, uint32 error code, string error message,
/// string language tag</c>. Version 3 has both strings, but some old servers stop after the code; a missing
/// message or language reads as empty rather than failing the request the status answers.
/// </summary>
public readonly record struct SftpStatus(SftpStatusCode Code, string Message, string Language)
{
    public bool IsOk => Code == SftpStatusCode.Ok;

    /// <summary>Parses a STATUS body (after the request id).</summary>
    public static SftpStatus Read(ReadOnlySpan<byte> body)
    {
        var reader = new SshReader(body);
        var code = (SftpStatusCode)reader.ReadUInt32();
        string message = reader.IsAtEnd ? "" : DecodeForDisplay(reader.ReadString());
        string language = reader.IsAtEnd ? "" : DecodeForDisplay(reader.ReadString());
        reader.EnsureAtEnd("SFTP STATUS");
        return new SftpStatus(code, message, language);
    }

    /// <summary>
    /// The message is for people only (never sent back), so invalid UTF-8 is replaced with U+FFFD instead of
    /// turning an error report into a protocol error.
    /// </summary>
    private static string DecodeForDisplay(ReadOnlySpan<byte> bytes) => Encoding.UTF8.GetString(bytes);

    /// <summary>Returns for SSH_FX_OK; otherwise throws the <see cref="SftpException"/> for the request it answered.</summary>
    public void ThrowIfError(byte requestType, string? path = null)
    {
        if (!IsOk)
        {
            throw ToException(requestType, path);
        }
    }

    /// <summary>The exception for a non-OK status answering <paramref name="requestType"/> on <paramref name="path"/>.</summary>
    public SftpException ToException(byte requestType, string? path = null) =>
        new(Code, Message, SftpPacketType.NameOf(requestType), path);

    /// <summary>The same for an extension request, named by its extension name ("posix-rename@openssh.com").</summary>
    public SftpException ToException(string requestName, string? path = null) =>
        new(Code, Message, requestName, path);
}
