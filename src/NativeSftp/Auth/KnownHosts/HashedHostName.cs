using System.Security.Cryptography;
using System.Text;

namespace NativeSftp.Auth.KnownHosts;

/// <summary>
/// A hashed host field as <c>ssh-keygen -H</c> and HashKnownHosts write it (OpenSSH hostfile.c):
/// <code>
/// |1|base64(salt)|base64(HMAC-SHA1(key = salt, data = name))
/// </code>
/// where <c>name</c> is the lowercased host for port 22 and <c>[host]:port</c> otherwise. The salt is 20 random bytes
/// (the SHA-1 output size). OpenSSH recomputes the whole field from the salt and compares the text, so a field whose
/// salt is not in canonical base64, or that carries anything after the hash (a comma list), never matches.
/// </summary>
internal sealed class HashedHostName
{
    /// <summary>The "version 1" tag every hashed field starts with (OpenSSH HASH_MAGIC).</summary>
    public const string Magic = "|1|";

    /// <summary>The separator between salt and hash (OpenSSH HASH_DELIM).</summary>
    public const char Delimiter = '|';

    /// <summary>HMAC-SHA1 key and output size: 160 bits = 20 bytes; OpenSSH refuses any other salt length.</summary>
    public const int SaltBytes = 20;

    /// <summary>OpenSSH's extract_salt sanity limit on the base64 salt text (20 bytes need only 28 characters).</summary>
    public const int MaxSaltBase64Chars = 1024;

    private readonly byte[] _salt;
    private readonly string _expectedHash;

    private HashedHostName(byte[] salt, string expectedHash)
    {
        _salt = salt;
        _expectedHash = expectedHash;
    }

    /// <summary>
    /// Reads a field that starts with <c>|</c>. Null with a reason when OpenSSH would call the line invalid (bad tag,
    /// missing delimiter, salt not 20 bytes of base64).
    /// </summary>
    public static HashedHostName? TryParse(string field, out string? error)
    {
        error = null;
        if (!field.StartsWith(Magic, StringComparison.Ordinal))
        {
            error = "hashed host name does not start with |1|";
            return null;
        }

        int delimiter = field.IndexOf(Delimiter, Magic.Length);
        if (delimiter < 0)
        {
            error = "hashed host name has no '|' after the salt";
            return null;
        }

        var saltText = field.AsSpan(Magic.Length, delimiter - Magic.Length);
        if (saltText.Length == 0 || saltText.Length > MaxSaltBase64Chars)
        {
            error = $"hashed host name salt of {saltText.Length} base64 characters";
            return null;
        }

        Span<byte> salt = stackalloc byte[MaxSaltBase64Chars / 4 * 3];
        if (!Convert.TryFromBase64Chars(saltText, salt, out int saltLength) || saltLength != SaltBytes)
        {
            error = "hashed host name salt is not 20 bytes of base64";
            return null;
        }

        byte[] saltBytes = salt[..saltLength].ToArray();

        // Compare as OpenSSH does: rebuild "|1|salt|" from the decoded salt; a non-canonical salt spelling can never
        // equal the rebuilt text, so such a line is kept but matches nothing.
        string canonicalPrefix = Magic + Convert.ToBase64String(saltBytes) + Delimiter;
        string expected = field.StartsWith(canonicalPrefix, StringComparison.Ordinal) ? field[canonicalPrefix.Length..] : "";
        return new HashedHostName(saltBytes, expected);
    }

    /// <summary>True when HMAC-SHA1(salt, <paramref name="lookupName"/>) is the stored hash.</summary>
    public bool Matches(string lookupName)
    {
        if (_expectedHash.Length == 0)
        {
            return false;
        }

        return string.Equals(Convert.ToBase64String(Hash(_salt, lookupName)), _expectedHash, StringComparison.Ordinal);
    }

    /// <summary>A new hashed field for <paramref name="lookupName"/> with a fresh random salt, as ssh-keygen -H writes.</summary>
    public static string Create(string lookupName)
    {
        byte[] salt = RandomNumberGenerator.GetBytes(SaltBytes);
        return Magic + Convert.ToBase64String(salt) + Delimiter + Convert.ToBase64String(Hash(salt, lookupName));
    }

    private static byte[] Hash(byte[] salt, string lookupName) =>
        HMACSHA1.HashData(salt, Encoding.UTF8.GetBytes(lookupName));
}
