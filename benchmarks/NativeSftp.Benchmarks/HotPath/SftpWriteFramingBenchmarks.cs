using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using NativeSftp.Sftp.Protocol;
using NativeSftp.Transport;
using NativeSftp.Wire;

namespace NativeSftp.Benchmarks.HotPath;

/// <summary>
/// The upload's per-request framing, as the data path does it: the file chunk already sits after the WRITE header
/// in a pooled buffer (PipelinedUpload reads it there), the header is written in front of it, then the channel
/// copies the SFTP packet behind a hand-written CHANNEL_DATA header into the transport's packet buffer.
/// Goal: 0 B allocated per operation.
/// </summary>
[MemoryDiagnoser]
public class SftpWriteFramingBenchmarks
{
    /// <summary>OpenSSH's internal-sftp hands out 4-byte handles (a big-endian index into its handle table).</summary>
    private const int HandleLength = 4;

    /// <summary>byte SSH_MSG_CHANNEL_DATA + uint32 recipient + uint32 data length (RFC 4254 §5.2).</summary>
    private const int ChannelDataHeaderSize = 9;

    private byte[] _handle = null!;
    private byte[] _sftpBuffer = null!;
    private byte[] _packetBuffer = null!;
    private int _sftpHeader;
    private ulong _offset;
    private uint _id;

    /// <summary>32 KiB is the default request size without limits@openssh.com; 255 KiB is what OpenSSH 9 announces.</summary>
    [Params(32 * 1024, 255 * 1024)]
    public int ChunkSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _handle = [0, 0, 0, 1];
        _sftpHeader = SftpWrite.HeaderSize(HandleLength);
        _sftpBuffer = new byte[_sftpHeader + ChunkSize];
        new Random(1).NextBytes(_sftpBuffer.AsSpan(_sftpHeader));
        _packetBuffer = new byte[SshTransport.PacketOverhead + ChannelDataHeaderSize + _sftpHeader + ChunkSize];
    }

    /// <summary>Only the in-place WRITE header (what SftpClient.WriteInPlaceAsync does per request).</summary>
    [Benchmark]
    public int WriteHeaderInPlace() => SftpWrite.WriteHeader(_sftpBuffer, _id++, _handle, _offset += (ulong)ChunkSize, ChunkSize);

    /// <summary>Header, then the SFTP packet copied into a CHANNEL_DATA payload (SshChannel.WriteAsync's one copy).</summary>
    [Benchmark(Baseline = true)]
    public int WriteHeaderAndFrameChannelData()
    {
        int sftpLength = SftpWrite.WriteHeader(_sftpBuffer, _id++, _handle, _offset += (ulong)ChunkSize, ChunkSize) + ChunkSize;
        Span<byte> payload = _packetBuffer.AsSpan(PacketEncoderHeader);
        payload[0] = MessageNumbers.ChannelData;
        BinaryPrimitives.WriteUInt32BigEndian(payload[1..], 0);
        BinaryPrimitives.WriteUInt32BigEndian(payload[5..], (uint)sftpLength);
        _sftpBuffer.AsSpan(0, sftpLength).CopyTo(payload[ChannelDataHeaderSize..]);
        return ChannelDataHeaderSize + sftpLength;
    }

    /// <summary>uint32 packet_length + byte padding_length in front of every payload (RFC 4253 §6).</summary>
    private const int PacketEncoderHeader = 5;
}
