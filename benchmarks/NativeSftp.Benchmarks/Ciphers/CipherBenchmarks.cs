using System.Buffers.Binary;
using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using NativeSftp.Crypto;
using NativeSftp.Crypto.Ciphers;

namespace NativeSftp.Benchmarks.Ciphers;

/// <summary>
/// Packet seal and seal-then-open throughput per negotiated cipher. Openers carry state (GCM invocation counter,
/// CTR counter), so a packet can only be opened once: Open's cost is RoundTrip minus Seal.
/// </summary>
[MemoryDiagnoser]
public class CipherBenchmarks
{
    private IPacketSealer _sealer = null!;
    private IPacketOpener _opener = null!;
    private byte[] _packet = null!;
    private byte[] _mac = null!;
    private uint _seq;

    [ParamsSource(nameof(Ciphers))]
    public string Cipher { get; set; } = "";

    /// <summary>
    /// cipher[+mac] cases; NSFTP_BENCH_CIPHERS (comma-separated) narrows a run to a few, e.g. for a longer job
    /// on one cipher. The benchmark processes inherit the variable.
    /// </summary>
    public static IEnumerable<string> Ciphers() =>
        Environment.GetEnvironmentVariable("NSFTP_BENCH_CIPHERS")?.Split(',', StringSplitOptions.RemoveEmptyEntries)
        ?? ["aes128-gcm@openssh.com", "aes256-gcm@openssh.com", "chacha20-poly1305@openssh.com",
            "aes128-ctr+hmac-sha2-256-etm@openssh.com", "aes256-ctr+hmac-sha2-512"];

    /// <summary>32 KiB is a typical SFTP data packet; 256 KiB is OpenSSH's maximum packet size (PACKET_MAX_SIZE).</summary>
    [Params(32 * 1024, 256 * 1024)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        string[] parts = Cipher.Split('+');
        string? mac = parts.Length > 1 ? parts[1] : null;
        CipherRegistry.TryGetCipher(parts[0], out CipherInfo? info);
        int macKeyLength = 0;
        if (mac is not null && CipherRegistry.TryGetMac(mac, out MacInfo? macInfo))
        {
            macKeyLength = macInfo.KeyLength;
        }

        byte[] key = RandomNumberGenerator.GetBytes(info!.KeyLength);
        byte[] iv = RandomNumberGenerator.GetBytes(info.IvLength);
        byte[] macKey = RandomNumberGenerator.GetBytes(macKeyLength);
        _sealer = CipherRegistry.CreateSealer(parts[0], mac, key, iv, macKey);
        _opener = CipherRegistry.CreateOpener(parts[0], mac, key, iv, macKey);

        // Size bytes of packet, padded by the same rule the transport uses.
        int covered = _sealer.LengthExcludedFromPadding ? Size - 4 : Size;
        int total = Size - (covered % _sealer.BlockSize);
        _packet = new byte[total];
        BinaryPrimitives.WriteUInt32BigEndian(_packet, (uint)(total - 4));
        _packet[4] = (byte)_sealer.BlockSize;
        _mac = new byte[_sealer.MacSize];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _sealer.Dispose();
        _opener.Dispose();
    }

    [Benchmark]
    public void Seal() => _sealer.Seal(_seq++, _packet, _mac);

    [Benchmark]
    public void SealThenOpen()
    {
        uint seq = _seq++;
        _sealer.Seal(seq, _packet, _mac);
        _opener.DecryptLength(seq, _packet.AsSpan(0, _opener.LengthPrefixSize));
        _opener.Open(seq, _packet, _mac, _packet);
    }
}

/// <summary>The floor for the aes-gcm packet path: raw AesGcm on the same buffer sizes, nonce handling excluded.</summary>
[MemoryDiagnoser]
public class RawAesGcmCipherBaseline
{
    private AesGcm _aes = null!;
    private byte[] _nonce = null!;
    private byte[] _buffer = null!;
    private byte[] _tag = null!;
    private byte[] _aad = null!;

    [Params(16, 32)]
    public int KeyBytes { get; set; }

    [Params(32 * 1024, 256 * 1024)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _aes = new AesGcm(RandomNumberGenerator.GetBytes(KeyBytes), 16);
        _nonce = RandomNumberGenerator.GetBytes(12);
        _buffer = new byte[Size - 4];
        _tag = new byte[16];
        _aad = new byte[4];
    }

    [GlobalCleanup]
    public void Cleanup() => _aes.Dispose();

    [Benchmark]
    public void Encrypt() => _aes.Encrypt(_nonce, _buffer, _buffer, _tag, _aad);

    [Benchmark]
    public void EncryptThenDecrypt()
    {
        _aes.Encrypt(_nonce, _buffer, _buffer, _tag, _aad);
        _aes.Decrypt(_nonce, _buffer, _tag, _buffer, _aad);
    }
}
