namespace NativeSftp.Crypto.Keys;

/// <summary>
/// A private key file is damaged, truncated, or in a form or algorithm we do not support. The message says
/// what is wrong and where (which section or field); <see cref="Path"/> names the file when it came from one.
/// </summary>
public class PrivateKeyFormatException : SshException
{
    public PrivateKeyFormatException(string message, Exception? inner = null) : base(message, inner) { }

    /// <summary>The file the key came from, or null when it was parsed from text.</summary>
    public string? Path { get; init; }
}

/// <summary>
/// The key file is encrypted and either no passphrase was given or the one given is wrong (OpenSSH check-int
/// mismatch, bad CBC padding, or a failed GCM / Poly1305 tag).
/// </summary>
public class PrivateKeyPassphraseException : SshException
{
    public PrivateKeyPassphraseException(string message, bool passphraseWasGiven, Exception? inner = null)
        : base(message, inner) => PassphraseWasGiven = passphraseWasGiven;

    /// <summary>False when the file needed a passphrase and none was given; true when the given one was wrong.</summary>
    public bool PassphraseWasGiven { get; }

    /// <summary>The file the key came from, or null when it was parsed from text.</summary>
    public string? Path { get; init; }
}
