using NativeSftp.Tests.Fixtures;

namespace NativeSftp.Tests.Auth.Interop;

/// <summary>sshd's Banner file reaches SshClientOptions.BannerReceived before login, with terminal controls defused.</summary>
[TestFixture]
public class BannerTests
{
    private SshdServer? _sshd;

    [TearDown]
    public async Task StopServer()
    {
        AuthSshd.ShowLogOnFailure(_sshd);
        if (_sshd is not null)
        {
            await _sshd.DisposeAsync();
            _sshd = null;
        }
    }

    [Test]
    public async Task Banner_FromSshdBannerFile_ReachesBannerReceivedWithEscapesReplaced()
    {
        string bannerFile = Path.Combine(AuthKeyFiles.Shared.Directory, "banner-" + Guid.NewGuid().ToString("N")[..8]);

        // An ESC sequence could recolour or rewrite the user's terminal; the client shows it as '?'.
        await File.WriteAllTextAsync(bannerFile, "Authorized use only.\n\tSecond line \u00e9\n\u001b[2Jcleared?\n");
        _sshd = await AuthSshd.StartAsync("Banner " + bannerFile);
        var banners = new List<string>();
        var options = AuthSshd.Options(_sshd, null, AuthKeyFiles.Shared.ByType["ed25519"]);
        options.BannerReceived = banners.Add;
        using var cts = AuthSshd.Bounded();

        await using var ssh = await SshClient.ConnectAsync(options, cts.Token);

        Assert.That(banners, Is.EqualTo(new[] { "Authorized use only.\n\tSecond line \u00e9\n?[2Jcleared?\n" }));
    }
}
