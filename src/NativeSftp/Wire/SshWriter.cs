using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace NativeSftp.Wire;

/// <summary>
/// Writes the SSH data types of RFC 4251 §5 into an <see cref="IBufferWriter{T}"/>. Cold-path messages are
/// built with it; the data path (CHANNEL_DATA, SFTP WRITE) writes its few header bytes by hand.
/// </summary>
public readonly struct SshWriter
{
    private readonly IBufferWriter<byte> _output;

    public SshWriter(IBufferWriter<byte> output) => _output = output ?? throw new ArgumentNullException(nameof(output));

    public void WriteByte(byte value)
    {
        _output.GetSpan(1)[0] = value;
        _output.Advance(1);
    }

    public void WriteBoolean(bool value) => WriteByte(value ? (byte)1 : (byte)0);

    public void WriteUInt32(uint value)
    {
        BinaryPrimitives.WriteUInt32BigEndian(_output.GetSpan(4), value);
        _output.Advance(4);
    }

    public void WriteUInt64(ulong value)
    {
        BinaryPrimitives.WriteUInt64BigEndian(_output.GetSpan(8), value);
        _output.Advance(8);
    }

    public void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            return;
        }

        bytes.CopyTo(_output.GetSpan(bytes.Length));
        _output.Advance(bytes.Length);
    }

    public void WriteString(ReadOnlySpan<byte> bytes)
    {
        WriteUInt32((uint)bytes.Length);
        WriteRaw(bytes);
    }

    public void WriteUtf8(string value)
    {
        int max = Encoding.UTF8.GetMaxByteCount(value.Length);
        Span<byte> span = _output.GetSpan(4 + max);
        int n = Encoding.UTF8.GetBytes(value, span[4..]);
        BinaryPrimitives.WriteUInt32BigEndian(span, (uint)n);
        _output.Advance(4 + n);
    }

    public void WriteAscii(string value)
    {
        Span<byte> span = _output.GetSpan(4 + value.Length);
        BinaryPrimitives.WriteUInt32BigEndian(span, (uint)value.Length);
        for (int i = 0; i < value.Length; i++)
        {
            char c = value[i];
            if (c > 0x7e || c < 0x20)
            {
                throw new ArgumentException("name contains a non-ASCII or control character", nameof(value));
            }

            span[4 + i] = (byte)c;
        }

        _output.Advance(4 + value.Length);
    }

    public void WriteNameList(IReadOnlyList<string> names)
    {
        foreach (string n in names)
        {
            if (n.Length == 0 || n.Contains(',', StringComparison.Ordinal))
            {
                throw new ArgumentException($"'{n}' cannot be a member of a name-list", nameof(names));
            }
        }

        WriteAscii(string.Join(',', names));
    }

    /// <summary>
    /// Writes an unsigned big-endian magnitude as an <c>mpint</c>: leading zero bytes stripped, and one zero
    /// byte prepended when the top bit is set so the value stays positive (RFC 4251 §5).
    /// </summary>
    public void WriteMPInt(ReadOnlySpan<byte> magnitude)
    {
        int i = 0;
        while (i < magnitude.Length && magnitude[i] == 0)
        {
            i++;
        }

        var m = magnitude[i..];
        bool pad = m.Length > 0 && (m[0] & 0x80) != 0;
        WriteUInt32((uint)(m.Length + (pad ? 1 : 0)));
        if (pad)
        {
            WriteByte(0);
        }

        WriteRaw(m);
    }
}
