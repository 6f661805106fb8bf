using System.Text;
using NativeSftp.Auth;
using NativeSftp.Tests.Fixtures;

namespace NativeSftp.Tests.Auth.Interop;

/// <summary>
/// password and keyboard-interactive authentication, and partial success (AuthenticationMethods
/// publickey,password), against a real sshd for a throwaway local user the fixture creates and deletes.
/// </summary>
[TestFixture]
[NonParallelizable]
public class PasswordLoginTests
{
    private static readonly AuthKeyFiles Keys = AuthKeyFiles.Shared;
    private LocalTestUser _user = null!;
    private SshdServer? _sshd;

    [OneTimeSetUp]
    public void CreateUser() => _user = LocalTestUser.Create();

    [OneTimeTearDown]
    public void DeleteUser() => _user?.Dispose();

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

    private SshClientOptions PasswordOptions(SshdServer sshd, string password, Action? onAsked = null, params string[] identities)
    {
        var o = AuthSshd.Options(sshd, _user.Name, identities);
        o.PasswordProvider = _ =>
        {
            onAsked?.Invoke();
            return ValueTask.FromResult<string?>(password);
        };
        return o;
    }

    private static async Task<string> WhoAmIAsync(SshClient ssh, CancellationToken ct)
    {
        var (status, output, stderr) = await ssh.RunCommandAsync("id -un", ct);
        Assert.That(status, Is.EqualTo(0), stderr);
        return Encoding.UTF8.GetString(output).Trim();
    }

    [Test]
    public async Task Password_Correct_LogsInAsTheUser()
    {
        _sshd = await AuthSshd.StartAsync(o => o.AllowPasswords = true);
        int asked = 0;
        using var cts = AuthSshd.Bounded();

        await using var ssh = await SshClient.ConnectAsync(PasswordOptions(_sshd, _user.Password, () => asked++), cts.Token);

        Assert.That(await WhoAmIAsync(ssh, cts.Token), Is.EqualTo(_user.Name));
        Assert.That(asked, Is.EqualTo(1));
        Assert.That(AuthSshd.AcceptedLines(_sshd, "password", _user.Name), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task Password_Wrong_ThrowsAuthenticationErrorWithPasswordTried()
    {
        _sshd = await AuthSshd.StartAsync(o => o.AllowPasswords = true);
        using var cts = AuthSshd.Bounded();

        var e = Assert.ThrowsAsync<SshAuthenticationException>(
            async () => await SshClient.ConnectAsync(PasswordOptions(_sshd, _user.Password + "x"), cts.Token));

        Assert.That(e!.MethodsTried, Is.EqualTo(new[] { "password" }));
        Assert.That(e.MethodsServerAllows, Does.Contain("password"));
        Assert.That(e.Message, Does.Contain(_user.Name));
        Assert.That(await AuthSshd.LogContainsAsync(_sshd, $"Failed password for {_user.Name} from 127.0.0.1", cts.Token), Is.True);
    }

    [Test]
    public async Task PartialSuccess_PublicKeyThenPassword_UsesBothInSequenceAndLogsIn()
    {
        string key = Keys.ByType["ed25519"];
        _sshd = await AuthSshd.StartAsync(o => o.AllowPasswords = true, "AuthenticationMethods publickey,password");
        int asked = 0;
        using var cts = AuthSshd.Bounded();

        await using var ssh = await SshClient.ConnectAsync(PasswordOptions(_sshd, _user.Password, () => asked++, key), cts.Token);

        Assert.That(await WhoAmIAsync(ssh, cts.Token), Is.EqualTo(_user.Name));
        Assert.That(asked, Is.EqualTo(1));
        string log = _sshd.ReadLog();
        int partial = log.IndexOf($"Partial publickey for {_user.Name} from 127.0.0.1", StringComparison.Ordinal);
        int accepted = log.IndexOf($"Accepted password for {_user.Name} from 127.0.0.1", StringComparison.Ordinal);
        Assert.That(partial, Is.GreaterThanOrEqualTo(0), "publickey should succeed partially first");
        Assert.That(accepted, Is.GreaterThan(partial), "then password completes the login");
    }

    [Test]
    public async Task PartialSuccess_PasswordMissing_ThrowsListingPublicKeyAndWhatTheServerStillWants()
    {
        string key = Keys.ByType["ed25519"];
        _sshd = await AuthSshd.StartAsync(o => o.AllowPasswords = true, "AuthenticationMethods publickey,password");
        using var cts = AuthSshd.Bounded();

        var e = Assert.ThrowsAsync<SshAuthenticationException>(
            async () => await SshClient.ConnectAsync(AuthSshd.Options(_sshd, _user.Name, key), cts.Token));

        Assert.That(e!.MethodsTried, Is.EqualTo(new[] { $"publickey (ssh-ed25519 {AuthKeyFiles.FingerprintOf(key)})" }));
        Assert.That(e.MethodsServerAllows, Is.EqualTo(new[] { "password" }), "after the partial success only password is left");
    }

    [Test]
    public async Task KeyboardInteractive_WithPam_AnswersThePasswordPromptAndLogsIn()
    {
        // OpenSSH serves keyboard-interactive only through PAM; PasswordAuthentication off so only it can succeed.
        _sshd = await AuthSshd.StartAsync(o => o.UsePam = true,
            "PasswordAuthentication no", "KbdInteractiveAuthentication yes");
        var requests = new List<KeyboardInteractiveRequest>();
        var options = AuthSshd.Options(_sshd, _user.Name);
        options.KeyboardInteractive = (request, _) =>
        {
            requests.Add(request);
            IReadOnlyList<string> answers = request.Prompts.Select(_ => _user.Password).ToList();
            return ValueTask.FromResult<IReadOnlyList<string>?>(answers);
        };
        using var cts = AuthSshd.Bounded();

        await using var ssh = await SshClient.ConnectAsync(options, cts.Token);

        Assert.That(await WhoAmIAsync(ssh, cts.Token), Is.EqualTo(_user.Name));
        var prompts = requests.SelectMany(r => r.Prompts).ToList();
        Assert.That(prompts, Has.Count.EqualTo(1));
        Assert.That(prompts[0].Text, Does.StartWith("Password"));
        Assert.That(prompts[0].Echo, Is.False, "a password prompt must not echo");
        Assert.That(AuthSshd.AcceptedLines(_sshd, "keyboard-interactive/pam", _user.Name), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task KeyboardInteractive_WrongAnswer_ThrowsAuthenticationErrorWithKeyboardInteractiveTried()
    {
        _sshd = await AuthSshd.StartAsync(o => o.UsePam = true,
            "PasswordAuthentication no", "KbdInteractiveAuthentication yes");
        var options = AuthSshd.Options(_sshd, _user.Name);
        options.KeyboardInteractive = (request, _) =>
            ValueTask.FromResult<IReadOnlyList<string>?>(request.Prompts.Select(_ => "wrong").ToList());
        using var cts = AuthSshd.Bounded();

        var e = Assert.ThrowsAsync<SshAuthenticationException>(async () => await SshClient.ConnectAsync(options, cts.Token));

        Assert.That(e!.MethodsTried, Is.EqualTo(new[] { "keyboard-interactive" }));
        Assert.That(e.MethodsServerAllows, Does.Contain("keyboard-interactive"));
    }
}
