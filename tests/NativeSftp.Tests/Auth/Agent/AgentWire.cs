using NativeSftp.Crypto;
using NativeSftp.Wire;

namespace NativeSftp.Tests.Auth.Agent;

/// <summary>Builds agent messages and key blobs by hand for the scripted tests.</summary>
internal static class AgentWire
{
    public static byte[] Build(Action<SshWriter> write)
    {
        using var buffer = new PooledBufferWriter();
        write(new SshWriter(buffer));
        return buffer.ToArray();
    }

    /// <summary>Public keys of RFC 8032 §7.1 tests 1, 2 and 3: valid curve points to build blobs around.</summary>
    private static readonly string[] Rfc8032PublicKeys =
    [
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
    ];

    /// <summary>A well-formed ssh-ed25519 public key blob (RFC 8709 §4) holding RFC 8032 test key <paramref name="which"/> (1-3).</summary>
    public static byte[] Ed25519Blob(int which) => Build(w =>
    {
        w.WriteAscii("ssh-ed25519");
        w.WriteString(Convert.FromHexString(Rfc8032PublicKeys[which - 1]));
    });

    /// <summary>A blob of a key type we do not support (a FIDO security key), which the agent may well hold.</summary>
    public static byte[] SkEd25519Blob() => Build(w =>
    {
        w.WriteAscii("sk-ssh-ed25519@openssh.com");
        w.WriteString(new byte[32]);
        w.WriteAscii("ssh:");
    });

    public static byte[] IdentitiesAnswer(params (byte[] Blob, string Comment)[] keys) => Build(w =>
    {
        w.WriteByte(12);
        w.WriteUInt32((uint)keys.Length);
        foreach (var (blob, comment) in keys)
        {
            w.WriteString(blob);
            w.WriteUtf8(comment);
        }
    });

    public static byte[] SignResponse(string signatureName, byte[] signature) => Build(w =>
    {
        w.WriteByte(14);
        w.WriteString(Build(s =>
        {
            s.WriteAscii(signatureName);
            s.WriteString(signature);
        }));
    });

    public static SshPublicKey Ed25519Key(int which) => new(Ed25519Blob(which));
}
