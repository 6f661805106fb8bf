using NativeSftp.Auth;
using NativeSftp.Auth.Agent;
using NativeSftp.Auth.KnownHosts;
using NativeSftp.Connection;
using NativeSftp.Crypto;
using NativeSftp.Crypto.Keys;
using NativeSftp.Transport;

namespace NativeSftp;

/// <summary>
/// The front door: connects (identification, key exchange, host-key trust), authenticates, and runs the connection
/// layer, on which SFTP sessions and commands are opened.
/// </summary>
public sealed class SshClient : IAsyncDisposable
{
    private readonly List<IDisposable> _keys;
    private readonly SshAgentClient? _agent;

    private SshClient(SshConnection connection, List<IDisposable> keys, SshAgentClient? agent, SshClientOptions options)
    {
        Connection = connection;
        _keys = keys;
        _agent = agent;
        Options = options;
    }

    public SshClientOptions Options { get; }
    public SshConnection Connection { get; }
    public SshTransport Transport => Connection.Transport;
    public string ServerVersion => Transport.ServerVersion;
    public NegotiatedAlgorithms Algorithms => Transport.Algorithms!;
    public SshPublicKey HostKey => Transport.HostKey!;

    public static async Task<SshClient> ConnectAsync(SshClientOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var settings = new TransportSettings
        {
            Host = options.Host,
            Port = options.Port,
            HostKeyVerifier = options.HostKeyVerifier
                ?? new KnownHostsVerifier(options.EffectiveKnownHostsFiles, options.HostKeyPolicy, options.HashKnownHosts, options.TimeProvider),
            RekeyBytes = options.RekeyBytes,
            RekeyInterval = options.RekeyInterval,
            TimeProvider = options.TimeProvider,
            // One trace may serve several connections: each gets its own number where the tracer can tell them apart.
            Tracer = options.Tracer is Diagnostics.IConnectionTracer multi ? multi.ForConnection() : options.Tracer,
        };
        if (options.KeyExchangeAlgorithms is { } kex)
        {
            settings.KeyExchangeAlgorithms = kex;
        }

        if (options.HostKeyAlgorithms is { } hk)
        {
            settings.HostKeyAlgorithms = hk;
        }
        else if (settings.HostKeyVerifier is KnownHostsVerifier known)
        {
            // Ask first for the kinds of key known_hosts can vouch for (as ssh does), so a host recorded with its RSA
            // key years ago is not shown our favourite ed25519 and taken for a new or changed host.
            var entries = KnownHostsFile.FindEntries(known.Files, options.Host, options.Port);
            var types = entries.Where(e => e.Marker == KnownHostsMarker.None && e.IsUsable).Select(e => e.Key.KeyType).ToHashSet(StringComparer.Ordinal);
            bool ca = entries.Any(e => e.Marker == KnownHostsMarker.CertAuthority && e.IsUsable);
            settings.HostKeyAlgorithms = Crypto.HostKeys.HostKeyAlgorithmRegistry.PreferKnown(settings.HostKeyAlgorithms, types, ca);
        }

        if (options.Ciphers is { } ciphers)
        {
            settings.Ciphers = ciphers;
        }

        if (options.Macs is { } macs)
        {
            settings.Macs = macs;
        }

        // Load keys before connecting: a wrong passphrase or a missing file fails before any traffic.
        var keys = new List<IDisposable>();
        SshAgentClient? agent = null;
        SshTransport? transport = null;
        try
        {
            var auth = new AuthenticationOptions(options.UserName)
            {
                PasswordProvider = options.PasswordProvider,
                KeyboardInteractive = options.KeyboardInteractive,
                BannerReceived = options.BannerReceived,
            };
            foreach (string path in options.EffectiveIdentityFiles)
            {
                SshPrivateKey key;
                try
                {
                    key = PrivateKeyFile.Load(path);
                }
                catch (PrivateKeyPassphraseException e) when (!e.PassphraseWasGiven && options.PassphraseProvider is not null)
                {
                    // SshClientOptions.PassphraseProvider: null means "skip this key", not "fail the connection".
                    string? passphrase = options.PassphraseProvider(path);
                    if (passphrase is null)
                    {
                        auth.Notes.Add($"skipped encrypted key {path}: no passphrase given");
                        continue;
                    }

                    key = PrivateKeyFile.Load(path, passphrase);
                }

                keys.Add(key);
            }

            transport = await SshTransport.ConnectAsync(settings, options.ConnectTimeout, cancellationToken).ConfigureAwait(false);

            string? socket = options.AgentSocketPath ?? SshAgentClient.DefaultSocketPath;
            if (options.UseAgent && socket is not null)
            {
                try
                {
                    agent = await SshAgentClient.ConnectAsync(socket, cancellationToken).ConfigureAwait(false);
                    auth.Keys.AddRange(await agent.ListKeysAsync(cancellationToken).ConfigureAwait(false));
                }
                catch (AgentException e)
                {
                    // Like OpenSSH, a stale SSH_AUTH_SOCK does not stop a login that key files can do; the reason
                    // is kept and shown if authentication fails.
                    auth.Notes.Add("ssh-agent unavailable: " + e.Message);
                }
            }

            auth.Keys.AddRange(keys.Cast<ISigner>());
            await new UserAuthClient(transport, auth).AuthenticateAsync(cancellationToken).ConfigureAwait(false);

            var connection = new SshConnection(transport, new ConnectionSettings
            {
                KeepAliveInterval = options.KeepAliveInterval,
                KeepAliveCountMax = options.KeepAliveCountMax,
                WindowSize = options.ChannelWindowSize,
                MaxPacketSize = options.ChannelMaxPacketSize,
                TimeProvider = options.TimeProvider,
            });
            return new SshClient(connection, keys, agent, options);
        }
        catch
        {
            if (transport is not null)
            {
                await transport.DisposeAsync().ConfigureAwait(false);
            }

            if (agent is not null)
            {
                await agent.DisposeAsync().ConfigureAwait(false);
            }

            foreach (var k in keys)
            {
                k.Dispose();
            }

            throw;
        }
    }

    /// <summary>Opens an SFTP session on a new channel.</summary>
    public Task<Sftp.SftpClient> OpenSftpAsync(CancellationToken cancellationToken) => Sftp.SftpClient.OpenAsync(Connection, cancellationToken);

    /// <summary>Runs a command and collects its output (for small outputs: remote hash commands, probes).</summary>
    public async Task<(int? ExitStatus, byte[] Output, string StandardError)> RunCommandAsync(string command, CancellationToken cancellationToken)
    {
        await using var ch = await Connection.ExecAsync(command, cancellationToken).ConfigureAwait(false);
        await ch.SendEofAsync(cancellationToken).ConfigureAwait(false);
        var ms = new MemoryStream();
        byte[] buffer = new byte[16 * 1024];
        int n;
        while ((n = await ch.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            ms.Write(buffer, 0, n);
        }

        int? status = await ch.ExitStatus.WaitAsync(cancellationToken).ConfigureAwait(false);
        return (status, ms.ToArray(), ch.StandardError);
    }

    public async ValueTask DisposeAsync()
    {
        await Connection.DisposeAsync().ConfigureAwait(false);
        if (_agent is not null)
        {
            await _agent.DisposeAsync().ConfigureAwait(false);
        }

        foreach (var k in _keys)
        {
            k.Dispose();
        }
    }
}
