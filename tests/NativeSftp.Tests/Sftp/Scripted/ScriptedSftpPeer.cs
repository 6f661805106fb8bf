using System.Buffers;
using System.IO.Pipelines;
using NativeSftp.Sftp;
using NativeSftp.Sftp.Protocol;
using NativeSftp.Sftp.Protocol.Extensions;

namespace NativeSftp.Tests.Sftp.Scripted;

/// <summary>
/// The server end of an SFTP session over an in-memory duplex pipe, driven step by step by a test: it answers INIT
/// (and limits@openssh.com when announced), then hands each request to the test, which sends whatever reply it
/// wants: in any order, wrong, truncated, or none before closing the link.
/// </summary>
internal sealed class ScriptedSftpPeer : IAsyncDisposable
{
    /// <summary>A test that waits longer than this for the client has found a hang: fail instead.</summary>
    public static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(10);

    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private readonly Queue<ScriptedRequest> _received = new();
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private bool _closed;

    private ScriptedSftpPeer(PipeReader input, PipeWriter output)
    {
        _input = input;
        _output = output;
    }

    /// <summary>Every request received so far, in arrival order.</summary>
    public List<ScriptedRequest> Log { get; } = [];

    /// <summary>
    /// Starts a session: the client sends INIT, the peer answers VERSION 3 with <paramref name="extensions"/>, and
    /// answers the limits request when <paramref name="limits"/> is given (it announces limits@openssh.com then).
    /// </summary>
    public static async Task<(ScriptedSftpPeer Peer, SftpClient Client)> ConnectAsync(
        IEnumerable<(string Name, string Data)>? extensions = null, SftpServerLimitsValues? limits = null)
    {
        var (client, input, output) = DuplexPipeStream.Create();
        var peer = new ScriptedSftpPeer(input, output);
        using var timeout = new CancellationTokenSource(StepTimeout);
        var opening = SftpClient.OpenAsync(client, timeout.Token);

        var init = await peer.ReadPacketAsync(timeout.Token);
        Assert.That(init?.Type, Is.EqualTo(SftpPacketType.Init), "the client's first packet");
        var announced = new List<(string, string)>(extensions ?? []);
        if (limits is not null)
        {
            announced.Add((SftpExtensionNames.Limits, "1"));
        }

        await peer.SendAsync(SftpReplies.Version(announced));
        if (limits is { } l)
        {
            var request = await peer.NextRequestAsync();
            Assert.That(request.ExtendedName, Is.EqualTo(SftpExtensionNames.Limits));
            await peer.SendAsync(SftpReplies.Limits(request.Id, l));
        }

        return (peer, await opening);
    }

    /// <summary>The next request, waiting for it (fails the test after <see cref="StepTimeout"/>).</summary>
    public async Task<ScriptedRequest> NextRequestAsync()
    {
        if (_received.Count == 0)
        {
            using var timeout = new CancellationTokenSource(StepTimeout);
            var batch = await ReadBatchAsync(timeout.Token);
            if (batch.Count == 0)
            {
                Assert.Fail("the client closed the link while the script waited for a request");
            }

            foreach (var r in batch)
            {
                _received.Enqueue(r);
            }
        }

        return _received.Dequeue();
    }

    /// <summary>The next <paramref name="count"/> requests.</summary>
    public async Task<List<ScriptedRequest>> NextRequestsAsync(int count)
    {
        var list = new List<ScriptedRequest>(count);
        for (int i = 0; i < count; i++)
        {
            list.Add(await NextRequestAsync());
        }

        return list;
    }

    /// <summary>
    /// Every whole request in the receive buffer, waiting for at least one; empty when the client closed the link.
    /// A server loop that answers one batch at a time sees the pipelined requests together and can reorder them.
    /// </summary>
    public async Task<List<ScriptedRequest>> ReadBatchAsync(CancellationToken cancellationToken)
    {
        var list = new List<ScriptedRequest>();
        if (_received.Count > 0)
        {
            list.AddRange(_received);
            _received.Clear();
            return list;
        }

        while (true)
        {
            var result = await _input.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            while (SftpFramer.TryReadPacket(ref buffer, out var packet))
            {
                var request = ScriptedRequest.Parse(packet.Type, packet.RequestId, packet.ContiguousBody());
                Log.Add(request);
                list.Add(request);
            }

            _input.AdvanceTo(buffer.Start, buffer.End);
            if (list.Count > 0 || result.IsCompleted)
            {
                return list;
            }
        }
    }

    private async Task<ScriptedRequest?> ReadPacketAsync(CancellationToken cancellationToken)
    {
        var batch = await ReadBatchAsync(cancellationToken);
        for (int i = 1; i < batch.Count; i++)
        {
            _received.Enqueue(batch[i]);
        }

        return batch.Count > 0 ? batch[0] : null;
    }

    /// <summary>Sends raw bytes: a whole packet from <see cref="SftpReplies"/>, several, or a mangled one.</summary>
    public async Task SendAsync(ReadOnlyMemory<byte> bytes)
    {
        await _sendLock.WaitAsync();
        try
        {
            if (!_closed)
            {
                await _output.WriteAsync(bytes);
            }
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>Ends the link from the server side, as a closed channel would: the client sees end of stream.</summary>
    public async Task CloseAsync()
    {
        await _sendLock.WaitAsync();
        try
        {
            if (!_closed)
            {
                _closed = true;
                await _output.CompleteAsync();
            }
        }
        finally
        {
            _sendLock.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await CloseAsync();
        await _input.CompleteAsync();
        _sendLock.Dispose();
    }
}
