using System.Security.Cryptography;
using System.Text;
using NativeSftp.Crypto;
using NativeSftp.Crypto.Ciphers;
using NativeSftp.Crypto.Kex;
using NativeSftp.Tests.Crypto.Kex;
using NativeSftp.Transport;
using NativeSftp.Wire;
using Org.BouncyCastle.Crypto.Agreement;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;

namespace NativeSftp.Tests.Transport.ScriptedPeer;

// The server half of a key exchange: curve25519-sha256 (RFC 8731) with an ssh-ed25519 host key (RFC 8709), any
// registered cipher, strict KEX (OpenSSH PROTOCOL §1.10), and the faults of ServerKexOptions.
public sealed partial class ScriptedSshServer
{
    /// <summary>RFC 7748 §5: X25519 public values and shared secrets are 32 bytes.</summary>
    private const int X25519Size = 32;

    /// <summary>The only host key algorithm this server signs with.</summary>
    private const string HostKeyAlgorithm = "ssh-ed25519";

    /// <summary>Listed first (and never implemented here) when a wrong guess is wanted.</summary>
    private const string WrongGuessKex = "ecdh-sha2-nistp256";

    private bool _strictKex;
    private bool _initialKexDone;

    /// <summary>Whether strict KEX is in force (both sides offered it in the initial KEXINIT).</summary>
    public bool IsStrictKex => _strictKex;

    /// <summary>H of the first exchange (RFC 4253 §7.2), empty before it.</summary>
    public byte[] SessionId { get; private set; } = [];

    /// <summary>
    /// The whole opening as a well-behaved server would run it: identification (after <paramref name="preamble"/>
    /// lines), reading the client's version line, then the initial key exchange with <paramref name="options"/>.
    /// Run it concurrently with <see cref="StartClientAsync"/>.
    /// </summary>
    public async Task<KexTranscript> AcceptAsync(ServerKexOptions? options, CancellationToken cancellationToken, IEnumerable<string>? preamble = null)
    {
        await SendIdentificationAsync(cancellationToken, preamble).ConfigureAwait(false);
        await ReadClientIdentificationAsync(cancellationToken).ConfigureAwait(false);
        return await KeyExchangeAsync(options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs one key exchange as the server: sends its KEXINIT (after <see cref="ServerKexOptions.SendBeforeKexInit"/>),
    /// reads the client's KEXINIT (or takes <paramref name="clientKexInit"/> when the test already read it: a
    /// client-started re-key), answers KEX_ECDH_INIT with a signed KEX_ECDH_REPLY, and swaps keys on both NEWKEYS.
    /// Works for the initial exchange and for a re-key the server starts in the middle of traffic.
    /// </summary>
    public async Task<KexTranscript> KeyExchangeAsync(ServerKexOptions? options, CancellationToken cancellationToken, byte[]? clientKexInit = null)
    {
        options ??= new ServerKexOptions();
        bool initial = !_initialKexDone;
        foreach (byte[] early in options.SendBeforeKexInit)
        {
            await SendPacketAsync(early, cancellationToken).ConfigureAwait(false);
        }

        byte[] serverKexInit = BuildKexInit(options, initial);
        await SendPacketAsync(serverKexInit, cancellationToken).ConfigureAwait(false);
        if (options.WrongGuess)
        {
            // The "guessed" packet: a reply to an exchange that was never negotiated. Parsed, it would fail.
            await SendPacketAsync([MessageNumbers.KexDhReply, 0xDE, 0xAD, 0xBE, 0xEF], cancellationToken).ConfigureAwait(false);
        }

        int held = 0;
        while (clientKexInit is null)
        {
            byte[] p = await ReadPacketAsync(cancellationToken).ConfigureAwait(false);
            ClientDisconnectedException.ThrowIfDisconnect(p);
            if (p[0] == MessageNumbers.KexInit)
            {
                clientKexInit = p;
            }
            else
            {
                _held.Enqueue(p);
                held++;
            }
        }

        var client = KexInitMessage.Parse(clientKexInit);
        var server = KexInitMessage.Parse(serverKexInit);
        NegotiatedAlgorithms n = AlgorithmNegotiator.Negotiate(client, server,
            name => CipherRegistry.TryGetCipher(name, out CipherInfo? info) && info.IsAead);
        if (n.KeyExchange is not ("curve25519-sha256" or "curve25519-sha256@libssh.org") || n.ServerHostKey != HostKeyAlgorithm)
        {
            throw new NotSupportedException($"the scripted server implements curve25519-sha256 with ssh-ed25519 only, not {n.KeyExchange} with {n.ServerHostKey}");
        }

        if (initial)
        {
            _strictKex = options.OfferStrictKex && client.KexAlgorithms.Contains(AlgorithmNegotiator.StrictKexClient);
        }

        foreach (byte[] during in options.SendDuringExchange)
        {
            await SendPacketAsync(during, cancellationToken).ConfigureAwait(false);
        }

        var seen = new List<byte>();
        byte[] init = await ReadUntilAsync(MessageNumbers.KexDhInit, seen, cancellationToken).ConfigureAwait(false);
        byte[] exchangeHash;
        byte[] encodedK;
        (byte[] reply, exchangeHash, encodedK) = BuildReply(clientKexInit, serverKexInit, init, options.CorruptSignature);
        try
        {
            if (initial)
            {
                SessionId = (byte[])exchangeHash.Clone();
            }

            await SendPacketAsync(reply, cancellationToken).ConfigureAwait(false);
            bool reset = options.ResetSequenceNumbers ?? _strictKex;

            // NEWKEYS goes out under the old keys, everything after it under the new (RFC 4253 §7.3).
            await SendPacketAsync([MessageNumbers.NewKeys], cancellationToken).ConfigureAwait(false);
            var sealer = (IPacketSealer)CreateCipher(n.EncryptionServerToClient, n.MacServerToClient, encodedK, exchangeHash, 'B', 'D', 'F', sealing: true);
            _sealer.Dispose();
            _sealer = sealer;
            if (reset)
            {
                SendSequence = 0;
            }

            await ReadUntilAsync(MessageNumbers.NewKeys, seen, cancellationToken).ConfigureAwait(false);
            var opener = (IPacketOpener)CreateCipher(n.EncryptionClientToServer, n.MacClientToServer, encodedK, exchangeHash, 'A', 'C', 'E', sealing: false);
            _opener.Dispose();
            _opener = opener;
            if (reset)
            {
                ReceiveSequence = 0;
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(encodedK);
        }

        _initialKexDone = true;
        return new KexTranscript(n, _strictKex, seen, held, exchangeHash);
    }

    /// <summary>Reads client packets until one with <paramref name="number"/>, recording the numbers of the others.</summary>
    private async Task<byte[]> ReadUntilAsync(byte number, List<byte> seen, CancellationToken cancellationToken)
    {
        while (true)
        {
            byte[] p = await ReadPacketAsync(cancellationToken).ConfigureAwait(false);
            ClientDisconnectedException.ThrowIfDisconnect(p);
            if (p[0] == number)
            {
                if (number != MessageNumbers.NewKeys)
                {
                    seen.Add(number);
                }

                return p;
            }

            seen.Add(p[0]);
        }
    }

    private static byte[] BuildKexInit(ServerKexOptions options, bool initial)
    {
        var kex = new List<string>();
        if (options.WrongGuess)
        {
            kex.Add(WrongGuessKex);
        }

        kex.Add("curve25519-sha256");
        kex.Add("curve25519-sha256@libssh.org");
        if (initial && options.OfferStrictKex)
        {
            kex.Add(AlgorithmNegotiator.StrictKexServer);
        }

        return new KexInitMessage
        {
            Cookie = KexInitMessage.NewCookie(),
            KexAlgorithms = kex,
            ServerHostKeyAlgorithms = [HostKeyAlgorithm],
            EncryptionClientToServer = options.Ciphers,
            EncryptionServerToClient = options.Ciphers,
            MacClientToServer = options.Macs,
            MacServerToClient = options.Macs,
            CompressionClientToServer = ["none"],
            CompressionServerToClient = ["none"],
            FirstKexPacketFollows = options.WrongGuess,
        }.ToPayload();
    }

    /// <summary>
    /// KEX_ECDH_REPLY for the client's KEX_ECDH_INIT (RFC 8731 §3, RFC 5656 §4): byte 31, string K_S, string Q_S,
    /// string signature of H, where H = SHA256(string V_C || string V_S || string I_C || string I_S || string K_S ||
    /// string Q_C || string Q_S || mpint K). X25519 here is BouncyCastle's, not the client's code.
    /// </summary>
    private (byte[] Reply, byte[] ExchangeHash, byte[] EncodedK) BuildReply(byte[] clientKexInit, byte[] serverKexInit, byte[] init, bool corruptSignature)
    {
        var r = new SshReader(init);
        r.ReadByte();
        byte[] qc = r.ReadStringAsArray();
        r.EnsureAtEnd("KEX_ECDH_INIT");
        if (qc.Length != X25519Size)
        {
            throw new InvalidDataException($"the client's Q_C is {qc.Length} bytes");
        }

        var ephemeral = new X25519PrivateKeyParameters(new SecureRandom());
        byte[] qs = ephemeral.GeneratePublicKey().GetEncoded();
        var agreement = new X25519Agreement();
        agreement.Init(ephemeral);
        byte[] secret = new byte[X25519Size];
        try
        {
            agreement.CalculateAgreement(new X25519PublicKeyParameters(qc), secret, 0);
            byte[] encodedK = KexTestPeer.EncodedMPInt(secret);
            byte[] hostKeyBlob = HostKey.PublicKey.ToArray();
            byte[] exchangeHash = SHA256.HashData(Payload(w =>
            {
                w.WriteString(Encoding.Latin1.GetBytes(ClientVersion));
                w.WriteString(Encoding.Latin1.GetBytes(ServerVersion));
                w.WriteString(clientKexInit);
                w.WriteString(serverKexInit);
                w.WriteString(hostKeyBlob);
                w.WriteString(qc);
                w.WriteString(qs);
                w.WriteRaw(encodedK);
            }));
            byte[] signature = HostKey.Sign(HostKeyAlgorithm, exchangeHash);
            if (corruptSignature)
            {
                signature[^1] ^= 0x01;
            }

            byte[] reply = KexTestPeer.Reply(MessageNumbers.KexDhReply, KexTestPeer.EncodedString(qs), hostKeyBlob, signature);
            return (reply, exchangeHash, encodedK);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    /// <summary>One direction's cipher from the RFC 4253 §7.2 keys: the server seals with B/D/F and opens with A/C/E.</summary>
    private IDisposable CreateCipher(string cipher, string? mac, byte[] encodedK, byte[] exchangeHash, char ivLetter, char keyLetter, char macLetter, bool sealing)
    {
        CipherRegistry.TryGetCipher(cipher, out CipherInfo? ci);
        int macKeyLength = mac is not null && CipherRegistry.TryGetMac(mac, out MacInfo? mi) ? mi.KeyLength : 0;
        byte[] iv = KeyDerivation.Derive(HashAlgorithmName.SHA256, encodedK, exchangeHash, ivLetter, SessionId, ci!.IvLength);
        byte[] key = KeyDerivation.Derive(HashAlgorithmName.SHA256, encodedK, exchangeHash, keyLetter, SessionId, ci.KeyLength);
        byte[] macKey = KeyDerivation.Derive(HashAlgorithmName.SHA256, encodedK, exchangeHash, macLetter, SessionId, macKeyLength);
        try
        {
            return sealing
                ? CipherRegistry.CreateSealer(cipher, mac, key, iv, macKey)
                : CipherRegistry.CreateOpener(cipher, mac, key, iv, macKey);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(iv);
            CryptographicOperations.ZeroMemory(key);
            CryptographicOperations.ZeroMemory(macKey);
        }
    }
}
