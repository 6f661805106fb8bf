namespace NativeSftp.Sftp.Protocol;

/// <summary>Sizes and bounds of the SFTP v3 wire format, each with where it comes from.</summary>
internal static class SftpProtocolLimits
{
    /// <summary>The protocol version we speak and send in INIT (draft-ietf-secsh-filexfer-02 §4).</summary>
    public const uint ProtocolVersion = 3;

    /// <summary>
    /// draft-ietf-secsh-filexfer-02 §7: "The handle MUST NOT be longer than 256 bytes." OpenSSH's are 4 bytes.
    /// </summary>
    public const int MaxHandleLength = 256;

    /// <summary>
    /// OpenSSH's sftp-server refuses any message whose length field exceeds SFTP_MAX_MSG_LENGTH = 256 * 1024 =
    /// 262,144 bytes, and its sftp client refuses the same from a server. We never send more than that.
    /// </summary>
    public const int MaxOutgoingPacketLength = 256 * 1024;

    /// <summary>
    /// Room for the fields in front of the payload of the largest packet: a DATA reply carrying a full 256 KiB read
    /// is type(1) + id(4) + data length(4) + 262,144 = 262,153 bytes, so 1 KiB more covers any header with margin
    /// for a server that answers a 256 KiB read in full.
    /// </summary>
    public const int HeaderAllowance = 1024;

    /// <summary>
    /// The largest length field we accept from a server: 256 KiB + 1 KiB = 263,168 bytes. Anything larger is a
    /// protocol error before a byte of it is buffered, so a hostile length cannot make us allocate.
    /// </summary>
    public const int MaxIncomingPacketLength = MaxOutgoingPacketLength + HeaderAllowance;

    /// <summary>The uint32 length prefix in front of every SFTP packet (draft-ietf-secsh-filexfer-02 §3).</summary>
    public const int LengthFieldSize = 4;

    /// <summary>type(1) + request id or version(4): the smallest payload any v3 packet has.</summary>
    public const int MinPayloadLength = 1 + 4;

    /// <summary>length(4) + type(1) + request id(4): the bytes before the first type-specific field.</summary>
    public const int CommonHeaderSize = LengthFieldSize + MinPayloadLength;

    /// <summary>An SSH string (RFC 4251 §5) costs its uint32 length prefix plus its bytes.</summary>
    public const int StringPrefixSize = 4;
}
