using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Text;
using Org.BouncyCastle.Asn1.Pkcs;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Pkcs;
using Org.BouncyCastle.Security;

namespace NativeSftp.Crypto.Keys;

/// <summary>
/// OpenSSL's key files: PKCS#1 "RSA PRIVATE KEY" (RFC 8017 A.1.2), SEC1 "EC PRIVATE KEY" (RFC 5915), both
/// optionally in the legacy encrypted form (RFC 1421 headers, OpenSSL EVP_BytesToKey), and PKCS#8
/// "PRIVATE KEY" / "ENCRYPTED PRIVATE KEY" (RFC 5208, RFC 5958). None of them carries a comment.
/// </summary>
internal static class PemKeyFile
{
    public const string RsaLabel = "RSA PRIVATE KEY";
    public const string EcLabel = "EC PRIVATE KEY";
    public const string Pkcs8Label = "PRIVATE KEY";
    public const string EncryptedPkcs8Label = "ENCRYPTED PRIVATE KEY";

    private const string OidRsa = "1.2.840.113549.1.1.1";
    private const string OidEcPublicKey = "1.2.840.10045.2.1";
    private const string OidEd25519 = "1.3.101.112";

    /// <summary>EVP_BytesToKey with MD5 takes its salt from the first 8 IV bytes (PKCS5_SALT_LEN).</summary>
    private const int LegacySaltSize = 8;

    public static SshPrivateKey Parse(PemArmor pem, string? passphrase)
    {
        byte[] der = pem.Body;
        bool decrypted = false;
        try
        {
            if (pem.Label == EncryptedPkcs8Label)
            {
                der = DecryptPkcs8(pem.Body, passphrase);
                decrypted = true;
                return ReadDecrypted(() => ReadPkcs8(der));
            }

            if (pem.Headers.TryGetValue("Proc-Type", out string? procType))
            {
                if (!procType.Replace(" ", "", StringComparison.Ordinal).Equals("4,ENCRYPTED", StringComparison.OrdinalIgnoreCase))
                {
                    throw new PrivateKeyFormatException($"PEM Proc-Type '{procType}' is not supported");
                }

                der = DecryptLegacy(pem, passphrase);
                decrypted = true;
                return ReadDecrypted(() => ReadDer(pem.Label, der));
            }

            return ReadDer(pem.Label, der);
        }
        finally
        {
            if (decrypted)
            {
                CryptographicOperations.ZeroMemory(der);
            }
        }
    }

    /// <summary>
    /// PEM encryption has no integrity check: a wrong passphrase that happens to leave valid CBC padding
    /// (about 1 in 256) yields garbage DER, which is reported as the passphrase error it most likely is.
    /// </summary>
    private static SshPrivateKey ReadDecrypted(Func<SshPrivateKey> read)
    {
        try
        {
            return read();
        }
        catch (PrivateKeyFormatException e)
        {
            throw new PrivateKeyPassphraseException(
                "wrong passphrase (or a damaged file): the decrypted data is not a valid key: " + e.Message, passphraseWasGiven: true, e);
        }
    }

    private static SshPrivateKey ReadDer(string label, byte[] der) => label switch
    {
        RsaLabel => ImportRsa(der, static (rsa, d) => { rsa.ImportRSAPrivateKey(d, out int n); return n == d.Length; }, "PKCS#1"),
        EcLabel => ImportEc(der, static (ec, d) => { ec.ImportECPrivateKey(d, out int n); return n == d.Length; }, "SEC1"),
        Pkcs8Label => ReadPkcs8(der),
        _ => throw new PrivateKeyFormatException($"PEM block '{label}' is not a supported private key"),
    };

    private static SshPrivateKey ReadPkcs8(byte[] der)
    {
        string oid;
        try
        {
            // PrivateKeyInfo ::= SEQUENCE { version, AlgorithmIdentifier { algorithm OID, parameters }, privateKey OCTET STRING, ... }
            var outer = new AsnReader(der, AsnEncodingRules.BER).ReadSequence();
            outer.ReadInteger();
            oid = outer.ReadSequence().ReadObjectIdentifier();
            if (oid == OidEd25519)
            {
                // RFC 8410 §7: privateKey holds CurvePrivateKey ::= OCTET STRING (the 32-byte seed).
                byte[] inner = outer.ReadOctetString();
                byte[] seed = new AsnReader(inner, AsnEncodingRules.BER).ReadOctetString();
                try
                {
                    return Ed25519PrivateKey.Create(seed, ReadOnlySpan<byte>.Empty, comment: "");
                }
                finally
                {
                    CryptographicOperations.ZeroMemory(inner);
                    CryptographicOperations.ZeroMemory(seed);
                }
            }
        }
        catch (AsnContentException e)
        {
            throw new PrivateKeyFormatException("PKCS#8 PrivateKeyInfo is malformed: " + e.Message, e);
        }

        return oid switch
        {
            OidRsa => ImportRsa(der, static (rsa, d) => { rsa.ImportPkcs8PrivateKey(d, out int n); return n == d.Length; }, "PKCS#8"),
            OidEcPublicKey => ImportEc(der, static (ec, d) => { ec.ImportPkcs8PrivateKey(d, out int n); return n == d.Length; }, "PKCS#8"),
            _ => throw new PrivateKeyFormatException($"PKCS#8 key algorithm {oid} is not supported (RSA, EC, Ed25519 are)"),
        };
    }

    private static RsaPrivateKey ImportRsa(byte[] der, Func<RSA, byte[], bool> import, string format)
    {
        var rsa = RSA.Create();
        try
        {
            if (!import(rsa, der))
            {
                throw new PrivateKeyFormatException($"{format} RSA key has trailing bytes");
            }
        }
        catch (CryptographicException e)
        {
            rsa.Dispose();
            throw new PrivateKeyFormatException($"{format} RSA key is malformed: {e.Message}", e);
        }
        catch
        {
            rsa.Dispose();
            throw;
        }

        return RsaPrivateKey.Create(rsa, comment: "");
    }

    private static EcdsaPrivateKey ImportEc(byte[] der, Func<ECDsa, byte[], bool> import, string format)
    {
        var ec = ECDsa.Create();
        try
        {
            if (!import(ec, der))
            {
                throw new PrivateKeyFormatException($"{format} EC key has trailing bytes");
            }
        }
        catch (CryptographicException e)
        {
            ec.Dispose();
            throw new PrivateKeyFormatException($"{format} EC key is malformed: {e.Message}", e);
        }
        catch
        {
            ec.Dispose();
            throw;
        }

        return EcdsaPrivateKey.Create(ec, ReadOnlySpan<byte>.Empty, comment: "");
    }

    /// <summary>
    /// PKCS#8 EncryptedPrivateKeyInfo (PBES2 with PBKDF2 and AES/3DES-CBC as OpenSSL writes it, or PKCS#12 PBE).
    /// .NET can only decrypt it while importing a key of an algorithm named in advance, so BouncyCastle does the
    /// decryption and .NET the import.
    /// </summary>
    private static byte[] DecryptPkcs8(byte[] der, string? passphrase)
    {
        if (passphrase is null)
        {
            throw new PrivateKeyPassphraseException("the key is encrypted (PKCS#8) and no passphrase was given", passphraseWasGiven: false);
        }

        EncryptedPrivateKeyInfo info;
        try
        {
            info = EncryptedPrivateKeyInfo.GetInstance(der);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException)
        {
            throw new PrivateKeyFormatException("PKCS#8 EncryptedPrivateKeyInfo is malformed: " + e.Message, e);
        }

        char[] password = passphrase.ToCharArray();
        try
        {
            return PrivateKeyInfoFactory.CreatePrivateKeyInfo(password, info).GetEncoded();
        }
        catch (SecurityUtilityException e)
        {
            throw new PrivateKeyFormatException($"PKCS#8 encryption {info.EncryptionAlgorithm.Algorithm} is not supported: {e.Message}", e);
        }
        catch (InvalidCipherTextException e)
        {
            throw new PrivateKeyPassphraseException("wrong passphrase: PKCS#8 decryption failed (" + e.Message + ")", passphraseWasGiven: true, e);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException)
        {
            // Garbage that survived the padding check fails when parsed as PrivateKeyInfo.
            throw new PrivateKeyPassphraseException("wrong passphrase (or a damaged file): the decrypted PKCS#8 data is not a key", passphraseWasGiven: true, e);
        }
        finally
        {
            Array.Clear(password);
        }
    }

    /// <summary>
    /// Legacy OpenSSL encryption: "DEK-Info: AES-128-CBC,&lt;hex IV&gt;". Key = EVP_BytesToKey(MD5, salt = IV[0..8],
    /// one iteration): D1 = MD5(pass || salt), Di = MD5(Di-1 || pass || salt), concatenated to the key length.
    /// </summary>
    private static byte[] DecryptLegacy(PemArmor pem, string? passphrase)
    {
        if (!pem.Headers.TryGetValue("DEK-Info", out string? dekInfo))
        {
            throw new PrivateKeyFormatException("encrypted PEM key has no DEK-Info header");
        }

        int comma = dekInfo.IndexOf(',', StringComparison.Ordinal);
        string algorithm = comma < 0 ? dekInfo : dekInfo[..comma].Trim();
        byte[] iv;
        try
        {
            iv = Convert.FromHexString(comma < 0 ? "" : dekInfo[(comma + 1)..].Trim());
        }
        catch (FormatException e)
        {
            throw new PrivateKeyFormatException($"DEK-Info IV '{dekInfo}' is not hex", e);
        }

        (int keySize, int blockSize, bool tripleDes) = algorithm.ToUpperInvariant() switch
        {
            "AES-128-CBC" => (16, 16, false),
            "AES-192-CBC" => (24, 16, false),
            "AES-256-CBC" => (32, 16, false),
            "DES-EDE3-CBC" => (24, 8, true),
            _ => throw new PrivateKeyFormatException($"PEM encryption '{algorithm}' is not supported (AES-128/192/256-CBC, DES-EDE3-CBC are)"),
        };
        if (iv.Length != blockSize)
        {
            throw new PrivateKeyFormatException($"DEK-Info IV is {iv.Length} bytes, {algorithm} needs {blockSize}");
        }

        if (passphrase is null)
        {
            throw new PrivateKeyPassphraseException($"the key is encrypted ({algorithm}) and no passphrase was given", passphraseWasGiven: false);
        }

        if (pem.Body.Length % blockSize != 0)
        {
            throw new PrivateKeyFormatException($"encrypted PEM body of {pem.Body.Length} bytes is not a multiple of {blockSize}");
        }

        byte[] password = Encoding.UTF8.GetBytes(passphrase);
        byte[] key = BytesToKey(password, iv.AsSpan(0, LegacySaltSize), keySize);
        try
        {
            using SymmetricAlgorithm cipher = tripleDes ? TripleDES.Create() : Aes.Create();
            cipher.Key = key;
            return cipher.DecryptCbc(pem.Body, iv, PaddingMode.PKCS7);
        }
        catch (CryptographicException e)
        {
            throw new PrivateKeyPassphraseException($"wrong passphrase: {algorithm} padding is invalid after decryption", passphraseWasGiven: true, e);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(password);
            CryptographicOperations.ZeroMemory(key);
        }
    }

    private static byte[] BytesToKey(ReadOnlySpan<byte> password, ReadOnlySpan<byte> salt, int keySize)
    {
        byte[] key = new byte[keySize];
        Span<byte> digest = stackalloc byte[MD5.HashSizeInBytes];
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        int filled = 0;
        bool first = true;
        while (filled < keySize)
        {
            if (!first)
            {
                md5.AppendData(digest);
            }

            md5.AppendData(password);
            md5.AppendData(salt);
            md5.GetHashAndReset(digest);
            int take = Math.Min(digest.Length, keySize - filled);
            digest[..take].CopyTo(key.AsSpan(filled));
            filled += take;
            first = false;
        }

        CryptographicOperations.ZeroMemory(digest);
        return key;
    }
}
