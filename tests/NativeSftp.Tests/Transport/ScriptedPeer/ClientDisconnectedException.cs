using NativeSftp.Wire;

namespace NativeSftp.Tests.Transport.ScriptedPeer;

/// <summary>The client sent SSH_MSG_DISCONNECT while the scripted server expected something else.</summary>
public sealed class ClientDisconnectedException : Exception
{
    public ClientDisconnectedException(DisconnectReason reason, string description)
        : base($"the client disconnected with reason {(uint)reason} {reason}: {description}")
    {
        Reason = reason;
        Description = description;
    }

    public DisconnectReason Reason { get; }

    public string Description { get; }

    /// <summary>Throws when <paramref name="payload"/> is a DISCONNECT (RFC 4253 §11.1: uint32 reason, string description, string language).</summary>
    public static void ThrowIfDisconnect(byte[] payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        if (payload[0] != MessageNumbers.Disconnect)
        {
            return;
        }

        var r = new SshReader(payload);
        r.ReadByte();
        var reason = (DisconnectReason)r.ReadUInt32();
        throw new ClientDisconnectedException(reason, r.ReadUtf8());
    }
}
