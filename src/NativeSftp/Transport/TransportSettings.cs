using NativeSftp.Crypto;
using NativeSftp.Crypto.Ciphers;
using NativeSftp.Crypto.HostKeys;
using NativeSftp.Crypto.Kex;

namespace NativeSftp.Transport;

/// <summary>What the transport offers and how it re-keys. Every list is by OpenSSH name, in order of preference.</summary>
public sealed class TransportSettings
{
    /// <summary>RFC 4253 §9: re-key after a gigabyte of traffic...</summary>
    public const long DefaultRekeyBytes = 1L << 30;

    /// <summary>...or after an hour, whichever comes first.</summary>
    public static readonly TimeSpan DefaultRekeyInterval = TimeSpan.FromHours(1);

    public List<string> KeyExchangeAlgorithms { get; set; } = [.. KexRegistry.DefaultOrder];
    public List<string> HostKeyAlgorithms { get; set; } = [.. HostKeyAlgorithmRegistry.DefaultOrder];
    public List<string> Ciphers { get; set; } = [.. CipherRegistry.DefaultCiphers];
    public List<string> Macs { get; set; } = [.. CipherRegistry.DefaultMacs];

    /// <summary>Bytes in both directions after which the client starts a new key exchange (never past the cipher's RFC 4344 limit).</summary>
    public long RekeyBytes { get; set; } = DefaultRekeyBytes;

    /// <summary>Time after which the client starts a new key exchange; <see cref="Timeout.InfiniteTimeSpan"/> for never.</summary>
    public TimeSpan RekeyInterval { get; set; } = DefaultRekeyInterval;

    /// <summary>Decides whether the server's host key is trusted. Required: there is no accept-anything default.</summary>
    public IHostKeyVerifier? HostKeyVerifier { get; set; }

    /// <summary>The host name and port the verifier is told about (what the user typed, not the resolved address).</summary>
    public string Host { get; set; } = "";
    public int Port { get; set; } = 22;

    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Sees every packet's headers (the CLI's --trace); null for none.</summary>
    public Diagnostics.IPacketTracer? Tracer { get; set; }

    /// <summary>Our identification line without CR LF (RFC 4253 §4.2).</summary>
    public string ClientVersion { get; set; } = "SSH-2.0-NativeSftp_" + (typeof(TransportSettings).Assembly.GetName().Version?.ToString(3) ?? "0");

    /// <summary>Validates names against the registries so a typo fails before we connect, not at negotiation.</summary>
    public void Validate()
    {
        Check("key exchange", KeyExchangeAlgorithms, KexRegistry.IsSupported);
        Check("host key", HostKeyAlgorithms, HostKeyAlgorithmRegistry.IsSupported);
        Check("cipher", Ciphers, n => CipherRegistry.TryGetCipher(n, out _));
        Check("MAC", Macs, n => CipherRegistry.TryGetMac(n, out _));
        if (HostKeyVerifier is null)
        {
            throw new InvalidOperationException("a host key verifier is required (known_hosts, a pinned fingerprint, or a callback)");
        }

        if (RekeyBytes <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(RekeyBytes), "must be positive");
        }
    }

    private static void Check(string what, List<string> names, Func<string, bool> supported)
    {
        if (names.Count == 0)
        {
            throw new ArgumentException($"the {what} algorithm list is empty");
        }

        foreach (string n in names)
        {
            if (!supported(n))
            {
                throw new ArgumentException($"unsupported {what} algorithm '{n}'");
            }
        }
    }
}
