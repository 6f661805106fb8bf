using System.Security.Cryptography;
using NativeSftp.Sftp;
using NativeSftp.Sftp.Protocol;
using NativeSftp.Tests.Fixtures;

namespace NativeSftp.Tests.Sftp;

/// <summary>SftpFileStream against a real sshd, with both OpenSSH SFTP servers.</summary>
[TestFixture("internal-sftp")]
[TestFixture("/usr/lib/openssh/sftp-server")]
public class SftpFileStreamTests
{
    private readonly string _subsystem;
    private SshdServer _sshd = null!;
    private SshClient _ssh = null!;
    private SftpClient _sftp = null!;
    private string _dir = null!;

    public SftpFileStreamTests(string subsystem) => _subsystem = subsystem;

    [OneTimeSetUp]
    public async Task Start()
    {
        _sshd = await SshdServer.StartAsync(o => o.SftpSubsystem = _subsystem);
        _ssh = await SshClient.ConnectAsync(TestClients.Options(_sshd), CancellationToken.None);
        _sftp = await _ssh.OpenSftpAsync(CancellationToken.None);
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        await _sftp.DisposeAsync();
        await _ssh.DisposeAsync();
        await _sshd.DisposeAsync();
    }

    [SetUp]
    public void MakeDir()
    {
        _dir = Path.Combine(_sshd.Directory, "s-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(_dir);
    }

    private static CancellationToken Timeout => new CancellationTokenSource(TimeSpan.FromSeconds(120)).Token;

    [Test]
    public async Task RandomSizeWrites_ThenRandomReadsAndSeeks_RoundTripAFewMiB()
    {
        var ct = Timeout;
        string path = _dir + "/big.bin";
        byte[] data = RandomNumberGenerator.GetBytes(3 * 1024 * 1024 + 12345);
        var random = new Random(42);
        await using (var w = await _sftp.OpenStreamAsync(path, FileMode.CreateNew, FileAccess.Write, ct))
        {
            for (int at = 0; at < data.Length;)
            {
                int n = Math.Min(random.Next(1, 100_000), data.Length - at);
                await w.WriteAsync(data.AsMemory(at, n), ct);
                at += n;
            }
        }

        Assert.That(File.ReadAllBytes(path), Is.EqualTo(data), "what DisposeAsync acknowledged is on disk");

        await using var r = await _sftp.OpenStreamAsync(path, FileMode.Open, FileAccess.Read, new SftpStreamOptions { ChunkSize = 64 * 1024 }, ct);
        Assert.That(r.Length, Is.EqualTo(data.Length));
        var whole = new MemoryStream();
        await r.CopyToAsync(whole, 50_000, ct);
        Assert.That(whole.ToArray(), Is.EqualTo(data), "sequential read with read-ahead");

        for (int i = 0; i < 100; i++)
        {
            long at = random.NextInt64(data.Length + 100);
            r.Position = at;
            byte[] got = new byte[random.Next(1, 300_000)];
            int n = await r.ReadAtLeastAsync(got, got.Length, throwOnEndOfStream: false, ct);
            int expected = (int)Math.Clamp(data.Length - at, 0, got.Length);
            Assert.That(n, Is.EqualTo(expected), $"read of {got.Length} at {at}");
            Assert.That(got.AsSpan(0, n).SequenceEqual(data.AsSpan((int)Math.Min(at, data.Length), n)), Is.True, $"bytes at {at}");
        }
    }

    [Test]
    public async Task OverwritesAtRandomOffsets_MatchALocalModel()
    {
        var ct = Timeout;
        string path = _dir + "/rw.bin";
        var model = new MemoryStream();
        var random = new Random(7);
        await using (var s = await _sftp.OpenStreamAsync(path, FileMode.Create, FileAccess.ReadWrite, new SftpStreamOptions { ChunkSize = 8192, WriteBehind = 4, ReadAhead = 4 }, ct))
        {
            for (int i = 0; i < 200; i++)
            {
                long at = random.NextInt64(400_000);
                byte[] piece = RandomNumberGenerator.GetBytes(random.Next(1, 20_000));
                s.Position = at;
                model.Position = at;
                await s.WriteAsync(piece, ct);
                model.Write(piece);
                if (i % 25 == 0)
                {
                    // Reads in between: each must see every write before it.
                    s.Position = model.Position = random.NextInt64(model.Length);
                    byte[] a = new byte[1000], b = new byte[1000];
                    int n = await s.ReadAtLeastAsync(a, a.Length, throwOnEndOfStream: false, ct);
                    int m = model.ReadAtLeast(b, b.Length, throwOnEndOfStream: false);
                    Assert.That(a.AsSpan(0, n).ToArray(), Is.EqualTo(b.AsSpan(0, m).ToArray()), $"read-back at {model.Position - m}");
                }
            }

            Assert.That(await s.GetLengthAsync(ct), Is.EqualTo(model.Length));
        }

        Assert.That(File.ReadAllBytes(path), Is.EqualTo(model.ToArray()));
    }

    [Test]
    public async Task SetLengthAsync_TruncatesOnTheServer()
    {
        var ct = Timeout;
        string path = _dir + "/t.bin";
        File.WriteAllBytes(path, new byte[100_000]);
        await using (var s = await _sftp.OpenStreamAsync(path, FileMode.Open, FileAccess.ReadWrite, ct))
        {
            await s.SetLengthAsync(1234, ct);
            Assert.That(await s.GetLengthAsync(ct), Is.EqualTo(1234));
        }

        Assert.That(new FileInfo(path).Length, Is.EqualTo(1234));
    }

    [Test]
    public async Task WritesThatTheServerRefuses_FailFromWriteFlushOrDispose_NeverSilently()
    {
        // /dev/full opens for writing and fails every write with ENOSPC: the OPEN succeeds, each WRITE fails.
        var ct = Timeout;
        var s = await _sftp.OpenStreamAsync("/dev/full", FileMode.Open, FileAccess.Write, ct);
        var ex = Assert.ThrowsAsync<SftpException>(async () =>
        {
            await s.WriteAsync(new byte[200_000], ct);
            await s.FlushAsync(ct);
        });
        Assert.That(ex!.RequestType, Is.EqualTo("WRITE"));
        Assert.That(ex.StatusCode, Is.EqualTo(SftpStatusCode.Failure));
        Assert.That(s.FailedWriteOffset, Is.EqualTo(0));
        await s.DisposeAsync();

        // Never flushed: DisposeAsync is where the failure must come out.
        s = await _sftp.OpenStreamAsync("/dev/full", FileMode.Open, FileAccess.Write, ct);
        await s.WriteAsync(new byte[100], ct);
        Assert.ThrowsAsync<SftpException>(async () => await s.DisposeAsync());
    }

    [Test]
    public void CreateNew_OnAnExistingFile_Fails()
    {
        string path = _dir + "/exists";
        File.WriteAllText(path, "x");
        var ex = Assert.ThrowsAsync<SftpException>(() => _sftp.OpenStreamAsync(path, FileMode.CreateNew, FileAccess.Write, Timeout));
        Assert.That(ex!.RequestType, Is.EqualTo("OPEN"));
    }
}

/// <summary>A read-only SFTP server (sftp-server -R): streams open for reading, and opening one for writing fails loudly.</summary>
[TestFixture]
public class SftpFileStreamReadOnlyServerTests
{
    [Test]
    public async Task ReadOnlyServer_RefusesAWriteStream_AndServesAReadStream()
    {
        await using var sshd = await SshdServer.StartAsync(o => o.SftpSubsystem = SshdServer.SftpServerPath + " -R");
        await using var ssh = await SshClient.ConnectAsync(TestClients.Options(sshd), CancellationToken.None);
        await using var sftp = await ssh.OpenSftpAsync(CancellationToken.None);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        string path = Path.Combine(sshd.Directory, "ro.bin");
        byte[] data = RandomNumberGenerator.GetBytes(300_000);
        File.WriteAllBytes(path, data);

        var ex = Assert.ThrowsAsync<SftpException>(() => sftp.OpenStreamAsync(path, FileMode.Open, FileAccess.Write, timeout.Token));
        Assert.That(ex!.StatusCode, Is.EqualTo(SftpStatusCode.PermissionDenied));
        Assert.That(ex.RequestType, Is.EqualTo("OPEN"));

        await using var r = await sftp.OpenStreamAsync(path, FileMode.Open, FileAccess.Read, timeout.Token);
        var copy = new MemoryStream();
        await r.CopyToAsync(copy, timeout.Token);
        Assert.That(copy.ToArray(), Is.EqualTo(data));
    }
}
