using System.Buffers.Binary;
using System.Text;

namespace NativeSftp.Wire;

/// <summary>
/// Reads the SSH data types of RFC 4251 §5 from a span. Every read is bounds-checked: running past the end,
/// or a length that claims more than is left, throws <see cref="SshProtocolException"/> before anything is
/// allocated, so a hostile length can never cause a large allocation.
/// </summary>
public ref struct SshReader
{
    private readonly ReadOnlySpan<byte> _buffer;
    private int _position;

    public SshReader(ReadOnlySpan<byte> buffer)
    {
        _buffer = buffer;
        _position = 0;
    }

    public readonly int Position => _position;
    public readonly int Remaining => _buffer.Length - _position;
    public readonly bool IsAtEnd => _position == _buffer.Length;
    public readonly ReadOnlySpan<byte> RemainingSpan => _buffer[_position..];

    public byte ReadByte()
    {
        Need(1);
        return _buffer[_position++];
    }

    /// <summary>RFC 4251 §5: any non-zero value is TRUE.</summary>
    public bool ReadBoolean() => ReadByte() != 0;

    public uint ReadUInt32()
    {
        Need(4);
        uint v = BinaryPrimitives.ReadUInt32BigEndian(_buffer.Slice(_position, 4));
        _position += 4;
        return v;
    }

    public ulong ReadUInt64()
    {
        Need(8);
        ulong v = BinaryPrimitives.ReadUInt64BigEndian(_buffer.Slice(_position, 8));
        _position += 8;
        return v;
    }

    /// <summary>An SSH <c>string</c>: uint32 length then that many bytes. Returns a slice, no copy.</summary>
    public ReadOnlySpan<byte> ReadString()
    {
        uint length = ReadUInt32();
        if (length > (uint)Remaining)
        {
            throw Truncated($"string of {length} bytes with {Remaining} left");
        }

        var s = _buffer.Slice(_position, (int)length);
        _position += (int)length;
        return s;
    }

    public byte[] ReadStringAsArray() => ReadString().ToArray();

    /// <summary>A <c>string</c> decoded as UTF-8 (RFC 4251 §5: text is ISO-10646 UTF-8). Invalid UTF-8 is a protocol error.</summary>
    public string ReadUtf8()
    {
        var bytes = ReadString();
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException e)
        {
            throw new SshProtocolException(DisconnectReason.ProtocolError, "invalid UTF-8 in a string field", e);
        }
    }

    /// <summary>A <c>string</c> that must be US-ASCII (algorithm and method names, RFC 4251 §6).</summary>
    public string ReadAscii()
    {
        var bytes = ReadString();
        foreach (byte b in bytes)
        {
            if (b < 0x20 || b > 0x7e)
            {
                throw new SshProtocolException(DisconnectReason.ProtocolError, "non-printable byte in an ASCII name field");
            }
        }

        return Encoding.ASCII.GetString(bytes);
    }

    /// <summary>RFC 4251 §5 name-list: comma-separated ASCII names, no empty names.</summary>
    public string[] ReadNameList()
    {
        string s = ReadAscii();
        if (s.Length == 0)
        {
            return [];
        }

        string[] names = s.Split(',');
        foreach (string n in names)
        {
            if (n.Length == 0)
            {
                throw new SshProtocolException(DisconnectReason.ProtocolError, "empty name in a name-list");
            }
        }

        return names;
    }

    /// <summary>
    /// An <c>mpint</c> (RFC 4251 §5): two's complement, big-endian, minimal. Returns the raw magnitude bytes
    /// (leading zero removed) and rejects negative values, which no SSH field we read may carry.
    /// </summary>
    public ReadOnlySpan<byte> ReadPositiveMPInt()
    {
        var raw = ReadString();
        if (raw.Length == 0)
        {
            return raw;
        }

        if ((raw[0] & 0x80) != 0)
        {
            throw new SshProtocolException(DisconnectReason.ProtocolError, "negative mpint where a positive one is required");
        }

        if (raw[0] == 0)
        {
            if (raw.Length == 1 || (raw[1] & 0x80) == 0)
            {
                throw new SshProtocolException(DisconnectReason.ProtocolError, "mpint with unnecessary leading zero");
            }

            return raw[1..];
        }

        return raw;
    }

    public ReadOnlySpan<byte> ReadBytes(int count)
    {
        if (count < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(count));
        }

        Need(count);
        var s = _buffer.Slice(_position, count);
        _position += count;
        return s;
    }

    public ReadOnlySpan<byte> ReadRemaining()
    {
        var s = _buffer[_position..];
        _position = _buffer.Length;
        return s;
    }

    /// <summary>Throws when bytes are left over: a message longer than its layout is malformed.</summary>
    public readonly void EnsureAtEnd(string what)
    {
        if (!IsAtEnd)
        {
            throw new SshProtocolException(DisconnectReason.ProtocolError, $"{Remaining} unexpected trailing bytes in {what}");
        }
    }

    private readonly void Need(int count)
    {
        if (count > Remaining)
        {
            throw Truncated($"need {count} bytes, {Remaining} left");
        }
    }

    private readonly SshProtocolException Truncated(string detail) =>
        new(DisconnectReason.ProtocolError, $"truncated message at offset {_position}: {detail}");

    internal static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
}
