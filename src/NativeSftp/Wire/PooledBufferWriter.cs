using System.Buffers;
using System.Security.Cryptography;

namespace NativeSftp.Wire;

/// <summary>
/// An <see cref="IBufferWriter{T}"/> over arrays rented from <see cref="ArrayPool{T}.Shared"/>. Returned arrays
/// are cleared when <see cref="ClearOnReturn"/> is set (anything that held key material or a password).
/// </summary>
public sealed class PooledBufferWriter : IBufferWriter<byte>, IDisposable
{
    private const int DefaultInitialCapacity = 256;
    private byte[] _buffer;
    private int _written;

    public PooledBufferWriter(int initialCapacity = DefaultInitialCapacity, bool clearOnReturn = false)
    {
        _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(initialCapacity, 16));
        ClearOnReturn = clearOnReturn;
    }

    public bool ClearOnReturn { get; }
    public int WrittenCount => _written;
    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _written);
    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _written);

    public byte[] ToArray() => WrittenSpan.ToArray();

    public void Reset()
    {
        if (ClearOnReturn)
        {
            CryptographicOperations.ZeroMemory(_buffer.AsSpan(0, _written));
        }

        _written = 0;
    }

    public void Advance(int count)
    {
        if (count < 0 || _written + count > _buffer.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(count));
        }

        _written += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_written);
    }

    private void Ensure(int sizeHint)
    {
        if (sizeHint < 1)
        {
            sizeHint = 1;
        }

        if (_buffer.Length - _written >= sizeHint)
        {
            return;
        }

        int newSize = Math.Max(_buffer.Length * 2, _written + sizeHint);
        byte[] next = ArrayPool<byte>.Shared.Rent(newSize);
        _buffer.AsSpan(0, _written).CopyTo(next);
        Return(_buffer);
        _buffer = next;
    }

    private void Return(byte[] array)
    {
        if (ClearOnReturn)
        {
            CryptographicOperations.ZeroMemory(array.AsSpan(0, _written));
        }

        ArrayPool<byte>.Shared.Return(array);
    }

    public void Dispose()
    {
        if (_buffer.Length == 0)
        {
            return;
        }

        Return(_buffer);
        _buffer = [];
        _written = 0;
    }
}
