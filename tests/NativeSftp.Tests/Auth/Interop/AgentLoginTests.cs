using NativeSftp.Tests.Auth.Agent;
using NativeSftp.Tests.Fixtures;

namespace NativeSftp.Tests.Auth.Interop;

/// <summary>Logging in with keys held by a real ssh-agent, and the order keys are offered in (agent first, as OpenSSH).</summary>
[TestFixture]
public class AgentLoginTests
{
    private static readonly AuthKeyFiles Keys = AuthKeyFiles.Shared;
    private SshdServer _sshd = null!;
    private SshAgentProcess _agent = null!;

    [OneTimeSetUp]
    public async Task StartServer() => _sshd = await AuthSshd.StartAsync();

    [OneTimeTearDown]
    public async Task StopServer() => await _sshd.DisposeAsync();

    /// <summary>A fresh agent per test (it starts in milliseconds), so each test sees only the keys it added.</summary>
    [SetUp]
    public void StartAgent() => _agent = SshAgentProcess.Start();

    [TearDown]
    public void StopAgent()
    {
        AuthSshd.ShowLogOnFailure(_sshd);
        _agent.Dispose();
    }

    private SshClientOptions AgentOptions(params string[] identities)
    {
        var o = AuthSshd.Options(_sshd, null, identities);
        o.UseAgent = true;
        o.AgentSocketPath = _agent.SocketPath;
        return o;
    }

    [Test]
    public async Task Agent_KeyOnlyInAgent_LogsInWithoutIdentityFiles()
    {
        _agent.Add(Keys.AgentKey);
        var options = AgentOptions();
        Assert.That(options.EffectiveIdentityFiles, Is.Empty, "precondition: no identity file to fall back on (~/.ssh/id_* must not exist)");
        using var cts = AuthSshd.Bounded();

        await using var ssh = await SshClient.ConnectAsync(options, cts.Token);

        string fingerprint = AuthKeyFiles.FingerprintOf(Keys.AgentKey);
        Assert.That(await AuthSshd.LogContainsAsync(_sshd, fingerprint, cts.Token), Is.True);
        Assert.That(AuthSshd.AcceptedLines(_sshd, "publickey", _sshd.UserName).Any(l => l.EndsWith(fingerprint, StringComparison.Ordinal)), Is.True);
    }

    [Test]
    public void Agent_KeysAreOfferedBeforeKeyFiles()
    {
        // Neither key is authorized, so the failure lists every offer in the order made.
        _agent.Add(Keys.StrayAgentKey);
        using var cts = AuthSshd.Bounded();

        var e = Assert.ThrowsAsync<SshAuthenticationException>(async () => await SshClient.ConnectAsync(AgentOptions(Keys.StrayKey), cts.Token));

        Assert.That(e!.MethodsTried, Is.EqualTo(new[]
        {
            $"publickey (ssh-ed25519 {AuthKeyFiles.FingerprintOf(Keys.StrayAgentKey)})",
            $"publickey (ssh-ed25519 {AuthKeyFiles.FingerprintOf(Keys.StrayKey)})",
        }));
    }

    [Test]
    public async Task Agent_AuthorizedAgentKey_IsUsedEvenWhenAKeyFileWouldAlsoWork()
    {
        _agent.Add(Keys.AgentKey);
        string fileKey = Keys.ByType["ed25519"];
        using var cts = AuthSshd.Bounded();

        await using var ssh = await SshClient.ConnectAsync(AgentOptions(fileKey), cts.Token);

        string agentFingerprint = AuthKeyFiles.FingerprintOf(Keys.AgentKey);
        Assert.That(await AuthSshd.LogContainsAsync(_sshd, agentFingerprint, cts.Token), Is.True);
        var accepted = AuthSshd.AcceptedLines(_sshd, "publickey", _sshd.UserName);
        Assert.That(accepted[^1], Does.EndWith(agentFingerprint), "the agent key logs in; the file key is never needed");
    }
}
