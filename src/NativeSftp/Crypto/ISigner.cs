namespace NativeSftp.Crypto;

/// <summary>A private key that can sign (a key file in memory, or a key held by ssh-agent).</summary>
public interface ISigner
{
    /// <summary>The public key this signer proves possession of.</summary>
    SshPublicKey PublicKey { get; }

    /// <summary>Signature algorithms this key can produce, best first (e.g. rsa-sha2-512, rsa-sha2-256 for an RSA key).</summary>
    IReadOnlyList<string> SignatureAlgorithms { get; }

    /// <summary>Returns the signature blob: <c>string</c> algorithm || <c>string</c> signature (RFC 4253 §6.6).</summary>
    ValueTask<byte[]> SignAsync(string algorithm, ReadOnlyMemory<byte> data, CancellationToken cancellationToken);
}
