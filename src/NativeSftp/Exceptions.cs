namespace NativeSftp;

/// <summary>The root of every exception NativeSftp throws on purpose.</summary>
public class SshException : Exception
{
    public SshException(string message) : base(message) { }
    public SshException(string message, Exception? inner) : base(message, inner) { }
}

/// <summary>Which end decided the connection was over.</summary>
public enum ClosedBy
{
    /// <summary>We closed it (a protocol error we detected, a keepalive timeout, an explicit dispose).</summary>
    Client,
    /// <summary>The server sent DISCONNECT.</summary>
    Server,
    /// <summary>The socket closed or reset without an SSH-level goodbye.</summary>
    Network,
}

/// <summary>
/// The connection is gone. Every pending and later operation on a dead connection fails with the same instance
/// (the first cause), so a caller always learns why, whichever layer it was waiting in.
/// </summary>
public class SshConnectionException : SshException
{
    public SshConnectionException(string message, DisconnectReason reason, ClosedBy closedBy, Exception? inner = null)
        : base(message, inner)
    {
        Reason = reason;
        ClosedBy = closedBy;
    }

    public DisconnectReason Reason { get; }
    public ClosedBy ClosedBy { get; }

    /// <summary>Traffic counters at the moment the connection died (set by the transport).</summary>
    public long BytesSent { get; init; }
    public long BytesReceived { get; init; }
    public long PacketsSent { get; init; }
    public long PacketsReceived { get; init; }

    /// <summary>A copy of this failure with the transport's counters at the moment it was recorded.</summary>
    internal SshConnectionException WithCounters(long bytesSent, long bytesReceived, long packetsSent, long packetsReceived) =>
        new(base.Message, Reason, ClosedBy, InnerException)
        {
            BytesSent = bytesSent,
            BytesReceived = bytesReceived,
            PacketsSent = packetsSent,
            PacketsReceived = packetsReceived,
        };

    public override string Message =>
        $"{base.Message} (reason {(uint)Reason} {Reason}, closed by {ClosedBy.ToString().ToLowerInvariant()}; " +
        $"sent {PacketsSent} packets/{BytesSent} bytes, received {PacketsReceived} packets/{BytesReceived} bytes)";
}

/// <summary>The peer sent something the protocol does not allow. Carries the DISCONNECT reason we send for it.</summary>
public class SshProtocolException : SshException
{
    public SshProtocolException(DisconnectReason reason, string message, Exception? inner = null)
        : base(message, inner) => Reason = reason;

    public DisconnectReason Reason { get; }
}

/// <summary>Every authentication method we could try was refused.</summary>
public class SshAuthenticationException : SshException
{
    public SshAuthenticationException(string message, IReadOnlyList<string> methodsTried, IReadOnlyList<string> methodsServerAllows, Exception? inner = null)
        : base(message, inner)
    {
        MethodsTried = methodsTried;
        MethodsServerAllows = methodsServerAllows;
    }

    public IReadOnlyList<string> MethodsTried { get; }
    public IReadOnlyList<string> MethodsServerAllows { get; }
}

/// <summary>The server's host key was not trusted. Nothing after key exchange was sent.</summary>
public class HostKeyVerificationException : SshException
{
    public HostKeyVerificationException(string message, string host, int port, string keyType, string fingerprint)
        : base(message)
    {
        Host = host;
        Port = port;
        KeyType = keyType;
        Fingerprint = fingerprint;
    }

    public string Host { get; }
    public int Port { get; }
    public string KeyType { get; }
    /// <summary>The presented key's fingerprint, <c>SHA256:...</c> as <c>ssh-keygen -l</c> prints it.</summary>
    public string Fingerprint { get; }
    /// <summary>For a changed key: the fingerprint we expected.</summary>
    public string? ExpectedFingerprint { get; init; }
    /// <summary>For a changed or revoked key: the known_hosts file and 1-based line that decided.</summary>
    public string? KnownHostsFile { get; init; }
    public int? KnownHostsLine { get; init; }
}

/// <summary>A transfer did not complete. Nothing is reported as done that is not.</summary>
public class TransferException : SshException
{
    public TransferException(string message, Transfer.TransferPhase phase, long acknowledgedOffset, Exception? inner = null)
        : base(message, inner)
    {
        Phase = phase;
        AcknowledgedOffset = acknowledgedOffset;
    }

    public Transfer.TransferPhase Phase { get; }

    /// <summary>Every byte below this offset is acknowledged by the server (uploads) or written locally (downloads).</summary>
    public long AcknowledgedOffset { get; }

    /// <summary>The offset of the first request that failed, when one did.</summary>
    public long? FirstFailedOffset { get; init; }

    /// <summary>Each attempt with its cause (resilient transfers).</summary>
    public IReadOnlyList<Transfer.TransferAttempt> Attempts { get; init; } = [];

    /// <summary>What was stuck when a stall ended the transfer (peer window, requests without replies, silence).</summary>
    public string? StallDiagnosis { get; init; }
}

/// <summary>
/// An upload's target names a directory on the server: the file could never be renamed into place. Thrown before any
/// data moves (the check rides beside the OPEN, no extra round trip); nothing is left on the server.
/// </summary>
public class RemoteIsDirectoryException : SshException
{
    public RemoteIsDirectoryException(string path, string localName)
        : base($"{path} is a directory on the server; name the file inside it ({path.TrimEnd('/')}/{localName}). Nothing was transferred.")
    {
        Path = path;
    }

    /// <summary>The remote path that is a directory.</summary>
    public string Path { get; }
}

/// <summary>The transfer completed but what arrived is not what was sent.</summary>
public class TransferVerificationException : TransferException
{
    public TransferVerificationException(string message, string method, long expectedSize, long actualSize, string? expectedDigest, string? actualDigest)
        : base(message, Transfer.TransferPhase.Verifying, 0)
    {
        Method = method;
        ExpectedSize = expectedSize;
        ActualSize = actualSize;
        ExpectedDigest = expectedDigest;
        ActualDigest = actualDigest;
    }

    public string Method { get; }
    public long ExpectedSize { get; }
    public long ActualSize { get; }
    public string? ExpectedDigest { get; }
    public string? ActualDigest { get; }
}
