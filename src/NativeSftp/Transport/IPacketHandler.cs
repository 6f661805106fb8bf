namespace NativeSftp.Transport;

/// <summary>
/// The layer above the transport. Called on the transport's receive loop, one packet at a time, so it must not
/// block: it copies what it keeps and completes waiters. The span is valid only during the call.
/// </summary>
public interface IPacketHandler
{
    /// <summary>
    /// A message the transport does not own (SERVICE_ACCEPT, UNIMPLEMENTED, and numbers 50 and up). Return false
    /// for a message number the layer does not know; the transport then answers SSH_MSG_UNIMPLEMENTED.
    /// </summary>
    bool HandlePacket(ReadOnlySpan<byte> payload);

    /// <summary>The connection died; <paramref name="cause"/> is the first cause. Fail every waiter with it.</summary>
    void OnConnectionClosed(SshConnectionException cause);
}
