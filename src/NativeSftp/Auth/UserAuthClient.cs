using System.Text;
using NativeSftp.Crypto;
using NativeSftp.Crypto.Keys;
using NativeSftp.Transport;
using NativeSftp.Wire;

namespace NativeSftp.Auth;

/// <summary>
/// User authentication, RFC 4252: the "none" probe, then publickey, keyboard-interactive (RFC 4256) and password,
/// following the server's method lists and partial success. Runs once, over the transport's packet queue, before the
/// connection layer takes the transport over.
/// Round trips are what a login costs on a long path, so two are saved where the protocol allows:
/// the "none" probe goes out right behind SERVICE_REQUEST instead of after SERVICE_ACCEPT (a server handles its
/// packets in order, and "none" depends on nothing the server says first), and a key held in memory signs at once
/// instead of asking first whether it would be accepted (RFC 4252 §7 allows either; the query stays for agent keys,
/// where a signature may cost a confirmation prompt or a hardware touch).
/// </summary>
public sealed class UserAuthClient
{
    public const string ServiceName = "ssh-userauth";
    public const string ConnectionService = "ssh-connection";

    /// <summary>RFC 4256 §3.2 sets no limit; five prompts is already unusual, 32 bounds a hostile server.</summary>
    private const int MaxPrompts = 32;

    /// <summary>keyboard-interactive rounds before we give up on the method (a server may loop forever).</summary>
    private const int MaxKeyboardInteractiveRounds = 16;

    private readonly SshTransport _transport;
    private readonly AuthenticationOptions _options;
    private readonly List<string> _tried = [];
    private IReadOnlyList<string> _serverMethods = [];

    public UserAuthClient(SshTransport transport, AuthenticationOptions options)
    {
        _transport = transport;
        _options = options;
    }

    /// <summary>Methods tried so far, as "publickey (ssh-ed25519 SHA256:...)", "password", ...</summary>
    public IReadOnlyList<string> MethodsTried => _tried;

    /// <summary>Authenticates or throws <see cref="SshAuthenticationException"/> listing what was tried.</summary>
    public async Task AuthenticateAsync(CancellationToken cancellationToken)
    {
        await SendServiceRequestAsync(cancellationToken).ConfigureAwait(false);

        // "none" tells us which methods the server allows (RFC 4252 §5.2) and succeeds on servers that need nothing.
        // It is sent before SERVICE_ACCEPT arrives: same flight, one round trip saved.
        await SendRequestAsync("none", _ => { }, cancellationToken).ConfigureAwait(false);
        await ReadServiceAcceptAsync(cancellationToken).ConfigureAwait(false);
        if (await ReadResultAsync(cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        var keysTried = new HashSet<SshPublicKey>();
        bool passwordTried = false;
        bool keyboardTried = false;
        while (true)
        {
            bool progressed = false;
            if (_serverMethods.Contains("publickey"))
            {
                foreach (var key in _options.Keys)
                {
                    if (!_serverMethods.Contains("publickey") || !keysTried.Add(key.PublicKey))
                    {
                        continue;
                    }

                    progressed = true;
                    if (await TryPublicKeyAsync(key, cancellationToken).ConfigureAwait(false))
                    {
                        return;
                    }
                }
            }

            if (!keyboardTried && _options.KeyboardInteractive is not null && _serverMethods.Contains("keyboard-interactive"))
            {
                keyboardTried = true;
                progressed = true;
                if (await TryKeyboardInteractiveAsync(cancellationToken).ConfigureAwait(false))
                {
                    return;
                }
            }

            if (!passwordTried && _options.PasswordProvider is not null && _serverMethods.Contains("password"))
            {
                passwordTried = true;
                progressed = true;
                if (await TryPasswordAsync(cancellationToken).ConfigureAwait(false))
                {
                    return;
                }
            }

            if (!progressed)
            {
                string notes = _options.Notes.Count > 0 ? "; " + string.Join("; ", _options.Notes) : "";
                throw new SshAuthenticationException(
                    $"authentication as '{_options.UserName}' failed: tried [{string.Join("; ", _tried)}]; the server allows [{string.Join(",", _serverMethods)}]{notes}",
                    _tried.ToList(), _serverMethods);
            }
        }
    }

    private async Task SendServiceRequestAsync(CancellationToken ct)
    {
        using var w = new PooledBufferWriter();
        var sw = new SshWriter(w);
        sw.WriteByte(MessageNumbers.ServiceRequest);
        sw.WriteAscii(ServiceName);
        await _transport.SendAsync(w.WrittenMemory, ct).ConfigureAwait(false);
    }

    private async Task ReadServiceAcceptAsync(CancellationToken ct)
    {
        // A banner belongs after SERVICE_ACCEPT (RFC 4252 §5.4), but showing an early one costs nothing.
        byte[] reply = await ReceiveSkippingBannersAsync(ct).ConfigureAwait(false);
        if (reply[0] != MessageNumbers.ServiceAccept)
        {
            throw new SshProtocolException(DisconnectReason.ProtocolError, $"expected SERVICE_ACCEPT for {ServiceName}, got message {reply[0]}");
        }
    }

    private async Task<bool> TryPublicKeyAsync(ISigner key, CancellationToken ct)
    {
        var algorithms = ChooseSignatureAlgorithms(key);
        string label = $"publickey ({key.PublicKey.KeyType} {key.PublicKey.Sha256Fingerprint})";
        if (algorithms.Count == 0)
        {
            _tried.Add(label + ": no signature algorithm the server accepts");
            return false;
        }

        _tried.Add(label);
        byte[] blob = key.PublicKey.ToArray();
        foreach (string algorithm in algorithms)
        {
            // Partial success or a failure may have taken publickey off the list between two queries.
            if (!_serverMethods.Contains("publickey"))
            {
                return false;
            }

            if (key is SshPrivateKey)
            {
                // In memory: signing costs nothing but a little CPU, so sign at once (one round trip instead of two).
                await SendSignedPublicKeyAsync(key, algorithm, blob, ct).ConfigureAwait(false);
                byte[] result = await ReceiveSkippingBannersAsync(ct).ConfigureAwait(false);
                if (result[0] != MessageNumbers.UserauthFailure)
                {
                    return InterpretResult(result);
                }

                // Partial success: the key was accepted and the server wants more; the method list says what.
                // A plain failure may be this signature algorithm (rsa-sha2-512 where only -256 is allowed): try the next.
                if (ParseFailure(result))
                {
                    return false;
                }

                continue;
            }

            // An agent key is queried first (RFC 4252 §7): it costs a signature (and maybe a confirmation prompt or a
            // hardware touch) only if it would be accepted.
            await SendRequestAsync("publickey", sw =>
            {
                sw.WriteBoolean(false);
                sw.WriteAscii(algorithm);
                sw.WriteString(blob);
            }, ct).ConfigureAwait(false);
            byte[] reply = await ReceiveSkippingBannersAsync(ct).ConfigureAwait(false);
            if (reply[0] == MessageNumbers.UserauthFailure)
            {
                ParseFailure(reply);
                continue;
            }

            if (reply[0] != MessageNumbers.UserauthPkOk)
            {
                return HandleUnexpected(reply, "publickey query");
            }

            await SendSignedPublicKeyAsync(key, algorithm, blob, ct).ConfigureAwait(false);
            return await ReadResultAsync(ct).ConfigureAwait(false);
        }

        return false;
    }

    private async Task SendSignedPublicKeyAsync(ISigner key, string algorithm, byte[] blob, CancellationToken ct)
    {
        byte[] signed = BuildSignedData(algorithm, blob);
        byte[] signature = await key.SignAsync(algorithm, signed, ct).ConfigureAwait(false);
        await SendRequestAsync("publickey", sw =>
        {
            sw.WriteBoolean(true);
            sw.WriteAscii(algorithm);
            sw.WriteString(blob);
            sw.WriteString(signature);
        }, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// RSA keys sign with rsa-sha2-512 or -256 (RFC 8332), in that order, as far as the server's server-sig-algs
    /// (RFC 8308 §3.1) lists them; without that list we still try them, never SHA-1. Both are returned because
    /// server-sig-algs is not a promise: OpenSSH 9.2 lists every algorithm it implements even when
    /// PubkeyAcceptedAlgorithms allows only rsa-sha2-256, so a refused rsa-sha2-512 query is retried with -256
    /// (one more query, counted against the server's MaxAuthTries). Other key types have one algorithm. A key none of
    /// whose algorithms is listed is still tried with its own (as OpenSSH does for non-RSA keys): the list can be
    /// wrong, e.g. the ssh2 Node.js library sends "...,ecdsa-sha2-nistp521rsa-sha2-512,..." (a missing comma), and
    /// filtering by it locked every P-521 key out of such servers.
    /// </summary>
    private List<string> ChooseSignatureAlgorithms(ISigner key)
    {
        var serverAlgs = _transport.ServerSignatureAlgorithms;
        var chosen = new List<string>(key.SignatureAlgorithms.Count);
        foreach (string a in key.SignatureAlgorithms)
        {
            if (serverAlgs.Count == 0 || serverAlgs.Contains(a) || a.EndsWith("-cert-v01@openssh.com", StringComparison.Ordinal))
            {
                chosen.Add(a);
            }
        }

        return chosen.Count > 0 ? chosen : [.. key.SignatureAlgorithms];
    }

    /// <summary>RFC 4252 §7: what a publickey signature covers.</summary>
    private byte[] BuildSignedData(string algorithm, byte[] blob)
    {
        using var w = new PooledBufferWriter(512);
        var sw = new SshWriter(w);
        sw.WriteString(_transport.SessionId);
        sw.WriteByte(MessageNumbers.UserauthRequest);
        sw.WriteUtf8(_options.UserName);
        sw.WriteAscii(ConnectionService);
        sw.WriteAscii("publickey");
        sw.WriteBoolean(true);
        sw.WriteAscii(algorithm);
        sw.WriteString(blob);
        return w.ToArray();
    }

    private async Task<bool> TryPasswordAsync(CancellationToken ct)
    {
        string? password = await _options.PasswordProvider!(ct).ConfigureAwait(false);
        if (password is null)
        {
            return false;
        }

        _tried.Add("password");
        await SendRequestAsync("password", sw =>
        {
            sw.WriteBoolean(false);
            sw.WriteUtf8(password);
        }, ct, sensitive: true).ConfigureAwait(false);
        byte[] reply = await ReceiveSkippingBannersAsync(ct).ConfigureAwait(false);
        if (reply[0] == MessageNumbers.UserauthPasswdChangereq)
        {
            var r = new SshReader(reply);
            r.ReadByte();
            string prompt = SshTransport.SanitizeForDisplay(r.ReadUtf8());
            throw new SshAuthenticationException(
                $"the server requires a new password for '{_options.UserName}' before login ({prompt}); change it with an interactive ssh session",
                _tried.ToList(), _serverMethods);
        }

        return InterpretResult(reply);
    }

    private async Task<bool> TryKeyboardInteractiveAsync(CancellationToken ct)
    {
        _tried.Add("keyboard-interactive");
        await SendRequestAsync("keyboard-interactive", sw =>
        {
            sw.WriteUtf8(""); // language tag, deprecated
            sw.WriteUtf8(""); // submethods: let the server choose
        }, ct).ConfigureAwait(false);

        for (int round = 0; round < MaxKeyboardInteractiveRounds; round++)
        {
            byte[] reply = await ReceiveSkippingBannersAsync(ct).ConfigureAwait(false);
            if (reply[0] != MessageNumbers.UserauthInfoRequest)
            {
                return InterpretResult(reply);
            }

            var request = ParseInfoRequest(reply);
            var answers = await _options.KeyboardInteractive!(request, ct).ConfigureAwait(false);
            if (answers is null || answers.Count != request.Prompts.Count)
            {
                // RFC 4256 §3.4 has no "cancel": answer nothing so the server fails the method.
                answers = request.Prompts.Select(_ => "").ToList();
            }

            using var w = new PooledBufferWriter(256, clearOnReturn: true);
            var sw = new SshWriter(w);
            sw.WriteByte(MessageNumbers.UserauthInfoResponse);
            sw.WriteUInt32((uint)answers.Count);
            foreach (string a in answers)
            {
                sw.WriteUtf8(a);
            }

            await _transport.SendAsync(w.WrittenMemory, ct).ConfigureAwait(false);
        }

        throw new SshAuthenticationException($"keyboard-interactive went on for more than {MaxKeyboardInteractiveRounds} rounds", _tried.ToList(), _serverMethods);
    }

    private static KeyboardInteractiveRequest ParseInfoRequest(byte[] payload)
    {
        var r = new SshReader(payload);
        r.ReadByte();
        string name = SshTransport.SanitizeForDisplay(r.ReadUtf8());
        string instruction = SshTransport.SanitizeForDisplay(r.ReadUtf8());
        r.ReadString(); // language tag
        uint count = r.ReadUInt32();
        if (count > MaxPrompts)
        {
            throw new SshProtocolException(DisconnectReason.ProtocolError, $"keyboard-interactive request with {count} prompts (at most {MaxPrompts})");
        }

        var prompts = new List<KeyboardInteractivePrompt>((int)count);
        for (uint i = 0; i < count; i++)
        {
            prompts.Add(new KeyboardInteractivePrompt(SshTransport.SanitizeForDisplay(r.ReadUtf8()), r.ReadBoolean()));
        }

        return new KeyboardInteractiveRequest(name, instruction, prompts);
    }

    private async Task SendRequestAsync(string method, Action<SshWriter> body, CancellationToken ct, bool sensitive = false)
    {
        using var w = new PooledBufferWriter(512, clearOnReturn: sensitive);
        var sw = new SshWriter(w);
        sw.WriteByte(MessageNumbers.UserauthRequest);
        sw.WriteUtf8(_options.UserName);
        sw.WriteAscii(ConnectionService);
        sw.WriteAscii(method);
        body(sw);
        await _transport.SendAsync(w.WrittenMemory, ct).ConfigureAwait(false);
    }

    private async Task<bool> ReadResultAsync(CancellationToken ct)
    {
        byte[] reply = await ReceiveSkippingBannersAsync(ct).ConfigureAwait(false);
        return InterpretResult(reply);
    }

    private bool InterpretResult(byte[] reply)
    {
        switch (reply[0])
        {
            case MessageNumbers.UserauthSuccess:
                return true;
            case MessageNumbers.UserauthFailure:
                ParseFailure(reply);
                return false;
            default:
                return HandleUnexpected(reply, "authentication");
        }
    }

    private static bool HandleUnexpected(byte[] reply, string during) =>
        throw new SshProtocolException(DisconnectReason.ProtocolError, $"unexpected message {reply[0]} during {during}");

    /// <summary>Takes the server's remaining methods from a USERAUTH_FAILURE; returns its partial-success flag.</summary>
    private bool ParseFailure(byte[] reply)
    {
        var r = new SshReader(reply);
        r.ReadByte();
        _serverMethods = r.ReadNameList();
        return r.ReadBoolean();
    }

    private async Task<byte[]> ReceiveSkippingBannersAsync(CancellationToken ct)
    {
        while (true)
        {
            byte[] reply = await ReceiveAsync(ct).ConfigureAwait(false);
            if (reply[0] != MessageNumbers.UserauthBanner)
            {
                return reply;
            }

            var r = new SshReader(reply);
            r.ReadByte();
            _options.BannerReceived?.Invoke(SshTransport.SanitizeForDisplay(r.ReadUtf8()));
        }
    }

    private async Task<byte[]> ReceiveAsync(CancellationToken ct)
    {
        while (true)
        {
            byte[] reply = await _transport.Incoming.ReceiveAsync(ct).ConfigureAwait(false);
            if (reply.Length == 0)
            {
                throw new SshProtocolException(DisconnectReason.ProtocolError, "empty message");
            }

            // An UNIMPLEMENTED answer to something of ours during auth is a server that does not speak RFC 4252 here.
            if (reply[0] == MessageNumbers.Unimplemented)
            {
                throw new SshProtocolException(DisconnectReason.ProtocolError, "the server answered UNIMPLEMENTED during authentication");
            }

            if (reply[0] is MessageNumbers.GlobalRequest)
            {
                continue; // e.g. hostkeys-00@openssh.com right after auth; the connection layer answers later ones
            }

            return reply;
        }
    }
}
