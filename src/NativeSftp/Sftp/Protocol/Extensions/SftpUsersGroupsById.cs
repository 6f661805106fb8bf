using System.Buffers;
using NativeSftp.Wire;

namespace NativeSftp.Sftp.Protocol.Extensions;

/// <summary>
/// users-groups-by-id@openssh.com (OpenSSH PROTOCOL §4.10): names for numeric ids, for listings.
/// <code>
/// request: string uids (packed uint32s), string gids (packed uint32s)
/// reply (EXTENDED_REPLY): string usernames (packed strings), string groupnames (packed strings)
/// </code>
/// A name the server cannot resolve comes back empty. The reply must hold exactly one name per id asked.
/// </summary>
internal static class SftpUsersGroupsById
{
    /// <summary>Ids per request: OpenSSH's client asks in batches far below this; it bounds what we allocate for the reply.</summary>
    public const int MaxIds = 1024;

    public static void Write(IBufferWriter<byte> output, uint requestId, IReadOnlyList<uint> uids, IReadOnlyList<uint> gids)
    {
        if (uids.Count + gids.Count > MaxIds)
        {
            throw new ArgumentException($"at most {MaxIds} ids per request");
        }

        var w = SftpExtended.Begin(output, requestId, SftpExtensionNames.UsersGroupsById,
            SftpPacketWriter.StringSize(uids.Count * 4) + SftpPacketWriter.StringSize(gids.Count * 4));
        WriteIds(ref w, uids);
        WriteIds(ref w, gids);
        w.Finish();
    }

    private static void WriteIds(ref SftpPacketWriter w, IReadOnlyList<uint> ids)
    {
        w.WriteUInt32((uint)(ids.Count * 4));
        foreach (uint id in ids)
        {
            w.WriteUInt32(id);
        }
    }

    /// <summary>Parses the EXTENDED_REPLY body (after the request id).</summary>
    public static (string[] Users, string[] Groups) ReadReply(ReadOnlySpan<byte> body, int uidCount, int gidCount)
    {
        var r = new SshReader(body);
        string[] users = ReadNames(r.ReadString(), uidCount, "user");
        string[] groups = ReadNames(r.ReadString(), gidCount, "group");
        r.EnsureAtEnd("users-groups-by-id reply");
        return (users, groups);
    }

    private static string[] ReadNames(ReadOnlySpan<byte> packed, int expected, string what)
    {
        var r = new SshReader(packed);
        var names = new string[expected];
        for (int i = 0; i < expected; i++)
        {
            names[i] = SshReaderLenient(ref r);
        }

        if (!r.IsAtEnd)
        {
            throw new SshProtocolException(DisconnectReason.ProtocolError, $"users-groups-by-id reply has more {what} names than ids asked");
        }

        return names;
    }

    /// <summary>Names are for display: invalid UTF-8 is replaced rather than failing the session.</summary>
    private static string SshReaderLenient(ref SshReader r) => System.Text.Encoding.UTF8.GetString(r.ReadString());
}
