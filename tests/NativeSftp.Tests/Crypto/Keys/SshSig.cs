using System.Security.Cryptography;
using System.Text;
using NativeSftp.Crypto;
using NativeSftp.Tests.Fixtures;
using NativeSftp.Wire;

namespace NativeSftp.Tests.Crypto.Keys;

/// <summary>
/// Checks a signature with an independent verifier: wraps it as an SSHSIG (OpenSSH PROTOCOL.sshsig) and
/// asks "ssh-keygen -Y check-novalidate" to verify it against the message.
/// <code>
/// signed data: byte[6] "SSHSIG", string namespace, string reserved, string hash_algorithm, string H(message)
/// file blob:   byte[6] "SSHSIG", uint32 version 1, string publickey, string namespace, string reserved,
///              string hash_algorithm, string signature
/// </code>
/// </summary>
internal static class SshSig
{
    public const string Namespace = "file";
    private const string HashAlgorithm = "sha512";
    private const uint Version = 1;
    /// <summary>PROTOCOL.sshsig armor wraps base64 at 70 columns (sshsig.c sshsig_armor).</summary>
    private const int ArmorLineLength = 70;
    private static ReadOnlySpan<byte> Magic => "SSHSIG"u8;

    public static byte[] SignedData(ReadOnlySpan<byte> message)
    {
        using var buffer = new PooledBufferWriter();
        var w = new SshWriter(buffer);
        w.WriteRaw(Magic);
        w.WriteAscii(Namespace);
        w.WriteString(ReadOnlySpan<byte>.Empty);
        w.WriteAscii(HashAlgorithm);
        w.WriteString(SHA512.HashData(message));
        return buffer.ToArray();
    }

    public static string Armor(SshPublicKey publicKey, ReadOnlySpan<byte> signatureBlob)
    {
        using var buffer = new PooledBufferWriter();
        var w = new SshWriter(buffer);
        w.WriteRaw(Magic);
        w.WriteUInt32(Version);
        w.WriteString(publicKey.Blob);
        w.WriteAscii(Namespace);
        w.WriteString(ReadOnlySpan<byte>.Empty);
        w.WriteAscii(HashAlgorithm);
        w.WriteString(signatureBlob);

        string base64 = Convert.ToBase64String(buffer.WrittenSpan);
        var text = new StringBuilder("-----BEGIN SSH SIGNATURE-----\n");
        for (int i = 0; i < base64.Length; i += ArmorLineLength)
        {
            text.Append(base64.AsSpan(i, Math.Min(ArmorLineLength, base64.Length - i))).Append('\n');
        }

        return text.Append("-----END SSH SIGNATURE-----\n").ToString();
    }

    /// <summary>Signs the SSHSIG structure with <paramref name="signer"/> and has ssh-keygen verify it; throws on failure.</summary>
    public static async Task<string> SignAndCheckWithSshKeygenAsync(ISigner signer, string algorithm, string message, string folder)
    {
        byte[] signature = await signer.SignAsync(algorithm, SignedData(Encoding.ASCII.GetBytes(message)), CancellationToken.None);
        return CheckWithSshKeygen(signer.PublicKey, signature, message, folder);
    }

    public static string CheckWithSshKeygen(SshPublicKey publicKey, byte[] signatureBlob, string message, string folder)
    {
        string sigPath = Path.Combine(folder, "sig-" + Guid.NewGuid().ToString("N") + ".sig");
        File.WriteAllText(sigPath, Armor(publicKey, signatureBlob));
        try
        {
            return TestKeys.Run("/usr/bin/ssh-keygen", ["-Y", "check-novalidate", "-n", Namespace, "-s", sigPath], stdin: message);
        }
        finally
        {
            File.Delete(sigPath);
        }
    }
}
