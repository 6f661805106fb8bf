using NativeSftp.Connection;
using NativeSftp.Sftp;
using NativeSftp.Sftp.Protocol;
using NativeSftp.Transfer;

namespace NativeSftp.Tests.Sftp.Scripted;

/// <summary>
/// The transfer engine over a stream-backed session and the in-memory server (no SSH connection, so verification
/// is by size): a WRITE failing mid-run, a failed CLOSE, short and reordered replies, a broken reply.
/// </summary>
[TestFixture]
public class ScriptedTransferTests
{
    private const int Chunk = 1024;
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(20);
    private ScriptedSftpPeer _peer = null!;
    private SftpClient _sftp = null!;
    private InMemorySftpServer _server = null!;
    private ServedSession _main = null!;
    private string _dir = null!;

    private static TransferOptions Options => WithTemporaryName(false);

    private static TransferOptions WithTemporaryName(bool temporary) => new()
    {
        Verify = VerifyMode.Size,
        UseTemporaryName = temporary,
        Fsync = false,
        ChunkSize = Chunk,
        RequestsInFlight = 8,
    };

    [SetUp]
    public async Task Connect()
    {
        _main = await ServedSession.StartAsync();
        (_peer, _sftp, _server) = (_main.Peer, _main.Sftp, _main.Server);
        _dir = Path.Combine(Path.GetTempPath(), "nsftp-scripted-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(_dir);
    }

    [TearDown]
    public async Task Disconnect()
    {
        await _main.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private string LocalFile(int size)
    {
        string path = Path.Combine(_dir, "up.bin");
        File.WriteAllBytes(path, Pattern(size));
        return path;
    }

    private static byte[] Pattern(int n) => Enumerable.Range(0, n).Select(i => (byte)(i * 13 + i / 256)).ToArray();

    [Test]
    public void Upload_FifthWriteFails_ReportsTheFailedOffset_AndTheAcknowledgedPrefix()
    {
        string local = LocalFile(20 * Chunk);
        _server.Intercept = (r, n) => r.Type == SftpPacketType.Write && n == 5 ? ScriptedAction.Status(r.Id, SftpStatusCode.Failure, "No space left on device") : null;
        var ex = Assert.ThrowsAsync<TransferException>(() => _sftp.UploadFileAsync(local, "/up.bin", Options).WaitAsync(Hang));
        Assert.That(ex!.FirstFailedOffset, Is.EqualTo(4 * Chunk));
        Assert.That(ex.AcknowledgedOffset, Is.EqualTo(4 * Chunk), "WRITEs 1-4 are the contiguous acknowledged prefix");
        Assert.That(ex.InnerException, Is.InstanceOf<SftpException>());
        Assert.That(_server.Count(SftpPacketType.Close), Is.EqualTo(1), "the handle is closed after the failure");
    }

    [Test]
    public void Upload_FailedClose_FailsTheUpload()
    {
        string local = LocalFile(5 * Chunk + 7);
        _server.Intercept = (r, _) => r.Type == SftpPacketType.Close ? ScriptedAction.Status(r.Id, SftpStatusCode.Failure, "close: Input/output error") : null;
        var ex = Assert.ThrowsAsync<SftpException>(() => _sftp.UploadFileAsync(local, "/up.bin", Options).WaitAsync(Hang));
        Assert.That(ex!.RequestType, Is.EqualTo("CLOSE"));
    }

    /// <summary>
    /// fsync@openssh.com and CLOSE leave together (one round trip), the flush first, both statuses checked. The server
    /// here answers the fsync only once the CLOSE has arrived, so a client that waited for that answer would hang.
    /// </summary>
    [TestCase(false)]
    [TestCase(true)]
    public async Task Upload_WithFsync_SendsTheCloseWithoutWaiting_AndAFailedFsyncFailsTheUpload(bool fsyncFails)
    {
        await using var session = await ServedSession.StartAsync([("fsync@openssh.com", "1")]);
        var (sftp, server) = (session.Sftp, session.Server);
        ScriptedRequest? unanswered = null;
        server.Intercept = (r, _) =>
        {
            if (r.ExtendedName == "fsync@openssh.com")
            {
                unanswered = r;
                return ScriptedAction.Ignore;
            }

            if (r.Type == SftpPacketType.Close && unanswered is { } f)
            {
                byte[] first = fsyncFails ? SftpReplies.Status(f.Id, SftpStatusCode.Failure, "fsync: Input/output error") : SftpReplies.Ok(f.Id);
                return ScriptedAction.Send([.. first, .. server.Answer(r)]);
            }

            return null;
        };
        string local = LocalFile(5 * Chunk + 7);
        var options = Options;
        options.Fsync = true;
        if (fsyncFails)
        {
            var ex = Assert.ThrowsAsync<SftpException>(() => sftp.UploadFileAsync(local, "/up.bin", options).WaitAsync(Hang));
            Assert.That(ex!.Message, Does.Contain("Input/output error"));
        }
        else
        {
            await sftp.UploadFileAsync(local, "/up.bin", options).WaitAsync(Hang);
            Assert.That(server.Files["/up.bin"], Is.EqualTo(File.ReadAllBytes(local)));
        }

        int fsync = server.Log.IndexOf("fsync@openssh.com");
        Assert.That(fsync, Is.GreaterThanOrEqualTo(0), "fsync was asked for");
        Assert.That(server.Log[fsync + 1], Is.EqualTo(SftpPacketType.Close.ToString(System.Globalization.CultureInfo.InvariantCulture)), "the CLOSE right behind it");
        Assert.That(server.Count(SftpPacketType.Close), Is.EqualTo(1), "one CLOSE, also when the flush failed");
    }

    /// <summary>
    /// A segmented download that fails while a later session has already written chunks past the whole prefix: the
    /// failure reports the prefix, and the partial is cut back to it, so nothing past it (holes and all) is kept. Two
    /// scripted sessions: the main one answers its first READ and holds the second; the extra one answers everything;
    /// then the main one's link closes.
    /// </summary>
    [Test]
    public async Task SegmentedDownload_FailingWithChunksWrittenPastThePrefix_CutsThePartialBackToIt()
    {
        _server.Files["/seg.bin"] = Pattern(20 * Chunk);
        _server.Intercept = (r, n) => r.Type == SftpPacketType.Read && n == 2 ? ScriptedAction.Ignore : null;
        // The transfer disposes the extra session's SftpClient itself (a factory's session is the transfer's).
        await using var extra = await ServedSession.StartAsync(disposeClient: false);
        extra.Server.Files["/seg.bin"] = _server.Files["/seg.bin"];
        string local = Path.Combine(_dir, "seg.bin");
        string partial = SftpFileTransfer.TemporaryLocalName(local);
        var options = new TransferOptions { Verify = VerifyMode.Size, ChunkSize = Chunk, RequestsInFlight = 4, Segments = 2, Fsync = false };
        var download = SftpFileTransfer.DownloadCoreAsync(_sftp, "/seg.bin", local, options, null, 0, 1,
            _ => Task.FromResult<(SftpClient, IAsyncDisposable?)>((extra.Sftp, null)), CancellationToken.None);

        // The extra session takes the chunks the main one has no room for, all of them land, and it closes.
        var sw = System.Diagnostics.Stopwatch.StartNew();
        while (extra.Server.Count(SftpPacketType.Close) < 1)
        {
            Assert.That(sw.Elapsed, Is.LessThan(Hang), $"the extra session never finished its share: {string.Join(", ", extra.Server.Log)}; main: {string.Join(", ", _server.Log)}");
            await Task.Delay(10);
        }

        long longest = new FileInfo(partial).Length;
        await _peer.CloseAsync(); // the main session's link goes; its held READ fails
        var ex = Assert.ThrowsAsync<TransferException>(() => download.WaitAsync(Hang));
        TestContext.Out.WriteLine(ex!.Message);
        Assert.That(extra.Server.Count(SftpPacketType.Read), Is.GreaterThanOrEqualTo(10), "the extra session did most of the file");
        Assert.That(longest, Is.GreaterThan(10 * Chunk), "chunks past the prefix were on disk before the failure");
        Assert.That(ex.AcknowledgedOffset, Is.EqualTo(Chunk), "only the first chunk is whole: the second was never answered");
        Assert.That(new FileInfo(partial).Length, Is.EqualTo(Chunk), "the partial is cut back to the whole prefix");
        Assert.That(File.ReadAllBytes(partial), Is.EqualTo(Pattern(Chunk)));
        Assert.That(File.Exists(local), Is.False, "nothing under the final name");
    }

    /// <summary>
    /// A segment session that is ready only once every chunk is taken opens no handle: OPEN and CLOSE for nothing would
    /// add two round trips to the end of the transfer. The main session does the whole file, and the result says one
    /// session carried data.
    /// </summary>
    [Test]
    public async Task SegmentSessionReadyAfterEveryChunkIsTaken_OpensNoHandle()
    {
        byte[] data = Pattern(20 * Chunk);
        _server.Files["/late.bin"] = data;
        await using var extra = await ServedSession.StartAsync(disposeClient: false);
        extra.Server.Files["/late.bin"] = data;
        string local = Path.Combine(_dir, "late.bin");
        var options = new TransferOptions { Verify = VerifyMode.Size, ChunkSize = Chunk, RequestsInFlight = 4, Segments = 2, Fsync = false };

        var result = await SftpFileTransfer.DownloadCoreAsync(_sftp, "/late.bin", local, options, null, 0, 1, async ct =>
        {
            // Ready only when the main session has asked for all 20 chunks.
            while (_server.Count(SftpPacketType.Read) < 20)
            {
                await Task.Delay(5, ct);
            }

            return (extra.Sftp, null);
        }, CancellationToken.None).WaitAsync(Hang);

        Assert.That(File.ReadAllBytes(local), Is.EqualTo(data));
        Assert.That(result.Segments, Is.EqualTo(1), "only the main session carried data");
        Assert.That(extra.Server.Count(SftpPacketType.Open), Is.Zero, "the late session opened no handle");
    }

    /// <summary>
    /// An extra session whose open the server never answers (a channel open left hanging) does not hold a transfer
    /// whose chunks are all handed out: the open is given up once the last chunk is taken, and the main session's
    /// result is returned. Before, the transfer waited for the open until the stall watchdog failed it.
    /// </summary>
    [Test]
    public async Task SegmentSessionThatNeverOpens_DoesNotHoldTheFinishedTransfer([Values] bool upload)
    {
        byte[] data = Pattern(30 * Chunk + 7);
        var options = new TransferOptions { Verify = VerifyMode.Size, UseTemporaryName = false, Fsync = false, ChunkSize = Chunk, RequestsInFlight = 4, Segments = 3 };
        var givenUp = 0;
        async Task<(SftpClient, IAsyncDisposable?)> NeverOpens(CancellationToken ct)
        {
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            finally
            {
                Interlocked.Increment(ref givenUp);
            }

            throw new System.Diagnostics.UnreachableException();
        }

        TransferResult result;
        if (upload)
        {
            result = await SftpFileTransfer.UploadCoreAsync(_sftp, LocalFile(data.Length), "/up.bin", options, null, 0, 1, NeverOpens, CancellationToken.None).WaitAsync(Hang);
            Assert.That(_server.Files["/up.bin"], Is.EqualTo(data));
        }
        else
        {
            _server.Files["/down.bin"] = data;
            string local = Path.Combine(_dir, "down.bin");
            result = await SftpFileTransfer.DownloadCoreAsync(_sftp, "/down.bin", local, options, null, 0, 1, NeverOpens, CancellationToken.None).WaitAsync(Hang);
            Assert.That(File.ReadAllBytes(local), Is.EqualTo(data));
        }

        Assert.That(result.Segments, Is.EqualTo(1), "only the main session carried data");
        Assert.That(givenUp, Is.EqualTo(2), "both pending opens were given up");
    }

    /// <summary>
    /// When the extra sessions of a segmented download are refused, the main session takes over their share of the
    /// requests in flight (up to the one-channel depth) instead of running alone at an eighth of it. The server
    /// answers the first 40 READs (time enough for every refusal to be handed over, whatever the thread pool does),
    /// then holds the rest: the READs that arrive are 40 plus what the main session keeps in flight.
    /// </summary>
    [Test]
    public async Task SegmentedDownload_WithEveryExtraSessionRefused_TheMainSessionTakesTheirShareOfRequests()
    {
        const int segments = 8, answered = 40;
        _server.Files["/wide.bin"] = new byte[48 * 1024 * 1024];
        _server.Intercept = (r, n) => r.Type == SftpPacketType.Read && n > answered ? ScriptedAction.Ignore : null;

        // The server allows no more sessions; no explicit depth, so the per-segment share applies.
        var options = new TransferOptions { Verify = VerifyMode.Size, Fsync = false, ChunkSize = 1024 * 1024, Segments = segments };
        using var cancel = new CancellationTokenSource();
        var download = SftpFileTransfer.DownloadCoreAsync(_sftp, "/wide.bin", Path.Combine(_dir, "wide.bin"), options, null, 0, 1, _ =>
            Task.FromException<(SftpClient, IAsyncDisposable?)>(new SshChannelOpenException("session", ChannelOpenFailureReason.AdministrativelyProhibited, "no more sessions")),
            cancel.Token);

        int chunk = _sftp.MaxReadLength;
        int oneChannelDepth = TransferPlanner.Depth(null, 16 * 1024 * 1024, chunk);
        int share = TransferPlanner.DownloadSegmentDepth(null, oneChannelDepth, segments, chunk);
        Assert.That(share, Is.LessThan(oneChannelDepth), "the test needs a share below the one-channel depth");
        Assert.That((answered + oneChannelDepth) * (long)chunk, Is.LessThan(_server.Files["/wide.bin"].Length), "the file must outlast the READs counted");
        var sw = System.Diagnostics.Stopwatch.StartNew();
        while (_server.Count(SftpPacketType.Read) < answered + oneChannelDepth && sw.Elapsed < Hang)
        {
            await Task.Delay(20);
        }

        await Task.Delay(200); // and no more than that arrive
        Assert.That(_server.Count(SftpPacketType.Read), Is.EqualTo(answered + oneChannelDepth),
            $"after {answered} replies the main session keeps the one-channel depth ({oneChannelDepth}) in flight, not its share ({share})");
        await cancel.CancelAsync();
        Assert.CatchAsync<OperationCanceledException>(() => download.WaitAsync(Hang));
    }

    /// <summary>
    /// A stall in one segment session is named: the diagnosis says which session has requests with no reply, where it
    /// used to look at the main session only (idle once the chunks ran out, so it said nothing of the cause).
    /// </summary>
    [Test]
    public async Task SegmentedDownload_OneSessionStalls_TheDiagnosisNamesIt()
    {
        // Enough chunks that the extra session has joined (one OPEN round trip) long before the main one could take them all.
        byte[] data = Pattern(400 * Chunk);
        _server.Files["/stall.bin"] = data;
        await using var extra = await ServedSession.StartAsync(disposeClient: false);
        extra.Server.Files["/stall.bin"] = data;
        extra.Server.Intercept = (r, n) => r.Type == SftpPacketType.Read ? ScriptedAction.Ignore : null;
        var options = new TransferOptions { Verify = VerifyMode.Size, Fsync = false, ChunkSize = Chunk, RequestsInFlight = 4, Segments = 2, StallTimeout = TimeSpan.FromSeconds(2) };
        var ex = Assert.ThrowsAsync<TransferException>(() => SftpFileTransfer.DownloadCoreAsync(_sftp, "/stall.bin", Path.Combine(_dir, "stall.bin"), options, null, 0, 1,
            _ => Task.FromResult<(SftpClient, IAsyncDisposable?)>((extra.Sftp, null)), CancellationToken.None).WaitAsync(Hang));
        TestContext.Out.WriteLine(ex!.StallDiagnosis);
        Assert.That(ex.StallDiagnosis, Does.StartWith("no acknowledged progress for"));
        Assert.That(ex.StallDiagnosis, Does.Contain("segment session 2: 4 SFTP request(s) in flight with no reply"));
        Assert.That(ex.StallDiagnosis, Does.Not.Contain("main session:"), "the main session had finished its share and waited on nothing");
        Assert.That(ex.AcknowledgedOffset, Is.LessThan(data.Length));
    }

    /// <summary>
    /// Replacing a file on a server without posix-rename (plain v3 RENAME refuses an existing target): the old file is
    /// renamed aside, the new one into place, the old one removed. Before, the old file was removed first, and lost
    /// whenever the RENAME then failed. Found by hand against the ssh2 Node.js library, which announces no extensions.
    /// </summary>
    [Test]
    public async Task Upload_OverAnExistingFile_WithoutPosixRename_ReplacesIt()
    {
        _server.Files["/up.bin"] = Pattern(10);
        string local = LocalFile(5 * Chunk);

        await _sftp.UploadFileAsync(local, "/up.bin", WithTemporaryName(true)).WaitAsync(Hang);

        Assert.That(_server.Files["/up.bin"], Is.EqualTo(File.ReadAllBytes(local)));
        Assert.That(_server.Files.Keys, Is.EqualTo(new[] { "/up.bin" }), "neither the temporary nor the set-aside file is left");
        Assert.That(_server.Count(SftpPacketType.Rename), Is.EqualTo(3), "refused onto the file, the file aside, the new one into place");
    }

    [Test]
    public void Upload_OverAnExistingFile_WithoutPosixRename_RenameFails_TheOldFileIsPutBack()
    {
        byte[] old = Pattern(10);
        _server.Files["/up.bin"] = old;
        string local = LocalFile(5 * Chunk);
        // The third RENAME (the new file into place, after the old one was moved aside) fails: a quota, say.
        _server.Intercept = (r, n) => r.Type == SftpPacketType.Rename && n == 3 ? ScriptedAction.Status(r.Id, SftpStatusCode.Failure, "quota exceeded") : null;

        var e = Assert.CatchAsync<SshException>(() => _sftp.UploadFileAsync(local, "/up.bin", WithTemporaryName(true)).WaitAsync(Hang));

        Assert.That(e!.Message, Does.Contain("quota exceeded"));
        Assert.That(_server.Files["/up.bin"], Is.EqualTo(old), "the previous file is back under its name");
        Assert.That(_server.Files.Keys.Where(k => k.Contains("nsftp-old", StringComparison.Ordinal)), Is.Empty);
        Assert.That(_server.Files[SftpFileTransfer.TemporaryRemoteName("/up.bin")], Is.EqualTo(File.ReadAllBytes(local)), "the verified upload waits under its temporary name");
    }

    /// <summary>A scripted session with its own in-memory server, served until disposed (the fixture's, and any extra).</summary>
    private sealed class ServedSession : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly bool _disposeClient;
        private Task _serving = Task.CompletedTask;

        private ServedSession(ScriptedSftpPeer peer, SftpClient sftp, bool disposeClient)
        {
            Peer = peer;
            Sftp = sftp;
            Server = new InMemorySftpServer(peer);
            _disposeClient = disposeClient;
        }

        public ScriptedSftpPeer Peer { get; }

        public SftpClient Sftp { get; }

        public InMemorySftpServer Server { get; }

        public static async Task<ServedSession> StartAsync(IEnumerable<(string Name, string Data)>? extensions = null, bool disposeClient = true)
        {
            var (peer, sftp) = await ScriptedSftpPeer.ConnectAsync(extensions);
            var session = new ServedSession(peer, sftp, disposeClient);
            session._serving = Task.Run(() => session.Server.RunAsync(session._stop.Token));
            return session;
        }

        public async ValueTask DisposeAsync()
        {
            if (_disposeClient)
            {
                await Sftp.DisposeAsync();
            }

            await _stop.CancelAsync();
            try
            {
                await _serving;
            }
            catch (OperationCanceledException)
            {
                // how the server loop ends
            }

            await Peer.DisposeAsync();
            _stop.Dispose();
        }
    }

    [Test]
    public async Task Upload_WithRepliesReversed_WritesTheRightFile()
    {
        string local = LocalFile(37 * Chunk + 5);
        _server.ReverseEachBatch = true;
        var result = await _sftp.UploadFileAsync(local, "/up.bin", Options).WaitAsync(Hang);
        Assert.That(_server.Files["/up.bin"], Is.EqualTo(File.ReadAllBytes(local)));
        Assert.That(result.VerifyMethod, Is.EqualTo("size"));
        Assert.That(_server.ReorderedBatches, Is.GreaterThan(0));
    }

    [Test]
    public async Task Download_WithShortReads_ReRequestsTheRemainder_AndGetsTheRightBytes()
    {
        byte[] data = Pattern(30 * Chunk + 11);
        _server.Files["/down.bin"] = data;
        _server.MaxDataPerRead = 300;
        string local = Path.Combine(_dir, "down.bin");
        await _sftp.DownloadFileAsync("/down.bin", local, Options).WaitAsync(Hang);
        Assert.That(File.ReadAllBytes(local), Is.EqualTo(data));
        Assert.That(_server.Count(SftpPacketType.Read), Is.GreaterThanOrEqualTo(data.Length / 300));
    }

    /// <summary>A server that refuses FSTAT, or answers it without a size: the size comes from STAT of the path.</summary>
    [TestCase(true)]
    [TestCase(false)]
    public async Task Download_FromAServerWhoseFstatGivesNoSize_TakesTheSizeFromStat(bool refuses)
    {
        byte[] data = Pattern(9 * Chunk + 5);
        _server.Files["/down.bin"] = data;
        _server.Intercept = (r, n) => r.Type != SftpPacketType.Fstat ? null
            : refuses ? ScriptedAction.Status(r.Id, SftpStatusCode.OpUnsupported, "no fstat here")
            : ScriptedAction.Send(SftpReplies.Attrs(r.Id, new SftpAttributes { Permissions = 0x81a4 }));
        string local = Path.Combine(_dir, "down.bin");

        await _sftp.DownloadFileAsync("/down.bin", local, Options).WaitAsync(Hang);

        Assert.That(File.ReadAllBytes(local), Is.EqualTo(data));
        Assert.That(_server.Count(SftpPacketType.Stat), Is.EqualTo(1));
    }

    /// <summary>
    /// The file is longer than the server said when the download began (it grew meanwhile): the READ one past the
    /// end finds data, and the download fails instead of delivering a copy that ends early.
    /// </summary>
    [Test]
    public void Download_OfAFileThatGrew_FailsAndLeavesNothingUnderTheName()
    {
        byte[] data = Pattern(6 * Chunk + 100);
        _server.Files["/down.bin"] = data;
        ulong told = (ulong)(5 * Chunk);
        _server.Intercept = (r, n) => r.Type == SftpPacketType.Fstat
            ? ScriptedAction.Send(SftpReplies.Attrs(r.Id, new SftpAttributes { Size = told, Permissions = 0x81a4 }))
            : null;
        string local = Path.Combine(_dir, "down.bin");

        var ex = Assert.ThrowsAsync<TransferException>(() => _sftp.DownloadFileAsync("/down.bin", local, WithTemporaryName(true)).WaitAsync(Hang));

        Assert.That(ex!.Message, Does.Contain("grew while it was being downloaded"));
        Assert.That(File.Exists(local), Is.False);
        Assert.That(_server.Count(SftpPacketType.Close), Is.EqualTo(1), "the handle is closed all the same");
    }

    /// <summary>
    /// The READ past the end that proves the file did not grow and the CLOSE go out together: the server here answers
    /// that READ only once the CLOSE has arrived, so a client that waited for the answer before closing would hang.
    /// </summary>
    [Test]
    public async Task Download_EndOfFileProbeAndClose_GoOutInOneFlight()
    {
        byte[] data = Pattern(4 * Chunk + 7);
        _server.Files["/down.bin"] = data;
        uint? probe = null;
        _server.Intercept = (r, n) =>
        {
            if (r.Type == SftpPacketType.Read && r.Offset == (ulong)data.Length)
            {
                probe = r.Id;
                return ScriptedAction.Ignore;
            }

            if (r.Type == SftpPacketType.Close && probe is uint id)
            {
                return ScriptedAction.Send([.. SftpReplies.Status(id, SftpStatusCode.Eof), .. SftpReplies.Ok(r.Id)]);
            }

            return null;
        };
        string local = Path.Combine(_dir, "down.bin");

        await _sftp.DownloadFileAsync("/down.bin", local, Options).WaitAsync(Hang);

        Assert.That(File.ReadAllBytes(local), Is.EqualTo(data));
        Assert.That(probe, Is.Not.Null, "the probe was sent");
    }

    [Test]
    public async Task Download_WithRepliesReversed_GetsTheRightBytes()
    {
        byte[] data = Pattern(45 * Chunk + 1);
        _server.Files["/down.bin"] = data;
        _server.ReverseEachBatch = true;
        string local = Path.Combine(_dir, "down.bin");
        await _sftp.DownloadFileAsync("/down.bin", local, Options).WaitAsync(Hang);
        Assert.That(File.ReadAllBytes(local), Is.EqualTo(data));
        Assert.That(_server.ReorderedBatches, Is.GreaterThan(0));
    }

    [Test]
    public void Download_ReplyWithUnknownId_FailsClearly_AndLeavesNoFileUnderTheName()
    {
        _server.Files["/down.bin"] = Pattern(20 * Chunk);
        _server.Intercept = (r, n) => r.Type == SftpPacketType.Read && n == 6 ? ScriptedAction.Send(SftpReplies.Data(r.Id + 500, new byte[10])) : null;
        string local = Path.Combine(_dir, "down.bin");
        var ex = Assert.ThrowsAsync<TransferException>(() => _sftp.DownloadFileAsync("/down.bin", local, new TransferOptions { Verify = VerifyMode.Size, ChunkSize = Chunk, RequestsInFlight = 8 }).WaitAsync(Hang));
        Assert.That(ex!.InnerException, Is.InstanceOf<SshChannelException>());
        Assert.That(ex.Message, Does.Contain("not outstanding"));
        Assert.That(ex.AcknowledgedOffset, Is.LessThanOrEqualTo(5 * Chunk), "only the chunks before the bad reply can have been written");
        Assert.That(File.Exists(local), Is.False);
        Assert.That(_sftp.RequestsInFlight, Is.Zero);
    }

    [Test]
    public void Upload_LinkClosesMidRun_FailsWithTheSessionCause()
    {
        string local = LocalFile(20 * Chunk);
        _server.Intercept = (r, n) => r.Type == SftpPacketType.Write && n == 7 ? ScriptedAction.CloseLink : null;
        var ex = Assert.ThrowsAsync<TransferException>(() => _sftp.UploadFileAsync(local, "/up.bin", Options).WaitAsync(Hang));
        Assert.That(ex!.InnerException, Is.InstanceOf<SshChannelException>());
        Assert.That(ex.AcknowledgedOffset, Is.LessThanOrEqualTo(6 * Chunk));
    }
}
