namespace NativeSftp.Crypto;

/// <summary>
/// Decides whether a server's host key is trusted. Called once per key exchange after the key's signature of the
/// exchange hash was verified. To refuse, throw <see cref="HostKeyVerificationException"/>; the connection is then
/// closed (DISCONNECT reason HostKeyNotVerifiable) and nothing else is sent.
/// </summary>
public interface IHostKeyVerifier
{
    ValueTask VerifyAsync(string host, int port, SshPublicKey hostKey, CancellationToken cancellationToken);
}
