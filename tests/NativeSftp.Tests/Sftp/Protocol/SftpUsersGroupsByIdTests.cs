using NativeSftp.Sftp.Protocol.Extensions;
using NativeSftp.Wire;

namespace NativeSftp.Tests.Sftp.Protocol;

[TestFixture]
public class SftpUsersGroupsByIdTests
{
    [Test]
    public void Request_IsByteExact()
    {
        using var w = new PooledBufferWriter();
        SftpUsersGroupsById.Write(w, 7, [0u, 1000u], [5u]);
        // length | EXTENDED(200) | id 7 | "users-groups-by-id@openssh.com" | string(8: 0, 1000) | string(4: 5)
        string name = Convert.ToHexString("users-groups-by-id@openssh.com"u8);
        // 1 (type) + 4 (id) + 4+30 (name) + 4+8 (uids) + 4+4 (gids) = 59 = 0x3B
        string expected = "0000003B" + "C8" + "00000007" + "0000001E" + name + "00000008" + "00000000" + "000003E8" + "00000004" + "00000005";
        Assert.That(Convert.ToHexString(w.WrittenSpan), Is.EqualTo(expected));
    }

    [Test]
    public void Reply_ParsesNames_AndRejectsACountMismatch()
    {
        byte[] Packed(params string[] names)
        {
            using var b = new PooledBufferWriter();
            var sw = new SshWriter(b);
            foreach (string n in names)
            {
                sw.WriteUtf8(n);
            }

            return b.ToArray();
        }

        byte[] Body(byte[] users, byte[] groups)
        {
            using var b = new PooledBufferWriter();
            var sw = new SshWriter(b);
            sw.WriteString(users);
            sw.WriteString(groups);
            return b.ToArray();
        }

        var (u, g) = SftpUsersGroupsById.ReadReply(Body(Packed("root", ""), Packed("wheel")), 2, 1);
        Assert.That(u, Is.EqualTo(new[] { "root", "" }));
        Assert.That(g, Is.EqualTo(new[] { "wheel" }));
        Assert.Throws<SshProtocolException>(() => SftpUsersGroupsById.ReadReply(Body(Packed("root", "x"), Packed("wheel")), 1, 1));
        Assert.Throws<SshProtocolException>(() => SftpUsersGroupsById.ReadReply(Body(Packed("root"), Packed("wheel")), 2, 1));
    }
}
