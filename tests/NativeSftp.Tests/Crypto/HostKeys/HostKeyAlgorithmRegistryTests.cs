using NativeSftp.Crypto.HostKeys;

namespace NativeSftp.Tests.Crypto.HostKeys;

[TestFixture]
public class HostKeyAlgorithmRegistryTests
{
    [Test]
    public void DefaultOrder_IsOpenSshOrder_WithoutSha1OrDss()
    {
        Assert.That(HostKeyAlgorithmRegistry.DefaultOrder, Is.EqualTo(new[]
        {
            "ssh-ed25519-cert-v01@openssh.com",
            "ecdsa-sha2-nistp256-cert-v01@openssh.com",
            "ecdsa-sha2-nistp384-cert-v01@openssh.com",
            "ecdsa-sha2-nistp521-cert-v01@openssh.com",
            "rsa-sha2-512-cert-v01@openssh.com",
            "rsa-sha2-256-cert-v01@openssh.com",
            "ssh-ed25519",
            "ecdsa-sha2-nistp256",
            "ecdsa-sha2-nistp384",
            "ecdsa-sha2-nistp521",
            "rsa-sha2-512",
            "rsa-sha2-256",
        }));
    }

    [Test]
    public void EveryDefaultAlgorithm_IsSupported()
    {
        foreach (string name in HostKeyAlgorithmRegistry.DefaultOrder)
        {
            Assert.That(HostKeyAlgorithmRegistry.IsSupported(name), Is.True, name);
        }
    }

    [TestCase("ssh-rsa")]
    [TestCase("ssh-dss")]
    [TestCase("ssh-rsa-cert-v01@openssh.com")]
    [TestCase("sk-ssh-ed25519@openssh.com")]
    [TestCase("")]
    public void IsSupported_IsFalseFor(string name) => Assert.That(HostKeyAlgorithmRegistry.IsSupported(name), Is.False);

    [TestCase("rsa-sha2-256", "ssh-rsa")]
    [TestCase("rsa-sha2-512", "ssh-rsa")]
    [TestCase("rsa-sha2-512-cert-v01@openssh.com", "ssh-rsa-cert-v01@openssh.com")]
    [TestCase("rsa-sha2-256-cert-v01@openssh.com", "ssh-rsa-cert-v01@openssh.com")]
    [TestCase("ssh-ed25519", "ssh-ed25519")]
    [TestCase("ecdsa-sha2-nistp521", "ecdsa-sha2-nistp521")]
    [TestCase("ecdsa-sha2-nistp384-cert-v01@openssh.com", "ecdsa-sha2-nistp384-cert-v01@openssh.com")]
    public void KeyTypeFor_MapsSignatureAlgorithmToBlobType(string algorithm, string keyType) =>
        Assert.That(HostKeyAlgorithmRegistry.KeyTypeFor(algorithm), Is.EqualTo(keyType));

    [Test]
    public void KeyTypeFor_UnsupportedAlgorithm_Throws() =>
        Assert.Throws<ArgumentException>(() => HostKeyAlgorithmRegistry.KeyTypeFor("ssh-dss"));
}
