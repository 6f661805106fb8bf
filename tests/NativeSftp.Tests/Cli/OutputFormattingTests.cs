using System.Text.Json;
using NativeSftp.Tests.Connection;
using NativeSftp.Transfer;
using NativeSftp.Transport;

namespace NativeSftp.Tests.Cli;

[TestFixture]
public sealed class OutputFormattingTests
{
    private const long MiB = 1024 * 1024;

    private static TransferProgress Progress(TransferPhase phase, long done, long? total, double rate = 0, TimeSpan? eta = null, int attempt = 1) =>
        new(phase, done, total, rate, eta, 0, TimeSpan.Zero, attempt);

    private static (IProgress<TransferProgress> Renderer, IDisposable Dispose) Renderer(string mode, TextWriter error, bool terminal, TimeProvider time)
    {
        object parsed = CliAssembly.InvokeStatic("Output.ProgressRenderer", "ParseMode", mode)!;
        object renderer = Activator.CreateInstance(CliAssembly.Type("Output.ProgressRenderer"), parsed, "big.tar", error, terminal, time, TimeSpan.FromSeconds(1))!;
        return ((IProgress<TransferProgress>)renderer, (IDisposable)renderer);
    }

    [Test]
    public void PlainLine_HasPercentSizesRateEtaAndPhase()
    {
        var p = Progress(TransferPhase.Transferring, 128 * MiB, 1024 * MiB, 95.3 * MiB, TimeSpan.FromSeconds(9));
        string line = (string)CliAssembly.InvokeStatic("Output.ProgressRenderer", "FormatPlain", p)!;
        Assert.That(line, Is.EqualTo("12.5% 128.0 MiB/1.0 GiB 95.3 MiB/s ETA 0:09 phase=transferring"));
    }

    [Test]
    public void PlainLine_WithoutATotal_OmitsPercentAndEta_AndShowsRetries()
    {
        var p = Progress(TransferPhase.Retrying, 512, null, 0, null, attempt: 2);
        string line = (string)CliAssembly.InvokeStatic("Output.ProgressRenderer", "FormatPlain", p)!;
        Assert.That(line, Is.EqualTo("512 B 0 B/s phase=retrying attempt=2"));
    }

    [Test]
    public void PlainMode_PrintsOncePerInterval_OnEveryPhaseChange_AndTheLastStateOnDispose()
    {
        var time = new ManualTimeProvider();
        var error = new StringWriter();
        var (renderer, dispose) = Renderer("plain", error, terminal: true, time);

        renderer.Report(Progress(TransferPhase.Transferring, 1 * MiB, 10 * MiB));   // first: printed
        time.Advance(TimeSpan.FromMilliseconds(300));
        renderer.Report(Progress(TransferPhase.Transferring, 2 * MiB, 10 * MiB));   // within the interval: held
        time.Advance(TimeSpan.FromMilliseconds(800));
        renderer.Report(Progress(TransferPhase.Transferring, 3 * MiB, 10 * MiB));   // 1.1 s later: printed
        renderer.Report(Progress(TransferPhase.Verifying, 10 * MiB, 10 * MiB));     // phase change: printed
        time.Advance(TimeSpan.FromMilliseconds(100));
        renderer.Report(Progress(TransferPhase.Completed, 10 * MiB, 10 * MiB));     // phase change: printed
        dispose.Dispose();

        string[] lines = error.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(4), error.ToString());
        Assert.That(lines[0], Does.StartWith("big.tar: 10.0% 1.0 MiB/10.0 MiB"));
        Assert.That(lines[1], Does.StartWith("big.tar: 30.0% 3.0 MiB/10.0 MiB"));
        Assert.That(lines[2], Does.EndWith("phase=verifying"));
        Assert.That(lines[3], Does.StartWith("big.tar: 100.0%").And.EndWith("phase=completed"));
    }

    [Test]
    public void PlainMode_OnDispose_PrintsAHeldFinalReport()
    {
        var time = new ManualTimeProvider();
        var error = new StringWriter();
        var (renderer, dispose) = Renderer("plain", error, terminal: false, time);
        renderer.Report(Progress(TransferPhase.Transferring, 1 * MiB, 4 * MiB));
        renderer.Report(Progress(TransferPhase.Transferring, 4 * MiB, 4 * MiB));
        dispose.Dispose();
        Assert.That(error.ToString(), Does.Contain("100.0% 4.0 MiB/4.0 MiB"));
    }

    [Test]
    public void NoneMode_PrintsNothing_AndAutoWithoutATerminalIsPlain()
    {
        var time = new ManualTimeProvider();
        var none = new StringWriter();
        var auto = new StringWriter();
        var (r1, d1) = Renderer("none", none, terminal: true, time);
        var (r2, d2) = Renderer("auto", auto, terminal: false, time);
        r1.Report(Progress(TransferPhase.Transferring, 1, 2));
        r2.Report(Progress(TransferPhase.Transferring, 1, 2));
        d1.Dispose();
        d2.Dispose();
        Assert.That(none.ToString(), Is.Empty);
        Assert.That(auto.ToString(), Does.Contain("50.0% 1 B/2 B"));
    }

    [Test]
    public void BarMode_DrawsOnTheGivenWriter_AndStopsOnDispose()
    {
        var error = new StringWriter();
        var (renderer, dispose) = Renderer("bar", error, terminal: true, TimeProvider.System);
        renderer.Report(Progress(TransferPhase.Transferring, 5 * MiB, 10 * MiB));
        dispose.Dispose();
        Assert.That(error.ToString(), Does.Contain("big.tar"));
    }

    [Test]
    public void UnknownProgressMode_IsAUsageError()
    {
        var e = Assert.Throws(CliAssembly.Type("CommandLine.UsageException"), () => CliAssembly.InvokeStatic("Output.ProgressRenderer", "ParseMode", "fancy"));
        Assert.That(e!.Message, Does.Contain("auto, bar, plain, none"));
    }

    [Test]
    public void TransferResultJson_HasTheDocumentedFields()
    {
        var result = new TransferResult
        {
            Operation = "get",
            LocalPath = "/tmp/big.tar",
            RemotePath = "/data/big.tar",
            Bytes = 4 * MiB,
            Duration = TimeSpan.FromSeconds(2),
            VerifyMethod = "sha256 (check-file)",
            Sha256 = "ab12",
            Segments = 4,
            ResumedFrom = 1024,
            Algorithms = new NegotiatedAlgorithms("curve25519-sha256", "ssh-ed25519", "aes128-ctr", "chacha20-poly1305@openssh.com",
                "hmac-sha2-256-etm@openssh.com", null, "none", "none"),
            Attempts =
            [
                new TransferAttempt(1, 0, 1024, TimeSpan.FromSeconds(0.5), TimeSpan.Zero, "connection reset"),
                new TransferAttempt(2, 1024, 4 * MiB - 1024, TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(1), null),
            ],
        };

        string json = (string)CliAssembly.InvokeStatic("Output.TransferResultJson", "ToJson", result)!;

        using var doc = JsonDocument.Parse(json);
        var r = doc.RootElement;
        Assert.That(r.GetProperty("operation").GetString(), Is.EqualTo("get"));
        Assert.That(r.GetProperty("local").GetString(), Is.EqualTo("/tmp/big.tar"));
        Assert.That(r.GetProperty("remote").GetString(), Is.EqualTo("/data/big.tar"));
        Assert.That(r.GetProperty("bytes").GetInt64(), Is.EqualTo(4 * MiB));
        Assert.That(r.GetProperty("seconds").GetDouble(), Is.EqualTo(2.0));
        Assert.That(r.GetProperty("bytesPerSecond").GetDouble(), Is.EqualTo(2.0 * MiB));
        Assert.That(r.GetProperty("verify").GetProperty("method").GetString(), Is.EqualTo("sha256 (check-file)"));
        Assert.That(r.GetProperty("verify").GetProperty("digest").GetString(), Is.EqualTo("sha256:ab12"));
        var attempts = r.GetProperty("attempts");
        Assert.That(attempts.GetArrayLength(), Is.EqualTo(2));
        Assert.That(attempts[0].GetProperty("number").GetInt32(), Is.EqualTo(1));
        Assert.That(attempts[0].GetProperty("failure").GetString(), Is.EqualTo("connection reset"));
        Assert.That(attempts[1].GetProperty("startOffset").GetInt64(), Is.EqualTo(1024));
        Assert.That(attempts[1].GetProperty("bytesAcknowledged").GetInt64(), Is.EqualTo(4 * MiB - 1024));
        Assert.That(attempts[1].GetProperty("seconds").GetDouble(), Is.EqualTo(1.5));
        Assert.That(attempts[1].GetProperty("waitedSeconds").GetDouble(), Is.EqualTo(1.0));
        Assert.That(attempts[1].GetProperty("failure").ValueKind, Is.EqualTo(JsonValueKind.Null));
        Assert.That(r.GetProperty("resumedFrom").GetInt64(), Is.EqualTo(1024));
        Assert.That(r.GetProperty("segments").GetInt32(), Is.EqualTo(4));
        var alg = r.GetProperty("algorithms");
        Assert.That(alg.GetProperty("kex").GetString(), Is.EqualTo("curve25519-sha256"));
        Assert.That(alg.GetProperty("hostKey").GetString(), Is.EqualTo("ssh-ed25519"));
        Assert.That(alg.GetProperty("cipher").GetString(), Is.EqualTo("chacha20-poly1305@openssh.com"), "a download reports the server-to-client cipher");
        Assert.That(alg.GetProperty("mac").ValueKind, Is.EqualTo(JsonValueKind.Null), "an AEAD cipher has no separate MAC");
    }
}
