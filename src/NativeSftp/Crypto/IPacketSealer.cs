namespace NativeSftp.Crypto;

/// <summary>
/// Encrypts and authenticates outgoing binary packets (RFC 4253 §6) in place. No I/O, no allocation per packet.
/// One instance per direction per key set; it is used by one writer at a time (sends are serialized).
/// </summary>
public interface IPacketSealer : IDisposable
{
    /// <summary>The cipher's block size, or 8 for stream-like ciphers; the padding multiple (RFC 4253 §6).</summary>
    int BlockSize { get; }

    /// <summary>Bytes of MAC or AEAD tag appended after the packet (0 for the unencrypted initial state).</summary>
    int MacSize { get; }

    /// <summary>
    /// True when the 4-byte packet_length is sent in the clear or encrypted separately and so is left out of the
    /// padding arithmetic: AES-GCM (RFC 5647 §7.2), chacha20-poly1305@openssh.com and the *-etm@openssh.com MACs.
    /// Then padding_length + payload + padding must be a multiple of <see cref="BlockSize"/>; otherwise the whole
    /// packet including the length field must be.
    /// </summary>
    bool LengthExcludedFromPadding { get; }

    /// <summary>
    /// Seals one packet. <paramref name="packet"/> is uint32 packet_length || byte padding_length || payload ||
    /// padding, in plaintext, and is replaced by its ciphertext; the MAC or tag goes to <paramref name="mac"/>
    /// (exactly <see cref="MacSize"/> bytes).
    /// </summary>
    void Seal(uint sequenceNumber, Span<byte> packet, Span<byte> mac);
}
