using NativeSftp.Connection;
using NativeSftp.Sftp;
using NativeSftp.Sftp.Protocol;

namespace NativeSftp.Tests.Sftp.Scripted;

/// <summary>SftpFileStream against the in-memory server: read-ahead, short reads, reordering, seeks, and write failures that must surface.</summary>
[TestFixture]
public class ScriptedStreamTests
{
    private const int Chunk = 1024;
    private static readonly TimeSpan Hang = ScriptedSftpPeer.StepTimeout;
    private static readonly SftpStreamOptions Options = new() { ChunkSize = Chunk, ReadAhead = 8, WriteBehind = 8 };
    private ScriptedSftpPeer _peer = null!;
    private SftpClient _sftp = null!;
    private InMemorySftpServer _server = null!;
    private CancellationTokenSource _stop = null!;
    private Task _serving = null!;

    [SetUp]
    public async Task Connect()
    {
        (_peer, _sftp) = await ScriptedSftpPeer.ConnectAsync();
        _server = new InMemorySftpServer(_peer);
        _stop = new CancellationTokenSource();
        _serving = Task.Run(() => _server.RunAsync(_stop.Token));
    }

    [TearDown]
    public async Task Disconnect()
    {
        await _sftp.DisposeAsync();
        await _stop.CancelAsync();
        try
        {
            await _serving;
        }
        catch (OperationCanceledException)
        {
            // how the server loop ends
        }

        await _peer.DisposeAsync();
        _stop.Dispose();
    }

    private static byte[] Pattern(int n) => Enumerable.Range(0, n).Select(i => (byte)(i * 7 + i / 251)).ToArray();

    private async Task<byte[]> ReadAllAsync(SftpFileStream s, int pieceSize)
    {
        var output = new MemoryStream();
        byte[] piece = new byte[pieceSize];
        int n;
        while ((n = await s.ReadAsync(piece).AsTask().WaitAsync(Hang)) > 0)
        {
            output.Write(piece, 0, n);
        }

        return output.ToArray();
    }

    [Test]
    public async Task SequentialRead_WithShortReadReplies_ReturnsTheWholeFile()
    {
        byte[] data = Pattern(20_000);
        _server.Files["/f"] = data;
        _server.MaxDataPerRead = 300;
        await using var s = await _sftp.OpenStreamAsync("/f", FileMode.Open, FileAccess.Read, Options, CancellationToken.None);
        Assert.That(s.Length, Is.EqualTo(20_000));
        Assert.That(await ReadAllAsync(s, 777), Is.EqualTo(data));
        Assert.That(_server.Count(SftpPacketType.Read), Is.GreaterThan(20_000 / 300), "every short reply was followed by a READ for its remainder");
    }

    [Test]
    public async Task SequentialRead_WithRepliesReversed_ReturnsTheWholeFile()
    {
        byte[] data = Pattern(50_000);
        _server.Files["/f"] = data;
        _server.ReverseEachBatch = true;
        await using var s = await _sftp.OpenStreamAsync("/f", FileMode.Open, FileAccess.Read, Options, CancellationToken.None);
        Assert.That(await ReadAllAsync(s, 4096), Is.EqualTo(data));
        Assert.That(_server.ReorderedBatches, Is.GreaterThan(0), "the server did answer out of order");
    }

    [Test]
    public async Task SequentialRead_RampsReadAheadUpToTheLimit()
    {
        _server.Files["/f"] = Pattern(100 * Chunk);
        await using var s = await _sftp.OpenStreamAsync("/f", FileMode.Open, FileAccess.Read, Options, CancellationToken.None);
        byte[] piece = new byte[Chunk];
        await s.ReadExactlyAsync(piece);
        Assert.That(s.ReadsInFlight, Is.LessThanOrEqualTo(2), "after an open, read-ahead starts small");
        for (int i = 0; i < 10; i++)
        {
            await s.ReadExactlyAsync(piece);
        }

        Assert.That(s.ReadsInFlight, Is.EqualTo(Options.ReadAhead));

        s.Position = 0;
        await s.ReadExactlyAsync(piece);
        Assert.That(s.ReadsInFlight, Is.LessThanOrEqualTo(2), "a seek drops the read-ahead and starts again");
    }

    [Test]
    public async Task RandomSeeksAndReads_ReturnTheRightBytes()
    {
        byte[] data = Pattern(64 * Chunk + 123);
        _server.Files["/f"] = data;
        _server.MaxDataPerRead = 700;
        _server.ReverseEachBatch = true;
        var random = new Random(1234);
        await using var s = await _sftp.OpenStreamAsync("/f", FileMode.Open, FileAccess.Read, Options, CancellationToken.None);
        for (int i = 0; i < 200; i++)
        {
            long at = random.Next(data.Length + 10);
            s.Seek(at, SeekOrigin.Begin);
            byte[] got = new byte[random.Next(1, 5000)];
            int n = await s.ReadAtLeastAsync(got, got.Length, throwOnEndOfStream: false).AsTask().WaitAsync(Hang);
            int expected = (int)Math.Clamp(data.Length - at, 0, got.Length);
            Assert.That(n, Is.EqualTo(expected), $"read at {at}");
            Assert.That(got.AsSpan(0, n).SequenceEqual(data.AsSpan((int)Math.Min(at, data.Length), n)), Is.True, $"bytes at {at}");
        }

        s.Seek(-10, SeekOrigin.End);
        Assert.That(await ReadAllAsync(s, 100), Is.EqualTo(data[^10..]));
    }

    [Test]
    public async Task Write_InRandomPieces_LandsInOrder_AndFlushWaitsForEveryStatus()
    {
        byte[] data = Pattern(40_000);
        _server.ReverseEachBatch = true;
        await using (var s = await _sftp.OpenStreamAsync("/w", FileMode.Create, FileAccess.Write, Options, CancellationToken.None))
        {
            var random = new Random(5);
            for (int at = 0; at < data.Length;)
            {
                int n = Math.Min(random.Next(1, 3000), data.Length - at);
                await s.WriteAsync(data.AsMemory(at, n));
                at += n;
            }

            await s.FlushAsync();
            Assert.That(_sftp.RequestsInFlight, Is.Zero, "FlushAsync returned with WRITEs unanswered");
            Assert.That(_server.Files["/w"], Is.EqualTo(data));
            Assert.That(s.Length, Is.EqualTo(data.Length));
        }

        Assert.That(_server.Count(SftpPacketType.Close), Is.EqualTo(1));
    }

    [Test]
    public async Task FifthWriteFails_TheFailureIsThrown_FromWriteOrFlush_AndNotAgainFromDispose()
    {
        _server.Intercept = (r, n) => r.Type == SftpPacketType.Write && n == 5 ? ScriptedAction.Status(r.Id, SftpStatusCode.Failure, "quota exceeded") : null;
        var s = await _sftp.OpenStreamAsync("/w", FileMode.Create, FileAccess.Write, Options, CancellationToken.None);
        var ex = Assert.ThrowsAsync<SftpException>(async () =>
        {
            for (int i = 0; i < 10; i++)
            {
                await s.WriteAsync(new byte[Chunk]);
            }

            await s.FlushAsync();
        });
        Assert.That(ex!.ServerMessage, Is.EqualTo("quota exceeded"));
        Assert.That(s.FailedWriteOffset, Is.EqualTo(4 * Chunk));
        Assert.ThrowsAsync<SftpException>(async () => await s.WriteAsync(new byte[1]), "the stream stays failed for writing");
        Assert.ThrowsAsync<SftpException>(async () => await s.FlushAsync());
        await s.DisposeAsync();
        Assert.That(_server.Count(SftpPacketType.Close), Is.EqualTo(1), "the handle is closed after a failure too");
    }

    [Test]
    public async Task FailedWriteNobodyFlushed_IsThrownByDisposeAsync()
    {
        // 4.5 chunks: the fifth WRITE holds the tail and is only sent by DisposeAsync, which must report it.
        _server.Intercept = (r, n) => r.Type == SftpPacketType.Write && n == 5 ? ScriptedAction.Status(r.Id, SftpStatusCode.Failure, "I/O error") : null;
        var s = await _sftp.OpenStreamAsync("/w", FileMode.Create, FileAccess.Write, Options, CancellationToken.None);
        await s.WriteAsync(new byte[4 * Chunk + Chunk / 2]);
        var ex = Assert.ThrowsAsync<SftpException>(async () => await s.DisposeAsync());
        Assert.That(ex!.ServerMessage, Is.EqualTo("I/O error"));
        Assert.That(s.FailedWriteOffset, Is.EqualTo(4 * Chunk));
        Assert.That(_server.Count(SftpPacketType.Close), Is.EqualTo(1));
    }

    [Test]
    public async Task FailedClose_IsThrownByDisposeAsync()
    {
        _server.Intercept = (r, _) => r.Type == SftpPacketType.Close ? ScriptedAction.Status(r.Id, SftpStatusCode.Failure, "close failed: Disk quota exceeded") : null;
        var s = await _sftp.OpenStreamAsync("/w", FileMode.Create, FileAccess.Write, Options, CancellationToken.None);
        await s.WriteAsync(Pattern(3000));
        await s.FlushAsync();
        var ex = Assert.ThrowsAsync<SftpException>(async () => await s.DisposeAsync());
        Assert.That(ex!.RequestType, Is.EqualTo("CLOSE"));
    }

    [Test]
    public async Task LinkClosesWithWritesOutstanding_FlushThrowsTheSessionFailure()
    {
        _server.Intercept = (r, n) => r.Type == SftpPacketType.Write && n == 3 ? ScriptedAction.CloseLink : null;
        var s = await _sftp.OpenStreamAsync("/w", FileMode.Create, FileAccess.Write, Options, CancellationToken.None);
        var ex = Assert.ThrowsAsync<SshChannelException>(async () =>
        {
            await s.WriteAsync(new byte[6 * Chunk]);
            await s.FlushAsync().WaitAsync(Hang);
        });
        Assert.That(ex!.Message, Does.Contain("request(s) outstanding"));
        Assert.ThrowsAsync<SshChannelException>(async () => await s.DisposeAsync(), "the CLOSE cannot succeed on a dead session");
    }

    [Test]
    public async Task UnknownReplyIdDuringRead_FailsTheRead_NotHangs()
    {
        _server.Files["/f"] = Pattern(10 * Chunk);
        _server.Intercept = (r, n) => r.Type == SftpPacketType.Read && n == 3 ? ScriptedAction.Send(SftpReplies.Ok(r.Id + 1000)) : null;
        var s = await _sftp.OpenStreamAsync("/f", FileMode.Open, FileAccess.Read, Options, CancellationToken.None);
        var ex = Assert.ThrowsAsync<SshChannelException>(async () => await ReadAllAsync(s, Chunk));
        Assert.That(ex!.Message, Does.Contain("not outstanding"));
        Assert.ThrowsAsync<SshChannelException>(async () => await s.DisposeAsync());
    }

    [Test]
    public async Task ReadFailure_IsThrownFromReadAsync()
    {
        _server.Files["/f"] = Pattern(10 * Chunk);
        _server.Intercept = (r, n) => r.Type == SftpPacketType.Read && n == 2 ? ScriptedAction.Status(r.Id, SftpStatusCode.PermissionDenied, "denied") : null;
        await using var s = await _sftp.OpenStreamAsync("/f", FileMode.Open, FileAccess.Read, Options, CancellationToken.None);
        var ex = Assert.ThrowsAsync<SftpException>(async () => await ReadAllAsync(s, Chunk));
        Assert.That(ex!.StatusCode, Is.EqualTo(SftpStatusCode.PermissionDenied));
        Assert.That(_sftp.RequestsInFlight, Is.Zero, "the read-ahead behind the failure was drained");
    }

    [Test]
    public async Task ReadWrite_ReadSeesWhatWasJustWritten_AndWriteDropsStaleReadAhead()
    {
        _server.Files["/rw"] = new byte[8 * Chunk];
        await using var s = await _sftp.OpenStreamAsync("/rw", FileMode.Open, FileAccess.ReadWrite, Options, CancellationToken.None);
        byte[] buffer = new byte[Chunk];
        await s.ReadExactlyAsync(buffer);
        await s.ReadExactlyAsync(buffer);
        s.Position = 100;
        await s.WriteAsync(new byte[] { 1, 2, 3 });
        s.Position = 99;
        byte[] five = new byte[5];
        await s.ReadExactlyAsync(five);
        Assert.That(five, Is.EqualTo(new byte[] { 0, 1, 2, 3, 0 }));
    }

    [Test]
    public async Task SetLengthAsync_Truncates_AndGetLengthAsyncAsksTheServer()
    {
        _server.Files["/f"] = Pattern(5000);
        await using var s = await _sftp.OpenStreamAsync("/f", FileMode.Open, FileAccess.ReadWrite, Options, CancellationToken.None);
        s.Position = 4000;
        await s.SetLengthAsync(1000, CancellationToken.None);
        Assert.That(_server.Files["/f"].Length, Is.EqualTo(1000));
        Assert.That(s.Position, Is.EqualTo(1000));
        _server.Files["/f"] = Pattern(1234);
        Assert.That(s.Length, Is.EqualTo(1000), "Length is what this stream knows");
        Assert.That(await s.GetLengthAsync(CancellationToken.None), Is.EqualTo(1234));
        Assert.That(s.Length, Is.EqualTo(1234));
    }

    [Test]
    public async Task Append_StartsAtTheEnd_AndCannotSeekBeforeIt()
    {
        _server.Files["/a"] = Pattern(10);
        await using var s = await _sftp.OpenStreamAsync("/a", FileMode.Append, FileAccess.Write, Options, CancellationToken.None);
        Assert.That(s.Position, Is.EqualTo(10));
        Assert.Throws<IOException>(() => s.Position = 5);
        await s.WriteAsync(new byte[] { 42 });
        await s.FlushAsync();
        Assert.That(_server.Files["/a"], Has.Length.EqualTo(11));
        Assert.That(_server.Files["/a"][10], Is.EqualTo(42));
    }

    [Test]
    public async Task SynchronousIo_IsRefused_WithAClearMessage()
    {
        _server.Files["/f"] = Pattern(10);
        await using var s = await _sftp.OpenStreamAsync("/f", FileMode.Open, FileAccess.ReadWrite, Options, CancellationToken.None);
        Assert.That(Assert.Throws<NotSupportedException>(() => _ = s.Read(new byte[1], 0, 1))!.Message, Does.Contain("ReadAsync"));
        Assert.Throws<NotSupportedException>(() => s.Write(new byte[1], 0, 1));
        Assert.Throws<NotSupportedException>(() => s.SetLength(1));
        Assert.DoesNotThrow(() => s.Flush(), "nothing to flush: no I/O needed");
        await s.WriteAsync(new byte[1]);
        Assert.Throws<NotSupportedException>(() => s.Flush(), "a buffered byte cannot be flushed without waiting");
    }

    [Test]
    public async Task SyncDispose_OfAWritableStream_Throws_AndLeavesItOpenForDisposeAsync()
    {
        var s = await _sftp.OpenStreamAsync("/w", FileMode.Create, FileAccess.Write, Options, CancellationToken.None);
        await s.WriteAsync(Pattern(2500));
        var ex = Assert.Throws<InvalidOperationException>(() => s.Dispose());
        Assert.That(ex!.Message, Does.Contain("DisposeAsync"));
        Assert.That(s.CanWrite, Is.True);
        await s.DisposeAsync();
        Assert.That(_server.Files["/w"], Is.EqualTo(Pattern(2500)), "nothing was dropped");
        Assert.That(_server.Count(SftpPacketType.Close), Is.EqualTo(1));
    }

    [Test]
    public async Task SyncDispose_OfAReadOnlyStream_ClosesInTheBackground()
    {
        _server.Files["/f"] = Pattern(20 * Chunk);
        var s = await _sftp.OpenStreamAsync("/f", FileMode.Open, FileAccess.Read, Options, CancellationToken.None);
        await s.ReadExactlyAsync(new byte[3 * Chunk]);
        s.Dispose();
        await s.BackgroundClose!.WaitAsync(Hang);
        Assert.That(_server.Count(SftpPacketType.Close), Is.EqualTo(1));
        Assert.That(_sftp.RequestsInFlight, Is.Zero);
        Assert.ThrowsAsync<ObjectDisposedException>(async () => await s.ReadExactlyAsync(new byte[1]));
    }

    [Test]
    public async Task OverlappingCalls_AreRefused()
    {
        _server.Files["/f"] = Pattern(10 * Chunk);
        _server.Intercept = (r, _) => r.Type == SftpPacketType.Read ? ScriptedAction.Ignore : null;
        var s = await _sftp.OpenStreamAsync("/f", FileMode.Open, FileAccess.Read, Options, CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        var first = s.ReadExactlyAsync(new byte[10], cancel.Token).AsTask();
        Assert.ThrowsAsync<InvalidOperationException>(async () => await s.ReadExactlyAsync(new byte[10]));
        await cancel.CancelAsync();
        Assert.That(async () => await first, Throws.InstanceOf<OperationCanceledException>(), "a cancelled read leaves the stream usable");
        Assert.That(s.ReadsInFlight, Is.EqualTo(1), "its READ stays queued for a later read");
    }

    [Test]
    public async Task WriteCancelledWhileWaitingForASlot_KeepsItsChunk_AndALaterWriteTriesAgain()
    {
        // The first WRITE is never answered, so with one slot the second chunk cannot go out.
        _server.Intercept = (r, n) => r.Type == SftpPacketType.Write && n == 1 ? ScriptedAction.Ignore : null;
        var s = await _sftp.OpenStreamAsync("/w", FileMode.Create, FileAccess.Write, new SftpStreamOptions { ChunkSize = Chunk, WriteBehind = 1 }, CancellationToken.None);
        await s.WriteAsync(new byte[Chunk]);
        using (var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200)))
        {
            Assert.That(async () => await s.WriteAsync(new byte[Chunk], cancel.Token), Throws.InstanceOf<OperationCanceledException>());
        }

        Assert.That(s.Position, Is.EqualTo(2 * Chunk), "the cancelled chunk stays buffered, not lost");
        using (var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200)))
        {
            Assert.That(async () => await s.WriteAsync(new byte[10], cancel.Token).AsTask().WaitAsync(Hang), Throws.InstanceOf<OperationCanceledException>(),
                "the full chunk is sent before more is taken");
        }

        Assert.That(_server.Count(SftpPacketType.Write), Is.EqualTo(1));
    }

    [Test]
    public void OpenStream_OfAMissingFile_ThrowsNoSuchFile()
    {
        var ex = Assert.ThrowsAsync<SftpException>(() => _sftp.OpenStreamAsync("/nope", FileMode.Open, FileAccess.Read, CancellationToken.None));
        Assert.That(ex!.StatusCode, Is.EqualTo(SftpStatusCode.NoSuchFile));
    }

    [Test]
    public async Task ChunkSize_IsCappedByTheServersLimits()
    {
        var (peer, sftp) = await ScriptedSftpPeer.ConnectAsync(limits: new SftpServerLimitsValues(34000, 2000, 3000, 0));
        await using (peer)
        await using (sftp)
        {
            var server = new InMemorySftpServer(peer);
            server.Files["/f"] = Pattern(10);
            using var stop = new CancellationTokenSource();
            var serving = server.RunAsync(stop.Token);
            var s = await sftp.OpenStreamAsync("/f", FileMode.Open, FileAccess.Read, new SftpStreamOptions { ChunkSize = 1 << 20 }, CancellationToken.None);
            Assert.That(s.ChunkSize, Is.EqualTo(2000));
            await s.DisposeAsync();
            await stop.CancelAsync();
            Assert.That(async () => await serving, Throws.InstanceOf<OperationCanceledException>());
        }
    }
}
