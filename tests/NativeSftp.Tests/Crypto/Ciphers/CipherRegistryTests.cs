using NativeSftp.Crypto.Ciphers;

namespace NativeSftp.Tests.Crypto.Ciphers;

[TestFixture]
public class CipherRegistryTests
{
    [Test]
    public void Defaults_AreAllRegistered_AndNeverWeak()
    {
        Assert.That(CipherRegistry.DefaultCiphers, Has.Count.EqualTo(6));
        Assert.That(CipherRegistry.DefaultMacs, Is.EqualTo(new[] { "hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com", "hmac-sha2-256", "hmac-sha2-512" }));
        foreach (string name in CipherRegistry.DefaultCiphers)
        {
            Assert.That(CipherRegistry.TryGetCipher(name, out CipherInfo? info), Is.True, name);
            Assert.That(info!.Name, Is.EqualTo(name));
            Assert.That(name, Does.Not.Contain("cbc").And.Not.EqualTo("none"));
        }

        foreach (string name in CipherRegistry.DefaultMacs)
        {
            Assert.That(CipherRegistry.TryGetMac(name, out MacInfo? info), Is.True, name);
            Assert.That(info!.Name, Is.EqualTo(name));
        }

        foreach (string weak in new[] { "none", "aes128-cbc", "3des-cbc", "arcfour" })
        {
            Assert.That(CipherRegistry.TryGetCipher(weak, out _), Is.False, weak);
        }

        foreach (string weak in new[] { "none", "hmac-sha1", "hmac-md5", "hmac-sha1-etm@openssh.com" })
        {
            Assert.That(CipherRegistry.TryGetMac(weak, out _), Is.False, weak);
        }
    }

    [Test]
    public void DefaultOrder_PrefersGcmOnlyWithAesInstructions()
    {
        bool aesNi = System.Runtime.Intrinsics.X86.Aes.IsSupported || System.Runtime.Intrinsics.Arm.Aes.IsSupported;
        string first = aesNi ? "aes128-gcm@openssh.com" : "chacha20-poly1305@openssh.com";
        Assert.That(CipherRegistry.DefaultCiphers[0], Is.EqualTo(first));
        Assert.That(CipherRegistry.DefaultCiphers.Skip(3), Is.EqualTo(new[] { "aes128-ctr", "aes192-ctr", "aes256-ctr" }));
    }

    [TestCase("aes128-gcm@openssh.com", 16, 12, 16, true)]
    [TestCase("aes256-gcm@openssh.com", 32, 12, 16, true)]
    [TestCase("chacha20-poly1305@openssh.com", 64, 0, 8, true)]
    [TestCase("aes128-ctr", 16, 16, 16, false)]
    [TestCase("aes192-ctr", 24, 16, 16, false)]
    [TestCase("aes256-ctr", 32, 16, 16, false)]
    public void CipherInfo_HasTheKdfLengths(string name, int key, int iv, int block, bool aead)
    {
        Assert.That(CipherRegistry.TryGetCipher(name, out CipherInfo? info), Is.True);
        Assert.That(info, Is.EqualTo(new CipherInfo(name, key, iv, block, aead)));
    }

    [Test]
    public void RekeyLimits_FollowRfc4344AndOpenSsh()
    {
        Assert.That(CipherRegistry.MaxBlocksBeforeRekey("aes128-gcm@openssh.com"), Is.EqualTo(1L << 32));
        Assert.That(CipherRegistry.MaxBlocksBeforeRekey("aes256-ctr"), Is.EqualTo(1L << 32));
        Assert.That(CipherRegistry.MaxBlocksBeforeRekey("chacha20-poly1305@openssh.com"), Is.EqualTo(1L << 27));
        Assert.Throws<ArgumentException>(() => CipherRegistry.MaxBlocksBeforeRekey("aes128-cbc"));
    }

    [Test]
    public void Create_RejectsWrongLengthsAndUnknownNames()
    {
        Assert.Throws<ArgumentException>(() => CipherRegistry.CreateSealer("aes128-ctr", "hmac-sha2-256", new byte[15], new byte[16], new byte[32]));
        Assert.Throws<ArgumentException>(() => CipherRegistry.CreateSealer("aes128-ctr", "hmac-sha2-256", new byte[16], new byte[12], new byte[32]));
        Assert.Throws<ArgumentException>(() => CipherRegistry.CreateSealer("aes128-ctr", "hmac-sha2-256", new byte[16], new byte[16], new byte[31]));
        Assert.Throws<ArgumentException>(() => CipherRegistry.CreateSealer("aes128-ctr", null, new byte[16], new byte[16], []));
        Assert.Throws<ArgumentException>(() => CipherRegistry.CreateSealer("aes128-ctr", "hmac-sha1", new byte[16], new byte[16], new byte[20]));
        Assert.Throws<ArgumentException>(() => CipherRegistry.CreateOpener("none", null, [], [], []));
        Assert.Throws<ArgumentException>(() => CipherRegistry.CreateOpener("chacha20-poly1305@openssh.com", null, new byte[32], [], []));
    }

    [Test]
    public void Aead_IgnoresTheNegotiatedMac()
    {
        using var withMac = CipherRegistry.CreateSealer("aes128-gcm@openssh.com", "hmac-sha2-512", new byte[16], new byte[12], []);
        using var without = CipherRegistry.CreateSealer("aes128-gcm@openssh.com", null, new byte[16], new byte[12], []);
        Assert.That((withMac.MacSize, without.MacSize), Is.EqualTo((16, 16)));
    }
}
