using NativeSftp.Auth.Agent;
using NativeSftp.Wire;

namespace NativeSftp.Tests.Auth.Agent;

/// <summary>Byte-exact encoding and strict decoding of the agent messages (draft-miller-ssh-agent §3.5, §3.6).</summary>
public class AgentMessagesTests
{
    [Test]
    public void RequestIdentities_IsLengthOneAndTypeEleven()
    {
        using var buffer = new PooledBufferWriter();
        AgentMessages.WriteRequestIdentities(buffer);
        Assert.That(buffer.ToArray(), Is.EqualTo(new byte[] { 0, 0, 0, 1, 11 }));
    }

    [Test]
    public void SignRequest_IsTypeKeyBlobDataFlags()
    {
        using var buffer = new PooledBufferWriter();
        AgentMessages.WriteSignRequest(buffer, [0xAA, 0xBB], [0x01, 0x02, 0x03], 4);
        byte[] expected =
        [
            0, 0, 0, 18,      // 1 + (4+2) + (4+3) + 4
            13,
            0, 0, 0, 2, 0xAA, 0xBB,
            0, 0, 0, 3, 0x01, 0x02, 0x03,
            0, 0, 0, 4,
        ];
        Assert.That(buffer.ToArray(), Is.EqualTo(expected));
    }

    [Test]
    public void SignRequest_PastTheAgentLimit_IsRefusedBeforeWriting()
    {
        using var buffer = new PooledBufferWriter();
        byte[] data = new byte[AgentMessages.MaxMessageLength];
        Assert.Throws<ArgumentException>(() => AgentMessages.WriteSignRequest(buffer, [1], data, 0));
        Assert.That(buffer.WrittenCount, Is.Zero);
    }

    [Test]
    public void IdentitiesAnswer_KeepsOrderCommentsAndUnsupportedTypes()
    {
        byte[] message = AgentWire.IdentitiesAnswer(
            (AgentWire.Ed25519Blob(1), "first"),
            (AgentWire.SkEd25519Blob(), "token"),
            (AgentWire.Ed25519Blob(2), "ünïcode"));

        var ids = AgentMessages.ReadIdentitiesAnswer(message);

        Assert.That(ids.Select(i => i.Comment), Is.EqualTo(new[] { "first", "token", "ünïcode" }));
        Assert.That(ids[0].PublicKey.Blob.ToArray(), Is.EqualTo(AgentWire.Ed25519Blob(1)));
        Assert.That(ids[1].PublicKey.KeyType, Is.EqualTo("sk-ssh-ed25519@openssh.com"));
    }

    [Test]
    public void IdentitiesAnswer_Empty_IsAnEmptyList()
    {
        Assert.That(AgentMessages.ReadIdentitiesAnswer([12, 0, 0, 0, 0]), Is.Empty);
    }

    [Test]
    public void IdentitiesAnswer_CountAboveOpenSshLimit_IsRefused()
    {
        var e = Assert.Throws<AgentException>(() => AgentMessages.ReadIdentitiesAnswer([12, 0, 0, 0x08, 0x01]));
        Assert.That(e!.Message, Does.Contain("2049 keys"));
    }

    [Test]
    public void IdentitiesAnswer_CountTheMessageCannotHold_IsRefusedBeforeAllocating()
    {
        // 2048 keys claimed in a 13-byte message: refused on arithmetic, not after reading 1 key.
        var e = Assert.Throws<AgentException>(() => AgentMessages.ReadIdentitiesAnswer([12, 0, 0, 0x08, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]));
        Assert.That(e!.Message, Does.Contain("cannot hold"));
    }

    [Test]
    public void IdentitiesAnswer_TruncatedEntry_IsMalformed()
    {
        byte[] whole = AgentWire.IdentitiesAnswer((AgentWire.Ed25519Blob(1), "a"), (AgentWire.Ed25519Blob(2), "b"));
        var e = Assert.Throws<AgentException>(() => AgentMessages.ReadIdentitiesAnswer(whole.AsSpan(0, whole.Length - 3)));
        Assert.That(e!.Message, Does.Contain("malformed SSH_AGENT_IDENTITIES_ANSWER"));
        Assert.That(e.ConnectionBroken, Is.True);
    }

    [Test]
    public void IdentitiesAnswer_TrailingBytes_AreMalformed()
    {
        byte[] message = [.. AgentWire.IdentitiesAnswer((AgentWire.Ed25519Blob(1), "a")), 0];
        Assert.Throws<AgentException>(() => AgentMessages.ReadIdentitiesAnswer(message));
    }

    [Test]
    public void IdentitiesAnswer_MalformedKeyOfSupportedType_IsRefused()
    {
        // An ssh-ed25519 blob whose key is 31 bytes: the server would reject it with no hint why, so we say so here.
        byte[] bad = AgentWire.Build(w =>
        {
            w.WriteAscii("ssh-ed25519");
            w.WriteString(new byte[31]);
        });
        Assert.Throws<AgentException>(() => AgentMessages.ReadIdentitiesAnswer(AgentWire.IdentitiesAnswer((bad, "x"))));
    }

    [Test]
    public void IdentitiesAnswer_OfAnotherType_IsRefused()
    {
        var e = Assert.Throws<AgentException>(() => AgentMessages.ReadIdentitiesAnswer([14, 0, 0, 0, 0]));
        Assert.That(e!.Message, Does.Contain("message type 14"));
    }

    [Test]
    public void SignResponse_ReturnsTheSignatureBlob()
    {
        byte[] message = AgentWire.SignResponse("ssh-ed25519", [9, 9]);
        byte[] blob = AgentMessages.ReadSignResponse(message, "ssh-ed25519");
        Assert.That(blob, Is.EqualTo(message[5..]));
    }

    [Test]
    public void SignResponse_WithAnotherAlgorithm_IsRefused()
    {
        // An agent that ignored SSH_AGENT_RSA_SHA2_512 and made a SHA-1 signature.
        byte[] message = AgentWire.SignResponse("ssh-rsa", [1, 2, 3]);
        var e = Assert.Throws<AgentException>(() => AgentMessages.ReadSignResponse(message, "rsa-sha2-512"));
        Assert.That(e!.Message, Does.Contain("'ssh-rsa' signature where 'rsa-sha2-512'"));
    }

    [Test]
    public void SignResponse_WithTrailingBytesInsideTheBlob_IsMalformed()
    {
        byte[] message = AgentWire.Build(w =>
        {
            w.WriteByte(14);
            w.WriteString(AgentWire.Build(s =>
            {
                s.WriteAscii("ssh-ed25519");
                s.WriteString([1]);
                s.WriteByte(0);
            }));
        });
        Assert.Throws<AgentException>(() => AgentMessages.ReadSignResponse(message, "ssh-ed25519"));
    }

    [TestCase("ssh-ed25519", new[] { "ssh-ed25519" })]
    [TestCase("ecdsa-sha2-nistp256", new[] { "ecdsa-sha2-nistp256" })]
    [TestCase("ecdsa-sha2-nistp521", new[] { "ecdsa-sha2-nistp521" })]
    [TestCase("ssh-rsa", new[] { "rsa-sha2-512", "rsa-sha2-256" })]
    [TestCase("ssh-ed25519-cert-v01@openssh.com", new[] { "ssh-ed25519-cert-v01@openssh.com" })]
    [TestCase("ssh-rsa-cert-v01@openssh.com", new[] { "rsa-sha2-512-cert-v01@openssh.com", "rsa-sha2-256-cert-v01@openssh.com" })]
    [TestCase("sk-ssh-ed25519@openssh.com", new string[0])]
    [TestCase("ssh-dss", new string[0])]
    public void SignatureAlgorithms_PerKeyType(string keyType, string[] expected)
    {
        Assert.That(AgentKeyAlgorithms.For(keyType), Is.EqualTo(expected));
    }

    [TestCase("ssh-rsa", "rsa-sha2-256", 2u, "rsa-sha2-256")]
    [TestCase("ssh-rsa", "rsa-sha2-512", 4u, "rsa-sha2-512")]
    [TestCase("ssh-rsa-cert-v01@openssh.com", "rsa-sha2-256-cert-v01@openssh.com", 2u, "rsa-sha2-256")]
    [TestCase("ssh-ed25519-cert-v01@openssh.com", "ssh-ed25519-cert-v01@openssh.com", 0u, "ssh-ed25519")]
    [TestCase("ecdsa-sha2-nistp384", "ecdsa-sha2-nistp384", 0u, "ecdsa-sha2-nistp384")]
    public void Resolve_GivesFlagsAndTheSignatureName(string keyType, string algorithm, uint flags, string signatureName)
    {
        Assert.That(AgentKeyAlgorithms.Resolve(keyType, algorithm), Is.EqualTo((flags, signatureName)));
    }

    [TestCase("ssh-rsa", "ssh-rsa")]
    [TestCase("ssh-rsa", "ssh-ed25519")]
    [TestCase("ssh-ed25519", "rsa-sha2-256")]
    [TestCase("sk-ssh-ed25519@openssh.com", "sk-ssh-ed25519@openssh.com")]
    public void Resolve_AnAlgorithmTheKeyCannotMake_Throws(string keyType, string algorithm)
    {
        Assert.Throws<ArgumentException>(() => AgentKeyAlgorithms.Resolve(keyType, algorithm));
    }
}
