using System.Buffers;
using System.IO.Pipelines;
using System.Text;

namespace NativeSftp.Transport;

/// <summary>
/// The protocol version exchange, RFC 4253 §4.2. The server may send other lines before its
/// <c>SSH-2.0-</c> line; each line, CR LF included, is at most 255 bytes.
/// </summary>
public static class IdentificationExchange
{
    /// <summary>RFC 4253 §4.2: the maximum identification line length, CR LF included.</summary>
    public const int MaxLineLength = 255;

    /// <summary>How many lines before the version line we tolerate (OpenSSH's client allows 1024).</summary>
    public const int MaxPreambleLines = 1024;

    /// <summary>Bytes before the version line we tolerate: 1024 lines × 255 bytes would be 256 KiB; we stop at 64 KiB.</summary>
    public const int MaxPreambleBytes = 64 * 1024;

    /// <summary>
    /// Reads lines until the server's version line and returns it without CR LF. A line that is too long, too many
    /// lines, a NUL byte in the version line, a protocol other than 2.0 (or 1.99), or the stream ending first, throws.
    /// </summary>
    public static async ValueTask<string> ReadServerVersionAsync(PipeReader reader, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reader);
        int lines = 0;
        long preambleBytes = 0;
        while (true)
        {
            ReadResult result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = result.Buffer;
            while (TryReadLine(ref buffer, out string? line, out int consumed))
            {
                if (line!.StartsWith("SSH-", StringComparison.Ordinal))
                {
                    reader.AdvanceTo(buffer.Start);
                    return CheckVersionLine(line);
                }

                lines++;
                preambleBytes += consumed;
                if (lines > MaxPreambleLines || preambleBytes > MaxPreambleBytes)
                {
                    reader.AdvanceTo(buffer.Start);
                    throw new SshProtocolException(DisconnectReason.ProtocolError, $"the server sent more than {lines - 1} lines ({preambleBytes} bytes) before its SSH version line");
                }
            }

            if (buffer.Length >= MaxLineLength)
            {
                reader.AdvanceTo(buffer.Start);
                throw new SshProtocolException(DisconnectReason.ProtocolError, $"identification line longer than {MaxLineLength} bytes");
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                throw new SshConnectionException("the server closed the connection before sending its SSH version line", DisconnectReason.ConnectionLost, ClosedBy.Network);
            }
        }
    }

    private static bool TryReadLine(ref ReadOnlySequence<byte> buffer, out string? line, out int consumed)
    {
        var reader = new SequenceReader<byte>(buffer);
        if (!reader.TryReadTo(out ReadOnlySequence<byte> lineBytes, (byte)'\n', advancePastDelimiter: true))
        {
            line = null;
            consumed = 0;
            return false;
        }

        if (lineBytes.Length + 1 > MaxLineLength)
        {
            throw new SshProtocolException(DisconnectReason.ProtocolError, $"identification line longer than {MaxLineLength} bytes");
        }

        consumed = (int)lineBytes.Length + 1;
        byte[] bytes = lineBytes.ToArray();
        int length = bytes.Length;
        if (length > 0 && bytes[length - 1] == '\r')
        {
            length--; // RFC 4253 says CR LF; like OpenSSH we also accept a bare LF.
        }

        line = Encoding.Latin1.GetString(bytes, 0, length);
        buffer = buffer.Slice(reader.Position);
        return true;
    }

    private static string CheckVersionLine(string line)
    {
        if (line.Contains('\0', StringComparison.Ordinal))
        {
            throw new SshProtocolException(DisconnectReason.ProtocolError, "NUL byte in the server's version line");
        }

        // RFC 4253 §5.1: "SSH-1.99-" announces a server that also speaks 2.0.
        if (!line.StartsWith("SSH-2.0-", StringComparison.Ordinal) && !line.StartsWith("SSH-1.99-", StringComparison.Ordinal))
        {
            throw new SshProtocolException(DisconnectReason.ProtocolVersionNotSupported, $"the server speaks an unsupported protocol version: '{line}'");
        }

        return line;
    }

    public static byte[] FormatClientLine(string clientVersion)
    {
        ArgumentNullException.ThrowIfNull(clientVersion);
        if (!clientVersion.StartsWith("SSH-2.0-", StringComparison.Ordinal) || clientVersion.Length + 2 > MaxLineLength)
        {
            throw new ArgumentException("the client version must start with SSH-2.0- and fit in 253 characters", nameof(clientVersion));
        }

        return Encoding.ASCII.GetBytes(clientVersion + "\r\n");
    }
}
