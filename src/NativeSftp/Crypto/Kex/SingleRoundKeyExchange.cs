using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using NativeSftp.Wire;

namespace NativeSftp.Crypto.Kex;

/// <summary>
/// The shape every method here shares once the group is fixed: the client sends its ephemeral public value in an
/// INIT message, the server answers with a REPLY carrying K_S, its public value and the signature of H.
/// <code>
///   byte    INIT (30, or 32 for group exchange)      byte    REPLY (31, or 33 for group exchange)
///   string  Q_C  | mpint e                          string  K_S
///                                                   string  Q_S  | mpint f
///                                                   string  signature of H
/// </code>
/// (RFC 4253 §8, RFC 5656 §4, RFC 8731 §3, OpenSSH PROTOCOL for the hybrids.) The public values enter H in the
/// same encoding they have on the wire, so the client keeps its encoded value and slices the server's from the
/// reply. Subclasses supply the arithmetic; this class owns parsing, state and H.
/// </summary>
internal abstract class SingleRoundKeyExchange : IKeyExchange
{
    private readonly KexContext _context;
    private byte[]? _clientValueEncoded;
    private State _state = State.Created;

    protected SingleRoundKeyExchange(string name, HashAlgorithmName hash, KexContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        Name = name;
        Hash = hash;
        _context = context;
    }

    private enum State { Created, InitSent, Done, Disposed }

    public string Name { get; }

    protected HashAlgorithmName Hash { get; }

    /// <summary>Whether the public values are mpints (e, f: the DH groups) or strings (Q_C, Q_S: ECDH, X25519, hybrids).</summary>
    protected abstract bool PublicValuesAreMPInts { get; }

    /// <summary>The message number of the client's INIT (30; 32 for group exchange).</summary>
    protected virtual byte InitMessageNumber => MessageNumbers.KexDhInit;

    /// <summary>The message number of the server's REPLY (31; 33 for group exchange).</summary>
    protected virtual byte ReplyMessageNumber => MessageNumbers.KexDhReply;

    public virtual void WriteInitialMessage(IBufferWriter<byte> output) => WriteInit(output);

    public virtual KexResult? HandleMessage(ReadOnlySpan<byte> payload, IBufferWriter<byte> output) => HandleReply(payload);

    /// <summary>Writes this side's ephemeral public value as it appears in INIT and in H (string Q_C or mpint e).</summary>
    protected abstract void WriteClientPublicValue(SshWriter writer);

    /// <summary>
    /// Validates the server's public value (string contents, or mpint magnitude) and returns the encoded K.
    /// Throws <see cref="SshProtocolException"/> with KeyExchangeFailed for an invalid value.
    /// </summary>
    protected abstract byte[] ComputeEncodedSharedSecret(ReadOnlySpan<byte> serverPublicValue);

    /// <summary>Fields hashed between K_S and the public values (group exchange: min, n, max, p, g).</summary>
    protected virtual void AppendMethodFields(ExchangeHashBuilder builder)
    {
    }

    /// <summary>Drops the ephemeral private key(s); called once the reply is processed and on dispose.</summary>
    protected abstract void ForgetPrivateKey();

    protected void WriteInit(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        ThrowIfDisposed();
        if (_state != State.Created)
        {
            throw new InvalidOperationException($"{Name}: the INIT message was already written");
        }

        using var encoded = new PooledBufferWriter();
        WriteClientPublicValue(new SshWriter(encoded));
        _clientValueEncoded = encoded.ToArray();

        var w = new SshWriter(output);
        w.WriteByte(InitMessageNumber);
        w.WriteRaw(_clientValueEncoded);
        _state = State.InitSent;
    }

    protected KexResult HandleReply(ReadOnlySpan<byte> payload)
    {
        ThrowIfDisposed();
        if (_state != State.InitSent || _clientValueEncoded is null)
        {
            throw new InvalidOperationException($"{Name}: a reply was handed over before INIT was sent or after the exchange finished");
        }

        var r = new SshReader(payload);
        byte number = r.ReadByte();
        if (number != ReplyMessageNumber)
        {
            throw UnexpectedMessage(number, ReplyMessageNumber);
        }

        var hostKey = r.ReadString();
        int valueStart = r.Position;
        var serverValue = PublicValuesAreMPInts ? r.ReadPositiveMPInt() : r.ReadString();
        var serverValueEncoded = payload[valueStart..r.Position];
        var signature = r.ReadString();
        r.EnsureAtEnd(Name + " reply");
        if (hostKey.IsEmpty || signature.IsEmpty)
        {
            throw new SshProtocolException(DisconnectReason.KeyExchangeFailed, $"{Name}: the reply has an empty host key or signature");
        }

        byte[] encodedK;
        try
        {
            encodedK = ComputeEncodedSharedSecret(serverValue);
        }
        finally
        {
            ForgetPrivateKey();
            _state = State.Done;
        }

        using var h = ExchangeHashBuilder.Start(Hash, _context, hostKey);
        AppendMethodFields(h);
        h.AppendEncoded(_clientValueEncoded);
        h.AppendEncoded(serverValueEncoded);
        h.AppendEncoded(encodedK);
        return new KexResult(Hash, h.Finish(), encodedK, hostKey.ToArray(), signature.ToArray());
    }

    protected SshProtocolException UnexpectedMessage(byte got, byte expected) =>
        new(DisconnectReason.ProtocolError,
            string.Create(CultureInfo.InvariantCulture, $"{Name}: expected message {expected}, got {got}"));

    protected SshProtocolException InvalidValue(string what) =>
        new(DisconnectReason.KeyExchangeFailed, $"{Name}: {what}");

    protected void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_state == State.Disposed, this);

    public void Dispose()
    {
        if (_state == State.Disposed)
        {
            return;
        }

        ForgetPrivateKey();
        _state = State.Disposed;
        GC.SuppressFinalize(this);
    }
}
