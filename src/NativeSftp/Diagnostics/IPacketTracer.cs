namespace NativeSftp.Diagnostics;

/// <summary>Which way a traced packet went.</summary>
public enum PacketDirection
{
    Sent,
    Received,
}

/// <summary>
/// Sees every SSH packet's plaintext payload as it is sent or received, on the sending or receiving path. An
/// implementation must not block, and must record only headers (message number, channel, lengths, window figures):
/// payloads carry passwords, signatures and file data, and the trace must never hold key material or file bytes.
/// </summary>
public interface IPacketTracer
{
    /// <param name="direction">Sent or received.</param>
    /// <param name="payload">The plaintext payload, message number first; valid only during the call.</param>
    /// <param name="wireLength">Bytes on the wire for this packet (header, padding and MAC included).</param>
    /// <param name="keyExchanges">Completed key exchanges so far (to place the packet relative to re-keys).</param>
    void OnPacket(PacketDirection direction, ReadOnlySpan<byte> payload, int wireLength, int keyExchanges);
}

/// <summary>
/// A tracer that tells connections apart. <see cref="SshClient.ConnectAsync"/> asks it for a view per connection, so a
/// command that opens several (segments on separate connections, put -r's workers, reconnects) writes lines that
/// say which connection each packet belongs to.
/// </summary>
public interface IConnectionTracer : IPacketTracer
{
    /// <summary>A tracer for one more connection: its packets are marked with a number unique in this trace.</summary>
    IPacketTracer ForConnection();
}
