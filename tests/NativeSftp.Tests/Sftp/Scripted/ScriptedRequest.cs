using System.Text;
using NativeSftp.Sftp.Protocol;
using NativeSftp.Wire;

namespace NativeSftp.Tests.Sftp.Scripted;

/// <summary>One request as the scripted peer received it, with the fields the tests look at (draft-ietf-secsh-filexfer-02 §6).</summary>
internal sealed class ScriptedRequest
{
    public required byte Type { get; init; }
    public required uint Id { get; init; }
    public string? Path { get; init; }
    public byte[]? Handle { get; init; }
    public ulong Offset { get; init; }

    /// <summary>READ: the length asked for.</summary>
    public uint Length { get; init; }

    /// <summary>WRITE: the data.</summary>
    public byte[]? Data { get; init; }

    public SftpOpenFlags Flags { get; init; }
    public SftpAttributes? Attributes { get; init; }

    /// <summary>EXTENDED: the extension name.</summary>
    public string? ExtendedName { get; init; }

    /// <summary>EXTENDED: the fields after the name.</summary>
    public byte[]? ExtendedBody { get; init; }

    public string TypeName => SftpPacketType.NameOf(Type);

    public override string ToString() => $"{TypeName} #{Id} {Path} @{Offset}";

    /// <summary>Parses a client packet (after its length, type and id).</summary>
    public static ScriptedRequest Parse(byte type, uint id, ReadOnlySpan<byte> body)
    {
        var r = new SshReader(body);
        switch (type)
        {
            case SftpPacketType.Open:
            {
                string path = r.ReadUtf8();
                var flags = (SftpOpenFlags)r.ReadUInt32();
                var attrs = SftpAttributes.Read(ref r);
                return new ScriptedRequest { Type = type, Id = id, Path = path, Flags = flags, Attributes = attrs };
            }

            case SftpPacketType.Close or SftpPacketType.Fstat or SftpPacketType.Readdir:
                return new ScriptedRequest { Type = type, Id = id, Handle = r.ReadStringAsArray() };
            case SftpPacketType.Read:
                return new ScriptedRequest { Type = type, Id = id, Handle = r.ReadStringAsArray(), Offset = r.ReadUInt64(), Length = r.ReadUInt32() };
            case SftpPacketType.Write:
                return new ScriptedRequest { Type = type, Id = id, Handle = r.ReadStringAsArray(), Offset = r.ReadUInt64(), Data = r.ReadStringAsArray() };
            case SftpPacketType.Fsetstat:
                return new ScriptedRequest { Type = type, Id = id, Handle = r.ReadStringAsArray(), Attributes = SftpAttributes.Read(ref r) };
            case SftpPacketType.Setstat:
                return new ScriptedRequest { Type = type, Id = id, Path = r.ReadUtf8(), Attributes = SftpAttributes.Read(ref r) };
            case SftpPacketType.Extended:
                return new ScriptedRequest { Type = type, Id = id, ExtendedName = r.ReadUtf8(), ExtendedBody = r.ReadRemaining().ToArray() };
            case SftpPacketType.Rename:
                return new ScriptedRequest { Type = type, Id = id, Path = r.ReadUtf8(), ExtendedBody = Encoding.UTF8.GetBytes(r.ReadUtf8()) };
            default:
                // STAT, LSTAT, REMOVE, MKDIR, RMDIR, REALPATH, OPENDIR, READLINK: a path first.
                return new ScriptedRequest { Type = type, Id = id, Path = r.IsAtEnd ? null : r.ReadUtf8() };
        }
    }
}
