using System.Buffers.Binary;
using System.Security.Cryptography;

namespace NativeSftp.Crypto.Ciphers;

/// <summary>
/// AES in counter mode for SSH (RFC 4344 §4): the counter is the IV read as one 128-bit big-endian integer,
/// incremented by one per block modulo 2^128 and carried across packets. Counter blocks are encrypted a batch at
/// a time with an ECB transform into a reusable keystream buffer, then XORed with vectors, so a packet costs no
/// allocation. SSH only ever encrypts whole blocks (RFC 4253 §6 pads to the block size), so no partial keystream
/// block is carried between calls.
/// </summary>
internal sealed class AesCtr : IDisposable
{
    /// <summary>AES's block, 128 bits (FIPS 197).</summary>
    public const int BlockSize = 16;

    /// <summary>
    /// Counter blocks per ECB batch: 256 blocks x 16 bytes = 4 KiB of keystream, large enough to amortise the call
    /// into the native cipher and small enough to stay in L1 alongside the packet.
    /// </summary>
    private const int BatchBlocks = 256;

    private const int BatchBytes = BatchBlocks * BlockSize;

    private readonly Aes _aes;
    private readonly ICryptoTransform _ecb;
    private readonly byte[] _counterBlocks = new byte[BatchBytes];
    private readonly byte[] _keystream = new byte[BatchBytes];
    private ulong _counterHigh;
    private ulong _counterLow;
    private bool _disposed;

    public AesCtr(ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv)
    {
        if (iv.Length != BlockSize)
        {
            throw new ArgumentException($"AES-CTR needs a {BlockSize}-byte IV, got {iv.Length}.", nameof(iv));
        }

        _aes = Aes.Create();
        byte[] keyCopy = key.ToArray();
        try
        {
            _aes.Key = keyCopy; // throws CryptographicException for a length AES does not have
        }
        finally
        {
            CryptographicOperations.ZeroMemory(keyCopy);
        }

        _aes.Mode = CipherMode.ECB;
        _aes.Padding = PaddingMode.None;
        _ecb = _aes.CreateEncryptor();
        _counterHigh = BinaryPrimitives.ReadUInt64BigEndian(iv);
        _counterLow = BinaryPrimitives.ReadUInt64BigEndian(iv.Slice(sizeof(ulong)));
    }

    /// <summary>
    /// XORs <paramref name="source"/> (a whole number of blocks) with the keystream from the current counter into
    /// <paramref name="destination"/> (same length, may be the same memory) and advances the counter past it.
    /// </summary>
    public void Transform(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (source.Length % BlockSize != 0)
        {
            throw new ArgumentException($"AES-CTR here transforms whole {BlockSize}-byte blocks; got {source.Length} bytes.", nameof(source));
        }

        int offset = 0;
        while (offset < source.Length)
        {
            int n = Math.Min(BatchBytes, source.Length - offset);
            FillKeystream(n / BlockSize, advance: true);
            XorBytes.Xor(source.Slice(offset, n), _keystream.AsSpan(0, n), destination.Slice(offset, n));
            offset += n;
        }
    }

    /// <summary>
    /// Decrypts the first block at the current counter into <paramref name="destination"/> WITHOUT advancing, so
    /// that the transport can learn packet_length before the whole packet has arrived (RFC 4253 §6: the length is
    /// encrypted with the first block); the following <see cref="Transform"/> decrypts the packet from the start.
    /// </summary>
    public void PeekFirstBlock(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        FillKeystream(1, advance: false);
        XorBytes.Xor(source.Slice(0, BlockSize), _keystream.AsSpan(0, BlockSize), destination);
    }

    private void FillKeystream(int blocks, bool advance)
    {
        ulong high = _counterHigh;
        ulong low = _counterLow;
        Span<byte> counters = _counterBlocks.AsSpan(0, blocks * BlockSize);
        for (int i = 0; i < blocks; i++)
        {
            Span<byte> block = counters.Slice(i * BlockSize, BlockSize);
            BinaryPrimitives.WriteUInt64BigEndian(block, high);
            BinaryPrimitives.WriteUInt64BigEndian(block.Slice(sizeof(ulong)), low);

            // 128-bit increment: a carry out of the low half goes into the high half (RFC 4344 §4, mod 2^128).
            low = unchecked(low + 1);
            if (low == 0)
            {
                high = unchecked(high + 1);
            }
        }

        _ecb.TransformBlock(_counterBlocks, 0, blocks * BlockSize, _keystream, 0);
        if (advance)
        {
            _counterHigh = high;
            _counterLow = low;
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _ecb.Dispose();
        _aes.Dispose();
        CryptographicOperations.ZeroMemory(_keystream);
        CryptographicOperations.ZeroMemory(_counterBlocks);
        _counterHigh = _counterLow = 0;
    }
}
