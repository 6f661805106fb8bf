using System.Buffers.Binary;
using System.Text;
using NativeSftp.Sftp.Protocol;
using NativeSftp.Wire;

namespace NativeSftp.Tests.Sftp.Scripted;

/// <summary>Server-to-client packets as raw bytes (draft-ietf-secsh-filexfer-02 §7), length prefix included, so a script can also mangle them.</summary>
internal static class SftpReplies
{
    public static byte[] Packet(byte type, uint idOrVersion, Action<SshWriter>? body = null)
    {
        using var w = new PooledBufferWriter();
        var sw = new SshWriter(w);
        sw.WriteUInt32(0);
        sw.WriteByte(type);
        sw.WriteUInt32(idOrVersion);
        body?.Invoke(sw);
        byte[] bytes = w.ToArray();
        BinaryPrimitives.WriteUInt32BigEndian(bytes, (uint)(bytes.Length - 4));
        return bytes;
    }

    public static byte[] Version(IEnumerable<(string Name, string Data)> extensions) =>
        Packet(SftpPacketType.Version, 3, w =>
        {
            foreach (var (name, data) in extensions)
            {
                w.WriteUtf8(name);
                w.WriteUtf8(data);
            }
        });

    public static byte[] Status(uint id, SftpStatusCode code, string message = "") =>
        Packet(SftpPacketType.Status, id, w =>
        {
            w.WriteUInt32((uint)code);
            w.WriteUtf8(message);
            w.WriteUtf8("en");
        });

    public static byte[] Ok(uint id) => Status(id, SftpStatusCode.Ok);

    public static byte[] Handle(uint id, byte[] handle) => Packet(SftpPacketType.Handle, id, w => w.WriteString(handle));

    public static byte[] Data(uint id, ReadOnlySpan<byte> data)
    {
        byte[] copy = data.ToArray();
        return Packet(SftpPacketType.Data, id, w => w.WriteString(copy));
    }

    public static byte[] Attrs(uint id, SftpAttributes attributes)
    {
        byte[] encoded = new byte[attributes.EncodedLength];
        attributes.WriteTo(encoded);
        return Packet(SftpPacketType.Attrs, id, w => w.WriteRaw(encoded));
    }

    public static byte[] Limits(uint id, SftpServerLimitsValues limits) =>
        Packet(SftpPacketType.ExtendedReply, id, w =>
        {
            w.WriteUInt64(limits.MaxPacketLength);
            w.WriteUInt64(limits.MaxReadLength);
            w.WriteUInt64(limits.MaxWriteLength);
            w.WriteUInt64(limits.MaxOpenHandles);
        });

    public static byte[] Name(uint id, string name) =>
        Packet(SftpPacketType.Name, id, w =>
        {
            w.WriteUInt32(1);
            w.WriteString(Encoding.UTF8.GetBytes(name));
            w.WriteString(Encoding.UTF8.GetBytes(name));
            w.WriteUInt32(0);
        });
}

/// <summary>What a scripted server announces in its limits@openssh.com reply.</summary>
internal readonly record struct SftpServerLimitsValues(ulong MaxPacketLength, ulong MaxReadLength, ulong MaxWriteLength, ulong MaxOpenHandles);
