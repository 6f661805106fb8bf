using System.Net;
using System.Net.Sockets;
using System.Text;
using NativeSftp.Crypto.Keys;
using NativeSftp.Tests.Fixtures;

namespace NativeSftp.Tests.Auth.Interop;

/// <summary>
/// publickey authentication against a real sshd: every key type, RSA against a server that accepts only
/// rsa-sha2-256, every encrypted key file format through PassphraseProvider, and the errors for a key the server
/// does not know and for a wrong passphrase.
/// </summary>
[TestFixture]
public class PublicKeyLoginTests
{
    private static readonly AuthKeyFiles Keys = AuthKeyFiles.Shared;
    private SshdServer _sshd = null!;

    [OneTimeSetUp]
    public async Task StartServer() => _sshd = await AuthSshd.StartAsync();

    [OneTimeTearDown]
    public async Task StopServer() => await _sshd.DisposeAsync();

    /// <summary>A server a single test configures differently; its log is shown if the test fails.</summary>
    private SshdServer? _own;

    [TearDown]
    public async Task ShowLogAndStopOwnServer()
    {
        AuthSshd.ShowLogOnFailure(_own ?? _sshd);
        if (_own is not null)
        {
            await _own.DisposeAsync();
            _own = null;
        }
    }

    private static IEnumerable<string> KeyTypes => AuthKeyFiles.TypeNames;

    private static IEnumerable<string> EncryptedFormats => AuthKeyFiles.EncryptedFormats;

    [TestCaseSource(nameof(KeyTypes))]
    public async Task Login_WithEachKeyType_RunsCommandsAsTheUser(string type)
    {
        string key = Keys.ByType[type];
        using var cts = AuthSshd.Bounded();

        await using var ssh = await SshClient.ConnectAsync(AuthSshd.Options(_sshd, null, key), cts.Token);
        var (status, output, _) = await ssh.RunCommandAsync("id -un", cts.Token);

        Assert.That(status, Is.EqualTo(0));
        Assert.That(Encoding.UTF8.GetString(output).Trim(), Is.EqualTo(_sshd.UserName));
        string fingerprint = AuthKeyFiles.FingerprintOf(key);
        Assert.That(await AuthSshd.LogContainsAsync(_sshd, fingerprint, cts.Token), Is.True, "sshd should log the key it accepted");
        Assert.That(AuthSshd.AcceptedLines(_sshd, "publickey", _sshd.UserName).Any(l => l.Contains(fingerprint, StringComparison.Ordinal)),
            Is.True, $"expected 'Accepted publickey for {_sshd.UserName} ... {fingerprint}' in the sshd log");
    }

    [Test]
    public async Task Login_WithRsaKey_SignsWithRsaSha2_512ByDefault()
    {
        string key = Keys.ByType["rsa-3072"];
        var sshd = _own = await AuthSshd.StartAsync();
        using var cts = AuthSshd.Bounded();

        await using var ssh = await SshClient.ConnectAsync(AuthSshd.Options(sshd, null, key), cts.Token);

        // auth2-pubkey.c logs "... attempting public key <alg> <key>" for the signed request.
        Assert.That(await AuthSshd.LogContainsAsync(sshd, "attempting public key rsa-sha2-512 ", cts.Token), Is.True);
        Assert.That(sshd.ReadLog(), Does.Not.Contain("public key ssh-rsa "), "never SHA-1 signatures");
    }

    [Test]
    public async Task Login_WithRsaKey_ServerAcceptingOnlyRsaSha2_256_SignsWithRsaSha2_256()
    {
        string key = Keys.ByType["rsa-3072"];
        var sshd = _own = await AuthSshd.StartAsync("PubkeyAcceptedAlgorithms rsa-sha2-256");
        using var cts = AuthSshd.Bounded();

        await using var ssh = await SshClient.ConnectAsync(AuthSshd.Options(sshd, null, key), cts.Token);
        var (status, _, _) = await ssh.RunCommandAsync("true", cts.Token);

        Assert.That(status, Is.EqualTo(0));
        Assert.That(await AuthSshd.LogContainsAsync(sshd, "attempting public key rsa-sha2-256 ", cts.Token), Is.True);
        string log = sshd.ReadLog();
        Assert.That(log, Does.Not.Contain("querying public key"), "a key held in memory signs at once, without the query round trip");

        // OpenSSH 9.2 advertises every algorithm it implements in server-sig-algs, whatever PubkeyAcceptedAlgorithms
        // says, so the client cannot pick -256 up front: its rsa-sha2-512 signature is refused and it retries with
        // -256. A server that narrows server-sig-algs must get no rsa-sha2-512 request at all.
        bool advertises512 = ssh.Transport.ServerSignatureAlgorithms.Contains("rsa-sha2-512");
        Assert.That(log.Contains("rsa-sha2-512 not in PubkeyAcceptedAlgorithms", StringComparison.Ordinal), Is.EqualTo(advertises512),
            $"server-sig-algs: {string.Join(",", ssh.Transport.ServerSignatureAlgorithms)}");
    }

    [TestCaseSource(nameof(EncryptedFormats))]
    public async Task Login_WithEncryptedKeyFile_AsksPassphraseProviderAndLogsIn(string format)
    {
        string key = Keys.Encrypted[format];
        var asked = new List<string>();
        var options = AuthSshd.Options(_sshd, null, key);
        options.PassphraseProvider = path =>
        {
            asked.Add(path);
            return AuthKeyFiles.Passphrase;
        };
        using var cts = AuthSshd.Bounded();

        await using var ssh = await SshClient.ConnectAsync(options, cts.Token);

        Assert.That(asked, Is.EqualTo(new[] { key }), "one question, naming the file");
        Assert.That(await AuthSshd.LogContainsAsync(_sshd, AuthKeyFiles.FingerprintOf(key), cts.Token), Is.True,
            "sshd should log the fingerprint of the key it accepted");
    }

    [Test]
    public async Task Login_WithKeyNotInAuthorizedKeys_ThrowsAuthenticationErrorNamingTheKeyFingerprint()
    {
        string fingerprint = AuthKeyFiles.FingerprintOf(Keys.StrayKey);
        using var cts = AuthSshd.Bounded();

        var e = Assert.ThrowsAsync<SshAuthenticationException>(
            async () => await SshClient.ConnectAsync(AuthSshd.Options(_sshd, null, Keys.StrayKey), cts.Token));

        Assert.That(e!.MethodsTried, Is.EqualTo(new[] { $"publickey (ssh-ed25519 {fingerprint})" }));
        Assert.That(e.MethodsServerAllows, Does.Contain("publickey"));
        Assert.That(e.Message, Does.Contain(fingerprint).And.Contain(_sshd.UserName));
    }

    [Test]
    public void Login_WithWrongPassphrase_ThrowsPassphraseErrorBeforeConnecting()
    {
        string key = Keys.Encrypted["openssh-aes256-ctr"];

        // A listener standing in for the server: the key must fail to load before any TCP connection is made.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            var options = AuthSshd.Options(_sshd, null, key);
            options.Port = ((IPEndPoint)listener.LocalEndpoint).Port;
            options.PassphraseProvider = _ => AuthKeyFiles.WrongPassphrase;
            using var cts = AuthSshd.Bounded();

            var e = Assert.ThrowsAsync<PrivateKeyPassphraseException>(async () => await SshClient.ConnectAsync(options, cts.Token));

            Assert.That(e!.PassphraseWasGiven, Is.True);
            Assert.That(e.Path, Is.EqualTo(key));
            Assert.That(listener.Pending(), Is.False, "no connection may be attempted with a key that failed to load");
        }
        finally
        {
            listener.Stop();
        }
    }

    [Test]
    public void Login_WithEncryptedKeyAndNoPassphraseProvider_ThrowsPassphraseErrorSayingNoneWasGiven()
    {
        string key = Keys.Encrypted["openssh-chacha20-poly1305"];
        using var cts = AuthSshd.Bounded();

        var e = Assert.ThrowsAsync<PrivateKeyPassphraseException>(async () => await SshClient.ConnectAsync(AuthSshd.Options(_sshd, null, key), cts.Token));

        Assert.That(e!.PassphraseWasGiven, Is.False);
        Assert.That(e.Path, Is.EqualTo(key));
    }

    [Test]
    public async Task Login_PassphraseProviderReturnsNull_SkipsThatKeyAndUsesTheNext()
    {
        // SshClientOptions.PassphraseProvider: "or null to skip that key".
        string encrypted = Keys.Encrypted["openssh-aes128-ctr"];
        string plain = Keys.ByType["ed25519"];
        var options = AuthSshd.Options(_sshd, null, encrypted, plain);
        options.PassphraseProvider = _ => null;
        using var cts = AuthSshd.Bounded();

        await using var ssh = await SshClient.ConnectAsync(options, cts.Token);

        Assert.That(await AuthSshd.LogContainsAsync(_sshd, AuthKeyFiles.FingerprintOf(plain), cts.Token), Is.True);
    }
}
