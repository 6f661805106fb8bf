using NativeSftp.Wire;

namespace NativeSftp.Sftp.Protocol;

/// <summary>
/// A path (or any other filename-like string) as it goes on the wire. Built from a .NET string it is encoded as
/// strict UTF-8: a lone surrogate is an <see cref="ArgumentException"/> rather than a silent U+FFFD that would
/// name a different file. Built from bytes it is sent exactly as given, which is how a name read from a listing
/// that is not valid UTF-8 (OpenSSH sends file names as raw bytes) is sent back unchanged.
/// </summary>
public readonly ref struct SftpPath
{
    private readonly string? _text;
    private readonly ReadOnlySpan<byte> _bytes;

    public SftpPath(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        _text = text;
        _bytes = default;
    }

    public SftpPath(ReadOnlySpan<byte> bytes)
    {
        _text = null;
        _bytes = bytes;
    }

    public static implicit operator SftpPath(string text) => new(text);
    public static implicit operator SftpPath(byte[] bytes) =>
        new(bytes ?? throw new ArgumentNullException(nameof(bytes)));
    public static implicit operator SftpPath(ReadOnlySpan<byte> bytes) => new(bytes);

    /// <summary>How many bytes the path itself takes (without the string's length prefix).</summary>
    public int ByteCount
    {
        get
        {
            if (_text is null)
            {
                return _bytes.Length;
            }

            try
            {
                return SshReader.StrictUtf8.GetByteCount(_text);
            }
            catch (System.Text.EncoderFallbackException e)
            {
                throw new ArgumentException("path contains an unpaired surrogate and has no UTF-8 form", e);
            }
        }
    }

    /// <summary>Writes the bytes (no length prefix) and returns how many were written.</summary>
    internal int CopyTo(Span<byte> destination) =>
        _text is null ? CopyBytes(_bytes, destination) : SshReader.StrictUtf8.GetBytes(_text, destination);

    private static int CopyBytes(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        source.CopyTo(destination);
        return source.Length;
    }
}
