using System.Security.Cryptography;
using NativeSftp.Tests.Fixtures;
using NativeSftp.Transfer;

namespace NativeSftp.Tests.Resilience;

/// <summary>How one randomized run ended.</summary>
public enum FaultOutcome
{
    /// <summary>Success, and the destination is byte-identical to the source.</summary>
    Recovered,

    /// <summary>An exception, and the final name holds nothing or its previous content.</summary>
    LoudFailure,

    /// <summary>Success with different bytes, or a partial/other file under the final name after a failure.</summary>
    SilentCorruption,
}

/// <summary>One randomized run, everything drawn from its seed so it can be replayed.</summary>
public sealed record FaultPlan(int Seed, bool Upload, long Size, ProxyFault Fault, bool PreviousContent, int Retries)
{
    /// <summary>
    /// Bytes a run's handshake, authentication, SFTP init and remote-hash command take in the quiet direction, a
    /// lower estimate from traces of the fixture (about 3 KB each way before the first file byte), so faults there
    /// mostly fire instead of landing past the end of the stream.
    /// </summary>
    public const long HandshakeBytes = 3000;

    /// <summary>
    /// The quiet direction (acks for an upload, requests for a download) carries roughly one 64-byte packet per
    /// 255 KiB request: about size/4000 bytes.
    /// </summary>
    public const long QuietDirectionRatio = 4000;

    /// <summary>Draws a run: operation, size (a spread from empty to <paramref name="maxSize"/>), fault kind, direction and offset.</summary>
    public static FaultPlan Draw(int seed, int retries, long maxSize)
    {
        var rng = new Random(seed);
        bool upload = rng.Next(2) == 0;
        long size = rng.Next(4) switch
        {
            0 => rng.Next(0, 64 * 1024),
            1 => rng.Next(64 * 1024, 1024 * 1024),
            _ => rng.NextInt64(1024 * 1024, maxSize + 1),
        };
        var kind = rng.Next(3) switch { 0 => FaultKind.Reset, 1 => FaultKind.Blackhole, _ => FaultKind.BitFlip };
        var direction = rng.Next(2) == 0 ? FaultDirection.ClientToServer : FaultDirection.ServerToClient;
        bool heavy = upload == (direction == FaultDirection.ClientToServer);
        long span = heavy ? size + HandshakeBytes : HandshakeBytes + (size / QuietDirectionRatio);
        long offset = rng.NextInt64(0, span);
        return new FaultPlan(seed, upload, size, new ProxyFault(kind, direction, offset) { Seed = seed }, rng.Next(2) == 0, retries);
    }

    public override string ToString() =>
        $"seed={Seed} {(Upload ? "put" : "get")} {Size} bytes, {Fault}, retries={Retries}{(PreviousContent ? ", destination had previous content" : "")}";
}

/// <summary>Runs a <see cref="FaultPlan"/> through a fault proxy against the sshd fixture and judges the destination.</summary>
public static class FaultRun
{
    public static TransferOptions Options(int retries, TimeSpan? stallTimeout = null) => new()
    {
        Retries = retries,
        RetryBaseDelay = TimeSpan.FromMilliseconds(50),
        RetryMaxDelay = TimeSpan.FromSeconds(1),
        StallTimeout = stallTimeout ?? TimeSpan.FromSeconds(5),
    };

    /// <summary>Client options that reach the fixture through <paramref name="proxyPort"/> (known_hosts names that port).</summary>
    public static SshClientOptions ViaProxy(SshdServer sshd, int proxyPort, TimeSpan keepAlive, int keepAliveCountMax = 2)
    {
        var o = TestClients.Options(sshd);
        string knownHosts = Path.Combine(sshd.Directory, $"known_hosts-{proxyPort}");
        File.WriteAllLines(knownHosts, SshdServer.Keys.HostKeyPaths.Select(p => $"[{sshd.Host}]:{proxyPort} {File.ReadAllText(p + ".pub").Trim()}"));
        o.KnownHostsFiles.Clear();
        o.KnownHostsFiles.Add(knownHosts);
        o.Port = proxyPort;
        o.KeepAliveInterval = keepAlive;
        o.KeepAliveCountMax = keepAliveCountMax;
        o.ConnectTimeout = TimeSpan.FromSeconds(10);
        return o;
    }

    /// <summary>Client options straight to the fixture, with the same fast keepalive and connect deadline.</summary>
    public static SshClientOptions ViaProxyless(SshdServer sshd)
    {
        var o = TestClients.Options(sshd);
        o.KeepAliveInterval = TimeSpan.FromSeconds(1);
        o.KeepAliveCountMax = 2;
        o.ConnectTimeout = TimeSpan.FromSeconds(10);
        return o;
    }

    public static void WriteRandomFile(string path, long size, int seed)
    {
        var rng = new Random(seed);
        using var f = File.Create(path);
        byte[] buffer = new byte[1 << 20];
        for (long done = 0; done < size; done += buffer.Length)
        {
            rng.NextBytes(buffer);
            f.Write(buffer, 0, (int)Math.Min(buffer.Length, size - done));
        }
    }

    public static byte[] Sha256(string path)
    {
        using var f = File.OpenRead(path);
        return SHA256.HashData(f);
    }

    /// <summary>
    /// Runs the plan in a fresh folder of the fixture (the sshd runs on this machine, so the remote side is a local
    /// folder too) and says how it ended, with the exception or result text for the log.
    /// </summary>
    public static async Task<(FaultOutcome Outcome, string Detail, int FaultsFired)> RunAsync(SshdServer sshd, FaultPlan plan, CancellationToken ct)
    {
        string dir = Path.Combine(sshd.Directory, $"run-{plan.Seed}-{Guid.NewGuid().ToString("N")[..6]}");
        Directory.CreateDirectory(dir);
        try
        {
            string source = Path.Combine(dir, "source.bin");
            string destination = Path.Combine(dir, "destination.bin");
            WriteRandomFile(source, plan.Size, plan.Seed);
            byte[]? previous = null;
            if (plan.PreviousContent)
            {
                previous = new byte[1000];
                new Random(~plan.Seed).NextBytes(previous);
                await File.WriteAllBytesAsync(destination, previous, ct);
            }

            await using var proxy = new TcpFaultProxy(sshd.Port, plan.Fault);
            var connection = ViaProxy(sshd, proxy.Port, TimeSpan.FromSeconds(1));
            var options = Options(plan.Retries);
            TransferResult? result = null;
            Exception? failure = null;
            try
            {
                result = plan.Upload
                    ? await SftpTransfer.UploadAsync(connection, source, destination, options, null, ct)
                    : await SftpTransfer.DownloadAsync(connection, source, destination, options, null, ct);
            }
            catch (Exception e) when (e is SshException or IOException)
            {
                failure = e;
            }

            bool exists = File.Exists(destination);
            bool identical = exists && new FileInfo(destination).Length == plan.Size && Sha256(destination).AsSpan().SequenceEqual(Sha256(source));
            if (result is not null)
            {
                string attempts = string.Join(" | ", result.Attempts.Select(a => $"#{a.Number} from {a.StartOffset}: {a.Failure ?? "ok"}"));
                return (identical ? FaultOutcome.Recovered : FaultOutcome.SilentCorruption,
                    $"success in {result.Attempts.Count} attempt(s), resumed from {result.ResumedFrom}; {attempts}", proxy.FaultsFired);
            }

            bool untouched = !exists || (previous is not null && (await File.ReadAllBytesAsync(destination, ct)).AsSpan().SequenceEqual(previous));
            return (untouched ? FaultOutcome.LoudFailure : FaultOutcome.SilentCorruption,
                $"{failure!.GetType().Name}: {failure.Message}" + (untouched ? "" : " -- and the final name holds something else"), proxy.FaultsFired);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
