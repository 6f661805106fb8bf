using NativeSftp.Crypto.Kex;

namespace NativeSftp.Tests.Crypto.Kex;

[TestFixture]
public class KexRegistryTests
{
    [Test]
    public void DefaultOrder_IsOpenSshOrder()
    {
        Assert.That(KexRegistry.DefaultOrder, Is.EqualTo(new[]
        {
            "mlkem768x25519-sha256",
            "sntrup761x25519-sha512",
            "sntrup761x25519-sha512@openssh.com",
            "curve25519-sha256",
            "curve25519-sha256@libssh.org",
            "ecdh-sha2-nistp256",
            "ecdh-sha2-nistp384",
            "ecdh-sha2-nistp521",
            "diffie-hellman-group-exchange-sha256",
            "diffie-hellman-group16-sha512",
            "diffie-hellman-group18-sha512",
            "diffie-hellman-group14-sha256",
        }));
    }

    [Test]
    public void Create_EveryDefaultName_ReturnsMachineWithThatName()
    {
        foreach (string name in KexRegistry.DefaultOrder)
        {
            Assert.That(KexRegistry.IsSupported(name), Is.True, name);
            using var kex = KexRegistry.Create(name, KexTestPeer.Context());
            Assert.That(kex.Name, Is.EqualTo(name));
        }
    }

    [TestCase("diffie-hellman-group1-sha1")]
    [TestCase("diffie-hellman-group14-sha1")]
    [TestCase("diffie-hellman-group-exchange-sha1")]
    [TestCase("ext-info-c")]
    [TestCase("kex-strict-c-v00@openssh.com")]
    [TestCase("CURVE25519-SHA256")]
    public void IsSupported_Sha1OrPseudoOrMiscasedName_IsFalse(string name)
    {
        Assert.That(KexRegistry.IsSupported(name), Is.False);
        Assert.Throws<ArgumentException>(() => KexRegistry.Create(name, KexTestPeer.Context()));
    }

    [Test]
    public void Create_EachCall_UsesFreshEphemeralKey()
    {
        using var a = KexRegistry.Create("curve25519-sha256", KexTestPeer.Context());
        using var b = KexRegistry.Create("curve25519-sha256", KexTestPeer.Context());
        Assert.That(KexTestPeer.InitialMessage(a), Is.Not.EqualTo(KexTestPeer.InitialMessage(b)));
    }
}
