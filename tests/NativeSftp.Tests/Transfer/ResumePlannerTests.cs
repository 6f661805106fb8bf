using System.Security.Cryptography;
using NativeSftp.Tests.Fixtures;
using NativeSftp.Transfer;

namespace NativeSftp.Tests.Transfer;

/// <summary>
/// How a resume proves the partial it continues, against a real sshd: by hashing prefixes on both sides where the
/// server can run a hash command, by reading back the tail where it cannot (MaxSessions 1 leaves no session for one).
/// </summary>
[TestFixture]
[NonParallelizable]
public class ResumePlannerTests
{
    private const int MiB = 1 << 20;

    private static CancellationToken Timeout() => new CancellationTokenSource(TimeSpan.FromMinutes(2)).Token;

    private static TransferOptions Resume() => new() { Resume = true, Retries = 0 };

    /// <summary>Writes <paramref name="partial"/> as what an interrupted run left, then runs the transfer with Resume.</summary>
    private static async Task<TransferResult> ResumeAsync(SshdServer sshd, bool upload, string source, byte[] partial, CancellationToken ct)
    {
        string destination = Path.Combine(sshd.Directory, "dest.bin");
        File.WriteAllBytes(upload ? SftpFileTransfer.TemporaryRemoteName(destination) : SftpFileTransfer.TemporaryLocalName(destination), partial);
        return upload
            ? await SftpTransfer.UploadAsync(TestClients.Options(sshd), source, destination, Resume(), null, ct)
            : await SftpTransfer.DownloadAsync(TestClients.Options(sshd), source, destination, Resume(), null, ct);
    }

    private static byte[] Destination(SshdServer sshd) => File.ReadAllBytes(Path.Combine(sshd.Directory, "dest.bin"));

    private static (string Source, byte[] Data) Source(SshdServer sshd, int size)
    {
        byte[] data = RandomNumberGenerator.GetBytes(size);
        string path = Path.Combine(sshd.Directory, "source-" + Guid.NewGuid().ToString("N")[..8] + ".bin");
        File.WriteAllBytes(path, data);
        return (path, data);
    }

    [Test]
    public async Task WithoutARemoteHash_TheTailIsReadBack_AndAMatchingPartialIsContinued([Values] bool upload)
    {
        var ct = Timeout();
        await using var sshd = await SshdServer.StartAsync(o => o.ConfigLines.Add("MaxSessions 1"));
        var (source, data) = Source(sshd, 10 * MiB + 321);
        var result = await ResumeAsync(sshd, upload, source, data.AsSpan(0, 6 * MiB).ToArray(), ct);

        Assert.That(result.ResumedFrom, Is.EqualTo(6 * MiB));
        Assert.That(result.ResumeVerification, Is.EqualTo($"the last {4 * MiB} bytes before {6 * MiB} read back and compared; the rest trusted by size (no remote hash available)"));
        Assert.That(Destination(sshd), Is.EqualTo(data));
    }

    [Test]
    public async Task WithoutARemoteHash_ATailThatDiffers_StartsOver([Values] bool upload)
    {
        var ct = Timeout();
        await using var sshd = await SshdServer.StartAsync(o => o.ConfigLines.Add("MaxSessions 1"));
        var (source, data) = Source(sshd, 10 * MiB + 321);
        byte[] bad = data.AsSpan(0, 6 * MiB).ToArray();
        bad[(6 * MiB) - 1000] ^= 0x40;
        var result = await ResumeAsync(sshd, upload, source, bad, ct);

        Assert.That(result.ResumedFrom, Is.Zero);
        Assert.That(result.ResumeVerification, Does.Contain("did not match"));
        Assert.That(Destination(sshd), Is.EqualTo(data));
    }

    /// <summary>
    /// A partial whose last 32 MiB may be holes (what a killed process's requests in flight can leave): its end does not match,
    /// the candidate a pipeline's worth earlier does, and that is where the transfer continues. The local prefix is
    /// hashed once for both candidates.
    /// </summary>
    [Test]
    public async Task WithARemoteHash_ABadEnd_FallsBackToTheCandidateAPipelineEarlier([Values] bool upload)
    {
        var ct = Timeout();
        await using var sshd = await SshdServer.StartAsync();
        var (source, data) = Source(sshd, 44 * MiB + 777);
        byte[] holed = data.AsSpan(0, 40 * MiB).ToArray();
        Array.Clear(holed, 39 * MiB, 4096);
        var result = await ResumeAsync(sshd, upload, source, holed, ct);

        long earlier = (40 * MiB) - ResumePlanner.MaxOutOfOrderBytes;
        Assert.That(earlier, Is.EqualTo(8 * MiB), "a segmented download's in-flight budget before the end");
        Assert.That(result.ResumedFrom, Is.EqualTo(earlier));
        Assert.That(result.ResumeVerification, Does.StartWith($"sha256 of the first {earlier} bytes"));
        Assert.That(Destination(sshd), Is.EqualTo(data));
    }
}
