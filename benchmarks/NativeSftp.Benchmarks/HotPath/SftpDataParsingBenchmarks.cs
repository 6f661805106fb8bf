using System.Buffers;
using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using NativeSftp.Sftp.Protocol;

namespace NativeSftp.Benchmarks.HotPath;

/// <summary>
/// The download's per-reply parsing: split one DATA packet off the channel's receive buffer (SftpFramer), find its
/// data (SftpData) and copy it to the reader's destination, which is the only copy the real path makes. A 32 KiB
/// DATA reply (32 KiB + 13 bytes) does not fit one 32 KiB CHANNEL_DATA from OpenSSH, so the split case, where the
/// packet straddles two receive segments, is the common one. Goal: 0 B allocated per operation.
/// </summary>
[MemoryDiagnoser]
public class SftpDataParsingBenchmarks
{
    private const int DataLength = 32 * 1024;

    /// <summary>Where OpenSSH's sftp-server splits its output: 32 KiB channel packets (CHAN_SES_PACKET_DEFAULT).</summary>
    private const int ChannelPacketSize = 32 * 1024;

    private ReadOnlySequence<byte> _sequence;
    private byte[] _destination = null!;

    [Params(false, true)]
    public bool Split { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        byte[] packet = new byte[SftpData.HeaderSize + DataLength];
        BinaryPrimitives.WriteUInt32BigEndian(packet, (uint)(packet.Length - 4));
        packet[4] = SftpPacketType.Data;
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(5), 42);
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(9), DataLength);
        new Random(1).NextBytes(packet.AsSpan(SftpData.HeaderSize));
        _destination = new byte[DataLength];
        if (!Split)
        {
            _sequence = new ReadOnlySequence<byte>(packet);
            return;
        }

        var first = new Segment(packet.AsMemory(0, ChannelPacketSize), 0);
        var second = first.Append(packet.AsMemory(ChannelPacketSize));
        _sequence = new ReadOnlySequence<byte>(first, 0, second, second.Memory.Length);
    }

    /// <summary>The receive loop's path: TryReadPacket, then the DATA body's length check and the copy (SftpClient.CopyData).</summary>
    [Benchmark(Baseline = true)]
    public int FramerThenCopyData()
    {
        var buffer = _sequence;
        if (!SftpFramer.TryReadPacket(ref buffer, out SftpPacket packet))
        {
            throw new InvalidOperationException("the benchmark packet is incomplete");
        }

        var body = packet.Body;
        if (body.FirstSpan.Length >= body.Length)
        {
            var data = SftpData.Read(body.FirstSpan);
            data.CopyTo(_destination);
            return data.Length;
        }

        Span<byte> lengthBytes = stackalloc byte[4];
        body.Slice(0, 4).CopyTo(lengthBytes);
        int length = (int)BinaryPrimitives.ReadUInt32BigEndian(lengthBytes);
        body.Slice(4, length).CopyTo(_destination);
        return length;
    }

    /// <summary>The header-first form: SftpData.TryParseHeader on the sequence, then one copy of the data.</summary>
    [Benchmark]
    public int ParseHeaderThenCopy()
    {
        if (!SftpData.TryParseHeader(_sequence, out SftpDataHeader header))
        {
            throw new InvalidOperationException("the benchmark packet is incomplete");
        }

        _sequence.Slice(header.DataOffset, header.DataLength).CopyTo(_destination);
        return header.DataLength;
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
