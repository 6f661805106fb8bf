using NativeSftp.Crypto;

namespace NativeSftp.Tests.Fixtures;

/// <summary>Trusts exactly the keys given (the fixture's host keys); refuses anything else like strict checking would.</summary>
public sealed class PinnedHostKeyVerifier : IHostKeyVerifier
{
    private readonly IReadOnlyList<SshPublicKey> _trusted;

    public PinnedHostKeyVerifier(IEnumerable<SshPublicKey> trusted) => _trusted = trusted.ToList();

    public static PinnedHostKeyVerifier ForFixture() =>
        new(SshdServer.Keys.HostKeyPaths.Select(p => SshPublicKey.ParseOpenSsh(File.ReadAllText(p + ".pub"))));

    public List<SshPublicKey> Seen { get; } = [];

    public ValueTask VerifyAsync(string host, int port, SshPublicKey hostKey, CancellationToken cancellationToken)
    {
        Seen.Add(hostKey);
        if (!_trusted.Contains(hostKey))
        {
            throw new HostKeyVerificationException($"host key {hostKey.Sha256Fingerprint} is not pinned", host, port, hostKey.KeyType, hostKey.Sha256Fingerprint);
        }

        return ValueTask.CompletedTask;
    }
}
