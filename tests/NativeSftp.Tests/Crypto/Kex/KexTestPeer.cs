using System.Security.Cryptography;
using System.Text;
using NativeSftp.Crypto;
using NativeSftp.Wire;

namespace NativeSftp.Tests.Crypto.Kex;

/// <summary>
/// The server half used by the key-exchange tests: builds replies and computes H and K on its own, from the RFC
/// layouts and plain one-shot hashing, without any code from NativeSftp.Crypto.Kex.
/// </summary>
internal static class KexTestPeer
{
    public static readonly byte[] HostKey = Bytes(w =>
    {
        w.WriteAscii("ssh-ed25519");
        w.WriteString(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());
    });

    public static readonly byte[] Signature = Bytes(w =>
    {
        w.WriteAscii("ssh-ed25519");
        w.WriteString(Enumerable.Range(100, 64).Select(i => (byte)i).ToArray());
    });

    public static KexContext Context() => new(
        Encoding.ASCII.GetBytes("SSH-2.0-NativeSftp_0.1"),
        Encoding.ASCII.GetBytes("SSH-2.0-OpenSSH_9.2p1 Debian-2"),
        [20, .. Enumerable.Repeat((byte)0xC1, 16), 0, 0, 0, 0],
        [20, .. Enumerable.Repeat((byte)0x5E, 16), 0, 0, 0, 1]);

    public static byte[] Bytes(Action<SshWriter> write)
    {
        using var buffer = new PooledBufferWriter();
        write(new SshWriter(buffer));
        return buffer.ToArray();
    }

    public static byte[] InitialMessage(IKeyExchange kex)
    {
        using var buffer = new PooledBufferWriter();
        kex.WriteInitialMessage(buffer);
        return buffer.ToArray();
    }

    public static KexResult? Handle(IKeyExchange kex, byte[] payload, out byte[] written)
    {
        using var buffer = new PooledBufferWriter();
        var result = kex.HandleMessage(payload, buffer);
        written = buffer.ToArray();
        return result;
    }

    public static KexResult Finish(IKeyExchange kex, byte[] reply)
    {
        var result = Handle(kex, reply, out byte[] written);
        Assert.That(written, Is.Empty, "the client sends nothing after the reply");
        return result ?? throw new AssertionException("the reply did not complete the exchange");
    }

    /// <summary>byte number || string K_S || server value (already encoded) || string signature.</summary>
    public static byte[] Reply(byte number, byte[] encodedServerValue, byte[]? hostKey = null, byte[]? signature = null) => Bytes(w =>
    {
        w.WriteByte(number);
        w.WriteString(hostKey ?? HostKey);
        w.WriteRaw(encodedServerValue);
        w.WriteString(signature ?? Signature);
    });

    public static byte[] EncodedString(ReadOnlySpan<byte> value)
    {
        byte[] copy = value.ToArray();
        return Bytes(w => w.WriteString(copy));
    }

    public static byte[] EncodedMPInt(ReadOnlySpan<byte> magnitude)
    {
        byte[] copy = magnitude.ToArray();
        return Bytes(w => w.WriteMPInt(copy));
    }

    /// <summary>H = HASH(string V_C || string V_S || string I_C || string I_S || string K_S || rest), RFC 4253 §8.</summary>
    public static byte[] ExpectedHash(HashAlgorithmName hash, KexContext context, Action<SshWriter> rest)
    {
        byte[] data = Bytes(w =>
        {
            w.WriteString(context.ClientVersion);
            w.WriteString(context.ServerVersion);
            w.WriteString(context.ClientKexInit);
            w.WriteString(context.ServerKexInit);
            w.WriteString(HostKey);
            rest(w);
        });
        return CryptographicOperations.HashData(hash, data);
    }

    /// <summary>Every strict prefix of a valid message must be rejected as truncated.</summary>
    public static IEnumerable<int> TruncationPoints(int length) =>
        new[] { 0, 1, 3, 5, length / 2, length - 1 }.Where(n => n >= 0 && n < length).Distinct();
}
