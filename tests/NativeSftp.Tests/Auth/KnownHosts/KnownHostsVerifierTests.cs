using NativeSftp.Auth.KnownHosts;
using NativeSftp.Crypto;

namespace NativeSftp.Tests.Auth.KnownHosts;

/// <summary>Strict and accept-new policies, what they write, and the messages they refuse with.</summary>
[TestFixture]
public class KnownHostsVerifierTests
{
    private KnownHostsTestFolder _folder = null!;
    private SshPublicKey _key = null!;
    private SshPublicKey _other = null!;
    private SshPublicKey _caKey = null!;
    private SshPublicKey _untrustedCert = null!;

    [OneTimeSetUp]
    public void MakeKeys()
    {
        _folder = new KnownHostsTestFolder();
        string key = _folder.Generate("key", "ed25519");
        _key = KnownHostsTestFolder.PublicKey(key);
        _other = KnownHostsTestFolder.PublicKey(_folder.Generate("other", "ed25519"));
        string ca = _folder.Generate("ca", "ed25519");
        _caKey = KnownHostsTestFolder.PublicKey(ca);
        _untrustedCert = _folder.Certify(ca, key, "-h", "-I", "h", "-n", "new.example.org", "-V", "20300101000000Z:20300102000000Z");
    }

    [OneTimeTearDown]
    public void Delete() => _folder.Dispose();

    private string NewPath(string name = "known_hosts") =>
        Path.Combine(_folder.Path, "u-" + Guid.NewGuid().ToString("N")[..8], ".ssh", name);

    private string Write(params string[] lines) => _folder.WriteFile("kh-" + Guid.NewGuid().ToString("N")[..8], lines);

    [Test]
    public void Strict_TrustedKey_Passes()
    {
        string file = Write("host.example.org " + _key.ToOpenSshString());
        var verifier = new KnownHostsVerifier([file]);

        Assert.DoesNotThrowAsync(async () => await verifier.VerifyAsync("host.example.org", 22, _key, CancellationToken.None));
    }

    [Test]
    public void Strict_UnknownHost_IsRefused_WithFingerprintAndWhatToDo()
    {
        string file = Write("elsewhere.example.org " + _key.ToOpenSshString());
        var verifier = new KnownHostsVerifier([file]);

        var e = Assert.ThrowsAsync<HostKeyVerificationException>(async () => await verifier.VerifyAsync("new.example.org", 2222, _key, CancellationToken.None));

        Assert.Multiple(() =>
        {
            Assert.That(e!.Host, Is.EqualTo("new.example.org"));
            Assert.That(e.Port, Is.EqualTo(2222));
            Assert.That(e.KeyType, Is.EqualTo("ssh-ed25519"));
            Assert.That(e.Fingerprint, Is.EqualTo(_key.Sha256Fingerprint));
            Assert.That(e.KnownHostsFile, Is.Null);
            Assert.That(e.Message, Does.Contain("new.example.org port 2222").And.Contain(_key.Sha256Fingerprint)
                .And.Contain("ssh-keyscan -p 2222 -t ed25519 new.example.org").And.Contain("accept-new").And.Contain(file));
            Assert.That(File.ReadAllText(file), Does.Not.Contain("new.example.org"), "strict never writes");
        });
    }

    [Test]
    public void Strict_ChangedKey_IsRefused_NamingFileLineAndBothFingerprints()
    {
        string file = Write("# header", "host.example.org " + _other.ToOpenSshString());
        var verifier = new KnownHostsVerifier([file]);

        var e = Assert.ThrowsAsync<HostKeyVerificationException>(async () => await verifier.VerifyAsync("host.example.org", 22, _key, CancellationToken.None));

        Assert.Multiple(() =>
        {
            Assert.That(e!.KnownHostsFile, Is.EqualTo(file));
            Assert.That(e.KnownHostsLine, Is.EqualTo(2));
            Assert.That(e.Fingerprint, Is.EqualTo(_key.Sha256Fingerprint));
            Assert.That(e.ExpectedFingerprint, Is.EqualTo(_other.Sha256Fingerprint));
            Assert.That(e.Message, Does.Contain("CHANGED").And.Contain(file + ":2").And.Contain(_key.Sha256Fingerprint)
                .And.Contain(_other.Sha256Fingerprint).And.Contain("ssh-keygen -R 'host.example.org' -f " + file));
        });
    }

    [Test]
    public void Strict_RevokedKey_IsRefused_NamingTheRevokedLine()
    {
        string file = Write("host.example.org " + _key.ToOpenSshString(), "@revoked * " + _key.ToOpenSshString());
        var verifier = new KnownHostsVerifier([file]);

        var e = Assert.ThrowsAsync<HostKeyVerificationException>(async () => await verifier.VerifyAsync("host.example.org", 22, _key, CancellationToken.None));

        Assert.Multiple(() =>
        {
            Assert.That(e!.KnownHostsLine, Is.EqualTo(2));
            Assert.That(e.Message, Does.Contain("REVOKED").And.Contain(file + ":2"));
        });
    }

    [TestCase(false, 22)]
    [TestCase(true, 22)]
    [TestCase(false, 2222)]
    [TestCase(true, 2222)]
    public async Task AcceptNew_UnknownHost_WritesALineSshKeygenFinds_ThenTrustsIt(bool hashed, int port)
    {
        string file = NewPath();
        var verifier = new KnownHostsVerifier([file], HostKeyPolicy.AcceptNew, hashNewEntries: hashed);

        await verifier.VerifyAsync("New.Example.org", port, _key, CancellationToken.None);
        await verifier.VerifyAsync("new.example.org", port, _key, CancellationToken.None);

        string[] lines = File.ReadAllLines(file);
        string lookupName = port == 22 ? "new.example.org" : $"[new.example.org]:{port}";
        Assert.Multiple(() =>
        {
            Assert.That(lines, Has.Length.EqualTo(1), "the second connect finds the line and adds nothing");
            Assert.That(lines[0], hashed ? Does.StartWith("|1|") : Does.StartWith(lookupName + " "));
            Assert.That(lines[0], Does.EndWith(_key.ToOpenSshString()));
            Assert.That(KnownHostsTestFolder.SshKeygenFoundLines(file, lookupName), Is.EqualTo(new[] { 1 }), "ssh-keygen -F finds it");
        });
    }

    [Test]
    public async Task AcceptNew_CreatesFolderAndFile_PrivateToTheUser()
    {
        string file = NewPath();
        var verifier = new KnownHostsVerifier([file], HostKeyPolicy.AcceptNew);

        await verifier.VerifyAsync("new.example.org", 22, _key, CancellationToken.None);

        if (OperatingSystem.IsWindows())
        {
            Assert.That(File.Exists(file), Is.True);
        }
        else
        {
            var fileMode = File.GetUnixFileMode(file);
            var folderMode = File.GetUnixFileMode(Path.GetDirectoryName(file)!);
            Assert.Multiple(() =>
            {
                Assert.That(fileMode, Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
                Assert.That(folderMode, Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute));
            });
        }
    }

    [Test]
    public async Task AcceptNew_FileWithoutFinalNewline_GetsOneBeforeTheNewLine()
    {
        string file = _folder.File("no-newline-" + Guid.NewGuid().ToString("N")[..8]);
        File.WriteAllText(file, "old.example.org " + _other.ToOpenSshString());
        var verifier = new KnownHostsVerifier([file], HostKeyPolicy.AcceptNew);

        await verifier.VerifyAsync("new.example.org", 22, _key, CancellationToken.None);

        var oldStill = KnownHostsFile.Lookup([file], "old.example.org", 22, _other, DateTimeOffset.UtcNow);
        Assert.Multiple(() =>
        {
            Assert.That(File.ReadAllLines(file), Has.Length.EqualTo(2));
            Assert.That(oldStill.Status, Is.EqualTo(KnownHostsStatus.Trusted), "the old last line was not damaged");
        });
    }

    [Test]
    public async Task AcceptNew_ChangedKey_IsStillRefused_AndNothingIsWritten()
    {
        string file = NewPath();
        var verifier = new KnownHostsVerifier([file], HostKeyPolicy.AcceptNew);
        await verifier.VerifyAsync("host.example.org", 22, _other, CancellationToken.None);
        string before = File.ReadAllText(file);

        var e = Assert.ThrowsAsync<HostKeyVerificationException>(async () => await verifier.VerifyAsync("host.example.org", 22, _key, CancellationToken.None));

        Assert.Multiple(() =>
        {
            Assert.That(e!.ExpectedFingerprint, Is.EqualTo(_other.Sha256Fingerprint));
            Assert.That(e.KnownHostsLine, Is.EqualTo(1));
            Assert.That(File.ReadAllText(file), Is.EqualTo(before));
        });
    }

    [Test]
    public void AcceptNew_RevokedKey_IsStillRefused()
    {
        string global = Write("@revoked * " + _key.ToOpenSshString());
        string user = NewPath();
        var verifier = new KnownHostsVerifier([user, global], HostKeyPolicy.AcceptNew);

        Assert.ThrowsAsync<HostKeyVerificationException>(async () => await verifier.VerifyAsync("new.example.org", 22, _key, CancellationToken.None));
        Assert.That(File.Exists(user), Is.False);
    }

    [Test]
    public async Task AcceptNew_CertificateFromUnlistedCa_RecordsTheCertifiedPlainKey()
    {
        string file = NewPath();
        var verifier = new KnownHostsVerifier([file], HostKeyPolicy.AcceptNew);

        await verifier.VerifyAsync("new.example.org", 22, _untrustedCert, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(File.ReadAllText(file).Trim(), Is.EqualTo("new.example.org " + _key.ToOpenSshString()));
            Assert.That(KnownHostsFile.Lookup([file], "new.example.org", 22, _key, DateTimeOffset.UtcNow).Status, Is.EqualTo(KnownHostsStatus.Trusted));
        });
    }

    [Test]
    public void AcceptNew_FileThatCannotBeWritten_RefusesTheKey()
    {
        // A folder where the file should be: the append fails, and a key we cannot remember is not trusted.
        string file = NewPath();
        Directory.CreateDirectory(file);
        var verifier = new KnownHostsVerifier([file], HostKeyPolicy.AcceptNew);

        var e = Assert.ThrowsAsync<HostKeyVerificationException>(async () => await verifier.VerifyAsync("new.example.org", 22, _key, CancellationToken.None));

        Assert.That(e!.Message, Does.Contain("could not be recorded").And.Contain(file));
    }

    [Test]
    public void Verifier_ReusedAcrossConnections_ReadsAnUnchangedFileOnce_AndReReadsAChangedOne()
    {
        string file = Write("host.example.org " + _key.ToOpenSshString());
        var verifier = new KnownHostsVerifier([file]);
        Assert.DoesNotThrowAsync(async () => await verifier.VerifyAsync("host.example.org", 22, _key, CancellationToken.None));
        long readsAfterFirst = KnownHostsCacheReads();

        for (int i = 0; i < 5; i++)
        {
            Assert.DoesNotThrowAsync(async () => await verifier.VerifyAsync("host.example.org", 22, _key, CancellationToken.None));
        }

        long readsAfterRepeats = KnownHostsCacheReads();
        File.WriteAllText(file, "host.example.org " + _other.ToOpenSshString() + "\n");
        var e = Assert.ThrowsAsync<HostKeyVerificationException>(async () => await verifier.VerifyAsync("host.example.org", 22, _key, CancellationToken.None));

        Assert.Multiple(() =>
        {
            Assert.That(readsAfterRepeats, Is.EqualTo(readsAfterFirst), "unchanged file not read again");
            Assert.That(e!.ExpectedFingerprint, Is.EqualTo(_other.Sha256Fingerprint), "the edit was seen");
        });
    }

    [Test]
    public void Constructor_WithNoFiles_Throws() =>
        Assert.Throws<ArgumentException>(() => _ = new KnownHostsVerifier([]));

    [Test]
    public void Verify_Cancelled_ThrowsBeforeLookingUp()
    {
        var verifier = new KnownHostsVerifier([Write("host.example.org " + _key.ToOpenSshString())]);
        using var cts = new CancellationTokenSource();
        cts.Cancel();

        Assert.ThrowsAsync<OperationCanceledException>(async () => await verifier.VerifyAsync("host.example.org", 22, _key, cts.Token));
    }

    private static long KnownHostsCacheReads() => NativeSftp.Auth.KnownHosts.KnownHostsCache.Reads;
}
