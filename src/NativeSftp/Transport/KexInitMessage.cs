using System.Buffers;
using System.Security.Cryptography;
using NativeSftp.Wire;

namespace NativeSftp.Transport;

/// <summary>
/// SSH_MSG_KEXINIT, RFC 4253 §7.1:
/// <code>
/// byte         SSH_MSG_KEXINIT (20)
/// byte[16]     cookie (random bytes)
/// name-list    kex_algorithms
/// name-list    server_host_key_algorithms
/// name-list    encryption_algorithms_client_to_server
/// name-list    encryption_algorithms_server_to_client
/// name-list    mac_algorithms_client_to_server
/// name-list    mac_algorithms_server_to_client
/// name-list    compression_algorithms_client_to_server
/// name-list    compression_algorithms_server_to_client
/// name-list    languages_client_to_server
/// name-list    languages_server_to_client
/// boolean      first_kex_packet_follows
/// uint32       0 (reserved for future extension)
/// </code>
/// </summary>
public sealed class KexInitMessage
{
    public const int CookieLength = 16;

    public byte[] Cookie { get; init; } = new byte[CookieLength];
    public IReadOnlyList<string> KexAlgorithms { get; init; } = [];
    public IReadOnlyList<string> ServerHostKeyAlgorithms { get; init; } = [];
    public IReadOnlyList<string> EncryptionClientToServer { get; init; } = [];
    public IReadOnlyList<string> EncryptionServerToClient { get; init; } = [];
    public IReadOnlyList<string> MacClientToServer { get; init; } = [];
    public IReadOnlyList<string> MacServerToClient { get; init; } = [];
    public IReadOnlyList<string> CompressionClientToServer { get; init; } = [];
    public IReadOnlyList<string> CompressionServerToClient { get; init; } = [];
    public IReadOnlyList<string> LanguagesClientToServer { get; init; } = [];
    public IReadOnlyList<string> LanguagesServerToClient { get; init; } = [];
    public bool FirstKexPacketFollows { get; init; }
    public uint Reserved { get; init; }

    public static byte[] NewCookie()
    {
        var c = new byte[CookieLength];
        RandomNumberGenerator.Fill(c);
        return c;
    }

    public void WriteTo(IBufferWriter<byte> output)
    {
        var w = new SshWriter(output);
        w.WriteByte(MessageNumbers.KexInit);
        w.WriteRaw(Cookie);
        w.WriteNameList(KexAlgorithms);
        w.WriteNameList(ServerHostKeyAlgorithms);
        w.WriteNameList(EncryptionClientToServer);
        w.WriteNameList(EncryptionServerToClient);
        w.WriteNameList(MacClientToServer);
        w.WriteNameList(MacServerToClient);
        w.WriteNameList(CompressionClientToServer);
        w.WriteNameList(CompressionServerToClient);
        w.WriteNameList(LanguagesClientToServer);
        w.WriteNameList(LanguagesServerToClient);
        w.WriteBoolean(FirstKexPacketFollows);
        w.WriteUInt32(Reserved);
    }

    public byte[] ToPayload()
    {
        using var buffer = new PooledBufferWriter(1024);
        WriteTo(buffer);
        return buffer.ToArray();
    }

    public static KexInitMessage Parse(ReadOnlySpan<byte> payload)
    {
        var r = new SshReader(payload);
        if (r.ReadByte() != MessageNumbers.KexInit)
        {
            throw new SshProtocolException(DisconnectReason.ProtocolError, "not a KEXINIT message");
        }

        var msg = new KexInitMessage
        {
            Cookie = r.ReadBytes(CookieLength).ToArray(),
            KexAlgorithms = r.ReadNameList(),
            ServerHostKeyAlgorithms = r.ReadNameList(),
            EncryptionClientToServer = r.ReadNameList(),
            EncryptionServerToClient = r.ReadNameList(),
            MacClientToServer = r.ReadNameList(),
            MacServerToClient = r.ReadNameList(),
            CompressionClientToServer = r.ReadNameList(),
            CompressionServerToClient = r.ReadNameList(),
            LanguagesClientToServer = r.ReadNameList(),
            LanguagesServerToClient = r.ReadNameList(),
            FirstKexPacketFollows = r.ReadBoolean(),
            Reserved = r.ReadUInt32(),
        };

        // RFC 4253 §7.1 leaves room for future fields after 'reserved'; like OpenSSH we ignore trailing bytes here.
        return msg;
    }
}
