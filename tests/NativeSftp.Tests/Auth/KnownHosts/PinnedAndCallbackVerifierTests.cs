using NativeSftp.Auth.KnownHosts;
using NativeSftp.Crypto;

namespace NativeSftp.Tests.Auth.KnownHosts;

/// <summary><see cref="FingerprintVerifier"/> and <see cref="CallbackHostKeyVerifier"/>.</summary>
[TestFixture]
public class PinnedAndCallbackVerifierTests
{
    private KnownHostsTestFolder _folder = null!;
    private string _keyPath = null!;
    private SshPublicKey _key = null!;
    private SshPublicKey _other = null!;
    private SshPublicKey _cert = null!;

    [OneTimeSetUp]
    public void MakeKeys()
    {
        _folder = new KnownHostsTestFolder();
        _keyPath = _folder.Generate("key", "ed25519");
        _key = KnownHostsTestFolder.PublicKey(_keyPath);
        _other = KnownHostsTestFolder.PublicKey(_folder.Generate("other", "ed25519"));
        string ca = _folder.Generate("ca", "ed25519");
        _cert = _folder.Certify(ca, _keyPath, "-h", "-I", "h", "-n", "host.example.org");
    }

    [OneTimeTearDown]
    public void Delete() => _folder.Dispose();

    /// <summary>The fingerprint exactly as ssh-keygen prints it, so pins copied from its output work.</summary>
    private string SshKeygenFingerprint(string publicKeyPath) =>
        KnownHostsTestFolder.RunSshKeygen(["-l", "-E", "sha256", "-f", publicKeyPath], allowNoMatch: false).Split(' ')[1];

    [Test]
    public void Fingerprint_PinnedFromSshKeygenOutput_IsAccepted()
    {
        var verifier = new FingerprintVerifier(SshKeygenFingerprint(_keyPath + ".pub"));

        Assert.DoesNotThrowAsync(async () => await verifier.VerifyAsync("host.example.org", 22, _key, CancellationToken.None));
    }

    [Test]
    public void Fingerprint_OneOfSeveralPins_IsAccepted()
    {
        var verifier = new FingerprintVerifier(_other.Sha256Fingerprint, _key.Sha256Fingerprint);

        Assert.DoesNotThrowAsync(async () => await verifier.VerifyAsync("host.example.org", 22, _key, CancellationToken.None));
    }

    [Test]
    public void Fingerprint_Certificate_IsAcceptedByThePinOfItsCertifiedKey()
    {
        var verifier = new FingerprintVerifier(_key.Sha256Fingerprint);

        Assert.DoesNotThrowAsync(async () => await verifier.VerifyAsync("host.example.org", 22, _cert, CancellationToken.None));
    }

    [Test]
    public void Fingerprint_OtherKey_IsRefused_NamingBothFingerprints()
    {
        var verifier = new FingerprintVerifier(_key.Sha256Fingerprint);

        var e = Assert.ThrowsAsync<HostKeyVerificationException>(async () => await verifier.VerifyAsync("host.example.org", 2200, _other, CancellationToken.None));

        Assert.Multiple(() =>
        {
            Assert.That(e!.Fingerprint, Is.EqualTo(_other.Sha256Fingerprint));
            Assert.That(e.ExpectedFingerprint, Is.EqualTo(_key.Sha256Fingerprint));
            Assert.That(e.Port, Is.EqualTo(2200));
            Assert.That(e.Message, Does.Contain(_other.Sha256Fingerprint).And.Contain(_key.Sha256Fingerprint).And.Contain("not the pinned"));
        });
    }

    [TestCase("MD5:16:27:ac:a5:76:28:2d:36:63:1b:56:4d:eb:df:a6:48")]
    [TestCase("SHA256:tooShort")]
    [TestCase("sha256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU")]
    [TestCase("")]
    public void Fingerprint_NotASha256Fingerprint_IsRejectedAtConstruction(string pin) =>
        Assert.Throws<ArgumentException>(() => _ = new FingerprintVerifier(pin));

    [Test]
    public void Fingerprint_NoPins_IsRejectedAtConstruction() =>
        Assert.Throws<ArgumentException>(() => _ = new FingerprintVerifier(Array.Empty<string>()));

    [Test]
    public async Task Callback_SeesHostPortKeyAndTheKnownHostsVerdict()
    {
        string file = _folder.WriteFile("kh-cb", ["host.example.org " + _other.ToOpenSshString()]);
        HostKeyCheck? seen = null;
        var verifier = new CallbackHostKeyVerifier((check, _) =>
        {
            seen = check;
            return ValueTask.FromResult(true);
        }, [file]);

        await verifier.VerifyAsync("host.example.org", 22, _key, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(seen, Is.Not.Null);
            Assert.That(seen!.Host, Is.EqualTo("host.example.org"));
            Assert.That(seen.Port, Is.EqualTo(22));
            Assert.That(seen.Key, Is.EqualTo(_key));
            Assert.That(seen.Fingerprint, Is.EqualTo(_key.Sha256Fingerprint));
            Assert.That(seen.KnownHosts.Status, Is.EqualTo(KnownHostsStatus.Changed), "accepting was the callback's call, made knowing the key changed");
            Assert.That(seen.KnownHosts.DecidingEntry!.LineNumber, Is.EqualTo(1));
        });
    }

    [Test]
    public void Callback_ReturningFalse_Refuses_WithTheVerdictInTheMessage()
    {
        string file = _folder.WriteFile("kh-cb2", ["host.example.org " + _other.ToOpenSshString()]);
        var verifier = new CallbackHostKeyVerifier((_, _) => ValueTask.FromResult(false), [file]);

        var e = Assert.ThrowsAsync<HostKeyVerificationException>(async () => await verifier.VerifyAsync("host.example.org", 22, _key, CancellationToken.None));

        Assert.Multiple(() =>
        {
            Assert.That(e!.Fingerprint, Is.EqualTo(_key.Sha256Fingerprint));
            Assert.That(e.ExpectedFingerprint, Is.EqualTo(_other.Sha256Fingerprint));
            Assert.That(e.KnownHostsFile, Is.EqualTo(file));
            Assert.That(e.KnownHostsLine, Is.EqualTo(1));
            Assert.That(e.Message, Does.Contain("refused by the application").And.Contain("Changed"));
        });
    }

    [Test]
    public void Callback_Throwing_PassesItsExceptionThrough()
    {
        var verifier = new CallbackHostKeyVerifier((_, _) => throw new InvalidOperationException("user closed the prompt"), [_folder.File("none")]);

        var e = Assert.ThrowsAsync<InvalidOperationException>(async () => await verifier.VerifyAsync("host.example.org", 22, _key, CancellationToken.None));

        Assert.That(e!.Message, Is.EqualTo("user closed the prompt"));
    }

    [Test]
    public void Callback_GetsTheCancellationToken()
    {
        using var cts = new CancellationTokenSource();
        var verifier = new CallbackHostKeyVerifier(async (_, ct) =>
        {
            await cts.CancelAsync();
            ct.ThrowIfCancellationRequested();
            return true;
        }, [_folder.File("none")]);

        Assert.ThrowsAsync<OperationCanceledException>(async () => await verifier.VerifyAsync("host.example.org", 22, _key, cts.Token));
    }
}
