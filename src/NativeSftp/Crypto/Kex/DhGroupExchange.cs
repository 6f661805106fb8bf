using System.Buffers;
using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;
using NativeSftp.Wire;

namespace NativeSftp.Crypto.Kex;

/// <summary>
/// diffie-hellman-group-exchange-sha256 (RFC 4419, SHA-256 per RFC 4419 §4.2). Two rounds:
/// <code>
///   C: byte 34 KEX_DH_GEX_REQUEST  uint32 min, uint32 n, uint32 max
///   S: byte 31 KEX_DH_GEX_GROUP    mpint p, mpint g
///   C: byte 32 KEX_DH_GEX_INIT     mpint e
///   S: byte 33 KEX_DH_GEX_REPLY    string K_S, mpint f, string signature
/// </code>
/// H = SHA-256(V_C || V_S || I_C || I_S || K_S || min || n || max || p || g || e || f || K).
/// </summary>
internal sealed class DhGroupExchange : SingleRoundKeyExchange
{
    public const string MethodName = "diffie-hellman-group-exchange-sha256";

    /// <summary>RFC 8270 §3: clients SHOULD NOT accept groups smaller than 2048 bits (RFC 4419's 1024 is obsolete).</summary>
    public const uint MinGroupBits = 2048;

    /// <summary>
    /// The size we ask for. 3072 bits gives ~128-bit strength (NIST SP 800-57 Part 1 Table 2), matching SHA-256
    /// and AES-128/256-GCM well enough; Go's x/crypto asks for 2048, OpenSSH up to 8192 depending on the cipher.
    /// </summary>
    public const uint PreferredGroupBits = 3072;

    /// <summary>RFC 4419 §3: max SHOULD be 8192. Also bounds the ModPow cost a hostile server can make us pay.</summary>
    public const uint MaxGroupBits = 8192;

    private readonly uint _preferredBits;
    private readonly byte[]? _fixedExponent;
    private bool _requestSent;
    private BigInteger _p;
    private BigInteger _g;
    private DiffieHellman? _dh;

    public DhGroupExchange(KexContext context)
        : this(context, PreferredGroupBits, null)
    {
    }

    /// <summary>Test seam: another preferred size and a fixed private exponent.</summary>
    internal DhGroupExchange(KexContext context, uint preferredBits, byte[]? fixedExponent)
        : base(MethodName, HashAlgorithmName.SHA256, context)
    {
        if (preferredBits < MinGroupBits || preferredBits > MaxGroupBits)
        {
            throw new ArgumentOutOfRangeException(nameof(preferredBits));
        }

        _preferredBits = preferredBits;
        _fixedExponent = fixedExponent?.ToArray();
    }

    protected override bool PublicValuesAreMPInts => true;

    protected override byte InitMessageNumber => MessageNumbers.KexDhGexInit;

    protected override byte ReplyMessageNumber => MessageNumbers.KexDhGexReply;

    public override void WriteInitialMessage(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        ThrowIfDisposed();
        if (_requestSent)
        {
            throw new InvalidOperationException($"{Name}: the request was already written");
        }

        var w = new SshWriter(output);
        w.WriteByte(MessageNumbers.KexDhGexRequest);
        w.WriteUInt32(MinGroupBits);
        w.WriteUInt32(_preferredBits);
        w.WriteUInt32(MaxGroupBits);
        _requestSent = true;
    }

    public override KexResult? HandleMessage(ReadOnlySpan<byte> payload, IBufferWriter<byte> output)
    {
        ThrowIfDisposed();
        if (!_requestSent)
        {
            throw new InvalidOperationException($"{Name}: a server message was handed over before the request was sent");
        }

        if (_dh is not null)
        {
            return HandleReply(payload);
        }

        ArgumentNullException.ThrowIfNull(output);
        var r = new SshReader(payload);
        byte number = r.ReadByte();
        if (number != MessageNumbers.KexDhGexGroup)
        {
            throw UnexpectedMessage(number, MessageNumbers.KexDhGexGroup);
        }

        var pBytes = r.ReadPositiveMPInt();
        var gBytes = r.ReadPositiveMPInt();
        r.EnsureAtEnd(Name + " group");
        ValidateGroup(pBytes, gBytes);
        _dh = new DiffieHellman(_p, _g, DhGroupKeyExchange.ExponentBits(Hash), _fixedExponent);
        WriteInit(output);
        return null;
    }

    private void ValidateGroup(ReadOnlySpan<byte> pBytes, ReadOnlySpan<byte> gBytes)
    {
        // Size is checked on the byte length first so a huge p never becomes a BigInteger (RFC 4419 §3: the client
        // checks the group it gets is within what it asked for; OpenSSH refuses out-of-range groups the same way).
        long bits = pBytes.IsEmpty ? 0 : (pBytes.Length - 1) * 8L + (32 - BitOperations.LeadingZeroCount((uint)pBytes[0]));
        if (bits < MinGroupBits || bits > MaxGroupBits)
        {
            throw InvalidValue(string.Create(CultureInfo.InvariantCulture,
                $"the server's group is {bits} bits, outside the requested {MinGroupBits}..{MaxGroupBits}"));
        }

        if ((pBytes[^1] & 1) == 0)
        {
            throw InvalidValue("the server's prime p is even");
        }

        _p = DiffieHellman.FromMagnitude(pBytes);
        _g = DiffieHellman.FromMagnitude(gBytes);

        // g = 0, 1 or p-1 (or anything >= p) would make e and K predictable; RFC 4419 §3 expects 1 < g < p-1.
        if (_g <= BigInteger.One || _g >= _p - BigInteger.One)
        {
            throw InvalidValue("the server's generator is outside 1 < g < p-1");
        }
    }

    protected override void AppendMethodFields(ExchangeHashBuilder builder)
    {
        builder.AppendUInt32(MinGroupBits);
        builder.AppendUInt32(_preferredBits);
        builder.AppendUInt32(MaxGroupBits);
        builder.AppendMPInt(_p.ToByteArray(isUnsigned: true, isBigEndian: true));
        builder.AppendMPInt(_g.ToByteArray(isUnsigned: true, isBigEndian: true));
    }

    protected override void WriteClientPublicValue(SshWriter writer) => writer.WriteMPInt(_dh!.E);

    protected override byte[] ComputeEncodedSharedSecret(ReadOnlySpan<byte> serverPublicValue)
    {
        byte[] k = _dh!.TryAgree(serverPublicValue) ?? throw InvalidValue("f is outside 1 < f < p-1 (RFC 4253 §8)");
        try
        {
            return SharedSecretEncoding.AsMPInt(k);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(k);
        }
    }

    protected override void ForgetPrivateKey()
    {
        _dh?.Dispose();
        if (_fixedExponent is not null)
        {
            CryptographicOperations.ZeroMemory(_fixedExponent);
        }
    }
}
