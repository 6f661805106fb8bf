using System.Security.Cryptography;
using NativeSftp.Sftp;
using NativeSftp.Tests.Fixtures;
using NativeSftp.Transfer;

namespace NativeSftp.Tests.Transfer;

/// <summary>
/// The server-side hash that follows an upload's acknowledged prefix (<see cref="StreamingRemoteHash"/>), against a
/// real sshd; the files it hashes are written here directly (the server is this machine).
/// </summary>
[TestFixture]
public class StreamingRemoteHashTests
{
    private const int MiB = 1024 * 1024;
    private SshdServer _sshd = null!;
    private SshClient _ssh = null!;
    private SftpClient _sftp = null!;
    private string _dir = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        _sshd = await SshdServer.StartAsync();
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
    public void Dir()
    {
        _dir = Path.Combine(_sshd.Directory, "streamed-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(_dir);
    }

    private static CancellationToken Timeout() => new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token;

    private static byte[] Data(int length, int seed)
    {
        byte[] data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    [Test]
    public async Task FollowsTheAcknowledgedPrefix_AndHashesTheRestAtTheEnd()
    {
        // 40 MiB + 12345 bytes: more than one step, and a last partial block.
        byte[] data = Data(40 * MiB + 12345, 1);
        string path = Path.Combine(_dir, "grow.bin");
        // What the server holds while "uploading": the first 20 MiB right, the rest not yet written (zeros).
        byte[] partial = new byte[data.Length];
        data.AsSpan(0, 20 * MiB).CopyTo(partial);
        await File.WriteAllBytesAsync(path, partial);

        await using var streamed = StreamingRemoteHash.TryStart(_sftp, path, 0);
        Assert.That(streamed, Is.Not.Null, "OpenSSH has no check-file, so the streamed hash applies");
        streamed!.Advance(20 * MiB);
        // Give the server time to hash the announced 20 MiB; had it read further, it would have hashed zeros.
        await Task.Delay(500);
        await using (var f = new FileStream(path, FileMode.Open, FileAccess.Write))
        {
            f.Position = 20 * MiB;
            await f.WriteAsync(data.AsMemory(20 * MiB));
        }

        var r = await streamed.CompleteAsync(data.Length, Timeout());

        Assert.That(r.Sha256Hex, Is.EqualTo(Convert.ToHexStringLower(SHA256.HashData(data))));
        Assert.That(r.Method, Is.EqualTo("sha256 (remote openssl, streamed)"));
    }

    [Test]
    public async Task AResumedUpload_HashesTheVerifiedPrefixToo()
    {
        byte[] data = Data(3 * MiB + 5, 2);
        string path = Path.Combine(_dir, "resumed.bin");
        await File.WriteAllBytesAsync(path, data);

        await using var streamed = StreamingRemoteHash.TryStart(_sftp, path, MiB + 17)!;
        var r = await streamed.CompleteAsync(data.Length, Timeout());

        Assert.That(r.Sha256Hex, Is.EqualTo(Convert.ToHexStringLower(SHA256.HashData(data))));
    }

    [Test]
    public async Task AnEmptyFile_HasTheEmptyDigest()
    {
        string path = Path.Combine(_dir, "empty.bin");
        await File.WriteAllBytesAsync(path, []);

        await using var streamed = StreamingRemoteHash.TryStart(_sftp, path, 0)!;
        var r = await streamed.CompleteAsync(0, Timeout());

        Assert.That(r.Sha256Hex, Is.EqualTo(RemoteHasher.EmptySha256));
    }

    [Test]
    public async Task AFileThatCannotBeRead_FailsInsteadOfHashingLess()
    {
        await using var streamed = StreamingRemoteHash.TryStart(_sftp, Path.Combine(_dir, "missing 'quoted'.bin"), 0)!;
        streamed.Advance(32 * MiB);

        var e = Assert.ThrowsAsync<SftpRemoteCommandException>(() => streamed.CompleteAsync(33 * MiB, Timeout()));

        Assert.That(e!.Message, Does.Contain("streamed remote hash failed"));
    }

    [Test]
    public async Task ADisagreeingStreamedHash_IsNotTaken_SoTheWholeFileHashDecides()
    {
        // Announcing bytes that were not written yet (here: zeros on disk that are filled in later) is what a
        // misbehaving server-side read would look like: the streamed digest then differs from the data sent.
        byte[] data = Data(20 * MiB, 4);
        string path = Path.Combine(_dir, "early.bin");
        await File.WriteAllBytesAsync(path, new byte[data.Length]);
        await using var streamed = StreamingRemoteHash.TryStart(_sftp, path, 0)!;
        streamed.Advance(data.Length);
        // Wait until the server has read the zeros: the whole 20 MiB hash of zeros is fast, but give it time.
        await Task.Delay(1000);
        await File.WriteAllBytesAsync(path, data);

        string? method = await SftpFileTransfer.StreamedAgreesAsync(streamed, data.Length, Convert.ToHexStringLower(SHA256.HashData(data)), Timeout());

        Assert.That(method, Is.Null, "a streamed digest that differs from the data sent is never the verdict");
        var whole = await RemoteHasher.ComputeAsync(_sftp, path, null, Timeout());
        Assert.That(whole.Sha256Hex, Is.EqualTo(Convert.ToHexStringLower(SHA256.HashData(data))), "the whole-file hash, which then decides, sees the right data");
    }

    [Test]
    public void APrefixHashOfAFileThatCannotBeRead_FailsInsteadOfHashingNothing()
    {
        var e = Assert.ThrowsAsync<SftpRemoteCommandException>(() => RemoteHasher.ComputeAsync(_sftp, Path.Combine(_dir, "-missing"), 5, Timeout()));

        Assert.That(e!.Message, Does.Contain("failed"));
    }

    [Test]
    public async Task APrefixHash_HashesExactlyThePrefix_EvenForANameThatLooksLikeAnOption()
    {
        byte[] data = Data(3 * MiB, 5);
        string path = Path.Combine(_dir, "-n 'odd' name.bin");
        await File.WriteAllBytesAsync(path, data);

        var r = await RemoteHasher.ComputeAsync(_sftp, path, MiB + 3, Timeout());

        Assert.That(r.Sha256Hex, Is.EqualTo(Convert.ToHexStringLower(SHA256.HashData(data.AsSpan(0, MiB + 3)))));
    }

    [Test]
    public async Task AbandonedMidWay_ClosesQuietly_AndTheConnectionStaysUsable()
    {
        string path = Path.Combine(_dir, "abandoned.bin");
        await File.WriteAllBytesAsync(path, Data(17 * MiB, 3));
        var streamed = StreamingRemoteHash.TryStart(_sftp, path, 0)!;
        streamed.Advance(17 * MiB);

        await streamed.DisposeAsync();

        var attrs = await _sftp.StatAsync(path, Timeout());
        Assert.That(attrs.Size, Is.EqualTo((ulong)(17 * MiB)));
    }
}
