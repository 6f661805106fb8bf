using NativeSftp.Crypto;

namespace NativeSftp.Auth.Agent;

/// <summary>
/// A key held by ssh-agent. It signs by asking the agent over the <see cref="SshAgentClient"/> that listed it, so
/// it is usable only while that client is open. A key of a type we do not support offers no
/// <see cref="SignatureAlgorithms"/>, which tells user authentication to skip it.
/// </summary>
public sealed class AgentKey : ISigner
{
    private readonly SshAgentClient _client;

    internal AgentKey(SshAgentClient client, SshPublicKey publicKey, string comment)
    {
        _client = client;
        PublicKey = publicKey;
        Comment = comment;
        SignatureAlgorithms = AgentKeyAlgorithms.For(publicKey.KeyType);
    }

    public SshPublicKey PublicKey { get; }

    /// <summary>The comment the agent stored with the key (usually the key file's comment or path).</summary>
    public string Comment { get; }

    public IReadOnlyList<string> SignatureAlgorithms { get; }

    /// <summary>Asks the agent for a signature; see <see cref="SshAgentClient.SignAsync"/> for the failures.</summary>
    public ValueTask<byte[]> SignAsync(string algorithm, ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        new(_client.SignAsync(PublicKey, data, algorithm, cancellationToken));

    public override string ToString() => Comment.Length == 0 ? $"{PublicKey} (agent)" : $"{PublicKey} {Comment} (agent)";
}
