using NativeSftp.Crypto.Ciphers;
using NativeSftp.Transport;

namespace NativeSftp.Tests.Transport.ScriptedPeer;

/// <summary>How <see cref="ScriptedSshServer.KeyExchangeAsync"/> behaves: honest by default, each knob one fault.</summary>
public sealed class ServerKexOptions
{
    /// <summary>Put kex-strict-s-v00@openssh.com in the initial KEXINIT (OpenSSH PROTOCOL §1.10). Ignored in a re-key.</summary>
    public bool OfferStrictKex { get; init; } = true;

    /// <summary>Payloads sent before the server's KEXINIT (an IGNORE or DEBUG makes the KEXINIT not the first packet).</summary>
    public IReadOnlyList<byte[]> SendBeforeKexInit { get; init; } = [];

    /// <summary>Payloads sent after the server's KEXINIT and before its KEX_ECDH_REPLY, i.e. in the middle of the exchange.</summary>
    public IReadOnlyList<byte[]> SendDuringExchange { get; init; } = [];

    /// <summary>
    /// Whether the server restarts its sequence numbers at zero after each NEWKEYS. Null (the default) does what the
    /// protocol says: reset exactly when strict KEX is in force. True/false force it, to test a server that gets it wrong.
    /// </summary>
    public bool? ResetSequenceNumbers { get; init; }

    /// <summary>
    /// Set first_kex_packet_follows with a wrong guess (RFC 4253 §7.1): the server lists a method the client does not
    /// offer first, then sends a bogus KEX_ECDH_REPLY that the client must drop unread.
    /// </summary>
    public bool WrongGuess { get; init; }

    /// <summary>Damage the host key's signature of H (one bit of its last byte), as a man in the middle without the key would.</summary>
    public bool CorruptSignature { get; init; }

    /// <summary>The server's cipher list, in its order (the client's order decides).</summary>
    public IReadOnlyList<string> Ciphers { get; init; } = ["aes256-gcm@openssh.com", "chacha20-poly1305@openssh.com", "aes128-ctr"];

    /// <summary>The server's MAC list (used only with a non-AEAD cipher).</summary>
    public IReadOnlyList<string> Macs { get; init; } = [.. CipherRegistry.DefaultMacs];
}

/// <summary>What the server saw during one key exchange.</summary>
/// <param name="Algorithms">What was negotiated.</param>
/// <param name="StrictKex">Whether strict KEX is in force on the connection.</param>
/// <param name="ClientMessagesDuringExchange">
/// Message numbers of every client packet between its KEXINIT and its NEWKEYS (NEWKEYS excluded): RFC 4253 §7.1
/// allows only key-exchange and transport messages there, so a test asserts nothing else appears.
/// </param>
/// <param name="HeldBeforeClientKexInit">
/// How many client packets arrived after the server's KEXINIT but before the client's (sent before the client saw
/// ours; legal). They are held and returned, in order, by the next <see cref="ScriptedSshServer.ReceivePacketAsync"/> calls.
/// </param>
/// <param name="ExchangeHash">H of this exchange.</param>
public sealed record KexTranscript(
    NegotiatedAlgorithms Algorithms,
    bool StrictKex,
    IReadOnlyList<byte> ClientMessagesDuringExchange,
    int HeldBeforeClientKexInit,
    byte[] ExchangeHash);
