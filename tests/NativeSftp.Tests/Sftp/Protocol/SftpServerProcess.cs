using System.Buffers;
using System.Diagnostics;
using NativeSftp.Sftp.Protocol;
using NativeSftp.Tests.Fixtures;
using NativeSftp.Wire;

namespace NativeSftp.Tests.Sftp.Protocol;

/// <summary>
/// OpenSSH's sftp-server run directly with its stdin/stdout as the SFTP stream (no SSH in between), so the
/// packet layer can be checked against the real server on its own. One request at a time; every read has a
/// deadline so a packet the server cannot parse fails the test instead of hanging it.
/// </summary>
internal sealed class SftpServerProcess : IDisposable
{
    private static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(10);
    private readonly Process _process;
    private readonly Stream _input;
    private readonly Stream _output;
    private byte[] _received = new byte[64 * 1024];
    private int _receivedCount;
    private readonly System.Text.StringBuilder _stderr = new();
    private uint _nextId = 1;

    public string StandardError
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    private SftpServerProcess(Process process)
    {
        _process = process;
        _input = process.StandardInput.BaseStream;
        _output = process.StandardOutput.BaseStream;
    }

    public static SftpServerProcess Start(string workingDirectory)
    {
        SshdServer.RequireOpenSsh();
        var psi = new ProcessStartInfo(SshdServer.SftpServerPath, ["-e", "-l", "QUIET"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory,
            UseShellExecute = false,
        };
        var p = Process.Start(psi) ?? throw new InvalidOperationException("sftp-server did not start");
        var server = new SftpServerProcess(p);
        p.ErrorDataReceived += (_, e) =>
        {
            lock (server._stderr)
            {
                server._stderr.AppendLine(e.Data);
            }
        };
        p.BeginErrorReadLine();
        return server;
    }

    public uint NextId() => _nextId++;

    /// <summary>Sends one packet and returns the next reply, checking it answers <paramref name="id"/>.</summary>
    public async Task<(byte Type, byte[] Body)> ExchangeAsync(uint id, Action<IBufferWriter<byte>> write)
    {
        await SendAsync(write);
        var (type, replyId, body) = await ReceiveAsync();
        if (type != SftpPacketType.Version && replyId != id)
        {
            throw new AssertionException($"reply for id {replyId}, expected {id}");
        }

        return (type, body);
    }

    public async Task SendAsync(Action<IBufferWriter<byte>> write)
    {
        using var buffer = new PooledBufferWriter();
        write(buffer);
        await _input.WriteAsync(buffer.WrittenMemory);
        await _input.FlushAsync();
    }

    public async Task<(byte Type, uint Id, byte[] Body)> ReceiveAsync()
    {
        using var cts = new CancellationTokenSource(ReplyTimeout);
        while (true)
        {
            var sequence = new ReadOnlySequence<byte>(_received, 0, _receivedCount);
            if (SftpFramer.TryReadPacket(ref sequence, out var packet))
            {
                var result = (packet.Type, packet.RequestId, packet.Body.ToArray());
                int consumed = _receivedCount - (int)sequence.Length;
                Buffer.BlockCopy(_received, consumed, _received, 0, (int)sequence.Length);
                _receivedCount -= consumed;
                return result;
            }

            if (_receivedCount == _received.Length)
            {
                Array.Resize(ref _received, _received.Length * 2);
            }

            int n = await _output.ReadAsync(_received.AsMemory(_receivedCount), cts.Token);
            if (n == 0)
            {
                throw new AssertionException("sftp-server closed its output (it refused a packet): " + StandardError);
            }

            _receivedCount += n;
        }
    }

    public void Dispose()
    {
        try
        {
            _input.Dispose();
            if (!_process.WaitForExit(5000))
            {
                _process.Kill();
            }
        }
        finally
        {
            _process.Dispose();
        }
    }
}
