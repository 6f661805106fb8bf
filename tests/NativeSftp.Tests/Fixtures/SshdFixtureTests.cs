namespace NativeSftp.Tests.Fixtures;

[TestFixture]
public class SshdFixtureTests
{
    [Test]
    public async Task Sshd_Starts_AndSendsAnOpenSsh2Banner()
    {
        await using var sshd = await SshdServer.StartAsync();
        string banner = await sshd.ReadBannerAsync();
        Assert.That(banner, Does.StartWith("SSH-2.0-OpenSSH_"));
    }

    [Test]
    public async Task Sshd_AcceptsConfigLines_AndOpenSshClientCanLogIn()
    {
        await using var sshd = await SshdServer.StartAsync(o => o.ConfigLines.Add("Ciphers aes128-ctr"));
        // The real OpenSSH client proves the fixture's keys, authorized_keys and config work end to end.
        string output = TestKeys.Run("/usr/bin/ssh", [
            "-F", "/dev/null", "-p", sshd.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-i", SshdServer.Keys.UserEd25519, "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
            "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "Ciphers=aes128-ctr",
            sshd.UserName + "@" + sshd.Host, "echo fixture-ok"]);
        Assert.That(output.Trim(), Is.EqualTo("fixture-ok"));
        Assert.That(sshd.ReadLog(), Does.Contain("aes128-ctr"));
    }
}
