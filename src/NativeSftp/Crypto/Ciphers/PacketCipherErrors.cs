using System.Diagnostics.CodeAnalysis;

namespace NativeSftp.Crypto.Ciphers;

/// <summary>The exceptions every packet opener throws, worded once.</summary>
internal static class PacketCipherErrors
{
    /// <summary>RFC 4253 §6: the packet_length field itself is 4 bytes.</summary>
    public const int LengthFieldSize = sizeof(uint);

    [DoesNotReturn]
    public static void ThrowMacError(string cipher, uint sequenceNumber) =>
        throw new SshProtocolException(DisconnectReason.MacError,
            $"Packet {sequenceNumber} failed {cipher} authentication (corrupted or forged in transit).");

    [DoesNotReturn]
    public static void ThrowBadLength(string cipher, int encryptedLength, int blockSize) =>
        throw new SshProtocolException(DisconnectReason.ProtocolError,
            $"Packet of {encryptedLength} encrypted bytes is not a positive multiple of the {cipher} block size {blockSize} (RFC 4253 §6).");

    /// <summary>Checks the argument shapes the transport promises; a mismatch is our bug, not the peer's.</summary>
    public static void CheckShape(ReadOnlySpan<byte> packet, int macLength, int expectedMac, int outputLength)
    {
        if (packet.Length < LengthFieldSize)
        {
            throw new ArgumentException("A packet starts with its 4-byte length field.", nameof(packet));
        }

        if (macLength != expectedMac)
        {
            throw new ArgumentException($"Expected a {expectedMac}-byte MAC span, got {macLength}.", nameof(macLength));
        }

        if (outputLength != packet.Length)
        {
            throw new ArgumentException("The output must be as long as the packet.", nameof(outputLength));
        }
    }
}
