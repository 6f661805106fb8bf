using System.Security.Cryptography;
using NativeSftp.Sftp;
using NativeSftp.Tests.Fixtures;
using NativeSftp.Transfer;

namespace NativeSftp.Tests.Interop;

/// <summary>
/// Against ProFTPD's mod_sftp, an SSH and SFTP implementation independent of OpenSSH. Each test is a problem found
/// there (2026-11-29) that OpenSSH never shows: segment channels' packets interleaved inside one WRITE, check-file
/// implemented but not announced (and answered without its "check-file" tag), no hash command over exec, several
/// host keys of which known_hosts may hold any one.
/// </summary>
[TestFixture]
public class ProftpdInteropTests : InteropTests<ProftpdServer>
{
    protected override Task<ProftpdServer> StartServerAsync() => ProftpdServer.StartAsync();

    protected override string ServerDirectory(ProftpdServer server) => server.Directory;

    protected override string ServerLog(ProftpdServer server) => server.SftpLog;

    [Test]
    public async Task Connects_WithStrictHostKeyChecking_ToAServerThatIsNotOpenSsh()
    {
        await using var ssh = await SshClient.ConnectAsync(Server.Options(), CancellationToken.None);
        Assert.That(ssh.ServerVersion, Does.Contain("mod_sftp"));
        await using var sftp = await ssh.OpenSftpAsync(CancellationToken.None);
        Assert.That(sftp.Limits, Is.Null, "mod_sftp announces no limits@openssh.com: the test is about such a server");
        Assert.That(sftp.Supports("check-file-name"), Is.False, "nor check-file, to a version 3 client");
    }

    /// <summary>Its RSA key alone in known_hosts: we must ask for RSA, not be shown ed25519 and cry man-in-the-middle.</summary>
    [Test]
    public async Task OnlyItsRsaKeyKnown_Connects()
    {
        var o = Server.Options();
        string onlyRsa = Path.Combine(Server.Directory, "known_hosts_rsa");
        File.WriteAllText(onlyRsa, $"[{Server.Host}]:{Server.Port} {File.ReadAllText(Server.HostKeyPaths[2] + ".pub").Trim()}\n");
        o.KnownHostsFiles.Clear();
        o.KnownHostsFiles.Add(onlyRsa);
        await using var ssh = await SshClient.ConnectAsync(o, CancellationToken.None);
        Assert.That(ssh.HostKey.KeyType, Is.EqualTo("ssh-rsa"));
    }

    /// <summary>
    /// Verification by SHA-256 works although the server announces no hash and runs no commands: its check-file is
    /// found by a probe and used for whole files (it ignores the length, so never for a prefix); an empty file, which
    /// it refuses to hash, is known by its size.
    /// </summary>
    [TestCase(0)]
    [TestCase(1)]
    [TestCase(32 * 1024 + 1)]
    [TestCase((5 << 20) + 3)]
    public async Task UploadAndDownload_AreVerifiedBySha256_ThroughUnannouncedCheckFile(int size)
    {
        await using var ssh = await SshClient.ConnectAsync(Server.Options(), CancellationToken.None);
        await using var sftp = await ssh.OpenSftpAsync(CancellationToken.None);
        string local = LocalFile($"v{size}.bin", size);
        string back = Path.Combine(LocalDir, $"v{size}.back");

        var up = await sftp.UploadFileAsync(local, $"/v{size}.bin", new TransferOptions { Verify = VerifyMode.Sha256 }, null, CancellationToken.None);
        var down = await sftp.DownloadFileAsync($"/v{size}.bin", back, new TransferOptions { Verify = VerifyMode.Auto }, null, CancellationToken.None);

        Assert.That(File.ReadAllBytes(Path.Combine(Server.Root, $"v{size}.bin")), Is.EqualTo(File.ReadAllBytes(local)));
        Assert.That(File.ReadAllBytes(back), Is.EqualTo(File.ReadAllBytes(local)));
        string expected = size == 0 ? "sha256 (empty file)" : "sha256 (check-file)";
        Assert.That(up.VerifyMethod, Is.EqualTo(expected));
        Assert.That(down.VerifyMethod, Is.EqualTo(expected));
        Assert.That(up.Sha256, Is.EqualTo(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(local)))));
    }

    /// <summary>
    /// Segments on one connection: mod_sftp keeps one partial-request buffer per connection, so a WRITE split over two
    /// channel packets with another channel's packet between them was misparsed (a hang, or "Invalid handle"). With no
    /// limits announced each WRITE now fits one channel packet.
    /// </summary>
    [Test]
    public async Task SegmentedUploadAndDownload_OnOneConnection_ArriveWhole()
    {
        await using var ssh = await SshClient.ConnectAsync(Server.Options(), CancellationToken.None);
        await using var sftp = await ssh.OpenSftpAsync(CancellationToken.None);
        string local = LocalFile("seg.bin", (40 << 20) + 123);
        string back = Path.Combine(LocalDir, "seg.back");
        var options = new TransferOptions { Segments = 4, Verify = VerifyMode.Sha256, StallTimeout = TimeSpan.FromSeconds(30) };

        var up = await sftp.UploadFileAsync(local, "/seg.bin", options, null, CancellationToken.None);
        var down = await sftp.DownloadFileAsync("/seg.bin", back, options, null, CancellationToken.None);

        Assert.That(File.ReadAllBytes(Path.Combine(Server.Root, "seg.bin")), Is.EqualTo(File.ReadAllBytes(local)));
        Assert.That(File.ReadAllBytes(back), Is.EqualTo(File.ReadAllBytes(local)));
        Assert.That(up.Segments, Is.GreaterThan(1), "the upload really was segmented");
        Assert.That(up.ChunkSize, Is.LessThanOrEqualTo((int)sftp.Channel!.PeerMaxPacketSize - 25), "each WRITE fits one channel packet");
        Assert.That(down.Segments, Is.GreaterThan(1));
    }

    /// <summary>
    /// An explicit request size larger than a channel packet, with segments on one connection: mod_sftp would hang,
    /// so there the size is cut to one packet (the server is known by its identification line).
    /// </summary>
    [Test]
    public async Task SegmentedUpload_WithAnExplicitLargeChunk_IsCutToOnePacket_AndArrivesWhole()
    {
        await using var ssh = await SshClient.ConnectAsync(Server.Options(), CancellationToken.None);
        await using var sftp = await ssh.OpenSftpAsync(CancellationToken.None);
        string local = LocalFile("big-chunk.bin", (24 << 20) + 5);
        var options = new TransferOptions { Segments = 4, ChunkSize = 64 * 1024, Verify = VerifyMode.Size, StallTimeout = TimeSpan.FromSeconds(30) };

        var up = await sftp.UploadFileAsync(local, "/big-chunk.bin", options, null, CancellationToken.None);

        Assert.That(File.ReadAllBytes(Path.Combine(Server.Root, "big-chunk.bin")), Is.EqualTo(File.ReadAllBytes(local)));
        Assert.That(up.ChunkSize, Is.LessThanOrEqualTo((int)sftp.Channel!.PeerMaxPacketSize - 25));
        Assert.That(up.Segments, Is.GreaterThan(1));
    }

    [Test]
    public async Task RemoteHash_OfAWholeFile_ComesFromCheckFile()
    {
        await using var ssh = await SshClient.ConnectAsync(Server.Options(), CancellationToken.None);
        await using var sftp = await ssh.OpenSftpAsync(CancellationToken.None);
        string local = LocalFile("h.bin", 100_000);
        File.Copy(local, Path.Combine(Server.Root, "h.bin"), overwrite: true);

        var hash = await RemoteHasher.ComputeAsync(sftp, "/h.bin", null, CancellationToken.None);

        Assert.That(hash.Sha256Hex, Is.EqualTo(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(local)))));
        Assert.That(hash.Method, Is.EqualTo("sha256 (check-file)"));
        Assert.ThrowsAsync<NotSupportedException>(() => RemoteHasher.ComputeAsync(sftp, "/h.bin", 1000, CancellationToken.None),
            "a prefix cannot be hashed there: its check-file ignores the length");
    }

    /// <summary>
    /// Resuming there, both ways. A prefix cannot be hashed on that server (its check-file ignores the length, and it
    /// runs no commands): an upload's partial is proven by hashing the whole partial, a download's by reading its
    /// tail back. Found re-checking the fixes: once the unannounced check-file counted as "can hash", the resume
    /// planner asked it for a prefix and every resume and every retry after a dropped connection failed.
    /// </summary>
    [TestCase(true)]
    [TestCase(false)]
    public async Task Resume_ContinuesFromThePartial(bool upload)
    {
        const int size = 12 << 20, kept = 5 << 20;
        string local = LocalFile($"resume-{upload}.bin", size);
        byte[] data = File.ReadAllBytes(local);
        string remote = $"/resume-{upload}.bin";
        string back = Path.Combine(LocalDir, $"resume-{upload}.back");
        var options = new TransferOptions { Resume = true, Retries = 0 };
        TransferResult result;
        if (upload)
        {
            File.WriteAllBytes(Path.Combine(Server.Root, SftpFileTransfer.TemporaryRemoteName(remote).TrimStart('/')), data[..kept]);
            result = await SftpTransfer.UploadAsync(Server.Options(), local, remote, options, null, CancellationToken.None);
            Assert.That(File.ReadAllBytes(Path.Combine(Server.Root, remote.TrimStart('/'))), Is.EqualTo(data));
            Assert.That(result.ResumeVerification, Does.Contain("sha256 of the first").And.Contain("check-file"));
        }
        else
        {
            File.WriteAllBytes(Path.Combine(Server.Root, remote.TrimStart('/')), data);
            File.WriteAllBytes(SftpFileTransfer.TemporaryLocalName(back), data[..kept]);
            result = await SftpTransfer.DownloadAsync(Server.Options(), remote, back, options, null, CancellationToken.None);
            Assert.That(File.ReadAllBytes(back), Is.EqualTo(data));
            Assert.That(result.ResumeVerification, Does.Contain("read back"));
        }

        Assert.That(result.ResumedFrom, Is.EqualTo(kept));
        Assert.That(result.VerifyMethod, Is.EqualTo("sha256 (check-file)"));
    }
}
