namespace NativeSftp.Transport;

/// <summary>The algorithms one key exchange settled on (RFC 4253 §7.1).</summary>
public sealed record NegotiatedAlgorithms(
    string KeyExchange,
    string ServerHostKey,
    string EncryptionClientToServer,
    string EncryptionServerToClient,
    string? MacClientToServer,
    string? MacServerToClient,
    string CompressionClientToServer,
    string CompressionServerToClient)
{
    public override string ToString() =>
        $"kex={KeyExchange} hostkey={ServerHostKey} c2s={EncryptionClientToServer}/{MacClientToServer ?? "<implicit>"} " +
        $"s2c={EncryptionServerToClient}/{MacServerToClient ?? "<implicit>"}";
}
