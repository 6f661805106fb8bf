using System.Buffers;
using System.Globalization;
using System.Text;
using NativeSftp.Wire;

namespace NativeSftp.Tests.Sftp.Protocol;

/// <summary>Test helpers: capture a writer's output as hex, and spell expected fields as hex by hand.</summary>
internal static class SftpBytes
{
    public static string Capture(Action<IBufferWriter<byte>> write)
    {
        using var buffer = new PooledBufferWriter();
        write(buffer);
        return Convert.ToHexString(buffer.WrittenSpan);
    }

    /// <summary>Joins hex pieces, ignoring spaces, upper-cased to compare with Convert.ToHexString.</summary>
    public static string Hex(params string[] parts) => string.Concat(parts).Replace(" ", "", StringComparison.Ordinal).ToUpperInvariant();

    public static byte[] Bytes(params string[] parts) => Convert.FromHexString(Hex(parts));

    public static string U32(uint v) => v.ToString("X8", CultureInfo.InvariantCulture);
    public static string U64(ulong v) => v.ToString("X16", CultureInfo.InvariantCulture);

    /// <summary>An SSH string of ASCII text: uint32 length then the bytes.</summary>
    public static string S(string ascii) => U32((uint)ascii.Length) + Convert.ToHexString(Encoding.ASCII.GetBytes(ascii));

    /// <summary>A single-segment or split multi-segment sequence over <paramref name="bytes"/>.</summary>
    public static ReadOnlySequence<byte> Sequence(byte[] bytes, params int[] splitAt)
    {
        if (splitAt.Length == 0)
        {
            return new ReadOnlySequence<byte>(bytes);
        }

        var first = new Segment(bytes.AsMemory(0, splitAt[0]), 0);
        Segment last = first;
        int start = splitAt[0];
        for (int i = 1; i <= splitAt.Length; i++)
        {
            int end = i < splitAt.Length ? splitAt[i] : bytes.Length;
            last = last.Append(bytes.AsMemory(start, end - start));
            start = end;
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
