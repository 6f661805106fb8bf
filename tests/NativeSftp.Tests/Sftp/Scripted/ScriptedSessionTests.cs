using System.Buffers.Binary;
using NativeSftp.Connection;
using NativeSftp.Sftp;
using NativeSftp.Sftp.Protocol;

namespace NativeSftp.Tests.Sftp.Scripted;

/// <summary>
/// SftpClient against a scripted peer, for what real servers rarely show: replies out of order, short reads, one
/// failed WRITE in a run, a failed CLOSE, and broken replies (unknown id, wrong type, truncated, oversized, the link
/// closing with requests outstanding). Every outstanding request must fail with the cause; none may hang.
/// </summary>
[TestFixture]
public class ScriptedSessionTests
{
    private static readonly TimeSpan Hang = ScriptedSftpPeer.StepTimeout;
    private ScriptedSftpPeer _peer = null!;
    private SftpClient _sftp = null!;

    [SetUp]
    public async Task Connect() => (_peer, _sftp) = await ScriptedSftpPeer.ConnectAsync([("fsync@openssh.com", "1")]);

    [TearDown]
    public async Task Disconnect()
    {
        await _sftp.DisposeAsync();
        await _peer.DisposeAsync();
    }

    private async Task<SftpFileHandle> OpenAsync(string path)
    {
        var opening = _sftp.OpenAsync(path, FileMode.Open, FileAccess.ReadWrite, CancellationToken.None);
        var open = await _peer.NextRequestAsync();
        Assert.That(open.Type, Is.EqualTo(SftpPacketType.Open));
        await _peer.SendAsync(SftpReplies.Handle(open.Id, [0, 0, 0, 7]));
        return await opening.WaitAsync(Hang);
    }

    [Test]
    public void Version_ExtensionsAreAnnounced()
    {
        Assert.That(_sftp.Supports("fsync@openssh.com"), Is.True);
        Assert.That(_sftp.Limits, Is.Null);
    }

    [Test]
    public async Task RepliesInReverseOrder_EachReachesItsOwnRead()
    {
        var h = await OpenAsync("/f");
        var buffers = Enumerable.Range(0, 3).Select(_ => new byte[4]).ToArray();
        var reads = Enumerable.Range(0, 3).Select(i => _sftp.ReadAsync(h, (ulong)(i * 4), buffers[i], CancellationToken.None)).ToArray();
        var requests = await _peer.NextRequestsAsync(3);
        for (int i = 2; i >= 0; i--)
        {
            await _peer.SendAsync(SftpReplies.Data(requests[i].Id, [(byte)requests[i].Offset, 1, 2, 3]));
        }

        int[] counts = await Task.WhenAll(reads).WaitAsync(Hang);
        Assert.That(counts, Is.EqualTo(new[] { 4, 4, 4 }));
        Assert.That(buffers.Select(b => b[0]), Is.EqualTo(new byte[] { 0, 4, 8 }), "each read got the reply for its own offset");
    }

    [Test]
    public async Task ShortRead_ReturnsTheBytesSent_NotEndOfFile()
    {
        var h = await OpenAsync("/f");
        byte[] buffer = new byte[100];
        var read = _sftp.ReadAsync(h, 0, buffer, CancellationToken.None);
        var r = await _peer.NextRequestAsync();
        Assert.That(r.Length, Is.EqualTo(100u));
        await _peer.SendAsync(SftpReplies.Data(r.Id, [9, 9, 9]));
        Assert.That(await read.WaitAsync(Hang), Is.EqualTo(3));

        var eof = _sftp.ReadAsync(h, 3, buffer, CancellationToken.None);
        r = await _peer.NextRequestAsync();
        await _peer.SendAsync(SftpReplies.Status(r.Id, SftpStatusCode.Eof, "EOF"));
        Assert.That(await eof.WaitAsync(Hang), Is.EqualTo(0));
    }

    [Test]
    public async Task FifthWriteOfARunFails_OnlyThatWriteThrows()
    {
        var h = await OpenAsync("/f");
        var writes = Enumerable.Range(0, 8).Select(i => _sftp.WriteAsync(h, (ulong)(i * 10), new byte[10], CancellationToken.None)).ToArray();
        foreach (var r in await _peer.NextRequestsAsync(8))
        {
            await _peer.SendAsync(r.Offset == 40 ? SftpReplies.Status(r.Id, SftpStatusCode.Failure, "disk full") : SftpReplies.Ok(r.Id));
        }

        await Task.WhenAny(Task.WhenAll(writes), Task.Delay(Hang));
        Assert.That(writes.Select(w => w.IsCompletedSuccessfully), Is.EqualTo(new[] { true, true, true, true, false, true, true, true }));
        var ex = Assert.ThrowsAsync<SftpException>(() => writes[4]);
        Assert.That(ex!.StatusCode, Is.EqualTo(SftpStatusCode.Failure));
        Assert.That(ex.ServerMessage, Is.EqualTo("disk full"));
        Assert.That(ex.RequestType, Is.EqualTo("WRITE"));
    }

    [Test]
    public async Task FailedClose_Throws()
    {
        var h = await OpenAsync("/f");
        var closing = _sftp.CloseAsync(h, CancellationToken.None);
        var r = await _peer.NextRequestAsync();
        Assert.That(r.Type, Is.EqualTo(SftpPacketType.Close));
        await _peer.SendAsync(SftpReplies.Status(r.Id, SftpStatusCode.Failure, "close: No space left on device"));
        var ex = Assert.ThrowsAsync<SftpException>(() => closing.WaitAsync(Hang));
        Assert.That(ex!.RequestType, Is.EqualTo("CLOSE"));
        Assert.That(h.IsClosed, Is.True, "the handle is gone either way");
    }

    private async Task<List<string>> ListWithCloseReplyAsync(SftpStatusCode closeStatus, bool failReaddir)
    {
        var names = new List<string>();
        var listing = Task.Run(async () =>
        {
            await foreach (var e in _sftp.ListDirectoryAsync("/d"))
            {
                names.Add(e.Name);
            }
        });
        var open = await _peer.NextRequestAsync();
        Assert.That(open.Type, Is.EqualTo(SftpPacketType.Opendir));
        await _peer.SendAsync(SftpReplies.Handle(open.Id, [0, 0, 0, 9]));
        var read = await _peer.NextRequestAsync();
        Assert.That(read.Type, Is.EqualTo(SftpPacketType.Readdir));
        await _peer.SendAsync(failReaddir
            ? SftpReplies.Status(read.Id, SftpStatusCode.PermissionDenied, "denied")
            : SftpReplies.Name(read.Id, "a"));
        if (!failReaddir)
        {
            var end = await _peer.NextRequestAsync();
            await _peer.SendAsync(SftpReplies.Status(end.Id, SftpStatusCode.Eof));
        }

        var close = await _peer.NextRequestAsync();
        Assert.That(close.Type, Is.EqualTo(SftpPacketType.Close));
        await _peer.SendAsync(SftpReplies.Status(close.Id, closeStatus, "close says no"));
        await listing.WaitAsync(Hang);
        return names;
    }

    [Test]
    public void CompletedListing_WhoseCloseFails_Throws()
    {
        var ex = Assert.ThrowsAsync<SftpException>(() => ListWithCloseReplyAsync(SftpStatusCode.Failure, failReaddir: false));
        Assert.That(ex!.RequestType, Is.EqualTo("CLOSE"));
    }

    [Test]
    public void FailedListing_KeepsItsOwnError_WhenTheCloseAlsoFails()
    {
        var ex = Assert.ThrowsAsync<SftpException>(() => ListWithCloseReplyAsync(SftpStatusCode.Failure, failReaddir: true));
        Assert.That(ex!.RequestType, Is.EqualTo("READDIR"), "the CLOSE failure must not replace the reason the listing ended");
        Assert.That(ex.StatusCode, Is.EqualTo(SftpStatusCode.PermissionDenied));
    }

    /// <summary>Three READs outstanding; <paramref name="mangle"/> sends something broken; every READ and a later request fail.</summary>
    private async Task AssertSessionFailsEveryRequest(Func<List<ScriptedRequest>, Task> mangle, string expectedInMessage, int answeredFirst = 0)
    {
        var h = await OpenAsync("/f");
        var reads = Enumerable.Range(0, 3).Select(i => _sftp.ReadAsync(h, (ulong)(i * 8), new byte[8], CancellationToken.None)).ToArray();
        var requests = await _peer.NextRequestsAsync(3);
        await mangle(requests);
        await Task.WhenAny(Task.WhenAll(reads), Task.Delay(Hang));
        Assert.That(reads.Take(answeredFirst).Select(r => r.IsCompletedSuccessfully), Is.All.True, "replies before the fault are delivered");
        foreach (var read in reads.Skip(answeredFirst))
        {
            Assert.That(read.IsCompleted, Is.True, "an outstanding request was left waiting");
            var ex = Assert.ThrowsAsync<SshChannelException>(() => read);
            Assert.That(ex!.Message, Does.Contain(expectedInMessage));
        }

        var later = Assert.ThrowsAsync<SshChannelException>(() => _sftp.StatAsync("/f", CancellationToken.None).WaitAsync(Hang));
        Assert.That(later!.Message, Does.Contain(expectedInMessage), "the first cause is what later requests get");
        Assert.That(_sftp.RequestsInFlight, Is.Zero);
    }

    [Test]
    public Task ReplyWithUnknownId_FailsTheSessionAndEveryOutstandingRequest() =>
        AssertSessionFailsEveryRequest(_ => _peer.SendAsync(SftpReplies.Ok(999)), "request id 999, which is not outstanding");

    [Test]
    public Task ReplyOfTheWrongType_FailsEveryRequestIncludingTheOneItAnswered() =>
        AssertSessionFailsEveryRequest(rs => _peer.SendAsync(SftpReplies.Handle(rs[1].Id, [1])), "HANDLE is not a valid reply to READ");

    [Test]
    public Task DataLongerThanTheReadAskedFor_FailsEveryRequestIncludingItsRead() =>
        AssertSessionFailsEveryRequest(rs => _peer.SendAsync(SftpReplies.Data(rs[0].Id, new byte[9])), "SFTP DATA of 9 bytes for a READ of 8");

    [Test]
    public Task DataWhoseLengthDisagreesWithThePacket_FailsEveryRequest() =>
        AssertSessionFailsEveryRequest(rs =>
        {
            byte[] packet = SftpReplies.Data(rs[0].Id, new byte[4]);
            BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(9), 3);
            return _peer.SendAsync(packet);
        }, "claims 3 bytes and carries 4");

    [Test]
    public Task OversizedPacketLength_FailsAtOnce_WithoutWaitingForItsBytes() =>
        AssertSessionFailsEveryRequest(_ => _peer.SendAsync(new byte[] { 0x7f, 0xff, 0xff, 0xff, SftpPacketType.Data }), "outside 5..263168");

    [Test]
    public Task TruncatedPacket_ThenTheLinkCloses_FailsEveryRequest() =>
        AssertSessionFailsEveryRequest(async rs =>
        {
            byte[] packet = SftpReplies.Data(rs[0].Id, new byte[8]);
            await _peer.SendAsync(packet.AsMemory(0, 10));
            await _peer.CloseAsync();
        }, "closed in the middle of a reply (10 bytes of it received)");

    [Test]
    public Task LinkClosesWithRequestsOutstanding_FailsEveryRequest() =>
        AssertSessionFailsEveryRequest(async rs =>
        {
            await _peer.SendAsync(SftpReplies.Data(rs[0].Id, new byte[8]));
            await _peer.CloseAsync();
        }, "closed the SFTP channel with 2 request(s) outstanding", answeredFirst: 1);

    [Test]
    public async Task StatusTooShort_FailsOnlyThatRequest()
    {
        var stat = _sftp.StatAsync("/f", CancellationToken.None);
        var r = await _peer.NextRequestAsync();
        await _peer.SendAsync(SftpReplies.Packet(SftpPacketType.Status, r.Id, w => w.WriteByte(0)));
        Assert.ThrowsAsync<SshProtocolException>(() => stat.WaitAsync(Hang));

        // The framing was intact, so the session goes on.
        var again = _sftp.StatAsync("/f", CancellationToken.None);
        r = await _peer.NextRequestAsync();
        await _peer.SendAsync(SftpReplies.Attrs(r.Id, new SftpAttributes { Size = 5 }));
        Assert.That((await again.WaitAsync(Hang)).Size, Is.EqualTo(5ul));
    }
}
