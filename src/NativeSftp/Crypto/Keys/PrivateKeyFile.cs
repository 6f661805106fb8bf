using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace NativeSftp.Crypto.Keys;

/// <summary>
/// Loads a private key file in any of the forms ssh-keygen writes: OpenSSH's own ("BEGIN OPENSSH PRIVATE KEY",
/// PROTOCOL.key), PEM PKCS#1 / SEC1 (optionally with legacy OpenSSL encryption) and PKCS#8 (optionally
/// encrypted). The format is detected from the PEM label.
/// </summary>
public static class PrivateKeyFile
{
    /// <summary>
    /// The largest key file we read. An RSA-16384 key (the largest OpenSSL accepts) is about 9.3 KB of private
    /// fields, ~12.5 KB as base64 with line breaks; 64 KiB leaves room for long comments and stops a wrong path
    /// (a disk image, /dev/zero) from being read into memory.
    /// </summary>
    public const int MaxFileLength = 64 * 1024;

    private const string OpenSshLabel = "OPENSSH PRIVATE KEY";

    public static SshPrivateKey Load(string path, string? passphrase = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] buffer = new byte[MaxFileLength + 1];
        char[] text = [];
        int total = 0;
        try
        {
            using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read))
            {
                if (stream.CanSeek && stream.Length > MaxFileLength)
                {
                    throw new PrivateKeyFormatException($"{path} is {stream.Length} bytes, larger than any key file ({MaxFileLength})") { Path = path };
                }

                // Read at most one byte more than allowed, so unseekable files are bounded too.
                int read;
                while (total < buffer.Length && (read = stream.Read(buffer, total, buffer.Length - total)) > 0)
                {
                    total += read;
                }
            }

            if (total > MaxFileLength)
            {
                throw new PrivateKeyFormatException($"{path} is larger than any key file ({MaxFileLength} bytes)") { Path = path };
            }

            // Decoded into an array rather than a string so the (possibly unencrypted) key text can be zeroed.
            text = Encoding.UTF8.GetChars(buffer, 0, total);
            return Parse(text, passphrase);
        }
        catch (PrivateKeyFormatException e) when (e.Path is null)
        {
            throw new PrivateKeyFormatException($"{path}: {e.Message}", e.InnerException) { Path = path };
        }
        catch (PrivateKeyPassphraseException e) when (e.Path is null)
        {
            throw new PrivateKeyPassphraseException($"{path}: {e.Message}", e.PassphraseWasGiven, e.InnerException) { Path = path };
        }
        finally
        {
            CryptographicOperations.ZeroMemory(buffer.AsSpan(0, total));
            CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(text.AsSpan()));
        }
    }

    public static SshPrivateKey Parse(ReadOnlySpan<char> text, string? passphrase = null)
    {
        if (text.Length > MaxFileLength)
        {
            throw new PrivateKeyFormatException($"key text is {text.Length} characters, larger than any key file ({MaxFileLength})");
        }

        PemArmor pem = PemArmor.TryParse(text) ?? throw new PrivateKeyFormatException(Unrecognized(text));
        try
        {
            return pem.Label switch
            {
                OpenSshLabel => OpenSshKeyFile.Parse(pem.Body, passphrase),
                PemKeyFile.RsaLabel or PemKeyFile.EcLabel or PemKeyFile.Pkcs8Label or PemKeyFile.EncryptedPkcs8Label
                    => PemKeyFile.Parse(pem, passphrase),
                _ => throw new PrivateKeyFormatException($"PEM block '{pem.Label}' is not a supported private key format"),
            };
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pem.Body);
        }
    }

    private static string Unrecognized(ReadOnlySpan<char> text)
    {
        ReadOnlySpan<char> start = text.TrimStart();
        if (start.StartsWith("PuTTY-User-Key-File", StringComparison.Ordinal))
        {
            return "PuTTY .ppk keys are not supported; convert with 'puttygen key.ppk -O private-openssh -o key'";
        }

        if (start.StartsWith("---- BEGIN SSH2", StringComparison.Ordinal))
        {
            return "SSH2 (RFC 4716 / ssh.com) key files are not supported; convert with 'ssh-keygen -i'";
        }

        if (start.StartsWith("ssh-", StringComparison.Ordinal) || start.StartsWith("ecdsa-", StringComparison.Ordinal))
        {
            return "this is a public key; the private key is the file without '.pub'";
        }

        return "no '-----BEGIN ... PRIVATE KEY-----' line found: not a private key file";
    }
}
