namespace NativeSftp.Connection.KeepAlive;

/// <summary>What the connection should do after <see cref="KeepAliveMonitor.Tick"/>.</summary>
internal enum KeepAliveAction
{
    /// <summary>Nothing is due.</summary>
    None,

    /// <summary>
    /// Send SSH_MSG_GLOBAL_REQUEST "keepalive@openssh.com" with want-reply true now. Any reply (OpenSSH answers
    /// REQUEST_FAILURE) and indeed any packet counts as an answer.
    /// </summary>
    SendProbe,

    /// <summary>
    /// Every probe went unanswered for a full interval: declare the connection dead (DISCONNECT reason
    /// ConnectionLost) and fail every waiter with that cause.
    /// </summary>
    Dead,
}
