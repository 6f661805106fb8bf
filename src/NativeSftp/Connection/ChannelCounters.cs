namespace NativeSftp.Connection;

/// <summary>
/// A snapshot of one channel's flow, so the transfer engine and the CLI can say why a transfer is slow or stalled:
/// a peer window at zero means the server is not keeping up or not adjusting; a full local window means we are not
/// reading; nothing received for long means the network or the server is silent.
/// </summary>
public sealed record ChannelCounters(
    uint LocalChannelId,
    long BytesSent,
    long BytesReceived,
    uint PeerWindow,
    uint LocalWindow,
    TimeSpan TimeBlockedOnPeerWindow,
    bool BlockedOnPeerWindowNow,
    int WindowAdjustsReceived,
    int WindowAdjustsSent,
    TimeSpan TimeSinceLastPacketReceived);
