namespace NativeSftp.Crypto;

/// <summary>
/// Authenticates and decrypts incoming binary packets. No I/O. The transport first hands it the first
/// <see cref="LengthPrefixSize"/> bytes to learn packet_length (checking it before any buffer is sized from it),
/// then the whole packet and its MAC.
/// </summary>
public interface IPacketOpener : IDisposable
{
    int BlockSize { get; }

    int MacSize { get; }

    /// <summary>See <see cref="IPacketSealer.LengthExcludedFromPadding"/>.</summary>
    bool LengthExcludedFromPadding { get; }

    /// <summary>
    /// How many leading bytes <see cref="DecryptLength"/> needs: 4 where the length is in the clear or encrypted
    /// on its own, one cipher block where it is encrypted with the start of the packet (CTR with a non-ETM MAC).
    /// </summary>
    int LengthPrefixSize { get; }

    /// <summary>
    /// Returns packet_length (bytes after the 4-byte length field, MAC excluded) from the packet's first
    /// <see cref="LengthPrefixSize"/> bytes. Must not be trusted further than a bound check until
    /// <see cref="Open"/> has authenticated the packet. May be called once per packet, before <see cref="Open"/>.
    /// </summary>
    uint DecryptLength(uint sequenceNumber, ReadOnlySpan<byte> prefix);

    /// <summary>
    /// Authenticates and decrypts one packet: <paramref name="packet"/> is the 4-byte length plus packet_length
    /// bytes as received, <paramref name="mac"/> the <see cref="MacSize"/> bytes after it. The plaintext packet
    /// (length field included, in the clear) is written to <paramref name="output"/>, which has the same length
    /// and may be the same memory. Throws <see cref="SshProtocolException"/> with <see cref="DisconnectReason.MacError"/>
    /// when authentication fails, comparing in constant time; with encrypt-then-MAC and AEAD modes nothing is
    /// decrypted before the MAC is checked.
    /// </summary>
    void Open(uint sequenceNumber, ReadOnlySpan<byte> packet, ReadOnlySpan<byte> mac, Span<byte> output);
}
