using System.Buffers.Binary;
using System.Diagnostics;
using NativeSftp.Auth.Agent;
using NativeSftp.Crypto;
using NativeSftp.Wire;

namespace NativeSftp.Tests.Auth.Agent;

/// <summary>The client against a scripted agent: hostile lengths, truncation, wrong types, refusals, silence.</summary>
public class SshAgentFaultTests
{
    /// <summary>A faulty reply must fail at once; this is only the bound that proves the client did not hang.</summary>
    private static readonly TimeSpan Quickly = TimeSpan.FromSeconds(5);

    private static CancellationToken Bounded() => new CancellationTokenSource(Quickly).Token;

    /// <summary>An ssh-rsa blob (RFC 4253 §6.6: e, n); the client never parses it when signing, the fake never checks it.</summary>
    private static readonly SshPublicKey RsaKey = new(AgentWire.Build(w =>
    {
        w.WriteAscii("ssh-rsa");
        w.WriteMPInt([1, 0, 1]);
        w.WriteMPInt(Enumerable.Repeat((byte)0xC5, 384).ToArray());
    }));

    private static async Task<AgentException> ListKeysFailure(FakeAgent fake)
    {
        await using var client = await SshAgentClient.ConnectAsync(fake.SocketPath, Bounded());
        var clock = Stopwatch.StartNew();
        var e = Assert.ThrowsAsync<AgentException>(() => client.ListKeysAsync(Bounded()));
        Assert.That(clock.Elapsed, Is.LessThan(Quickly));
        return e!;
    }

    [TestCase(AgentMessages.MaxMessageLength + 1u)]
    [TestCase(uint.MaxValue)]
    public async Task OversizedReplyLength_IsRefusedBeforeReadingIt(uint length)
    {
        await using var fake = FakeAgent.Start(async f =>
        {
            await f.ReadRequestAsync();
            byte[] header = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(header, length);
            await f.SendRawAsync(header); // and nothing more: the client must not wait for the body
        });

        var e = await ListKeysFailure(fake);

        Assert.That(e.Message, Does.Contain($"{length}-byte reply").And.Contain("limit is 262144"));
        Assert.That(e.ConnectionBroken, Is.True);
    }

    [Test]
    public async Task ZeroLengthReply_IsRefused()
    {
        await using var fake = FakeAgent.Start(async f =>
        {
            await f.ReadRequestAsync();
            await f.SendRawAsync([0, 0, 0, 0]);
        });

        var e = await ListKeysFailure(fake);

        Assert.That(e.Message, Does.Contain("empty message"));
    }

    [Test]
    public async Task ReplyCutShortByTheAgentClosing_FailsWithTheByteCount()
    {
        byte[] whole = FakeAgent.Frame(AgentWire.IdentitiesAnswer((AgentWire.Ed25519Blob(1), "cut")));
        await using var fake = FakeAgent.Start(async f =>
        {
            await f.ReadRequestAsync();
            await f.SendRawAsync(whole[..20]);
            f.CloseConnection();
        });

        var e = await ListKeysFailure(fake);

        Assert.That(e.Message, Does.Contain("closed the connection").And.Contain($"{whole.Length - 20} of {whole.Length - 4} expected bytes"));
        Assert.That(e.ConnectionBroken, Is.True);
    }

    [Test]
    public async Task CompleteFrameWithATruncatedAnswer_IsMalformed()
    {
        byte[] answer = AgentWire.IdentitiesAnswer((AgentWire.Ed25519Blob(1), "a"), (AgentWire.Ed25519Blob(2), "b"));
        await using var fake = FakeAgent.Start(async f =>
        {
            await f.ReadRequestAsync();
            await f.SendMessageAsync(answer[..^10]);
        });

        var e = await ListKeysFailure(fake);

        Assert.That(e.Message, Does.Contain("malformed SSH_AGENT_IDENTITIES_ANSWER"));
    }

    [Test]
    public async Task ReplyOfTheWrongType_IsRefusedAndBreaksTheConnection()
    {
        await using var fake = FakeAgent.Start(async f =>
        {
            await f.ReadRequestAsync();
            await f.SendMessageAsync(AgentWire.SignResponse("ssh-ed25519", [1])); // 14 where 12 was due
        });
        await using var client = await SshAgentClient.ConnectAsync(fake.SocketPath, Bounded());

        var e = Assert.ThrowsAsync<AgentException>(() => client.ListKeysAsync(Bounded()));
        var later = Assert.ThrowsAsync<AgentException>(() => client.ListKeysAsync(Bounded()));

        Assert.That(e!.Message, Does.Contain("message type 14"));
        Assert.That(later!.InnerException, Is.SameAs(e));
    }

    [Test]
    public async Task BytesAfterAReply_FailTheNextRequestInsteadOfAnsweringIt()
    {
        byte[] answer = FakeAgent.Frame(AgentWire.IdentitiesAnswer((AgentWire.Ed25519Blob(1), "real")));
        await using var fake = FakeAgent.Start(async f =>
        {
            await f.ReadRequestAsync();
            await f.SendRawAsync([.. answer, .. answer]); // a duplicated reply in one write
        });
        await using var client = await SshAgentClient.ConnectAsync(fake.SocketPath, Bounded());

        var first = await client.ListKeysAsync(Bounded());
        var e = Assert.ThrowsAsync<AgentException>(() => client.ListKeysAsync(Bounded()));

        Assert.That(first.Single().Comment, Is.EqualTo("real"));
        Assert.That(e!.Message, Does.Contain($"{answer.Length} unsolicited bytes"));
        Assert.That(e.ConnectionBroken, Is.True);
    }

    [TestCase((byte)5)]
    [TestCase((byte)30)]
    [TestCase((byte)102)]
    public async Task FailureReply_IsARefusalAndTheConnectionStaysUsable(byte failureType)
    {
        await using var fake = FakeAgent.Start(async f =>
        {
            await f.ReadRequestAsync();
            await f.SendMessageAsync([failureType]);
            await f.ReadRequestAsync();
            await f.SendMessageAsync(AgentWire.IdentitiesAnswer((AgentWire.Ed25519Blob(1), "after")));
        });
        await using var client = await SshAgentClient.ConnectAsync(fake.SocketPath, Bounded());

        var e = Assert.ThrowsAsync<AgentException>(() => client.SignAsync(AgentWire.Ed25519Key(1), new byte[] { 1 }, "ssh-ed25519", Bounded()));
        var keys = await client.ListKeysAsync(Bounded());

        Assert.That(e!.Message, Does.Contain("SSH_AGENT_FAILURE"));
        Assert.That(e.ConnectionBroken, Is.False);
        Assert.That(keys.Single().Comment, Is.EqualTo("after"));
        await fake.Completion;
    }

    [TestCase("rsa-sha2-256", 2u)]
    [TestCase("rsa-sha2-512", 4u)]
    public async Task SignRequest_CarriesTheRsaFlagForTheAlgorithm(string algorithm, uint flags)
    {
        byte[] data = [7, 7, 7];
        await using var fake = FakeAgent.Start(async f =>
        {
            byte[] request = await f.ReadRequestAsync();
            var r = new SshReader(request);
            Assert.That(r.ReadByte(), Is.EqualTo(13));
            Assert.That(r.ReadString().ToArray(), Is.EqualTo(RsaKey.ToArray()));
            Assert.That(r.ReadString().ToArray(), Is.EqualTo(data));
            Assert.That(r.ReadUInt32(), Is.EqualTo(flags));
            Assert.That(r.IsAtEnd, Is.True);
            await f.SendMessageAsync(AgentWire.SignResponse(algorithm, [0x5A]));
        });
        await using var client = await SshAgentClient.ConnectAsync(fake.SocketPath, Bounded());

        byte[] signature = await client.SignAsync(RsaKey, data, algorithm, Bounded());

        await fake.Completion;
        Assert.That(new SshReader(signature).ReadAscii(), Is.EqualTo(algorithm));
    }

    [Test]
    public async Task SignResponseWithAnotherAlgorithm_IsRefused()
    {
        await using var fake = FakeAgent.Start(async f =>
        {
            await f.ReadRequestAsync();
            await f.SendMessageAsync(AgentWire.SignResponse("ssh-rsa", [0x5A]));
        });
        await using var client = await SshAgentClient.ConnectAsync(fake.SocketPath, Bounded());

        var e = Assert.ThrowsAsync<AgentException>(() => client.SignAsync(RsaKey, new byte[] { 1 }, "rsa-sha2-512", Bounded()));

        Assert.That(e!.Message, Does.Contain("'ssh-rsa' signature where 'rsa-sha2-512'"));
    }

    [Test]
    public async Task UnsupportedKeyType_IsListedWithNoSignatureAlgorithms()
    {
        await using var fake = FakeAgent.Start(async f =>
        {
            await f.ReadRequestAsync();
            await f.SendMessageAsync(AgentWire.IdentitiesAnswer((AgentWire.SkEd25519Blob(), "yubikey"), (AgentWire.Ed25519Blob(2), "plain")));
        });
        await using var client = await SshAgentClient.ConnectAsync(fake.SocketPath, Bounded());

        var keys = await client.ListKeysAsync(Bounded());

        Assert.That(keys.Select(k => k.PublicKey.KeyType), Is.EqualTo(new[] { "sk-ssh-ed25519@openssh.com", "ssh-ed25519" }));
        Assert.That(keys[0].SignatureAlgorithms, Is.Empty);
        Assert.That(keys[1].SignatureAlgorithms, Is.EqualTo(new[] { "ssh-ed25519" }));
        Assert.ThrowsAsync<ArgumentException>(async () => await keys[0].SignAsync("sk-ssh-ed25519@openssh.com", new byte[] { 1 }, Bounded()));
    }

    [Test]
    public async Task CancelWhileTheAgentIsSilent_ThrowsCancellationAndClosesTheConnection()
    {
        await using var fake = FakeAgent.Start(async f => await f.ReadRequestAsync());
        await using var client = await SshAgentClient.ConnectAsync(fake.SocketPath, Bounded());
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        Assert.That(async () => await client.ListKeysAsync(cts.Token), Throws.InstanceOf<OperationCanceledException>());
        var later = Assert.ThrowsAsync<AgentException>(() => client.ListKeysAsync(Bounded()));

        // A late reply could otherwise be taken as the answer to the next request.
        Assert.That(later!.Message, Does.Contain("cancelled"));
        Assert.That(later.ConnectionBroken, Is.True);
    }

    [Test]
    public async Task ConcurrentRequests_ReachTheAgentOneAtATime()
    {
        int pendingWhileBusy = -1;
        await using var fake = FakeAgent.Start(async f =>
        {
            await f.ReadRequestAsync();
            await Task.Delay(300);
            pendingWhileBusy = f.PendingBytes; // a second request sent before this reply would be sitting here
            await f.SendMessageAsync(AgentWire.IdentitiesAnswer((AgentWire.Ed25519Blob(1), "one")));
            await f.ReadRequestAsync();
            await f.SendMessageAsync(AgentWire.IdentitiesAnswer((AgentWire.Ed25519Blob(2), "two")));
        });
        await using var client = await SshAgentClient.ConnectAsync(fake.SocketPath, Bounded());

        var both = await Task.WhenAll(client.ListKeysAsync(Bounded()), client.ListKeysAsync(Bounded()));

        await fake.Completion;
        Assert.That(pendingWhileBusy, Is.Zero);
        Assert.That(both.Select(k => k.Single().Comment), Is.EquivalentTo(new[] { "one", "two" }));
    }

    [Test]
    public async Task DisposedClient_ThrowsObjectDisposed()
    {
        await using var fake = FakeAgent.Start(f => Task.CompletedTask);
        var client = await SshAgentClient.ConnectAsync(fake.SocketPath, Bounded());
        await client.DisposeAsync();

        Assert.ThrowsAsync<ObjectDisposedException>(() => client.ListKeysAsync(Bounded()));
    }
}
