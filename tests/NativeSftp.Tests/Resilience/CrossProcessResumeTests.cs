using System.Diagnostics;
using System.Text.Json;
using NativeSftp.Tests.Cli;
using NativeSftp.Tests.Fixtures;
using NativeSftp.Transfer;

namespace NativeSftp.Tests.Resilience;

/// <summary>
/// Resume across processes: an `nsftp put` killed mid-transfer (no goodbye, no cleanup) leaves the temporary file;
/// `nsftp put --resume` continues it from an offset it proves good, and the result is byte-identical.
/// </summary>
[TestFixture]
[Category(NsftpProcess.Category)]
public class CrossProcessResumeTests
{
    /// <summary>32 MiB at 4 MiB/s through the proxy: about 8 s, so there is time to kill it midway.</summary>
    private const long FileSize = 32L << 20;

    private const long ThrottleRate = 4L << 20;

    /// <summary>Kill once this much of the temporary file is on the server.</summary>
    private const long KillAfter = 6L << 20;

    /// <summary>How long the partial's size must hold still to count as settled.</summary>
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(500);

    private static async Task<long> StableSizeAsync(string path, CancellationToken ct)
    {
        long last = -1;
        while (true)
        {
            long now = new FileInfo(path).Length;
            if (now == last)
            {
                return now;
            }

            last = now;
            await Task.Delay(Settle, ct);
        }
    }

    private static long FirstDifference(string a, string b)
    {
        byte[] x = File.ReadAllBytes(a), y = File.ReadAllBytes(b);
        int n = Math.Min(x.Length, y.Length);
        return x.AsSpan(0, n).CommonPrefixLength(y.AsSpan(0, n)) is var p && p < n ? p : -1;
    }

    [Test]
    public async Task NsftpPutKilledMidTransfer_ThenPutResume_ContinuesFromAVerifiedOffset()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var ct = cts.Token;
        await using var sshd = await SshdServer.StartAsync();
        using var home = new CliHome(sshd);

        // One segment: parallel segments leave holes anywhere in the partial, and the resume planner (which
        // looks for the good prefix only at the end and one pipeline window before it) would then prove a much
        // smaller prefix, safely but uselessly (see spec-notes/resilience.md). Only the first connection (the process we kill) is slowed; the resuming run goes at full speed.
        await using var proxy = new TcpFaultProxy(sshd.Port, new ProxyFault(FaultKind.Throttle, FaultDirection.ClientToServer, 0) { BytesPerSecond = ThrottleRate });
        File.WriteAllLines(home.KnownHostsPath, SshdServer.Keys.HostKeyPaths.Select(p => $"[{sshd.Host}]:{proxy.Port} {File.ReadAllText(p + ".pub").Trim()}"));
        string source = Path.Combine(sshd.Directory, "big-source.bin");
        FaultRun.WriteRandomFile(source, FileSize, 31);
        string remote = Path.Combine(sshd.Directory, "big-remote.bin");
        string partial = SftpFileTransfer.TemporaryRemoteName(remote);
        string url = $"sftp://{sshd.Host}:{proxy.Port}{remote}";

        var psi = NsftpProcess.StartInfo(["put", "--json", "--progress", "none", "--segments", "1", source, url]);

        psi.Environment["HOME"] = home.Directory;
        psi.Environment.Remove("SSH_AUTH_SOCK");
        using (var first = Process.Start(psi)!)
        {
            first.StandardInput.Close();
            var sw = Stopwatch.StartNew();
            while (!(File.Exists(partial) && new FileInfo(partial).Length >= KillAfter))
            {
                Assert.That(first.HasExited, Is.False, () => $"nsftp put ended before it could be killed: {first.StandardError.ReadToEnd()}");
                Assert.That(sw.Elapsed, Is.LessThan(TimeSpan.FromSeconds(40)), "the partial never grew");
                await Task.Delay(20, ct);
            }

            first.Kill(entireProcessTree: true);
            await first.WaitForExitAsync(ct);
        }

        // The server keeps writing what was already in flight (socket buffers, the proxy) after the client died:
        // wait until the partial stops growing, as it would have by the time a user reran the command.
        long left = await StableSizeAsync(partial, ct);
        Assert.That(File.Exists(remote), Is.False, "a killed upload leaves nothing under the final name");
        TestContext.Out.WriteLine($"killed with {left} bytes in {partial}; first difference from the source at {FirstDifference(source, partial)}");

        var run = await home.RunAsync("put", "--json", "--resume", "--progress", "none", source, url);
        TestContext.Out.WriteLine(run.ToString());
        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        using var json = JsonDocument.Parse(run.StandardOutput);
        long resumedFrom = json.RootElement.GetProperty("resumedFrom").GetInt64();
        Assert.That(resumedFrom, Is.GreaterThan(0).And.LessThanOrEqualTo(left), "resumed from a proven offset within what the first run left");
        Assert.That(FaultRun.Sha256(remote), Is.EqualTo(FaultRun.Sha256(source)), "byte-identical");
        Assert.That(File.Exists(partial), Is.False, "the temporary name is gone after the rename");
    }
}
