using NativeSftp.Auth.KnownHosts;

namespace NativeSftp.Tests.Fixtures;

/// <summary>Client options for the sshd fixture: its user key, and a known_hosts file holding its host keys (strict checking stays on).</summary>
public static class TestClients
{
    public static SshClientOptions Options(SshdServer sshd, string? identity = null)
    {
        string knownHosts = Path.Combine(sshd.Directory, "known_hosts");
        if (!File.Exists(knownHosts))
        {
            File.WriteAllLines(knownHosts, SshdServer.Keys.HostKeyPaths.Select(p =>
                $"[{sshd.Host}]:{sshd.Port} {File.ReadAllText(p + ".pub").Trim()}"));
        }

        var o = new SshClientOptions(sshd.Host, sshd.UserName) { Port = sshd.Port, UseAgent = false, HostKeyPolicy = HostKeyPolicy.Strict };
        o.IdentityFiles.Add(identity ?? SshdServer.Keys.UserEd25519);
        o.KnownHostsFiles.Add(knownHosts);
        return o;
    }
}
