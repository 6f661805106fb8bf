using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using NativeSftp.Crypto.Ciphers;

namespace NativeSftp.Benchmarks.Ciphers;

/// <summary>The CTR keystream path alone and raw HMAC-SHA256, to see which half of aes-ctr + hmac costs what.</summary>
[MemoryDiagnoser]
public class CtrKeystreamCipherParts
{
    private const int Size = 32 * 1024;
    private AesCtr _ctr = null!;
    private IncrementalHash _hmac = null!;
    private byte[] _buffer = null!;
    private byte[] _mac = null!;

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
    public void HmacSha256_32K()
    {
        _hmac.AppendData(_buffer);
        _hmac.GetHashAndReset(_mac);
    }
}
