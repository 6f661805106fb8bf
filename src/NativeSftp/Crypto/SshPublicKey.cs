using System.Security.Cryptography;
using NativeSftp.Wire;

namespace NativeSftp.Crypto;

/// <summary>
/// A public key (or certificate) in its SSH wire form: the blob whose first field is the key type name
/// (RFC 4253 §6.6). Equality is by blob.
/// </summary>
public sealed class SshPublicKey : IEquatable<SshPublicKey>
{
    private readonly byte[] _blob;

    public SshPublicKey(ReadOnlySpan<byte> blob)
    {
        var reader = new SshReader(blob);
        KeyType = reader.ReadAscii();
        if (KeyType.Length == 0)
        {
            throw new SshProtocolException(DisconnectReason.ProtocolError, "public key blob with an empty key type");
        }

        _blob = blob.ToArray();
    }

    /// <summary>The blob's own type name, e.g. <c>ssh-ed25519</c> or <c>ssh-rsa</c> (also for rsa-sha2-* signatures).</summary>
    public string KeyType { get; }

    public ReadOnlySpan<byte> Blob => _blob;

    public byte[] ToArray() => (byte[])_blob.Clone();

    /// <summary>The fingerprint as <c>ssh-keygen -l -E sha256</c> prints it: <c>SHA256:</c> and unpadded base64.</summary>
    public string Sha256Fingerprint => "SHA256:" + Convert.ToBase64String(SHA256.HashData(_blob)).TrimEnd('=');

    /// <summary>The authorized_keys / known_hosts form: type, space, base64 blob.</summary>
    public string ToOpenSshString() => KeyType + " " + Convert.ToBase64String(_blob);

    /// <summary>Parses <c>type base64 [comment]</c>; the type must match the blob's own.</summary>
    public static SshPublicKey ParseOpenSsh(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        string[] parts = line.Trim().Split((char[]?)null, 3, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 2)
        {
            throw new FormatException("expected '<key-type> <base64> [comment]'");
        }

        byte[] blob;
        try
        {
            blob = Convert.FromBase64String(parts[1]);
        }
        catch (FormatException e)
        {
            throw new FormatException("public key is not valid base64", e);
        }

        var key = new SshPublicKey(blob);
        if (key.KeyType != parts[0])
        {
            throw new FormatException($"key type '{parts[0]}' does not match the blob's '{key.KeyType}'");
        }

        return key;
    }

    public bool Equals(SshPublicKey? other) => other is not null && _blob.AsSpan().SequenceEqual(other._blob);

    public override bool Equals(object? obj) => obj is SshPublicKey k && Equals(k);

    public override int GetHashCode()
    {
        var h = new HashCode();
        h.AddBytes(_blob);
        return h.ToHashCode();
    }

    public override string ToString() => $"{KeyType} {Sha256Fingerprint}";
}
