using System.Diagnostics;
using System.Text;
using NativeSftp.Auth.Agent;
using NativeSftp.Crypto;
using NativeSftp.Crypto.HostKeys;
using NativeSftp.Tests.Fixtures;

namespace NativeSftp.Tests.Auth.Agent;

/// <summary>
/// The client against a real OpenSSH ssh-agent holding ed25519, ecdsa-256 and rsa-3072 keys (the shared test user
/// keys, copied) plus user certificates for the ed25519 and rsa keys, signed by a throwaway CA with ssh-keygen -s.
/// </summary>
public class SshAgentInteropTests
{
    /// <summary>Bound on anything that talks to a live or just-killed agent: far above the milliseconds it takes.</summary>
    private static readonly TimeSpan NoHang = TimeSpan.FromSeconds(10);

    private static readonly string[] KeyNames = ["id_ed25519", "id_ecdsa", "id_rsa"];

    private SshAgentProcess _agent = null!;
    private readonly Dictionary<string, SshPublicKey> _publicKeys = [];
    private readonly Dictionary<string, string> _comments = [];

    [OneTimeSetUp]
    public void StartAgent()
    {
        _agent = SshAgentProcess.Start();
        var shared = TestKeys.Shared;
        string[] sources = [shared.UserEd25519, shared.UserEcdsa, shared.UserRsa];
        string ca = SshAgentProcess.GenerateKey(_agent.Directory, "user_ca", "ed25519", null, "nsftp-agent-ca");
        var files = new List<string>();
        for (int i = 0; i < KeyNames.Length; i++)
        {
            string path = Path.Combine(_agent.Directory, KeyNames[i]);
            File.Copy(sources[i], path);
            File.Copy(sources[i] + ".pub", path + ".pub");
            files.Add(path);
            string[] pub = File.ReadAllText(path + ".pub").Trim().Split(' ', 3);
            _publicKeys[KeyNames[i]] = SshPublicKey.ParseOpenSsh(File.ReadAllText(path + ".pub"));
            _comments[KeyNames[i]] = pub[2];
        }

        foreach (string name in (string[])["id_ed25519", "id_rsa"])
        {
            string path = Path.Combine(_agent.Directory, name);
            TestKeys.Run("/usr/bin/ssh-keygen", ["-q", "-s", ca, "-I", "nsftp-" + name, "-n", "tester", "-V", "-5m:+1h", path + ".pub"]);
            _publicKeys[name + "-cert"] = SshPublicKey.ParseOpenSsh(File.ReadAllText(path + "-cert.pub"));
            _comments[name + "-cert"] = _comments[name];
        }

        // ssh-add picks up id_*-cert.pub next to each key and adds the certificate as a second identity.
        _agent.Add([.. files]);
    }

    [OneTimeTearDown]
    public void StopAgent() => _agent?.Dispose();

    private static CancellationToken Bounded() => new CancellationTokenSource(NoHang).Token;

    [Test]
    public async Task ListKeys_ReturnsEveryAddedKeyAndCertificateWithItsComment()
    {
        await using var client = await SshAgentClient.ConnectAsync(_agent.SocketPath, Bounded());
        var keys = await client.ListKeysAsync(Bounded());

        Assert.That(keys.Select(k => k.PublicKey), Is.EquivalentTo(_publicKeys.Values));
        foreach (var (name, publicKey) in _publicKeys)
        {
            var listed = keys.Single(k => k.PublicKey.Equals(publicKey));
            Assert.That(listed.Comment, Is.EqualTo(_comments[name]), name);
        }
    }

    [TestCase("id_ed25519", "ssh-ed25519")]
    [TestCase("id_ecdsa", "ecdsa-sha2-nistp256")]
    [TestCase("id_rsa", "rsa-sha2-512")]
    [TestCase("id_rsa", "rsa-sha2-256")]
    [TestCase("id_ed25519-cert", "ssh-ed25519-cert-v01@openssh.com")]
    [TestCase("id_rsa-cert", "rsa-sha2-512-cert-v01@openssh.com")]
    [TestCase("id_rsa-cert", "rsa-sha2-256-cert-v01@openssh.com")]
    public async Task Sign_WithEachAlgorithm_VerifiesAgainstThePublicKey(string name, string algorithm)
    {
        await using var client = await SshAgentClient.ConnectAsync(_agent.SocketPath, Bounded());
        var keys = await client.ListKeysAsync(Bounded());
        ISigner key = keys.Single(k => k.PublicKey.Equals(_publicKeys[name]));
        Assert.That(key.SignatureAlgorithms, Does.Contain(algorithm));
        byte[] data = Encoding.UTF8.GetBytes("session id and userauth request for " + algorithm);

        byte[] signature = await key.SignAsync(algorithm, data, Bounded());

        byte[] blob = key.PublicKey.ToArray();
        Assert.That(HostKeyAlgorithmRegistry.Verify(algorithm, blob, data, signature), Is.True);
        data[0] ^= 1;
        Assert.That(HostKeyAlgorithmRegistry.Verify(algorithm, blob, data, signature), Is.False);
    }

    [Test]
    public async Task Sign_WithAKeyTheAgentDoesNotHold_ThrowsAgentExceptionAndTheClientStaysUsable()
    {
        await using var client = await SshAgentClient.ConnectAsync(_agent.SocketPath, Bounded());

        var e = Assert.ThrowsAsync<AgentException>(() => client.SignAsync(AgentWire.Ed25519Key(3), new byte[] { 1, 2, 3 }, "ssh-ed25519", Bounded()));

        Assert.That(e!.Message, Does.Contain("refused"));
        Assert.That(e.ConnectionBroken, Is.False);
        Assert.That(await client.ListKeysAsync(Bounded()), Has.Count.EqualTo(_publicKeys.Count));
    }

    [Test]
    public async Task Sign_WithAnAlgorithmTheKeyCannotMake_ThrowsArgumentExceptionWithoutAskingTheAgent()
    {
        await using var client = await SshAgentClient.ConnectAsync(_agent.SocketPath, Bounded());
        var rsa = (await client.ListKeysAsync(Bounded())).Single(k => k.PublicKey.Equals(_publicKeys["id_rsa"]));

        // ssh-rsa (SHA-1) is never requested: OpenSSH 8.8 disabled it and RFC 8332 §5 makes it optional.
        Assert.ThrowsAsync<ArgumentException>(async () => await rsa.SignAsync("ssh-rsa", new byte[] { 1 }, Bounded()));
        Assert.ThrowsAsync<ArgumentException>(async () => await rsa.SignAsync("ssh-ed25519", new byte[] { 1 }, Bounded()));
    }

    [Test]
    public async Task ConcurrentSigns_OnOneConnection_AllVerify()
    {
        await using var client = await SshAgentClient.ConnectAsync(_agent.SocketPath, Bounded());
        var keys = await client.ListKeysAsync(Bounded());
        var work = new List<Task<bool>>();
        for (int i = 0; i < 12; i++)
        {
            var key = keys[i % keys.Count];
            string algorithm = key.SignatureAlgorithms[i % key.SignatureAlgorithms.Count];
            byte[] data = Encoding.UTF8.GetBytes("request " + i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            work.Add(Task.Run(async () =>
            {
                byte[] signature = await key.SignAsync(algorithm, data, Bounded());
                return HostKeyAlgorithmRegistry.Verify(algorithm, key.PublicKey.Blob, data, signature);
            }));
        }

        Assert.That(await Task.WhenAll(work), Is.All.True);
    }

    [Test]
    public async Task AgentKilledMidSession_FailsTheNextCallQuicklyAndEveryCallAfter()
    {
        using var agent = SshAgentProcess.Start();
        agent.Add(Path.Combine(_agent.Directory, "id_ed25519"));
        await using var client = await SshAgentClient.ConnectAsync(agent.SocketPath, Bounded());
        var key = (await client.ListKeysAsync(Bounded())).Single(k => k.PublicKey.Equals(_publicKeys["id_ed25519"]));

        agent.Kill();
        var clock = Stopwatch.StartNew();
        var first = Assert.ThrowsAsync<AgentException>(async () => await key.SignAsync("ssh-ed25519", new byte[] { 1 }, Bounded()));
        var later = Assert.ThrowsAsync<AgentException>(() => client.ListKeysAsync(Bounded()));

        Assert.That(clock.Elapsed, Is.LessThan(NoHang));
        Assert.That(first!.ConnectionBroken, Is.True);
        Assert.That(later!.Message, Does.Contain("earlier failure"));
        Assert.That(later.InnerException, Is.SameAs(first));

        var reconnect = Assert.ThrowsAsync<AgentException>(() => SshAgentClient.ConnectAsync(agent.SocketPath, Bounded()));
        Assert.That(reconnect!.Message, Does.Contain(agent.SocketPath).And.Contain("nothing is listening"));
    }

    [Test]
    public void Connect_ToAMissingSocket_ThrowsAgentExceptionNamingThePath()
    {
        string path = Path.Combine(_agent.Directory, "no-such-agent.sock");
        var e = Assert.ThrowsAsync<AgentException>(() => SshAgentClient.ConnectAsync(path, Bounded()));
        Assert.That(e!.Message, Does.Contain(path).And.Contain("no such socket"));
    }

    [Test]
    public void Connect_ToAPathTooLongForAUnixSocket_ThrowsAgentException()
    {
        string path = "/tmp/" + new string('a', 200) + ".sock";
        var e = Assert.ThrowsAsync<AgentException>(() => SshAgentClient.ConnectAsync(path, Bounded()));
        Assert.That(e!.Message, Does.Contain("too long"));
    }

    [Test]
    public void DefaultSocketPath_FollowsSshAuthSockAndIsNullWhenEmpty()
    {
        string? saved = Environment.GetEnvironmentVariable("SSH_AUTH_SOCK");
        try
        {
            Environment.SetEnvironmentVariable("SSH_AUTH_SOCK", _agent.SocketPath);
            Assert.That(SshAgentClient.DefaultSocketPath, Is.EqualTo(_agent.SocketPath));
            Environment.SetEnvironmentVariable("SSH_AUTH_SOCK", "");
            Assert.That(SshAgentClient.DefaultSocketPath, Is.Null);
            Environment.SetEnvironmentVariable("SSH_AUTH_SOCK", null);
            Assert.That(SshAgentClient.DefaultSocketPath, Is.Null);
        }
        finally
        {
            Environment.SetEnvironmentVariable("SSH_AUTH_SOCK", saved);
        }
    }
}
