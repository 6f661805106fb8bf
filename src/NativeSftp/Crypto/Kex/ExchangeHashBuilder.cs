using System.Buffers.Binary;
using System.Security.Cryptography;

namespace NativeSftp.Crypto.Kex;

/// <summary>
/// Feeds the pieces of the exchange hash H into an incremental hash, each in its SSH wire encoding
/// (RFC 4251 §5), so no concatenated copy of V_C || V_S || I_C || I_S || K_S || ... is ever built.
/// </summary>
internal sealed class ExchangeHashBuilder : IDisposable
{
    private readonly IncrementalHash _hash;

    private ExchangeHashBuilder(HashAlgorithmName hash) => _hash = IncrementalHash.CreateHash(hash);

    /// <summary>Starts H with the fields every method shares, RFC 4253 §8: string V_C, V_S, I_C, I_S, K_S.</summary>
    public static ExchangeHashBuilder Start(HashAlgorithmName hash, KexContext context, ReadOnlySpan<byte> hostKeyBlob)
    {
        var b = new ExchangeHashBuilder(hash);
        b.AppendString(context.ClientVersion);
        b.AppendString(context.ServerVersion);
        b.AppendString(context.ClientKexInit);
        b.AppendString(context.ServerKexInit);
        b.AppendString(hostKeyBlob);
        return b;
    }

    public void AppendUInt32(uint value)
    {
        Span<byte> be = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(be, value);
        _hash.AppendData(be);
    }

    public void AppendString(ReadOnlySpan<byte> bytes)
    {
        AppendUInt32((uint)bytes.Length);
        _hash.AppendData(bytes);
    }

    /// <summary>Bytes that are already SSH-encoded (a length-prefixed K, or a field sliced from a message).</summary>
    public void AppendEncoded(ReadOnlySpan<byte> encoded) => _hash.AppendData(encoded);

    /// <summary>An unsigned big-endian magnitude as an mpint: minimal, with a zero byte when the top bit is set.</summary>
    public void AppendMPInt(ReadOnlySpan<byte> magnitude)
    {
        int i = 0;
        while (i < magnitude.Length && magnitude[i] == 0)
        {
            i++;
        }

        var m = magnitude[i..];
        bool pad = m.Length > 0 && (m[0] & 0x80) != 0;
        AppendUInt32((uint)(m.Length + (pad ? 1 : 0)));
        if (pad)
        {
            _hash.AppendData([0]);
        }

        _hash.AppendData(m);
    }

    public byte[] Finish() => _hash.GetHashAndReset();

    public void Dispose() => _hash.Dispose();
}
