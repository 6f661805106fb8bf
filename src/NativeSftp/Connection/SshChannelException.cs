namespace NativeSftp.Connection;

/// <summary>RFC 4254 §5.1 channel-open failure reason codes.</summary>
public enum ChannelOpenFailureReason : uint
{
    AdministrativelyProhibited = 1,
    ConnectFailed = 2,
    UnknownChannelType = 3,
    ResourceShortage = 4,
}

/// <summary>A channel could not be used: the server refused to open it, closed it, or a request on it failed.</summary>
public class SshChannelException : SshException
{
    public SshChannelException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>
/// The server closed the channel. Waiting requests fail with this as their cause: a request the server answered
/// with neither SUCCESS nor FAILURE before closing was not refused, it was cut off.
/// </summary>
public sealed class SshChannelClosedException : SshChannelException
{
    public SshChannelClosedException(string message) : base(message) { }
}

/// <summary>The server refused CHANNEL_OPEN (RFC 4254 §5.1).</summary>
public sealed class SshChannelOpenException : SshChannelException
{
    public SshChannelOpenException(string channelType, ChannelOpenFailureReason reason, string description)
        : base($"the server refused to open a '{channelType}' channel: {reason} ({(uint)reason}): {description}")
    {
        ChannelType = channelType;
        Reason = reason;
        Description = description;
    }

    public string ChannelType { get; }
    public ChannelOpenFailureReason Reason { get; }
    public string Description { get; }
}
