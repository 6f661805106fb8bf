using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using NativeSftp.Connection;
using NativeSftp.Tests.Fixtures;
using NativeSftp.Transport;
using static NativeSftp.Tests.Transport.TransportTestHelpers;

namespace NativeSftp.Tests.Connection;

/// <summary>Channels against a real sshd: exec with large data both ways, many channels at once, exit status, keepalive.</summary>
[TestFixture]
public class ConnectionInteropTests
{
    private SshdServer _sshd = null!;

    [OneTimeSetUp]
    public async Task StartServer() => _sshd = await SshdServer.StartAsync();

    [OneTimeTearDown]
    public async Task StopServer() => await _sshd.DisposeAsync();


    private static async Task<SshConnection> ConnectAsync(int port, ConnectionSettings? settings, CancellationToken ct)
    {
        var ts = new TransportSettings { Host = "127.0.0.1", Port = port, HostKeyVerifier = PinnedHostKeyVerifier.ForFixture() };
        var t = await SshTransport.ConnectAsync(ts, SshTransport.DefaultConnectTimeout, ct);
        try
        {
            await AuthenticateAsync(t, ct);
            return new SshConnection(t, settings);
        }
        catch
        {
            await t.DisposeAsync();
            throw;
        }
    }

    /// <summary>Streams <paramref name="size"/> pseudo-random bytes into sha256sum and checks the digest it prints.</summary>
    private static async Task StreamThroughSha256Async(SshConnection c, int size, int seed, CancellationToken ct)
    {
        await using var ch = await c.ExecAsync("sha256sum", ct);
        var rng = new Random(seed);
        byte[] chunk = new byte[1 << 20];
        using var local = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var reader = ReadAllAsync(ch, ct);
        for (int sent = 0; sent < size; sent += chunk.Length)
        {
            rng.NextBytes(chunk);
            int n = Math.Min(chunk.Length, size - sent);
            local.AppendData(chunk, 0, n);
            await ch.WriteAsync(chunk.AsMemory(0, n), ct);
        }

        await ch.SendEofAsync(ct);
        string output = Encoding.ASCII.GetString(await reader);
        Assert.That(output.Split(' ')[0], Is.EqualTo(Convert.ToHexStringLower(local.GetHashAndReset())));
        Assert.That(await ch.ExitStatus.WaitAsync(ct), Is.EqualTo(0));
    }

    private static async Task<byte[]> ReadAllAsync(SshChannel ch, CancellationToken ct)
    {
        var ms = new MemoryStream();
        byte[] buffer = new byte[64 * 1024];
        int n;
        while ((n = await ch.ReadAsync(buffer, ct)) > 0)
        {
            ms.Write(buffer, 0, n);
        }

        return ms.ToArray();
    }

    [Test]
    public async Task Exec_LargeDataBothWays_ArrivesIntact()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await using var c = await ConnectAsync(_sshd.Port, null, cts.Token);
        await StreamThroughSha256Async(c, 64 << 20, 1, cts.Token);

        // Server to client: 64 MiB of zeros, hashed on both sides.
        await using var ch = await c.ExecAsync("head -c 67108864 /dev/zero", cts.Token);
        byte[] data = await ReadAllAsync(ch, cts.Token);
        Assert.That(data, Has.Length.EqualTo(64 << 20));
        Assert.That(data.All(b => b == 0), Is.True);
        Assert.That(ch.Counters.WindowAdjustsSent, Is.GreaterThan(0), "a 64 MiB download needs the 16 MiB window re-opened");
    }

    [Test]
    public async Task EightChannels_StreamAtOnce_EachCorrect()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        await using var c = await ConnectAsync(_sshd.Port, null, cts.Token);
        var tasks = Enumerable.Range(0, 8).Select(i => StreamThroughSha256Async(c, 64 << 20, 100 + i, cts.Token)).ToArray();
        await Task.WhenAll(tasks);
    }

    [Test]
    public async Task Exec_ExitStatusAndStderr_AreSurfaced()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var c = await ConnectAsync(_sshd.Port, null, cts.Token);
        await using var ch = await c.ExecAsync("echo oops >&2; exit 7", cts.Token);
        await ReadAllAsync(ch, cts.Token);
        Assert.That(await ch.ExitStatus.WaitAsync(cts.Token), Is.EqualTo(7));
        Assert.That(ch.StandardError, Is.EqualTo("oops\n"));
    }

    /// <summary>
    /// The fixture runs commands with its own empty HOME, so the test account's ~/.bashrc (bash run by sshd reads it)
    /// cannot slow or break them: this machine's root runs pyenv there, and a rehash lock it left behind once made
    /// every exec wait 60 s.
    /// </summary>
    [Test]
    public async Task Exec_RunsWithTheFixturesOwnHome()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var c = await ConnectAsync(_sshd.Port, null, cts.Token);
        await using var ch = await c.ExecAsync("printf %s \"$HOME\"", cts.Token);
        byte[] output = await ReadAllAsync(ch, cts.Token);
        Assert.That(System.Text.Encoding.UTF8.GetString(output), Is.EqualTo(Path.Combine(_sshd.Directory, "home")));
    }

    [Test]
    public async Task ServerClosesChannelMidStream_WriterFails()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var c = await ConnectAsync(_sshd.Port, null, cts.Token);
        // The command reads nothing and exits at once: the server closes the channel while we still write.
        await using var ch = await c.ExecAsync("exit 0", cts.Token);
        byte[] chunk = new byte[1 << 20];
        var ex = Assert.ThrowsAsync<SshChannelClosedException>(async () =>
        {
            for (int i = 0; i < 256; i++)
            {
                await ch.WriteAsync(chunk, cts.Token);
            }
        });
        Assert.That(ex!.Message, Does.Contain("closed"));
    }

    [Test]
    public async Task KeepAlive_BlackholedServer_IsDeclaredDeadInTime_AndPendingWriteFails()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var proxy = new TcpFaultProxy(_sshd.Port);
        var interval = TimeSpan.FromSeconds(1);
        const int countMax = 2;
        await using var c = await ConnectAsync(proxy.Port, new ConnectionSettings { KeepAliveInterval = interval, KeepAliveCountMax = countMax }, cts.Token);
        await using var ch = await c.ExecAsync("cat > /dev/null", cts.Token);

        proxy.Blackhole();
        var sw = Stopwatch.StartNew();
        byte[] chunk = new byte[1 << 20];
        var ex = Assert.ThrowsAsync<SshConnectionException>(async () =>
        {
            while (true)
            {
                await ch.WriteAsync(chunk, cts.Token); // fills the window, then waits; must fail, not hang
            }
        });
        sw.Stop();
        Assert.That(ex!.Message, Does.Contain("keepalive"));
        // Bound: interval × (count + 1) plus a margin for the tick granularity and scheduling.
        Assert.That(sw.Elapsed, Is.LessThan(interval * (countMax + 1) + TimeSpan.FromSeconds(3)));
        Assert.That(c.Transport.Failure, Is.SameAs(ex));
    }
}
