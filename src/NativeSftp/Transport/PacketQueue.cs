using System.Threading.Channels;

namespace NativeSftp.Transport;

/// <summary>
/// A packet handler that queues copies for a request/response layer (user authentication) to await in order.
/// The cold path only: the connection layer dispatches in place instead.
/// </summary>
public sealed class PacketQueue : IPacketHandler
{
    /// <summary>
    /// Messages held before the reader takes them. Authentication sees a few at a time; a server that floods us
    /// before we read (64 banners, say) is refused rather than buffered without bound.
    /// </summary>
    public const int Capacity = 64;

    private readonly Channel<byte[]> _channel = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(Capacity)
    {
        SingleReader = true,
        SingleWriter = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    public bool HandlePacket(ReadOnlySpan<byte> payload)
    {
        if (!_channel.Writer.TryWrite(payload.ToArray()))
        {
            throw new SshProtocolException(DisconnectReason.ProtocolError, $"more than {Capacity} unanswered messages from the server");
        }

        return true;
    }

    /// <summary>Takes a queued message without waiting (used when the connection layer takes over).</summary>
    public bool TryDequeue([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out byte[]? payload) => _channel.Reader.TryRead(out payload);

    public void OnConnectionClosed(SshConnectionException cause) => _channel.Writer.TryComplete(cause);

    /// <summary>The next message; throws the connection's failure once it is closed.</summary>
    public async ValueTask<byte[]> ReceiveAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _channel.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException e) when (e.InnerException is SshConnectionException ce)
        {
            throw ce;
        }
    }
}
