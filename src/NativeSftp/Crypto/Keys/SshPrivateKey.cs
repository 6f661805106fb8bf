using NativeSftp.Wire;

namespace NativeSftp.Crypto.Keys;

/// <summary>
/// A private key loaded into memory (from <see cref="PrivateKeyFile"/>) that signs for publickey user
/// authentication. Subclasses hold the secret; <see cref="Dispose"/> zeroes or disposes it, after which
/// signing throws <see cref="ObjectDisposedException"/>.
/// </summary>
public abstract class SshPrivateKey : ISigner, IDisposable
{
    private bool _disposed;

    private protected SshPrivateKey(SshPublicKey publicKey, string comment)
    {
        PublicKey = publicKey;
        Comment = comment;
    }

    /// <summary>The public key, blob-identical to what <c>ssh-keygen -y</c> prints.</summary>
    public SshPublicKey PublicKey { get; }

    /// <summary>The key's type name (<c>ssh-ed25519</c>, <c>ecdsa-sha2-nistp256</c>, <c>ssh-rsa</c>, ...).</summary>
    public string KeyType => PublicKey.KeyType;

    /// <summary>The comment stored in the file (OpenSSH format only); empty when the format has none.</summary>
    public string Comment { get; }

    public abstract IReadOnlyList<string> SignatureAlgorithms { get; }

    /// <summary>Signs synchronously; returns <c>string</c> algorithm || <c>string</c> signature.</summary>
    public byte[] Sign(string algorithm, ReadOnlySpan<byte> data)
    {
        ArgumentNullException.ThrowIfNull(algorithm);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!Contains(SignatureAlgorithms, algorithm))
        {
            throw new ArgumentException(
                $"a {KeyType} key cannot sign with '{algorithm}'; it offers {string.Join(", ", SignatureAlgorithms)}",
                nameof(algorithm));
        }

        using var buffer = new PooledBufferWriter(clearOnReturn: true);
        var writer = new SshWriter(buffer);
        writer.WriteAscii(algorithm);
        WriteSignature(algorithm, data, writer);
        return buffer.ToArray();
    }

    /// <summary>
    /// Signing is CPU-bound and short (well under a millisecond for Ed25519/ECDSA, a few for RSA-3072), so it
    /// runs inline rather than hopping to the thread pool.
    /// </summary>
    public ValueTask<byte[]> SignAsync(string algorithm, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<byte[]>(cancellationToken);
        }

        return new ValueTask<byte[]>(Sign(algorithm, data.Span));
    }

    /// <summary>Writes the algorithm-specific signature as one SSH <c>string</c>.</summary>
    private protected abstract void WriteSignature(string algorithm, ReadOnlySpan<byte> data, SshWriter writer);

    /// <summary>Zeroes or disposes the secret material.</summary>
    protected abstract void DisposeSecret();

    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            DisposeSecret();
        }

        GC.SuppressFinalize(this);
    }

    public override string ToString() =>
        Comment.Length == 0 ? PublicKey.ToString() : $"{PublicKey} {Comment}";

    private static bool Contains(IReadOnlyList<string> names, string name)
    {
        for (int i = 0; i < names.Count; i++)
        {
            if (string.Equals(names[i], name, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Builds a public key blob with <paramref name="write"/> filling in the fields.</summary>
    private protected static SshPublicKey BuildPublicKey(Action<SshWriter> write)
    {
        using var buffer = new PooledBufferWriter();
        write(new SshWriter(buffer));
        return new SshPublicKey(buffer.WrittenSpan);
    }
}
