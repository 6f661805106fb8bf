using NativeSftp.Crypto;
using NativeSftp.Crypto.Ciphers;
using NativeSftp.Wire;

namespace NativeSftp.Transport;

// Key exchange and re-key (RFC 4253 §7-§9) and strict KEX (OpenSSH PROTOCOL, kex-strict-*-v00@openssh.com).
public sealed partial class SshTransport
{
    private static readonly byte[] NewKeysPayload = [MessageNumbers.NewKeys];

    /// <summary>Starts a key exchange: sends our KEXINIT and closes the gate on non-KEX packets. Caller holds _writeLock.</summary>
    private async ValueTask SendKexInitLockedAsync(bool initial)
    {
        var round = new KeyExchangeRound(_settings, initial, _clientVersion, _serverVersion);
        _kex = round;
        Volatile.Write(ref _kexGate, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        _kexInitSequence = _encoder.Sequence;
        await WriteLockedAsync(round.ClientKexInitPayload, clear: false).ConfigureAwait(false);
    }

    /// <summary>Asks for a re-key now (tests and callers that want fresh keys); returns when it completes.</summary>
    public async Task RekeyAsync(CancellationToken cancellationToken)
    {
        ThrowIfFailed();
        Task gateTask;
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfFailed();
            if (_kex is null)
            {
                await SendKexInitLockedAsync(initial: false).ConfigureAwait(false);
            }

            gateTask = _kexGate!.Task;
        }
        finally
        {
            _writeLock.Release();
        }

        await gateTask.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask OnKexInitAsync(InboundPacket packet)
    {
        // The decoder counts this packet already, so the first packet of the connection has PacketCount 1.
        bool firstPacket = _decoder.PacketCount == 1;
        if (_kex is null)
        {
            // The server starts a re-key: answer with our KEXINIT; from now on data packets wait.
            await _writeLock.WaitAsync(_lifetime.Token).ConfigureAwait(false);
            try
            {
                if (_kex is null)
                {
                    await SendKexInitLockedAsync(initial: false).ConfigureAwait(false);
                }
            }
            finally
            {
                _writeLock.Release();
            }
        }

        var round = _kex!;
        using var output = new PooledBufferWriter(2048);
        round.OnServerKexInit(packet.Payload, output);
        if (round.IsInitial)
        {
            // We always offer kex-strict-c-v00 in the first KEXINIT, so the server's marker alone decides.
            _strictKex = round.ServerOffersStrictKex;
            if (_strictKex && !firstPacket)
            {
                throw new SshProtocolException(DisconnectReason.ProtocolError,
                    "strict KEX violation: the server's KEXINIT was not the first packet it sent");
            }
        }

        if (output.WrittenCount > 0)
        {
            await SendTransportMessageAsync(output.WrittenMemory).ConfigureAwait(false);
        }
    }

    private async ValueTask OnKexMethodMessageAsync(InboundPacket packet)
    {
        var round = _kex;
        if (round?.ServerKexInit is null)
        {
            throw new SshProtocolException(DisconnectReason.ProtocolError, $"key exchange message {packet.MessageNumber} outside a key exchange");
        }

        if (round.IgnoreNextKexPacket)
        {
            round.IgnoreNextKexPacket = false;
            return;
        }

        KexResult? result;
        using (var output = new PooledBufferWriter(2048))
        {
            result = round.OnKexMessage(packet.Payload, output);
            if (output.WrittenCount > 0)
            {
                await SendTransportMessageAsync(output.WrittenMemory).ConfigureAwait(false);
            }
        }

        if (result is not null)
        {
            await FinishKeyExchangeAsync(round, result).ConfigureAwait(false);
        }
    }

    private async ValueTask FinishKeyExchangeAsync(KeyExchangeRound round, KexResult result)
    {
        SshPublicKey key = round.VerifyHostKeySignature();
        if (round.IsInitial)
        {
            SessionId = (byte[])result.ExchangeHash.Clone();
            await _settings.HostKeyVerifier!.VerifyAsync(_settings.Host, _settings.Port, key, _lifetime.Token).ConfigureAwait(false);
            HostKey = key;
        }
        else if (!key.Equals(HostKey))
        {
            throw new SshProtocolException(DisconnectReason.HostKeyNotVerifiable,
                $"the server's host key changed during a re-key (was {HostKey}, now {key})");
        }

        var (sealer, opener) = round.DeriveKeys(SessionId);
        _pendingOpener = opener;
        await _writeLock.WaitAsync(_lifetime.Token).ConfigureAwait(false);
        try
        {
            // NEWKEYS goes out under the old keys; everything after it under the new ones (RFC 4253 §7.3).
            await WriteLockedAsync(NewKeysPayload, clear: false).ConfigureAwait(false);
            _encoder.SetSealer(sealer);
            sealer = null!;
            if (_strictKex)
            {
                _encoder.ResetSequence();
            }

            round.NewKeysSent = true;
        }
        finally
        {
            sealer?.Dispose();
            _writeLock.Release();
        }
    }

    private async ValueTask OnNewKeysAsync(int payloadLength)
    {
        var round = _kex;
        if (round is null || !round.NewKeysSent || _pendingOpener is null)
        {
            throw new SshProtocolException(DisconnectReason.ProtocolError, "NEWKEYS before the key exchange reply");
        }

        if (payloadLength != 1)
        {
            throw new SshProtocolException(DisconnectReason.ProtocolError, "NEWKEYS with trailing bytes");
        }

        _decoder.SetOpener(_pendingOpener);
        _pendingOpener = null;
        if (_strictKex)
        {
            _decoder.ResetSequence();
        }

        round.NewKeysReceived = true;
        await CompleteKeyExchangeAsync(round).ConfigureAwait(false);
    }

    private async ValueTask CompleteKeyExchangeAsync(KeyExchangeRound round)
    {
        // Both NEWKEYS have passed. Senders check _kex under the write lock; taking it here keeps them in step.
        await _writeLock.WaitAsync(_lifetime.Token).ConfigureAwait(false);
        TaskCompletionSource? gate;
        try
        {
            Algorithms = round.Negotiated;
            ServerKexInit = round.ServerKexInit;
            _kex = null;
            gate = _kexGate;
            _kexGate = null;
            _bytesAtLastKex = BytesSent + BytesReceived;
            _lastKexTimestamp = _settings.TimeProvider.GetTimestamp();
            _rekeyLimitBytes = ComputeRekeyLimit(round.Negotiated!);
            Interlocked.Increment(ref _kexCount);
        }
        finally
        {
            _writeLock.Release();
        }

        round.Dispose();
        if (!_initialKexComplete)
        {
            _initialKexComplete = true;
            _initialKex.TrySetResult();
        }

        gate?.TrySetResult();
    }

    private long _rekeyLimitBytes = long.MaxValue;
    private uint _kexInitSequence;

    /// <summary>
    /// The configured byte limit, capped by RFC 4344 §3.2: re-key before 2^(L/4) blocks of an L-bit block cipher
    /// pass under one key (2^32 blocks × 16 bytes = 64 GiB for AES) in either direction.
    /// </summary>
    private long ComputeRekeyLimit(NegotiatedAlgorithms n)
    {
        long limit = _settings.RekeyBytes;
        foreach (string cipher in new[] { n.EncryptionClientToServer, n.EncryptionServerToClient })
        {
            if (CipherRegistry.TryGetCipher(cipher, out var info))
            {
                long blocks = CipherRegistry.MaxBlocksBeforeRekey(cipher);
                long bytes = blocks > long.MaxValue / info.BlockSize ? long.MaxValue : blocks * info.BlockSize;
                limit = Math.Min(limit, bytes);
            }
        }

        return limit;
    }

    /// <summary>Whether this side should start a re-key now (RFC 4253 §9). Only meaningful outside a key exchange.</summary>
    private bool NeedsRekey()
    {
        if (_kex is not null || !_initialKexComplete)
        {
            return false;
        }

        if (BytesSent + BytesReceived - _bytesAtLastKex >= _rekeyLimitBytes)
        {
            return true;
        }

        return _settings.RekeyInterval != Timeout.InfiniteTimeSpan &&
               _settings.TimeProvider.GetElapsedTime(_lastKexTimestamp) >= _settings.RekeyInterval;
    }

    private async ValueTask MaybeStartRekeyAsync()
    {
        if (!NeedsRekey())
        {
            return;
        }

        await _writeLock.WaitAsync(_lifetime.Token).ConfigureAwait(false);
        try
        {
            if (NeedsRekey())
            {
                await SendKexInitLockedAsync(initial: false).ConfigureAwait(false);
            }
        }
        finally
        {
            _writeLock.Release();
        }
    }
}
