using System.Buffers;
using System.Globalization;
using NativeSftp.Wire;

namespace NativeSftp.Sftp.Protocol.Extensions;

/// <summary>
/// A check-file answer: the algorithm the server chose and the hashes, one per block (or one for the whole range
/// when the block size was 0), each <see cref="HashSize"/> bytes.
/// </summary>
public sealed class SftpCheckFileResult
{
    internal SftpCheckFileResult(string algorithm, int hashSize, byte[] hashes)
    {
        Algorithm = algorithm;
        HashSize = hashSize;
        Hashes = hashes;
    }

    public string Algorithm { get; }
    public int HashSize { get; }
    /// <summary>The hashes concatenated as the server sent them.</summary>
    public byte[] Hashes { get; }
    public int Count => Hashes.Length / HashSize;
    public ReadOnlySpan<byte> GetHash(int index) => Hashes.AsSpan(checked(index * HashSize), HashSize);
}

/// <summary>
/// check-file-handle / check-file-name (draft-ietf-secsh-filexfer-extensions-00):
/// <c>string handle-or-filename, string hash-algorithm-list, uint64 start-offset, uint64 length,
/// uint32 block-size</c>. Reply: EXTENDED_REPLY <c>string "check-file", string hash-algo-used, byte[] hashes</c>
/// (the hashes run to the end of the packet).
/// </summary>
internal static class SftpCheckFile
{
    /// <summary>The draft: a non-zero block size below 256 bytes is invalid.</summary>
    public const uint MinBlockSize = 256;

    /// <summary>Digest sizes of the algorithms the draft names; a reply naming any other cannot be split into hashes.</summary>
    internal static int HashSizeOf(string algorithm) => algorithm switch
    {
        "md5" => 16,
        "sha1" => 20,
        "sha224" => 28,
        "sha256" => 32,
        "sha384" => 48,
        "sha512" => 64,
        "crc32" => 4,
        _ => 0,
    };

    public static void WriteForHandle(IBufferWriter<byte> output, uint requestId, ReadOnlySpan<byte> handle,
        IReadOnlyList<string> algorithms, ulong startOffset, ulong length, uint blockSize)
    {
        string list = JoinAlgorithms(algorithms, blockSize);
        var w = SftpExtended.Begin(output, requestId, SftpExtensionNames.CheckFileHandle,
            SftpPacketWriter.HandleSize(handle) + SftpPacketWriter.StringSize(list) + 8 + 8 + 4);
        w.WriteString(handle);
        WriteTail(ref w, list, startOffset, length, blockSize);
    }

    public static void WriteForName(IBufferWriter<byte> output, uint requestId, SftpPath path,
        IReadOnlyList<string> algorithms, ulong startOffset, ulong length, uint blockSize)
    {
        string list = JoinAlgorithms(algorithms, blockSize);
        var w = SftpExtended.Begin(output, requestId, SftpExtensionNames.CheckFileName,
            SftpPacketWriter.StringSize(path) + SftpPacketWriter.StringSize(list) + 8 + 8 + 4);
        w.WritePath(path);
        WriteTail(ref w, list, startOffset, length, blockSize);
    }

    private static void WriteTail(ref SftpPacketWriter w, string list, ulong startOffset, ulong length, uint blockSize)
    {
        w.WritePath(list);
        w.WriteUInt64(startOffset);
        w.WriteUInt64(length);
        w.WriteUInt32(blockSize);
        w.Finish();
    }

    private static string JoinAlgorithms(IReadOnlyList<string> algorithms, uint blockSize)
    {
        ArgumentNullException.ThrowIfNull(algorithms);
        if (algorithms.Count == 0)
        {
            throw new ArgumentException("at least one hash algorithm is needed", nameof(algorithms));
        }

        foreach (string a in algorithms)
        {
            if (string.IsNullOrEmpty(a) || a.Contains(',', StringComparison.Ordinal))
            {
                throw new ArgumentException($"'{a}' cannot be a member of the hash-algorithm-list", nameof(algorithms));
            }
        }

        if (blockSize != 0 && blockSize < MinBlockSize)
        {
            throw new ArgumentOutOfRangeException(nameof(blockSize), blockSize, "check-file block size is 0 (one hash) or at least 256");
        }

        return string.Join(',', algorithms);
    }

    /// <summary>
    /// Parses the EXTENDED_REPLY body (after the request id). The algorithm must be one we asked for and one whose
    /// digest size we know, and the hashes must be a whole number of digests.
    /// </summary>
    public static SftpCheckFileResult ReadReply(ReadOnlySpan<byte> body, IReadOnlyList<string> requestedAlgorithms)
    {
        ArgumentNullException.ThrowIfNull(requestedAlgorithms);
        var reader = new SshReader(body);
        string tag = reader.ReadAscii();
        string algorithm;
        if (tag == SftpExtensionNames.CheckFileReply)
        {
            algorithm = reader.ReadAscii();
        }
        else if (Contains(requestedAlgorithms, tag))
        {
            // ProFTPD's mod_sftp leaves out the "check-file" string and starts with the algorithm.
            algorithm = tag;
        }
        else
        {
            throw Error($"check-file reply starts with '{tag}', neither '{SftpExtensionNames.CheckFileReply}' nor a requested algorithm");
        }

        int size = HashSizeOf(algorithm);
        if (size == 0 || !Contains(requestedAlgorithms, algorithm))
        {
            throw Error($"check-file reply uses '{algorithm}', which was not requested or has no known digest size");
        }

        var hashes = reader.ReadRemaining();
        if (hashes.Length % size != 0)
        {
            throw Error(string.Create(CultureInfo.InvariantCulture,
                $"check-file reply has {hashes.Length} hash bytes, not a multiple of the {size}-byte {algorithm} digest"));
        }

        return new SftpCheckFileResult(algorithm, size, hashes.ToArray());
    }

    private static bool Contains(IReadOnlyList<string> list, string value)
    {
        foreach (string s in list)
        {
            if (s == value)
            {
                return true;
            }
        }

        return false;
    }

    private static SshProtocolException Error(string message) => new(DisconnectReason.ProtocolError, "SFTP " + message);
}
