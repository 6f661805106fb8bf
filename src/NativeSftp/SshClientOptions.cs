using NativeSftp.Auth;
using NativeSftp.Auth.KnownHosts;
using NativeSftp.Connection.FlowControl;
using NativeSftp.Crypto;
using NativeSftp.Transport;

namespace NativeSftp;

/// <summary>Everything needed to connect and log in. Secure by default: strict host-key checking against known_hosts.</summary>
public sealed class SshClientOptions
{
    public SshClientOptions(string host, string user)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        ArgumentException.ThrowIfNullOrEmpty(user);
        Host = host;
        UserName = user;
    }

    public string Host { get; }
    public int Port { get; set; } = 22;
    public string UserName { get; }

    /// <summary>Private key files to offer, in order. Empty: ~/.ssh/id_ed25519, id_ecdsa and id_rsa where they exist.</summary>
    public List<string> IdentityFiles { get; } = [];

    /// <summary>With no <see cref="IdentityFiles"/>, try ~/.ssh/id_ed25519, id_ecdsa and id_rsa (false: agent and password only).</summary>
    public bool UseDefaultIdentityFiles { get; set; } = true;

    /// <summary>Gives the passphrase for an encrypted key file (its path), or null to skip that key.</summary>
    public Func<string, string?>? PassphraseProvider { get; set; }

    /// <summary>Try keys held by ssh-agent (SSH_AUTH_SOCK) before key files, as OpenSSH does.</summary>
    public bool UseAgent { get; set; } = true;

    /// <summary>The agent's socket; null means SSH_AUTH_SOCK.</summary>
    public string? AgentSocketPath { get; set; }

    public Func<CancellationToken, ValueTask<string?>>? PasswordProvider { get; set; }

    public Func<KeyboardInteractiveRequest, CancellationToken, ValueTask<IReadOnlyList<string>?>>? KeyboardInteractive { get; set; }

    public Action<string>? BannerReceived { get; set; }

    /// <summary>known_hosts files; the first is where AcceptNew writes. Default: ~/.ssh/known_hosts and /etc/ssh/ssh_known_hosts.</summary>
    public List<string> KnownHostsFiles { get; } = [];

    public HostKeyPolicy HostKeyPolicy { get; set; } = HostKeyPolicy.Strict;

    /// <summary>Hash host names in lines AcceptNew writes (like ssh-keygen -H).</summary>
    public bool HashKnownHosts { get; set; }

    /// <summary>Replaces known_hosts checking entirely (a pinned fingerprint, a callback).</summary>
    public IHostKeyVerifier? HostKeyVerifier { get; set; }

    /// <summary>Algorithm lists by OpenSSH name in order of preference; null keeps the secure defaults.</summary>
    public List<string>? KeyExchangeAlgorithms { get; set; }
    public List<string>? HostKeyAlgorithms { get; set; }
    public List<string>? Ciphers { get; set; }
    public List<string>? Macs { get; set; }

    public TimeSpan ConnectTimeout { get; set; } = SshTransport.DefaultConnectTimeout;

    /// <summary>Probe a silent server after this long (keepalive@openssh.com); zero turns keepalive off.</summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Unanswered probes after which the connection is declared dead.</summary>
    public int KeepAliveCountMax { get; set; } = 3;

    public long RekeyBytes { get; set; } = TransportSettings.DefaultRekeyBytes;
    public TimeSpan RekeyInterval { get; set; } = TransportSettings.DefaultRekeyInterval;

    /// <summary>The window each channel grants the server (bounds the memory a download may buffer per channel).</summary>
    public uint ChannelWindowSize { get; set; } = InboundWindow.DefaultWindowSize;

    public uint ChannelMaxPacketSize { get; set; } = InboundWindow.DefaultMaxPacketSize;

    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Sees every packet's headers (never payloads); the CLI's --trace writes one line per packet.</summary>
    public Diagnostics.IPacketTracer? Tracer { get; set; }

    internal static string HomeDirectory => Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);

    internal IReadOnlyList<string> EffectiveKnownHostsFiles => KnownHostsFiles.Count > 0
        ? KnownHostsFiles.Select(ExpandHome).ToList()
        : [Path.Combine(HomeDirectory, ".ssh", "known_hosts"), "/etc/ssh/ssh_known_hosts"];

    internal IReadOnlyList<string> EffectiveIdentityFiles => IdentityFiles.Count > 0
        ? IdentityFiles.Select(ExpandHome).ToList()
        : !UseDefaultIdentityFiles ? []
        : new[] { "id_ed25519", "id_ecdsa", "id_rsa" }.Select(n => Path.Combine(HomeDirectory, ".ssh", n)).Where(File.Exists).ToList();

    /// <summary>"~/x" is the user's home directory, as in OpenSSH's configuration.</summary>
    internal static string ExpandHome(string path) =>
        path == "~" ? HomeDirectory : path.StartsWith("~/", StringComparison.Ordinal) ? Path.Combine(HomeDirectory, path[2..]) : path;
}
