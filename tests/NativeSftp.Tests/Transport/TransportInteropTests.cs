using NativeSftp.Crypto.Ciphers;
using NativeSftp.Crypto.HostKeys;
using NativeSftp.Crypto.Kex;
using NativeSftp.Tests.Fixtures;
using NativeSftp.Transport;
using NativeSftp.Wire;
using static NativeSftp.Tests.Transport.TransportTestHelpers;

namespace NativeSftp.Tests.Transport;

/// <summary>The transport against a real OpenSSH sshd: key exchange, then a forced re-key, then traffic under the new keys.</summary>
[TestFixture]
public class TransportInteropTests
{
    private SshdServer _sshd = null!;

    [OneTimeSetUp]
    public async Task StartServer() => _sshd = await SshdServer.StartAsync();

    [OneTimeTearDown]
    public async Task StopServer() => await _sshd.DisposeAsync();


    [Test]
    public async Task Connect_WithDefaults_NegotiatesStrictKexAndTalks()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var t = await SshTransport.ConnectAsync(Settings(_sshd), SshTransport.DefaultConnectTimeout, cts.Token);
        Assert.That(t.ServerVersion, Does.StartWith("SSH-2.0-OpenSSH_"));
        Assert.That(t.IsStrictKex, Is.True, "OpenSSH 9.2 offers kex-strict-s-v00@openssh.com");
        Assert.That(t.SessionId, Is.Not.Empty);
        Assert.That(t.Algorithms, Is.Not.Null);
        Assert.That(await RoundTripAsync(t, serviceRequested: false, cts.Token), Is.EqualTo(MessageNumbers.ServiceAccept));
        Assert.That(t.ServerSignatureAlgorithms, Does.Contain("rsa-sha2-512"), "EXT_INFO server-sig-algs was read");
        Assert.That(t.KeyExchangeCount, Is.EqualTo(1));
    }

    public static IEnumerable<TestCaseData> Matrix()
    {
        // OpenSSH 9.2 implements every method here except mlkem768x25519-sha256 and the un-suffixed sntrup name (9.9).
        string[] kexes =
        [
            "sntrup761x25519-sha512@openssh.com", "curve25519-sha256", "curve25519-sha256@libssh.org",
            "ecdh-sha2-nistp256", "ecdh-sha2-nistp384", "ecdh-sha2-nistp521",
            "diffie-hellman-group-exchange-sha256", "diffie-hellman-group16-sha512", "diffie-hellman-group18-sha512",
            "diffie-hellman-group14-sha256",
        ];
        string[] hostKeys = ["ssh-ed25519", "ecdsa-sha2-nistp256", "rsa-sha2-512", "rsa-sha2-256"];
        (string Cipher, string? Mac)[] ciphers =
        [
            ("aes128-gcm@openssh.com", null), ("aes256-gcm@openssh.com", null), ("chacha20-poly1305@openssh.com", null),
            ("aes128-ctr", "hmac-sha2-256-etm@openssh.com"), ("aes192-ctr", "hmac-sha2-512-etm@openssh.com"),
            ("aes256-ctr", "hmac-sha2-256"), ("aes256-ctr", "hmac-sha2-512"),
        ];

        // Every KEX method with every host key type, and every cipher with every host key type; a full cross
        // product (280 cases) would repeat the same code paths at ~1 s each.
        int i = 0;
        foreach (string kex in kexes)
        {
            foreach (string hk in hostKeys)
            {
                var (c, m) = ciphers[i++ % ciphers.Length];
                yield return new TestCaseData(kex, hk, c, m).SetName($"KexAndRekey({kex},{hk},{c},{m ?? "implicit"})");
            }
        }

        foreach (var (c, m) in ciphers)
        {
            foreach (string hk in hostKeys)
            {
                yield return new TestCaseData("curve25519-sha256", hk, c, m).SetName($"KexAndRekey(cipher {c},{m ?? "implicit"},{hk})");
            }
        }
    }

    [TestCaseSource(nameof(Matrix))]
    public async Task KexAndRekey(string kex, string hostKey, string cipher, string? mac)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var settings = Settings(_sshd);
        settings.KeyExchangeAlgorithms = [kex];
        settings.HostKeyAlgorithms = [hostKey];
        settings.Ciphers = [cipher];
        settings.Macs = mac is null ? [.. CipherRegistry.DefaultMacs] : [mac];
        await using var t = await SshTransport.ConnectAsync(settings, SshTransport.DefaultConnectTimeout, cts.Token);
        Assert.That(t.Algorithms!.KeyExchange, Is.EqualTo(kex));
        Assert.That(t.Algorithms.ServerHostKey, Is.EqualTo(hostKey));
        Assert.That(t.Algorithms.EncryptionClientToServer, Is.EqualTo(cipher));
        Assert.That(t.Algorithms.MacClientToServer, Is.EqualTo(mac));
        Assert.That(t.HostKey!.KeyType, Is.EqualTo(HostKeyAlgorithmRegistry.KeyTypeFor(hostKey)));
        // OpenSSH refuses to re-key before authentication, so log in first (this also proves the session id).
        await AuthenticateAsync(t, cts.Token);

        byte[] sessionId = t.SessionId;
        await t.RekeyAsync(cts.Token);
        Assert.That(t.KeyExchangeCount, Is.EqualTo(2));
        Assert.That(t.SessionId, Is.EqualTo(sessionId), "the session id stays the first exchange hash (RFC 4253 §7.2)");
        Assert.That(await GlobalRequestRoundTripAsync(t, cts.Token), Is.EqualTo(MessageNumbers.RequestFailure));
        Assert.That(t.Failure, Is.Null);
    }

    [Test]
    public async Task Rekey_BeforeAuthentication_FailsClearlyInsteadOfHanging()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var t = await SshTransport.ConnectAsync(Settings(_sshd), SshTransport.DefaultConnectTimeout, cts.Token);
        Assert.That(await RoundTripAsync(t, serviceRequested: false, cts.Token), Is.EqualTo(MessageNumbers.ServiceAccept));
        var ex = Assert.ThrowsAsync<SshConnectionException>(async () => await t.RekeyAsync(cts.Token));
        Assert.That(ex!.Message, Does.Contain("UNIMPLEMENTED"));
        Assert.That(t.Failure, Is.Not.Null);
    }

    [Test]
    public async Task Connect_UnknownHostKey_IsRefusedWithFingerprint()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var verifier = new PinnedHostKeyVerifier([]);
        var ex = Assert.ThrowsAsync<HostKeyVerificationException>(async () =>
            await SshTransport.ConnectAsync(Settings(_sshd, verifier), SshTransport.DefaultConnectTimeout, cts.Token));
        Assert.That(ex!.Fingerprint, Does.StartWith("SHA256:"));
        Assert.That(verifier.Seen, Has.Count.EqualTo(1));
    }

    [Test]
    public void Settings_UnknownAlgorithmName_FailsBeforeConnecting()
    {
        var settings = Settings(_sshd);
        settings.Ciphers = ["aes128-cbc"];
        Assert.ThrowsAsync<ArgumentException>(async () => await SshTransport.ConnectAsync(settings, SshTransport.DefaultConnectTimeout, CancellationToken.None));
        Assert.That(KexRegistry.IsSupported("diffie-hellman-group14-sha1"), Is.False, "SHA-1 key exchange is not offered");
    }
}
