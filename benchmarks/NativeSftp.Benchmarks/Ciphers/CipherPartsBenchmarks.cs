using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using NativeSftp.Crypto.Ciphers;

namespace NativeSftp.Benchmarks.Ciphers;

/// <summary>The CTR keystream path alone and raw HMAC-SHA256, to see which part of each construction costs what.</summary>
[MemoryDiagnoser]
public class CipherPartsBenchmarks
{
    private const int Size = 32 * 1024;
    private AesCtr _ctr = null!;
    private IncrementalHash _hmac = null!;
    private byte[] _buffer = null!;
    private byte[] _mac = null!;
    private readonly uint[] _chachaKey = new uint[ChaCha20.KeyWords];
    private readonly byte[] _nonce = new byte[ChaCha20.NonceSize];
    private readonly byte[] _polyKey = new byte[Poly1305.KeySize];

    [GlobalSetup]
    public void Setup()
    {
        _ctr = new AesCtr(RandomNumberGenerator.GetBytes(16), new byte[16]);
        _hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, RandomNumberGenerator.GetBytes(32));
        _buffer = new byte[Size];
        _mac = new byte[32];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _ctr.Dispose();
        _hmac.Dispose();
    }

    [Benchmark]
    public void CtrTransform32K() => _ctr.Transform(_buffer, _buffer);

    [Benchmark]
    public void ChaCha20Xor32K() => ChaCha20.Xor(_chachaKey, 1, _nonce, _buffer, _buffer);

    [Benchmark]
    public void Poly1305_32K() => Poly1305.Compute(_polyKey, _buffer, _mac.AsSpan(0, 16));

    [Benchmark]
    public void HmacSha256_32K()
    {
        _hmac.AppendData(_buffer);
        _hmac.GetHashAndReset(_mac);
    }
}
