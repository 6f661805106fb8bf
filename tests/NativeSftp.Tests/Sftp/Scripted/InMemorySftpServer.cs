using System.Buffers.Binary;
using NativeSftp.Sftp.Protocol;

namespace NativeSftp.Tests.Sftp.Scripted;

/// <summary>What the server does with one request when a test intervenes.</summary>
internal abstract record ScriptedAction
{
    /// <summary>Answer as a correct server would.</summary>
    public static readonly ScriptedAction Default = new DefaultAction();

    /// <summary>Never answer (the request stays outstanding).</summary>
    public static readonly ScriptedAction Ignore = new IgnoreAction();

    /// <summary>Close the link instead of answering.</summary>
    public static readonly ScriptedAction CloseLink = new CloseAction();

    /// <summary>Send these bytes instead of the answer (any packet, or garbage).</summary>
    public static ScriptedAction Send(byte[] bytes) => new SendAction(bytes);

    public static ScriptedAction Status(uint id, SftpStatusCode code, string message) => Send(SftpReplies.Status(id, code, message));

    internal sealed record DefaultAction : ScriptedAction;
    internal sealed record IgnoreAction : ScriptedAction;
    internal sealed record CloseAction : ScriptedAction;
    internal sealed record SendAction(byte[] Bytes) : ScriptedAction;
}

/// <summary>
/// A small in-memory SFTP v3 file server on a <see cref="ScriptedSftpPeer"/>: OPEN, CLOSE, READ, WRITE, STAT,
/// LSTAT, FSTAT, SETSTAT, FSETSTAT, REMOVE, RENAME, REALPATH, over a dictionary of files. A test bends it with
/// <see cref="Intercept"/> (a reply of its choosing per request), <see cref="MaxDataPerRead"/> (short reads) and
/// <see cref="ReverseEachBatch"/> (replies to the requests that arrived together, in reverse order).
/// </summary>
internal sealed class InMemorySftpServer
{
    private readonly ScriptedSftpPeer _peer;
    private readonly Dictionary<uint, string> _handles = [];
    private readonly Dictionary<byte, int> _counts = [];
    private uint _nextHandle;

    public InMemorySftpServer(ScriptedSftpPeer peer) => _peer = peer;

    public Dictionary<string, byte[]> Files { get; } = new(StringComparer.Ordinal);

    /// <summary>Given a request and its 1-based number among requests of its type, what to do (null: the default).</summary>
    public Func<ScriptedRequest, int, ScriptedAction?>? Intercept { get; set; }

    /// <summary>DATA replies carry at most this many bytes (a server may answer any READ short, draft-02 §6.4).</summary>
    public int? MaxDataPerRead { get; set; }

    public bool ReverseEachBatch { get; set; }

    /// <summary>Batches of two or more replies that were sent in reverse order.</summary>
    public int ReorderedBatches { get; private set; }

    public int Count(byte type) => _counts.GetValueOrDefault(type);

    /// <summary>Every request in arrival order, by type (an extended request by its name).</summary>
    public List<string> Log { get; } = [];

    /// <summary>Serves until the client closes the link, the script closes it, or <paramref name="cancellationToken"/>.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var batch = await _peer.ReadBatchAsync(cancellationToken);
            if (batch.Count == 0)
            {
                return;
            }

            var replies = new List<byte[]>(batch.Count);
            foreach (var request in batch)
            {
                Log.Add(request.ExtendedName ?? request.Type.ToString(System.Globalization.CultureInfo.InvariantCulture));
                int n = _counts[request.Type] = _counts.GetValueOrDefault(request.Type) + 1;
                switch (Intercept?.Invoke(request, n) ?? ScriptedAction.Default)
                {
                    case ScriptedAction.IgnoreAction:
                        break;
                    case ScriptedAction.CloseAction:
                        await SendAllAsync(replies);
                        await _peer.CloseAsync();
                        return;
                    case ScriptedAction.SendAction send:
                        replies.Add(send.Bytes);
                        break;
                    default:
                        replies.Add(Answer(request));
                        break;
                }
            }

            if (ReverseEachBatch && replies.Count > 1)
            {
                replies.Reverse();
                ReorderedBatches++;
            }

            await SendAllAsync(replies);
        }
    }

    private async Task SendAllAsync(List<byte[]> replies)
    {
        foreach (var r in replies)
        {
            await _peer.SendAsync(r);
        }
    }

    /// <summary>The correct reply to <paramref name="r"/>.</summary>
    public byte[] Answer(ScriptedRequest r)
    {
        switch (r.Type)
        {
            case SftpPacketType.Open:
            {
                bool exists = Files.ContainsKey(r.Path!);
                if (!exists && (r.Flags & SftpOpenFlags.Create) == 0)
                {
                    return SftpReplies.Status(r.Id, SftpStatusCode.NoSuchFile, "No such file");
                }

                if (exists && (r.Flags & SftpOpenFlags.Exclusive) != 0)
                {
                    return SftpReplies.Status(r.Id, SftpStatusCode.Failure, "File exists");
                }

                if (!exists || (r.Flags & SftpOpenFlags.Truncate) != 0)
                {
                    Files[r.Path!] = [];
                }

                uint h = ++_nextHandle;
                _handles[h] = r.Path!;
                byte[] handle = new byte[4];
                BinaryPrimitives.WriteUInt32BigEndian(handle, h);
                return SftpReplies.Handle(r.Id, handle);
            }

            case SftpPacketType.Close:
                return _handles.Remove(HandleOf(r)) ? SftpReplies.Ok(r.Id) : SftpReplies.Status(r.Id, SftpStatusCode.Failure, "bad handle");

            case SftpPacketType.Read:
            {
                byte[] file = Files[PathOf(r)];
                if (r.Offset >= (ulong)file.Length)
                {
                    return SftpReplies.Status(r.Id, SftpStatusCode.Eof, "EOF");
                }

                long n = Math.Min(r.Length, file.Length - (long)r.Offset);
                if (MaxDataPerRead is int max)
                {
                    n = Math.Min(n, max);
                }

                return SftpReplies.Data(r.Id, file.AsSpan((int)r.Offset, (int)n));
            }

            case SftpPacketType.Write:
            {
                string path = PathOf(r);
                byte[] file = Files[path];
                long end = (long)r.Offset + r.Data!.Length;
                if (end > file.Length)
                {
                    Array.Resize(ref file, (int)end);
                    Files[path] = file;
                }

                r.Data.CopyTo(file, (int)r.Offset);
                return SftpReplies.Ok(r.Id);
            }

            case SftpPacketType.Stat or SftpPacketType.Lstat:
                return Files.TryGetValue(r.Path!, out var f)
                    ? SftpReplies.Attrs(r.Id, new SftpAttributes { Size = (ulong)f.Length, Permissions = 0x81a4 })
                    : SftpReplies.Status(r.Id, SftpStatusCode.NoSuchFile, "No such file");

            case SftpPacketType.Fstat:
                return SftpReplies.Attrs(r.Id, new SftpAttributes { Size = (ulong)Files[PathOf(r)].Length, Permissions = 0x81a4 });

            case SftpPacketType.Fsetstat or SftpPacketType.Setstat:
            {
                string path = r.Type == SftpPacketType.Fsetstat ? PathOf(r) : r.Path!;
                if (r.Attributes?.Size is ulong size)
                {
                    byte[] file = Files[path];
                    Array.Resize(ref file, (int)size);
                    Files[path] = file;
                }

                return SftpReplies.Ok(r.Id);
            }

            case SftpPacketType.Remove:
                return Files.Remove(r.Path!) ? SftpReplies.Ok(r.Id) : SftpReplies.Status(r.Id, SftpStatusCode.NoSuchFile, "No such file");

            case SftpPacketType.Rename:
            {
                string to = System.Text.Encoding.UTF8.GetString(r.ExtendedBody!);
                // Plain v3 RENAME (draft-02 §6.5): an existing target is an error, and the source stays where it is.
                if (Files.ContainsKey(to) || !Files.Remove(r.Path!, out var data))
                {
                    return SftpReplies.Status(r.Id, SftpStatusCode.Failure, "rename failed");
                }

                Files[to] = data;
                return SftpReplies.Ok(r.Id);
            }

            case SftpPacketType.Realpath:
                return SftpReplies.Name(r.Id, r.Path == "." ? "/" : r.Path!);

            default:
                return SftpReplies.Status(r.Id, SftpStatusCode.OpUnsupported, "not scripted");
        }
    }

    private static uint HandleOf(ScriptedRequest r) => BinaryPrimitives.ReadUInt32BigEndian(r.Handle);

    private string PathOf(ScriptedRequest r) => _handles[HandleOf(r)];
}
