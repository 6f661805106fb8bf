using System.Buffers.Binary;
using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using NativeSftp.Crypto.Ciphers;
using NativeSftp.Transport;
using NativeSftp.Wire;

namespace NativeSftp.Benchmarks.HotPath;

/// <summary>
/// The transport's seal path for one CHANNEL_DATA carrying a 32 KiB SFTP WRITE: PacketEncoder pads, numbers and
/// seals the packet in place (random padding, cipher, MAC). Goal: 0 B allocated per operation.
/// </summary>
[MemoryDiagnoser]
public class ChannelDataSealBenchmarks
{
    /// <summary>byte 94 + uint32 recipient + uint32 length (RFC 4254 §5.2), then the SFTP WRITE: 25 + 4-byte handle + 32 KiB.</summary>
    private const int PayloadLength = 9 + 25 + 4 + (32 * 1024);

    /// <summary>uint32 packet_length + byte padding_length (RFC 4253 §6).</summary>
    private const int PacketHeaderSize = 5;

    private PacketEncoder _encoder = null!;
    private byte[] _buffer = null!;

    /// <summary>NativeSftp's default with AES-NI, OpenSSH's default, and the non-AEAD pair SSH.NET tends to pick.</summary>
    [Params("aes128-gcm@openssh.com", "chacha20-poly1305@openssh.com", "aes128-ctr+hmac-sha2-256-etm@openssh.com")]
    public string Cipher { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        string[] parts = Cipher.Split('+');
        string? mac = parts.Length > 1 ? parts[1] : null;
        if (!CipherRegistry.TryGetCipher(parts[0], out CipherInfo? info))
        {
            throw new InvalidOperationException($"unknown cipher {parts[0]}");
        }

        int macKeyLength = mac is not null && CipherRegistry.TryGetMac(mac, out MacInfo? macInfo) ? macInfo.KeyLength : 0;
        _encoder = new PacketEncoder(CipherRegistry.CreateSealer(parts[0], mac,
            RandomNumberGenerator.GetBytes(info.KeyLength), RandomNumberGenerator.GetBytes(info.IvLength), RandomNumberGenerator.GetBytes(macKeyLength)));
        _buffer = new byte[SshTransport.PacketOverhead + PayloadLength];
        _buffer[PacketHeaderSize] = MessageNumbers.ChannelData;
        BinaryPrimitives.WriteUInt32BigEndian(_buffer.AsSpan(PacketHeaderSize + 5), PayloadLength - 9);
        RandomNumberGenerator.Fill(_buffer.AsSpan(PacketHeaderSize + 9, PayloadLength - 9));
    }

    [GlobalCleanup]
    public void Cleanup() => _encoder.Dispose();

    /// <summary>Sealing in place again and again re-encrypts ciphertext; the cost per byte is the same.</summary>
    [Benchmark]
    public int Seal() => _encoder.Seal(_buffer, PayloadLength);
}
