using System.Security.Cryptography;
using System.Text;
using NativeSftp.Crypto;
using NativeSftp.Tests.Fixtures;
using NativeSftp.Wire;

namespace NativeSftp.Tests.Crypto.HostKeys;

/// <summary>
/// A temporary folder of keys, signatures and certificates made by the real ssh-keygen, so every signature a test
/// verifies comes from OpenSSH and not from our own code.
/// </summary>
internal sealed class OpenSshKeyFolder : IDisposable
{
    private const string SshKeygen = "/usr/bin/ssh-keygen";

    /// <summary>PROTOCOL.sshsig: the 6-byte preamble of both the envelope and the signed data.</summary>
    private static readonly byte[] SshsigMagic = "SSHSIG"u8.ToArray();

    public OpenSshKeyFolder()
    {
        SshdServer.RequireOpenSsh();
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "nsftp-hostkeys-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    /// <summary>Generates a key with ssh-keygen and returns the private key's path (the public key is path + ".pub").</summary>
    public string Generate(string name, string type, int? bits = null)
    {
        string path = System.IO.Path.Combine(Path, name);
        var args = new List<string> { "-q", "-t", type, "-N", "", "-C", name, "-f", path };
        if (bits is not null)
        {
            args.InsertRange(0, ["-b", bits.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        }

        TestKeys.Run(SshKeygen, args);
        return path;
    }

    public static SshPublicKey ReadPublicKey(string path) => SshPublicKey.ParseOpenSsh(File.ReadAllText(path));

    /// <summary>
    /// Signs <paramref name="message"/> with <c>ssh-keygen -Y sign</c> and unpacks the SSHSIG envelope
    /// (PROTOCOL.sshsig): returns the signer's public key blob, the exact bytes the inner SSH signature covers
    /// (MAGIC || string namespace || string reserved || string hash_algorithm || string H(message)) and the inner
    /// signature blob (string algorithm || string signature).
    /// </summary>
    public SshsigSignature SignSshsig(string keyPath, byte[] message, string ns = "file")
    {
        string dataPath = System.IO.Path.Combine(Path, "msg-" + Guid.NewGuid().ToString("N")[..8]);
        File.WriteAllBytes(dataPath, message);
        TestKeys.Run(SshKeygen, ["-Y", "sign", "-f", keyPath, "-n", ns, dataPath]);
        string armored = File.ReadAllText(dataPath + ".sig");
        string base64 = string.Concat(armored.Split('\n').Where(l => l.Length > 0 && !l.StartsWith("-----", StringComparison.Ordinal)));
        byte[] envelope = Convert.FromBase64String(base64);

        var r = new SshReader(envelope);
        Assert.That(r.ReadBytes(SshsigMagic.Length).SequenceEqual(SshsigMagic), Is.True, "SSHSIG preamble");
        Assert.That(r.ReadUInt32(), Is.EqualTo(1u), "SSHSIG version");
        byte[] publicKey = r.ReadStringAsArray();
        string signedNamespace = r.ReadAscii();
        byte[] reserved = r.ReadStringAsArray();
        string hashAlgorithm = r.ReadAscii();
        byte[] signature = r.ReadStringAsArray();
        Assert.That(r.IsAtEnd, Is.True, "SSHSIG trailing bytes");

        byte[] digest = hashAlgorithm switch
        {
            "sha512" => SHA512.HashData(message),
            "sha256" => SHA256.HashData(message),
            _ => throw new InvalidOperationException("unexpected SSHSIG hash " + hashAlgorithm),
        };

        using var signed = new PooledBufferWriter();
        var w = new SshWriter(signed);
        w.WriteRaw(SshsigMagic);
        w.WriteString(Encoding.ASCII.GetBytes(signedNamespace));
        w.WriteString(reserved);
        w.WriteString(Encoding.ASCII.GetBytes(hashAlgorithm));
        w.WriteString(digest);
        return new SshsigSignature(publicKey, signed.ToArray(), signature);
    }

    /// <summary>Runs <c>ssh-keygen -s ca ...</c> on <paramref name="publicKeyPath"/> and returns the certificate blob.</summary>
    public byte[] Certify(string caPath, string publicKeyPath, params string[] options)
    {
        var args = new List<string> { "-q", "-s", caPath };
        args.AddRange(options);
        args.Add(publicKeyPath);
        TestKeys.Run(SshKeygen, args);
        string certPath = publicKeyPath[..^".pub".Length] + "-cert.pub";
        return ReadPublicKey(certPath).ToArray();
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException e)
        {
            TestContext.Out.WriteLine($"could not delete {Path}: {e.Message}");
        }
    }
}

internal sealed record SshsigSignature(byte[] PublicKeyBlob, byte[] SignedData, byte[] SignatureBlob);
