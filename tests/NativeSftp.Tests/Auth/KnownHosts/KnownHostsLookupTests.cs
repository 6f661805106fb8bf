using NativeSftp.Auth.KnownHosts;
using NativeSftp.Crypto;

namespace NativeSftp.Tests.Auth.KnownHosts;

/// <summary>Trusted / Changed / Unknown / Revoked / InvalidCertificate for plain keys and ssh-keygen-made host certificates.</summary>
[TestFixture]
public class KnownHostsLookupTests
{
    // The certificates below are valid 2030-01-01T00:00Z to 2030-01-02T00:00Z (ssh-keygen -V with fixed dates).
    private const string Validity = "20300101000000Z:20300102000000Z";
    private static readonly DateTimeOffset InsideValidity = new(2030, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset AfterValidity = new(2030, 1, 3, 0, 0, 0, TimeSpan.Zero);

    private KnownHostsTestFolder _folder = null!;
    private SshPublicKey _hostEd = null!;
    private SshPublicKey _hostEcdsa = null!;
    private SshPublicKey _other = null!;
    private SshPublicKey _caKey = null!;
    private SshPublicKey _otherCaKey = null!;
    private SshPublicKey _hostCert = null!;
    private SshPublicKey _otherPrincipalCert = null!;
    private SshPublicKey _userCert = null!;
    private SshPublicKey _untrustedCaCert = null!;
    private SshPublicKey _certOfEcdsa = null!;

    [OneTimeSetUp]
    public void MakeKeys()
    {
        _folder = new KnownHostsTestFolder();
        string hostEd = _folder.Generate("host-ed", "ed25519");
        string hostEcdsa = _folder.Generate("host-ecdsa", "ecdsa", 384);
        string other = _folder.Generate("other", "ed25519");
        string ca = _folder.Generate("ca", "ed25519");
        string otherCa = _folder.Generate("other-ca", "ecdsa", 256);
        _hostEd = KnownHostsTestFolder.PublicKey(hostEd);
        _hostEcdsa = KnownHostsTestFolder.PublicKey(hostEcdsa);
        _other = KnownHostsTestFolder.PublicKey(other);
        _caKey = KnownHostsTestFolder.PublicKey(ca);
        _otherCaKey = KnownHostsTestFolder.PublicKey(otherCa);

        // Each Certify overwrites <key>-cert.pub, so each certificate is read before the next is made.
        _hostCert = _folder.Certify(ca, hostEd, "-h", "-I", "host1", "-n", "host1.example.org,host1", "-V", Validity);
        _otherPrincipalCert = _folder.Certify(ca, hostEd, "-h", "-I", "host2", "-n", "host2.example.org", "-V", Validity);
        _userCert = _folder.Certify(ca, hostEd, "-I", "user", "-n", "host1.example.org", "-V", Validity);
        _untrustedCaCert = _folder.Certify(otherCa, hostEd, "-h", "-I", "host1", "-n", "host1.example.org", "-V", Validity);
        _certOfEcdsa = _folder.Certify(ca, hostEcdsa, "-h", "-I", "host1-ecdsa", "-n", "host1.example.org", "-V", Validity);
    }

    [OneTimeTearDown]
    public void Delete() => _folder.Dispose();

    private string Write(params string[] lines) => _folder.WriteFile("kh-" + Guid.NewGuid().ToString("N")[..8], lines);

    private static KnownHostsLookupResult Lookup(string file, string host, SshPublicKey key, int port = 22, DateTimeOffset? now = null) =>
        KnownHostsFile.Lookup([file], host, port, key, now ?? InsideValidity);

    [Test]
    public void PlainKeyOnItsLine_IsTrusted()
    {
        string file = Write("# keys", "host1.example.org " + _other.ToOpenSshString(), "host1.example.org " + _hostEd.ToOpenSshString());

        var r = Lookup(file, "HOST1.example.org", _hostEd);

        Assert.Multiple(() =>
        {
            Assert.That(r.Status, Is.EqualTo(KnownHostsStatus.Trusted), "several keys per host: any one matching trusts");
            Assert.That(r.DecidingEntry!.LineNumber, Is.EqualTo(3));
            Assert.That(r.HostEntries, Has.Count.EqualTo(2));
        });
    }

    [Test]
    public void HostWithOtherKeysOnly_IsChanged_AndNamesTheFirstSuchLine()
    {
        string file = Write("elsewhere " + _hostEd.ToOpenSshString(), "host1.example.org " + _other.ToOpenSshString(), "host1.example.org " + _hostEcdsa.ToOpenSshString());

        var r = Lookup(file, "host1.example.org", _hostEd);

        Assert.Multiple(() =>
        {
            Assert.That(r.Status, Is.EqualTo(KnownHostsStatus.Changed));
            Assert.That(r.DecidingEntry!.LineNumber, Is.EqualTo(2));
            Assert.That(r.DecidingEntry.Key, Is.EqualTo(_other));
        });
    }

    [Test]
    public void HostWithOnlyAnUnknownKeyType_IsKnownByAnotherType_NotUnknown()
    {
        string unknownType = "ssh-foo " + Convert.ToBase64String([0, 0, 0, 7, .. "ssh-foo"u8, 0, 0, 0, 1, 42]);
        string file = Write("host1.example.org " + unknownType);

        var r = Lookup(file, "host1.example.org", _hostEd);

        Assert.That(r.Status, Is.EqualTo(KnownHostsStatus.OtherKeyTypeKnown), "an unusable line still says the host has a known key (so accept-new does not apply)");
    }

    /// <summary>OpenSSH's check_key_in_hostkeys: only a line of the presented key's type can show it changed.</summary>
    [Test]
    public void HostKnownByAnotherKeyType_IsNotChanged_ButKnownByAnotherType()
    {
        string file = Write("host1.example.org " + _hostEcdsa.ToOpenSshString());

        var r = Lookup(file, "host1.example.org", _hostEd);

        Assert.That(r.Status, Is.EqualTo(KnownHostsStatus.OtherKeyTypeKnown));
        Assert.That(r.DecidingEntry!.Key, Is.EqualTo(_hostEcdsa));
    }

    [Test]
    public void SameTypeDiffers_AmongOtherTypes_IsChanged_NamingTheSameTypeLine()
    {
        string file = Write("host1.example.org " + _hostEcdsa.ToOpenSshString(), "host1.example.org " + _other.ToOpenSshString());

        var r = Lookup(file, "host1.example.org", _hostEd);

        Assert.That(r.Status, Is.EqualTo(KnownHostsStatus.Changed));
        Assert.That(r.DecidingEntry!.Key, Is.EqualTo(_other), "the ed25519 line that differs, not the ecdsa one before it");
    }

    [Test]
    public void HostNotListed_IsUnknown()
    {
        string file = Write("host2.example.org " + _hostEd.ToOpenSshString(), "[host1.example.org]:2222 " + _hostEd.ToOpenSshString());

        var r = Lookup(file, "host1.example.org", _hostEd);

        Assert.Multiple(() =>
        {
            Assert.That(r.Status, Is.EqualTo(KnownHostsStatus.Unknown));
            Assert.That(r.DecidingEntry, Is.Null);
            Assert.That(Lookup(file, "host1.example.org", _hostEd, port: 2222).Status, Is.EqualTo(KnownHostsStatus.Trusted));
        });
    }

    [Test]
    public void MissingFile_IsUnknown()
    {
        var r = Lookup(_folder.File("does-not-exist"), "host1.example.org", _hostEd);

        Assert.That(r.Status, Is.EqualTo(KnownHostsStatus.Unknown));
    }

    [Test]
    public void KeyInTheSecondFile_IsTrusted_WithThatFileNamed()
    {
        string user = Write("other.example.org " + _other.ToOpenSshString());
        string global = Write("host1.example.org " + _hostEd.ToOpenSshString());

        var r = KnownHostsFile.Lookup([user, global], "host1.example.org", 22, _hostEd, InsideValidity);

        Assert.Multiple(() =>
        {
            Assert.That(r.Status, Is.EqualTo(KnownHostsStatus.Trusted));
            Assert.That(r.DecidingEntry!.File, Is.EqualTo(global));
        });
    }

    [Test]
    public void RevokedPlainKey_IsRevoked_EvenWithATrustingLine_AndWhateverItsHostField()
    {
        string file = Write("host1.example.org " + _hostEd.ToOpenSshString(), "@revoked some-other-host " + _hostEd.ToOpenSshString());

        var r = Lookup(file, "host1.example.org", _hostEd);

        Assert.Multiple(() =>
        {
            Assert.That(r.Status, Is.EqualTo(KnownHostsStatus.Revoked));
            Assert.That(r.DecidingEntry!.LineNumber, Is.EqualTo(2));
        });
    }

    [Test]
    public void HostCertificate_FromTrustedCa_ForThisHost_IsTrusted()
    {
        string file = Write("@cert-authority *.example.org " + _caKey.ToOpenSshString());

        var r = Lookup(file, "host1.example.org", _hostCert);

        Assert.Multiple(() =>
        {
            Assert.That(r.Status, Is.EqualTo(KnownHostsStatus.Trusted), r.Reason);
            Assert.That(r.DecidingEntry!.Marker, Is.EqualTo(KnownHostsMarker.CertAuthority));
            Assert.That(Lookup(file, "host1.example.org", _certOfEcdsa).Status, Is.EqualTo(KnownHostsStatus.Trusted), "an ECDSA host certified by the same CA");
        });
    }

    [Test]
    public void HostCertificate_Expired_IsInvalidCertificate()
    {
        string file = Write("@cert-authority *.example.org " + _caKey.ToOpenSshString());

        var r = Lookup(file, "host1.example.org", _hostCert, now: AfterValidity);

        Assert.Multiple(() =>
        {
            Assert.That(r.Status, Is.EqualTo(KnownHostsStatus.InvalidCertificate));
            Assert.That(r.Reason, Does.Contain("not valid at 2030-01-03"));
            Assert.That(r.DecidingEntry!.LineNumber, Is.EqualTo(1));
        });
    }

    [Test]
    public void HostCertificate_ForAnotherPrincipal_IsInvalidCertificate()
    {
        string file = Write("@cert-authority *.example.org " + _caKey.ToOpenSshString());

        var r = Lookup(file, "host1.example.org", _otherPrincipalCert);

        Assert.Multiple(() =>
        {
            Assert.That(r.Status, Is.EqualTo(KnownHostsStatus.InvalidCertificate));
            Assert.That(r.Reason, Does.Contain("host2.example.org").And.Contain("host1.example.org"));
        });
    }

    [Test]
    public void UserCertificate_PresentedAsHostKey_IsInvalidCertificate()
    {
        string file = Write("@cert-authority *.example.org " + _caKey.ToOpenSshString());

        var r = Lookup(file, "host1.example.org", _userCert);

        Assert.Multiple(() =>
        {
            Assert.That(r.Status, Is.EqualTo(KnownHostsStatus.InvalidCertificate));
            Assert.That(r.Reason, Does.Contain("user certificate"));
        });
    }

    [Test]
    public void HostCertificate_WhoseCaIsListedForOtherHostsOnly_FallsBackToThePlainKey()
    {
        string file = Write("@cert-authority *.example.com " + _caKey.ToOpenSshString());

        var unknown = Lookup(file, "host1.example.org", _hostCert);
        string withPlain = Write("@cert-authority *.example.com " + _caKey.ToOpenSshString(), "host1.example.org " + _hostEd.ToOpenSshString());
        var trusted = Lookup(withPlain, "host1.example.org", _hostCert);

        Assert.Multiple(() =>
        {
            Assert.That(unknown.Status, Is.EqualTo(KnownHostsStatus.Unknown));
            Assert.That(unknown.Reason, Does.Contain("no @cert-authority line"));
            Assert.That(trusted.Status, Is.EqualTo(KnownHostsStatus.Trusted));
            Assert.That(trusted.DecidingEntry!.LineNumber, Is.EqualTo(2));
        });
    }

    [Test]
    public void HostCertificate_FromAnUntrustedCa_IsNotTrusted_AndAKnownOtherKeyMakesItChanged()
    {
        string file = Write("@cert-authority *.example.org " + _caKey.ToOpenSshString(), "host1.example.org " + _other.ToOpenSshString());

        var r = Lookup(file, "host1.example.org", _untrustedCaCert);

        Assert.That(r.Status, Is.EqualTo(KnownHostsStatus.Changed));
    }

    [Test]
    public void HostCertificate_WithRevokedCa_IsRevoked()
    {
        string file = Write("@cert-authority *.example.org " + _caKey.ToOpenSshString(), "@revoked * " + _caKey.ToOpenSshString());

        Assert.That(Lookup(file, "host1.example.org", _hostCert).Status, Is.EqualTo(KnownHostsStatus.Revoked));
    }

    [Test]
    public void HostCertificate_WithRevokedCertifiedKey_IsRevoked()
    {
        string file = Write("@cert-authority *.example.org " + _caKey.ToOpenSshString(), "@revoked unrelated.example.net " + _hostEd.ToOpenSshString());

        var r = Lookup(file, "host1.example.org", _hostCert);

        Assert.Multiple(() =>
        {
            Assert.That(r.Status, Is.EqualTo(KnownHostsStatus.Revoked));
            Assert.That(r.DecidingEntry!.LineNumber, Is.EqualTo(2));
        });
    }

    [Test]
    public void HostCertificate_ItselfRevoked_IsRevoked()
    {
        string file = Write("@cert-authority *.example.org " + _caKey.ToOpenSshString(), "@revoked * " + _hostCert.ToOpenSshString());

        Assert.That(Lookup(file, "host1.example.org", _hostCert).Status, Is.EqualTo(KnownHostsStatus.Revoked));
    }

    [Test]
    public void CaLine_DoesNotTrustThePlainCaKeyAsAHostKey()
    {
        // A CA line is not a host key line: the CA's own key presented as a host key is unknown, not trusted.
        string file = Write("@cert-authority host1.example.org " + _caKey.ToOpenSshString());

        Assert.That(Lookup(file, "host1.example.org", _caKey).Status, Is.EqualTo(KnownHostsStatus.Unknown));
    }

    [Test]
    public void CertificateFromCaLine_ForAnotherPort_IsNotTrusted()
    {
        string file = Write("@cert-authority [host1.example.org]:2222 " + _caKey.ToOpenSshString());

        Assert.Multiple(() =>
        {
            Assert.That(Lookup(file, "host1.example.org", _hostCert, port: 2222).Status, Is.EqualTo(KnownHostsStatus.Trusted));
            Assert.That(Lookup(file, "host1.example.org", _hostCert).Status, Is.EqualTo(KnownHostsStatus.Unknown));
        });
    }

    [Test]
    public void HashedLine_WrittenByFormatLine_MatchesOnlyItsHostAndPort()
    {
        string file = Write(KnownHostsFile.FormatLine("Host1.Example.org", 2222, _hostEd, hashed: true));

        Assert.Multiple(() =>
        {
            Assert.That(File.ReadAllText(file), Does.StartWith("|1|"));
            Assert.That(Lookup(file, "host1.example.org", _hostEd, port: 2222).Status, Is.EqualTo(KnownHostsStatus.Trusted));
            Assert.That(Lookup(file, "host1.example.org", _hostEd).Status, Is.EqualTo(KnownHostsStatus.Unknown));
        });
    }
}
