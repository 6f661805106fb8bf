using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using NativeSftp.Crypto;
using NativeSftp.Wire;

namespace NativeSftp.Auth.Agent;

/// <summary>
/// A client for ssh-agent over its Unix domain socket (draft-miller-ssh-agent, OpenSSH PROTOCOL.agent). One request
/// is in flight at a time per connection, as the protocol has no request ids: concurrent callers queue. Any failure
/// that could leave a reply half-read (a socket error, a malformed reply, cancellation mid-request) closes the
/// connection, and every later call fails with an <see cref="AgentException"/> naming that first cause, rather than
/// risk pairing a request with a stale reply.
/// </summary>
public sealed class SshAgentClient : IAsyncDisposable
{
    /// <summary>The environment variable OpenSSH's tools read the agent socket path from (ssh-agent(1)).</summary>
    public const string SocketEnvironmentVariable = "SSH_AUTH_SOCK";

    private readonly Socket _socket;
    private readonly string _socketPath;
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>The length prefix of the reply being read; one is read at a time, under the gate.</summary>
    private readonly byte[] _lengthPrefix = new byte[AgentMessages.LengthPrefixSize];
    private AgentException? _broken;
    private bool _disposed;

    private SshAgentClient(Socket socket, string socketPath)
    {
        _socket = socket;
        _socketPath = socketPath;
    }

    /// <summary>The agent socket named by SSH_AUTH_SOCK, or null when it is unset or empty.</summary>
    public static string? DefaultSocketPath
    {
        get
        {
            string? path = Environment.GetEnvironmentVariable(SocketEnvironmentVariable);
            return string.IsNullOrEmpty(path) ? null : path;
        }
    }

    /// <summary>
    /// Connects to the agent listening on <paramref name="socketPath"/>. A missing socket, one nobody listens on, or a
    /// path too long for a Unix socket throws <see cref="AgentException"/> naming the path.
    /// </summary>
    public static async Task<SshAgentClient> ConnectAsync(string socketPath, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(socketPath);
        UnixDomainSocketEndPoint endpoint;
        try
        {
            endpoint = new UnixDomainSocketEndPoint(socketPath);
        }
        catch (ArgumentOutOfRangeException e)
        {
            // sockaddr_un.sun_path holds 108 bytes on Linux (104 on macOS), terminator included.
            throw new AgentException($"ssh-agent socket path '{socketPath}' is too long for a Unix domain socket", e);
        }

        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(endpoint, ct).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new AgentException(DescribeConnectFailure(socketPath, e), e);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new SshAgentClient(socket, socketPath);
    }

    /// <summary>
    /// SSH_AGENTC_REQUEST_IDENTITIES → SSH_AGENT_IDENTITIES_ANSWER: the keys the agent holds, in its order (OpenSSH
    /// tries them in that order too). Keys of unsupported types are included with no signature algorithms.
    /// </summary>
    public async Task<IReadOnlyList<AgentKey>> ListKeysAsync(CancellationToken ct)
    {
        var identities = await ExchangeAsync(
            static w => AgentMessages.WriteRequestIdentities(w),
            static m => AgentMessages.ReadIdentitiesAnswer(m),
            "list its keys",
            ct).ConfigureAwait(false);

        var keys = new AgentKey[identities.Count];
        for (int i = 0; i < keys.Length; i++)
        {
            keys[i] = new AgentKey(this, identities[i].PublicKey, identities[i].Comment);
        }

        return keys;
    }

    /// <summary>
    /// SSH_AGENTC_SIGN_REQUEST → SSH_AGENT_SIGN_RESPONSE. Returns the signature blob (<c>string</c> algorithm ||
    /// <c>string</c> signature, RFC 4253 §6.6), whose name is checked to be the one asked for (for certificates, their
    /// plain algorithm). An algorithm the key type cannot make, or data past the agent's message limit, throws
    /// <see cref="ArgumentException"/>; the agent refusing (it does not hold the key, the user declined a
    /// confirmation) or answering wrongly throws <see cref="AgentException"/>.
    /// </summary>
    public Task<byte[]> SignAsync(SshPublicKey key, ReadOnlyMemory<byte> data, string algorithm, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(algorithm);
        var (flags, signatureName) = AgentKeyAlgorithms.Resolve(key.KeyType, algorithm);
        return ExchangeAsync(
            w => AgentMessages.WriteSignRequest(w, key.Blob, data.Span, flags),
            m => AgentMessages.ReadSignResponse(m, signatureName),
            $"sign with {key} as {algorithm}",
            ct);
    }

    public ValueTask DisposeAsync()
    {
        if (!_disposed)
        {
            _disposed = true;
            _socket.Dispose();
        }

        return ValueTask.CompletedTask;
    }

    private delegate T ReplyParser<T>(ReadOnlySpan<byte> message);

    /// <summary>Sends one request and reads its reply under the gate; SSH_AGENT_FAILURE becomes an <see cref="AgentException"/>.</summary>
    private async Task<T> ExchangeAsync<T>(Action<IBufferWriter<byte>> writeRequest, ReplyParser<T> parse, string what, CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        using var request = new PooledBufferWriter();
        writeRequest(request);

        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_broken is not null)
            {
                throw new AgentException($"the ssh-agent connection to '{_socketPath}' was closed after an earlier failure: {_broken.Message}", _broken)
                {
                    ConnectionBroken = true,
                };
            }

            byte[] reply;
            int length;
            try
            {
                // The agent speaks only when spoken to. Bytes waiting before a request are a stray or duplicated
                // reply; reading on would pair every later request with the wrong answer.
                int unsolicited = _socket.Available;
                if (unsolicited > 0)
                {
                    throw new AgentException($"ssh-agent at '{_socketPath}' sent {unsolicited} unsolicited bytes between requests")
                    {
                        ConnectionBroken = true,
                    };
                }

                await SendAllAsync(request.WrittenMemory, ct).ConfigureAwait(false);
                (reply, length) = await ReadMessageAsync(what, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException e) when (ct.IsCancellationRequested)
            {
                // The reply may still arrive; nothing can match it to a later request, so the connection goes.
                Break(new AgentException($"the request to {what} was cancelled mid-exchange", e) { ConnectionBroken = true });
                throw;
            }
            catch (SocketException e)
            {
                throw Break(new AgentException($"ssh-agent connection to '{_socketPath}' failed while asking it to {what}: {e.Message}", e)
                {
                    ConnectionBroken = true,
                });
            }
            catch (AgentException e) when (e.ConnectionBroken)
            {
                throw Break(e);
            }

            try
            {
                if (AgentMessages.IsFailure(reply[0]))
                {
                    throw new AgentException($"ssh-agent refused to {what} (SSH_AGENT_FAILURE, message type {reply[0]})");
                }

                return parse(reply.AsSpan(0, length));
            }
            catch (AgentException e) when (e.ConnectionBroken)
            {
                throw Break(e);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(reply);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Records the first cause and closes the socket, so no later request can read a stale reply.</summary>
    private AgentException Break(AgentException cause)
    {
        _broken ??= cause;
        _socket.Dispose();
        return cause;
    }

    private async ValueTask SendAllAsync(ReadOnlyMemory<byte> bytes, CancellationToken ct)
    {
        while (!bytes.IsEmpty)
        {
            int sent = await _socket.SendAsync(bytes, SocketFlags.None, ct).ConfigureAwait(false);
            bytes = bytes[sent..];
        }
    }

    /// <summary>
    /// Reads one <c>uint32 length || message</c> frame. The length is checked against
    /// <see cref="AgentMessages.MaxMessageLength"/> before the buffer is rented, so a hostile or corrupt length costs
    /// nothing. Returns a pooled array the caller returns.
    /// </summary>
    private async ValueTask<(byte[] Buffer, int Length)> ReadMessageAsync(string what, CancellationToken ct)
    {
        await ReceiveExactAsync(_lengthPrefix, what, ct).ConfigureAwait(false);
        uint length = BinaryPrimitives.ReadUInt32BigEndian(_lengthPrefix);

        if (length == 0)
        {
            throw new AgentException($"ssh-agent sent an empty message (no type byte) when asked to {what}") { ConnectionBroken = true };
        }

        if (length > AgentMessages.MaxMessageLength)
        {
            throw new AgentException(
                $"ssh-agent announced a {length}-byte reply when asked to {what}; the limit is {AgentMessages.MaxMessageLength} bytes")
            {
                ConnectionBroken = true,
            };
        }

        byte[] buffer = ArrayPool<byte>.Shared.Rent((int)length);
        try
        {
            await ReceiveExactAsync(buffer.AsMemory(0, (int)length), what, ct).ConfigureAwait(false);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }

        return (buffer, (int)length);
    }

    private async ValueTask ReceiveExactAsync(Memory<byte> buffer, string what, CancellationToken ct)
    {
        int total = buffer.Length;
        while (!buffer.IsEmpty)
        {
            int n = await _socket.ReceiveAsync(buffer, SocketFlags.None, ct).ConfigureAwait(false);
            if (n == 0)
            {
                throw new AgentException(
                    $"ssh-agent at '{_socketPath}' closed the connection with {buffer.Length} of {total} expected bytes unread while asked to {what}")
                {
                    ConnectionBroken = true,
                };
            }

            buffer = buffer[n..];
        }
    }

    private static string DescribeConnectFailure(string path, SocketException e)
    {
        // ENOENT surfaces under different SocketError codes across platforms, so the file system decides "missing".
        string hint = !File.Exists(path) && e.SocketErrorCode != SocketError.AccessDenied
            ? "no such socket (is SSH_AUTH_SOCK stale?)"
            : e.SocketErrorCode switch
            {
                SocketError.ConnectionRefused => "nothing is listening there (has the agent exited?)",
                SocketError.AccessDenied => "permission denied",
                _ => e.Message,
            };
        return $"cannot connect to ssh-agent at '{path}': {hint} [{e.SocketErrorCode}]";
    }
}
