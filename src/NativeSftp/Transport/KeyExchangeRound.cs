using System.Security.Cryptography;
using NativeSftp.Crypto;
using NativeSftp.Crypto.Ciphers;
using NativeSftp.Crypto.HostKeys;
using NativeSftp.Crypto.Kex;
using NativeSftp.Wire;

namespace NativeSftp.Transport;

/// <summary>
/// One key exchange, initial or re-key, as a state machine with no I/O (RFC 4253 §7-§8). The transport feeds it the
/// server's KEXINIT and KEX messages and sends what it writes; host-key trust is asked of the verifier by the
/// transport between <see cref="OnKexMessage"/> returning a result and <see cref="DeriveKeys"/>.
/// </summary>
internal sealed class KeyExchangeRound : IDisposable
{
    private readonly TransportSettings _settings;
    private readonly byte[] _clientVersion;
    private readonly byte[] _serverVersion;
    private IKeyExchange? _method;

    public KeyExchangeRound(TransportSettings settings, bool initial, byte[] clientVersion, byte[] serverVersion)
    {
        _settings = settings;
        _clientVersion = clientVersion;
        _serverVersion = serverVersion;
        IsInitial = initial;
        var kex = new List<string>(settings.KeyExchangeAlgorithms);
        if (initial)
        {
            // RFC 8308 §2.1 and the strict-KEX extension: markers go in the first KEXINIT only.
            kex.Add(AlgorithmNegotiator.ExtInfoClient);
            kex.Add(AlgorithmNegotiator.StrictKexClient);
        }

        ClientKexInit = new KexInitMessage
        {
            Cookie = KexInitMessage.NewCookie(),
            KexAlgorithms = kex,
            ServerHostKeyAlgorithms = settings.HostKeyAlgorithms,
            EncryptionClientToServer = settings.Ciphers,
            EncryptionServerToClient = settings.Ciphers,
            MacClientToServer = settings.Macs,
            MacServerToClient = settings.Macs,
            CompressionClientToServer = ["none"],
            CompressionServerToClient = ["none"],
        };
        ClientKexInitPayload = ClientKexInit.ToPayload();
    }

    public bool IsInitial { get; }
    public KexInitMessage ClientKexInit { get; }
    public byte[] ClientKexInitPayload { get; }
    public KexInitMessage? ServerKexInit { get; private set; }
    public NegotiatedAlgorithms? Negotiated { get; private set; }

    /// <summary>The server offered kex-strict-s-v00@openssh.com (meaningful only in the initial exchange).</summary>
    public bool ServerOffersStrictKex { get; private set; }

    /// <summary>The server sent a guessed KEX packet with a wrong guess: the next method message is dropped (RFC 4253 §7.1).</summary>
    public bool IgnoreNextKexPacket { get; set; }

    public KexResult? Result { get; private set; }
    public bool NewKeysSent { get; set; }
    public bool NewKeysReceived { get; set; }

    /// <summary>Negotiates and writes the method's first message into <paramref name="output"/>.</summary>
    public void OnServerKexInit(ReadOnlySpan<byte> payload, PooledBufferWriter output)
    {
        if (ServerKexInit is not null)
        {
            throw new SshProtocolException(DisconnectReason.ProtocolError, "a second KEXINIT during one key exchange");
        }

        byte[] serverPayload = payload.ToArray();
        ServerKexInit = KexInitMessage.Parse(serverPayload);
        ServerOffersStrictKex = ServerKexInit.KexAlgorithms.Contains(AlgorithmNegotiator.StrictKexServer);
        Negotiated = AlgorithmNegotiator.Negotiate(ClientKexInit, ServerKexInit, IsAead);
        if (Negotiated.CompressionClientToServer != "none" || Negotiated.CompressionServerToClient != "none")
        {
            throw new SshProtocolException(DisconnectReason.KeyExchangeFailed, "compression other than none was negotiated");
        }

        IgnoreNextKexPacket = AlgorithmNegotiator.GuessWasWrong(ServerKexInit, Negotiated);
        _method = KexRegistry.Create(Negotiated.KeyExchange,
            new KexContext(_clientVersion, _serverVersion, ClientKexInitPayload, serverPayload));
        _method.WriteInitialMessage(output);
    }

    /// <summary>Feeds a method message (30-49). Returns the result once the server's reply is processed.</summary>
    public KexResult? OnKexMessage(ReadOnlySpan<byte> payload, PooledBufferWriter output)
    {
        if (_method is null)
        {
            throw new SshProtocolException(DisconnectReason.ProtocolError, $"key exchange message {payload[0]} before KEXINIT");
        }

        if (Result is not null)
        {
            throw new SshProtocolException(DisconnectReason.ProtocolError, $"key exchange message {payload[0]} after the exchange reply");
        }

        Result = _method.HandleMessage(payload, output);
        return Result;
    }

    /// <summary>
    /// Checks the host key's signature of H with the negotiated algorithm (RFC 4253 §8). A key of the wrong type
    /// for the algorithm, or a bad signature, ends the exchange.
    /// </summary>
    public SshPublicKey VerifyHostKeySignature()
    {
        var result = Result ?? throw new InvalidOperationException("no key exchange result yet");
        string algorithm = Negotiated!.ServerHostKey;
        var key = new SshPublicKey(result.HostKeyBlob);
        string expectedType = HostKeyAlgorithmRegistry.KeyTypeFor(algorithm);
        if (key.KeyType != expectedType)
        {
            throw new SshProtocolException(DisconnectReason.KeyExchangeFailed,
                $"the server sent a {key.KeyType} host key for the negotiated algorithm {algorithm}");
        }

        if (!HostKeyAlgorithmRegistry.Verify(algorithm, result.HostKeyBlob, result.ExchangeHash, result.SignatureBlob))
        {
            throw new SshProtocolException(DisconnectReason.KeyExchangeFailed,
                $"the server's {algorithm} signature of the exchange hash does not verify (host key {key.Sha256Fingerprint})");
        }

        return key;
    }

    /// <summary>Derives both directions' keys (RFC 4253 §7.2) and builds the sealer and opener.</summary>
    public (IPacketSealer Sealer, IPacketOpener Opener) DeriveKeys(byte[] sessionId)
    {
        var result = Result ?? throw new InvalidOperationException("no key exchange result yet");
        var n = Negotiated!;
        var sealer = Create(result, sessionId, n.EncryptionClientToServer, n.MacClientToServer, 'A', 'C', 'E', sealing: true);
        try
        {
            var opener = Create(result, sessionId, n.EncryptionServerToClient, n.MacServerToClient, 'B', 'D', 'F', sealing: false);
            return ((IPacketSealer)sealer, (IPacketOpener)opener);
        }
        catch
        {
            ((IDisposable)sealer).Dispose();
            throw;
        }
    }

    private static object Create(KexResult result, byte[] sessionId, string cipher, string? mac, char ivLetter, char keyLetter, char macLetter, bool sealing)
    {
        if (!CipherRegistry.TryGetCipher(cipher, out var ci))
        {
            throw new SshProtocolException(DisconnectReason.KeyExchangeFailed, $"negotiated cipher {cipher} has no implementation");
        }

        int macKeyLength = 0;
        if (mac is not null)
        {
            if (!CipherRegistry.TryGetMac(mac, out var mi))
            {
                throw new SshProtocolException(DisconnectReason.KeyExchangeFailed, $"negotiated MAC {mac} has no implementation");
            }

            macKeyLength = mi.KeyLength;
        }

        byte[] iv = KeyDerivation.Derive(result.Hash, result.EncodedSharedSecret, result.ExchangeHash, ivLetter, sessionId, ci.IvLength);
        byte[] key = KeyDerivation.Derive(result.Hash, result.EncodedSharedSecret, result.ExchangeHash, keyLetter, sessionId, ci.KeyLength);
        byte[] macKey = KeyDerivation.Derive(result.Hash, result.EncodedSharedSecret, result.ExchangeHash, macLetter, sessionId, macKeyLength);
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

    private static bool IsAead(string cipher) => CipherRegistry.TryGetCipher(cipher, out var info) && info.IsAead;

    public void Dispose()
    {
        _method?.Dispose();
        Result?.Dispose();
    }
}
