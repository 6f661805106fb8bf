using System.Buffers.Binary;
using System.Net.Sockets;

namespace NativeSftp.Tests.Auth.Agent;

/// <summary>
/// A scripted agent on a Unix socket for behaviour a real ssh-agent never shows (oversized lengths, truncated
/// replies, wrong message types, silence). It accepts one connection and runs the script on it.
/// </summary>
public sealed class FakeAgent : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly string _directory;
    private Socket? _connection;

    private FakeAgent(string directory, Socket listener)
    {
        _directory = directory;
        _listener = listener;
        SocketPath = Path.Combine(directory, "fake.sock");
    }

    public string SocketPath { get; }

    /// <summary>The script's outcome; a test awaits it when the fake's own assertions matter.</summary>
    public Task Completion { get; private set; } = Task.CompletedTask;

    public static FakeAgent Start(Func<FakeAgent, Task> script)
    {
        string dir = Path.Combine(Path.GetTempPath(), "nsftp-fake-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(dir);
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        var fake = new FakeAgent(dir, listener);
        listener.Bind(new UnixDomainSocketEndPoint(fake.SocketPath));
        listener.Listen(1);
        fake.Completion = fake.RunAsync(script);
        return fake;
    }

    private async Task RunAsync(Func<FakeAgent, Task> script)
    {
        _connection = await _listener.AcceptAsync().ConfigureAwait(false);
        await script(this).ConfigureAwait(false);
    }

    /// <summary>Reads one request frame and returns the message (type byte first).</summary>
    public async Task<byte[]> ReadRequestAsync()
    {
        byte[] header = new byte[4];
        await ReceiveExactAsync(header).ConfigureAwait(false);
        byte[] message = new byte[BinaryPrimitives.ReadUInt32BigEndian(header)];
        await ReceiveExactAsync(message).ConfigureAwait(false);
        return message;
    }

    /// <summary>Sends raw bytes (a frame, or part of one).</summary>
    public async Task SendRawAsync(byte[] bytes)
    {
        int sent = 0;
        while (sent < bytes.Length)
        {
            sent += await _connection!.SendAsync(bytes.AsMemory(sent), SocketFlags.None).ConfigureAwait(false);
        }
    }

    /// <summary>Sends <paramref name="message"/> (type byte first) with its length prefix.</summary>
    public Task SendMessageAsync(byte[] message) => SendRawAsync(Frame(message));

    /// <summary>Bytes the client has sent that nobody has read yet.</summary>
    public int PendingBytes => _connection!.Available;

    public void CloseConnection() => _connection?.Dispose();

    public static byte[] Frame(byte[] message)
    {
        byte[] frame = new byte[4 + message.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)message.Length);
        message.CopyTo(frame, 4);
        return frame;
    }

    private async Task ReceiveExactAsync(byte[] buffer)
    {
        int got = 0;
        while (got < buffer.Length)
        {
            int n = await _connection!.ReceiveAsync(buffer.AsMemory(got), SocketFlags.None).ConfigureAwait(false);
            if (n == 0)
            {
                throw new EndOfStreamException("the client closed the connection");
            }

            got += n;
        }
    }

    public ValueTask DisposeAsync()
    {
        _connection?.Dispose();
        _listener.Dispose();
        Directory.Delete(_directory, recursive: true);
        return ValueTask.CompletedTask;
    }
}
