namespace NativeSftp.Auth.Agent;

/// <summary>
/// ssh-agent could not be reached, refused a request (SSH_AGENT_FAILURE) or answered with something the agent
/// protocol does not allow. <see cref="ConnectionBroken"/> tells the caller whether the client is still usable.
/// </summary>
public class AgentException : SshException
{
    public AgentException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }

    /// <summary>
    /// True when the connection to the agent is gone (socket error, malformed reply, cancellation mid-request) and
    /// every later call on the same <see cref="SshAgentClient"/> will fail; false for a clean refusal such as
    /// SSH_AGENT_FAILURE, after which the client can still be used.
    /// </summary>
    public bool ConnectionBroken { get; init; }
}
