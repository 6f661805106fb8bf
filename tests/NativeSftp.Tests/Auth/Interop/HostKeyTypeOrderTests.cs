using NativeSftp.Auth.KnownHosts;
using NativeSftp.Crypto.HostKeys;
using NativeSftp.Tests.Fixtures;

namespace NativeSftp.Tests.Auth.Interop;

/// <summary>
/// A server with several host keys, a known_hosts that holds only one of them (the usual case: a host recorded by an
/// older ssh, which chose RSA or ECDSA). Found against ProFTPD (ed25519, RSA and ECDSA host keys): we asked for our
/// favourite, ed25519, got a key known_hosts did not hold, and called the host CHANGED (possible man in the middle).
/// ssh asks first for the types known_hosts holds; so do we now.
/// </summary>
[TestFixture]
public class HostKeyTypeOrderTests
{
    private SshdServer _sshd = null!;

    [OneTimeSetUp]
    public async Task StartServer() => _sshd = await SshdServer.StartAsync();

    [OneTimeTearDown]
    public async Task StopServer() => await _sshd.DisposeAsync();

    private SshClientOptions OptionsKnowing(string hostKeyPath, HostKeyPolicy policy = HostKeyPolicy.Strict)
    {
        string file = Path.Combine(_sshd.Directory, "known_hosts_" + Path.GetFileName(hostKeyPath) + "_" + Guid.NewGuid().ToString("N")[..6]);
        File.WriteAllText(file, $"[{_sshd.Host}]:{_sshd.Port} {File.ReadAllText(hostKeyPath + ".pub").Trim()}\n");
        var o = new SshClientOptions(_sshd.Host, _sshd.UserName) { Port = _sshd.Port, UseAgent = false, HostKeyPolicy = policy };
        o.IdentityFiles.Add(SshdServer.Keys.UserEd25519);
        o.KnownHostsFiles.Add(file);
        return o;
    }

    [Test]
    public async Task OnlyTheRsaKeyKnown_StrictChecking_AsksForRsa_AndConnects()
    {
        await using var ssh = await SshClient.ConnectAsync(OptionsKnowing(SshdServer.Keys.HostRsa), CancellationToken.None);
        Assert.That(ssh.HostKey.KeyType, Is.EqualTo("ssh-rsa"));
        Assert.That(ssh.Algorithms.ServerHostKey, Does.StartWith("rsa-sha2-"));
    }

    [Test]
    public async Task OnlyTheEcdsaKeyKnown_StrictChecking_AsksForEcdsa_AndConnects()
    {
        await using var ssh = await SshClient.ConnectAsync(OptionsKnowing(SshdServer.Keys.HostEcdsa), CancellationToken.None);
        Assert.That(ssh.HostKey.KeyType, Does.StartWith("ecdsa-sha2-"));
    }

    /// <summary>
    /// Forced to a type known_hosts does not hold: not "CHANGED" (no line of that type differs), but not trusted either,
    /// and accept-new does not record it: nothing vouches for a new kind of key on a host known by another.
    /// </summary>
    [Test]
    public void ForcedToAnUnrecordedType_IsRefusedAsAnotherKeyType_EvenUnderAcceptNew([Values] HostKeyPolicy policy)
    {
        var o = OptionsKnowing(SshdServer.Keys.HostRsa, policy);
        o.HostKeyAlgorithms = ["ssh-ed25519"];
        string before = File.ReadAllText(o.KnownHostsFiles[0]);

        var e = Assert.ThrowsAsync<HostKeyVerificationException>(() => SshClient.ConnectAsync(o, CancellationToken.None));

        TestContext.Out.WriteLine(e!.Message);
        Assert.That(e.Message, Does.Contain("only by a key of another type").And.Contain("--host-key-algorithms rsa-sha2-512,rsa-sha2-256"));
        Assert.That(e.Message, Does.Not.Contain("CHANGED"));
        Assert.That(e.KnownHostsLine, Is.EqualTo(1));
        Assert.That(File.ReadAllText(o.KnownHostsFiles[0]), Is.EqualTo(before), "nothing recorded");
    }

    [Test]
    public void PreferKnown_MovesTheKnownTypesFirst_KeepingEachGroupsOrder()
    {
        var order = HostKeyAlgorithmRegistry.PreferKnown(HostKeyAlgorithmRegistry.DefaultOrder, new HashSet<string> { "ssh-rsa" }, caKnown: false);
        Assert.That(order.Take(4), Is.EqualTo(new[]
        {
            "rsa-sha2-512-cert-v01@openssh.com", "rsa-sha2-256-cert-v01@openssh.com", "rsa-sha2-512", "rsa-sha2-256",
        }));
        Assert.That(order, Is.EquivalentTo(HostKeyAlgorithmRegistry.DefaultOrder), "nothing dropped, nothing added");
        Assert.That(order[4], Is.EqualTo("ssh-ed25519-cert-v01@openssh.com"), "the rest in their own order");

        var withCa = HostKeyAlgorithmRegistry.PreferKnown(HostKeyAlgorithmRegistry.DefaultOrder, new HashSet<string>(), caKnown: true);
        Assert.That(withCa.Take(6), Is.All.EndsWith("-cert-v01@openssh.com"), "a known CA: certificates first");

        var none = HostKeyAlgorithmRegistry.PreferKnown(HostKeyAlgorithmRegistry.DefaultOrder, new HashSet<string>(), caKnown: false);
        Assert.That(none, Is.EqualTo(HostKeyAlgorithmRegistry.DefaultOrder), "an unknown host: our order");
    }
}
