using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using NativeSftp.Wire;

namespace NativeSftp.Diagnostics;

/// <summary>
/// Writes one line per SSH packet: time, direction, key-exchange count, message name, wire length, and the header
/// fields that explain flow (channel numbers, data lengths, window adjustments, request and method names).
/// It never writes payload bytes: CHANNEL_DATA shows its length, USERAUTH_REQUEST its method name (not the user,
/// password or signature), key-exchange messages their name (not public values or algorithm lists).
/// Thread-safe: the send and receive paths call it concurrently; each line is written under one lock.
/// </summary>
public sealed class ProtocolTraceWriter : IConnectionTracer, IDisposable
{
    /// <summary>A header name we print (channel type, request, method) is cut to this many characters, so a hostile
    /// peer cannot make one trace line arbitrarily long; OpenSSH's own names are under 40 (RFC 4250 §4.6.1 caps
    /// names at 64).</summary>
    private const int MaxNameChars = 64;

    /// <summary>One line: a 28-character timestamp, fixed words and at most three names and six numbers fit well
    /// inside 512 characters, so the line is built on the stack.</summary>
    private const int LineBufferChars = 512;

    private readonly TextWriter _writer;
    private readonly bool _ownsWriter;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private bool _disposed;
    private int _connections;

    public ProtocolTraceWriter(TextWriter writer, bool ownsWriter = false, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(writer);
        _writer = writer;
        _ownsWriter = ownsWriter;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Creates (or truncates) a trace file.</summary>
    public static ProtocolTraceWriter ToFile(string path, TimeProvider? time = null)
    {
        var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read);
        return new ProtocolTraceWriter(new StreamWriter(stream, new UTF8Encoding(false)), ownsWriter: true, time);
    }

    public void OnPacket(PacketDirection direction, ReadOnlySpan<byte> payload, int wireLength, int keyExchanges) =>
        Write(0, direction, payload, wireLength, keyExchanges);

    /// <summary>
    /// A view for one connection: its lines carry <c>conn=N</c> after the time (N from 1, in the order connections
    /// start), so the packets of several connections in one trace can be told apart.
    /// </summary>
    public IPacketTracer ForConnection() => new ConnectionView(this, Interlocked.Increment(ref _connections));

    private void Write(int connection, PacketDirection direction, ReadOnlySpan<byte> payload, int wireLength, int keyExchanges)
    {
        Span<char> line = stackalloc char[LineBufferChars];
        var w = new LineBuilder(line);
        w.Time(_time.GetUtcNow());
        if (connection > 0)
        {
            w.Text(" conn=");
            w.Number(connection);
        }

        w.Text(direction == PacketDirection.Sent ? " send" : " recv");
        w.Text(" kex=");
        w.Number(keyExchanges);
        w.Text(" wire=");
        w.Number(wireLength);
        w.Text(" ");
        if (payload.IsEmpty)
        {
            w.Text("(empty payload)");
        }
        else
        {
            w.Text(MessageName(payload[0]));
            DescribeHeader(ref w, payload);
        }

        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _writer.WriteLine(w.Written);
        }
    }

    private sealed class ConnectionView(ProtocolTraceWriter writer, int connection) : IPacketTracer
    {
        public void OnPacket(PacketDirection direction, ReadOnlySpan<byte> payload, int wireLength, int keyExchanges) =>
            writer.Write(connection, direction, payload, wireLength, keyExchanges);
    }

    public void Flush()
    {
        lock (_lock)
        {
            if (!_disposed)
            {
                _writer.Flush();
            }
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _writer.Flush();
            if (_ownsWriter)
            {
                _writer.Dispose();
            }
        }
    }

    /// <summary>Message names as RFC 4250 §4.1.2 lists them. Numbers 30–49 mean different things per key-exchange
    /// method (RFC 4253 §12); the tracer does not know the method, so it names both readings.</summary>
    public static string MessageName(byte number) => number switch
    {
        MessageNumbers.Disconnect => "DISCONNECT",
        MessageNumbers.Ignore => "IGNORE",
        MessageNumbers.Unimplemented => "UNIMPLEMENTED",
        MessageNumbers.Debug => "DEBUG",
        MessageNumbers.ServiceRequest => "SERVICE_REQUEST",
        MessageNumbers.ServiceAccept => "SERVICE_ACCEPT",
        MessageNumbers.ExtInfo => "EXT_INFO",
        MessageNumbers.NewCompress => "NEWCOMPRESS",
        MessageNumbers.KexInit => "KEXINIT",
        MessageNumbers.NewKeys => "NEWKEYS",
        30 => "KEX_ECDH_INIT/KEXDH_INIT",
        31 => "KEX_ECDH_REPLY/KEXDH_REPLY/KEX_DH_GEX_GROUP",
        MessageNumbers.KexDhGexInit => "KEX_DH_GEX_INIT",
        MessageNumbers.KexDhGexReply => "KEX_DH_GEX_REPLY",
        MessageNumbers.KexDhGexRequest => "KEX_DH_GEX_REQUEST",
        >= MessageNumbers.KexFirst and <= MessageNumbers.KexLast => "KEX_METHOD_MESSAGE",
        MessageNumbers.UserauthRequest => "USERAUTH_REQUEST",
        MessageNumbers.UserauthFailure => "USERAUTH_FAILURE",
        MessageNumbers.UserauthSuccess => "USERAUTH_SUCCESS",
        MessageNumbers.UserauthBanner => "USERAUTH_BANNER",
        60 => "USERAUTH_PK_OK/INFO_REQUEST/PASSWD_CHANGEREQ",
        MessageNumbers.UserauthInfoResponse => "USERAUTH_INFO_RESPONSE",
        MessageNumbers.GlobalRequest => "GLOBAL_REQUEST",
        MessageNumbers.RequestSuccess => "REQUEST_SUCCESS",
        MessageNumbers.RequestFailure => "REQUEST_FAILURE",
        MessageNumbers.ChannelOpen => "CHANNEL_OPEN",
        MessageNumbers.ChannelOpenConfirmation => "CHANNEL_OPEN_CONFIRMATION",
        MessageNumbers.ChannelOpenFailure => "CHANNEL_OPEN_FAILURE",
        MessageNumbers.ChannelWindowAdjust => "CHANNEL_WINDOW_ADJUST",
        MessageNumbers.ChannelData => "CHANNEL_DATA",
        MessageNumbers.ChannelExtendedData => "CHANNEL_EXTENDED_DATA",
        MessageNumbers.ChannelEof => "CHANNEL_EOF",
        MessageNumbers.ChannelClose => "CHANNEL_CLOSE",
        MessageNumbers.ChannelRequest => "CHANNEL_REQUEST",
        MessageNumbers.ChannelSuccess => "CHANNEL_SUCCESS",
        MessageNumbers.ChannelFailure => "CHANNEL_FAILURE",
        _ => "MSG_UNKNOWN",
    };

    /// <summary>Appends the header fields of the messages where they say something about flow or progress. A short
    /// or malformed payload shows "(truncated)" instead of failing: the tracer only watches, the transport judges.</summary>
    private static void DescribeHeader(ref LineBuilder w, ReadOnlySpan<byte> payload)
    {
        var r = new HeaderReader(payload[1..]);
        byte type = payload[0];
        switch (type)
        {
            case MessageNumbers.Disconnect:
                w.Field(" reason=", r.UInt32());
                break;
            case MessageNumbers.ServiceRequest or MessageNumbers.ServiceAccept:
                w.Name(" service=", r.Name());
                break;
            case MessageNumbers.UserauthRequest:
                // user name and service first; only the method is printed (the rest may hold a password or signature).
                r.Skip();
                r.Skip();
                w.Name(" method=", r.Name());
                break;
            case MessageNumbers.UserauthFailure:
                w.Name(" can-continue=", r.Name());
                break;
            case MessageNumbers.GlobalRequest:
                w.Name(" request=", r.Name());
                w.Flag(" want-reply=", r.Boolean());
                break;
            case MessageNumbers.ChannelOpen:
                w.Name(" type=", r.Name());
                w.Field(" sender=", r.UInt32());
                w.Field(" window=", r.UInt32());
                w.Field(" max-packet=", r.UInt32());
                break;
            case MessageNumbers.ChannelOpenConfirmation:
                w.Field(" channel=", r.UInt32());
                w.Field(" sender=", r.UInt32());
                w.Field(" window=", r.UInt32());
                w.Field(" max-packet=", r.UInt32());
                break;
            case MessageNumbers.ChannelOpenFailure:
                w.Field(" channel=", r.UInt32());
                w.Field(" reason=", r.UInt32());
                break;
            case MessageNumbers.ChannelWindowAdjust:
                w.Field(" channel=", r.UInt32());
                w.Field(" adjust=", r.UInt32());
                break;
            case MessageNumbers.ChannelData:
                w.Field(" channel=", r.UInt32());
                w.Field(" data=", r.UInt32());
                break;
            case MessageNumbers.ChannelExtendedData:
                w.Field(" channel=", r.UInt32());
                w.Field(" data-type=", r.UInt32());
                w.Field(" data=", r.UInt32());
                break;
            case MessageNumbers.ChannelEof or MessageNumbers.ChannelClose or MessageNumbers.ChannelSuccess or MessageNumbers.ChannelFailure:
                w.Field(" channel=", r.UInt32());
                break;
            case MessageNumbers.ChannelRequest:
                w.Field(" channel=", r.UInt32());
                w.Name(" request=", r.Name());
                w.Flag(" want-reply=", r.Boolean());
                break;
            default:
                // KEX messages, NEWKEYS, IGNORE, banners, PK_OK...: the name alone. Their bodies are public values,
                // signatures, padding or free text a server chose, none of which a flow trace needs.
                break;
        }

        if (r.Truncated)
        {
            w.Text(" (truncated)");
        }
    }

    /// <summary>Reads header fields with bounds checks; past the end it records truncation and yields nothing.</summary>
    private ref struct HeaderReader(ReadOnlySpan<byte> span)
    {
        private ReadOnlySpan<byte> _span = span;

        public bool Truncated { get; private set; }

        public uint? UInt32()
        {
            if (_span.Length < sizeof(uint))
            {
                Truncated = true;
                return null;
            }

            uint v = BinaryPrimitives.ReadUInt32BigEndian(_span);
            _span = _span[sizeof(uint)..];
            return v;
        }

        public bool? Boolean()
        {
            if (_span.IsEmpty)
            {
                Truncated = true;
                return null;
            }

            bool v = _span[0] != 0;
            _span = _span[1..];
            return v;
        }

        public ReadOnlySpan<byte> Name()
        {
            if (UInt32() is not uint length)
            {
                return default;
            }

            if (length > (uint)_span.Length)
            {
                Truncated = true;
                _span = default;
                return default;
            }

            var name = _span[..(int)length];
            _span = _span[(int)length..];
            return name;
        }

        public void Skip() => Name();
    }

    /// <summary>Builds a line in a caller's buffer; what does not fit is dropped, never grown.</summary>
    private ref struct LineBuilder(Span<char> buffer)
    {
        private readonly Span<char> _buffer = buffer;
        private int _length;

        public readonly ReadOnlySpan<char> Written => _buffer[.._length];

        public void Text(ReadOnlySpan<char> text)
        {
            int n = Math.Min(text.Length, _buffer.Length - _length);
            text[..n].CopyTo(_buffer[_length..]);
            _length += n;
        }

        public void Number(long value)
        {
            if (value.TryFormat(_buffer[_length..], out int n, default, CultureInfo.InvariantCulture))
            {
                _length += n;
            }
        }

        public void Time(DateTimeOffset time)
        {
            if (time.UtcDateTime.TryFormat(_buffer[_length..], out int n, "yyyy-MM-ddTHH:mm:ss.ffffffZ", CultureInfo.InvariantCulture))
            {
                _length += n;
            }
        }

        public void Field(ReadOnlySpan<char> label, uint? value)
        {
            if (value is uint v)
            {
                Text(label);
                Number(v);
            }
        }

        public void Flag(ReadOnlySpan<char> label, bool? value)
        {
            if (value is bool v)
            {
                Text(label);
                Text(v ? "true" : "false");
            }
        }

        /// <summary>Appends a protocol name as printable ASCII: anything else becomes '?', so a peer cannot put
        /// control characters (terminal escapes, newlines) into the trace.</summary>
        public void Name(ReadOnlySpan<char> label, ReadOnlySpan<byte> name)
        {
            Text(label);
            int n = Math.Min(Math.Min(name.Length, MaxNameChars), _buffer.Length - _length);
            for (int i = 0; i < n; i++)
            {
                byte b = name[i];
                _buffer[_length++] = b is >= 0x21 and < 0x7F ? (char)b : '?';
            }
        }
    }
}
