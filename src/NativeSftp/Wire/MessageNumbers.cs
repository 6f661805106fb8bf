namespace NativeSftp.Wire;

/// <summary>SSH message numbers, RFC 4250 §4.1 (and RFC 4253/4252/4254, RFC 8308, RFC 5656).</summary>
public static class MessageNumbers
{
    // Transport layer generic, RFC 4253 §11-§12 (1-19).
    public const byte Disconnect = 1;
    public const byte Ignore = 2;
    public const byte Unimplemented = 3;
    public const byte Debug = 4;
    public const byte ServiceRequest = 5;
    public const byte ServiceAccept = 6;
    public const byte ExtInfo = 7;          // RFC 8308 §2.3
    public const byte NewCompress = 8;      // RFC 8308 §3.2

    // Algorithm negotiation (20-29).
    public const byte KexInit = 20;
    public const byte NewKeys = 21;

    // Key-exchange method specific (30-49); meaning depends on the method.
    public const byte KexFirst = 30;
    public const byte KexLast = 49;
    public const byte KexDhInit = 30;          // also KEX_ECDH_INIT (RFC 5656) and KEX_HYBRID_INIT
    public const byte KexDhReply = 31;         // also KEX_ECDH_REPLY and KEX_HYBRID_REPLY
    public const byte KexDhGexRequestOld = 30; // RFC 4419 §5
    public const byte KexDhGexGroup = 31;
    public const byte KexDhGexInit = 32;
    public const byte KexDhGexReply = 33;
    public const byte KexDhGexRequest = 34;

    // User authentication (50-79), RFC 4252.
    public const byte UserauthRequest = 50;
    public const byte UserauthFailure = 51;
    public const byte UserauthSuccess = 52;
    public const byte UserauthBanner = 53;
    public const byte UserauthPkOk = 60;                 // publickey
    public const byte UserauthPasswdChangereq = 60;      // password
    public const byte UserauthInfoRequest = 60;          // keyboard-interactive, RFC 4256
    public const byte UserauthInfoResponse = 61;

    // Connection protocol (80-127), RFC 4254.
    public const byte GlobalRequest = 80;
    public const byte RequestSuccess = 81;
    public const byte RequestFailure = 82;
    public const byte ChannelOpen = 90;
    public const byte ChannelOpenConfirmation = 91;
    public const byte ChannelOpenFailure = 92;
    public const byte ChannelWindowAdjust = 93;
    public const byte ChannelData = 94;
    public const byte ChannelExtendedData = 95;
    public const byte ChannelEof = 96;
    public const byte ChannelClose = 97;
    public const byte ChannelRequest = 98;
    public const byte ChannelSuccess = 99;
    public const byte ChannelFailure = 100;
}
