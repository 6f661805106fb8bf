using System.Globalization;
using NativeSftp.Tests.Fixtures;

namespace NativeSftp.Tests.Resilience;

/// <summary>
/// Randomized fault injection: put or get of a random size through a proxy that cuts, blackholes or flips a bit at a
/// random byte offset in a random direction, once. With retries every run must succeed byte-identical; without, a
/// run may fail, but loudly: zero runs may succeed with different bytes or leave a partial under the final name.
/// Each run prints its seed; NSFTP_RESILIENCE_SEED=&lt;seed&gt; makes every case replay that one run.
/// </summary>
[TestFixture]
public class RandomizedFaultTests
{
    /// <summary>Regular-suite size cap (16 MiB keeps ~20 runs within a couple of minutes on loopback).</summary>
    private const long RegularMaxSize = 16L << 20;

    /// <summary>The stress test's cap, as issue 8 asks (64 MiB).</summary>
    private const long StressMaxSize = 64L << 20;

    private const int StressRuns = 200;

    /// <summary>Per run: 5 s stall + 3 attempts' backoff + verification, with a wide margin for a loaded machine.</summary>
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(90);

    private SshdServer _sshd = null!;
    private static readonly int BaseSeed = Environment.GetEnvironmentVariable("NSFTP_RESILIENCE_SEED") is { } s
        ? int.Parse(s, CultureInfo.InvariantCulture)
        : Random.Shared.Next(1, int.MaxValue / 2);

    [OneTimeSetUp]
    public async Task Start() => _sshd = await SshdServer.StartAsync();

    [OneTimeTearDown]
    public async Task Stop() => await _sshd.DisposeAsync();

    private static int SeedFor(int index) => Environment.GetEnvironmentVariable("NSFTP_RESILIENCE_SEED") is null ? BaseSeed + index : BaseSeed;

    [Test]
    public async Task RandomFault_WithRetries_EndsByteIdenticalAndSuccessful([Range(0, 9)] int index)
    {
        var plan = FaultPlan.Draw(SeedFor(index), retries: 3, RegularMaxSize);
        await TestContext.Out.WriteLineAsync($"seed={plan.Seed}  {plan}");
        using var cts = new CancellationTokenSource(RunTimeout);
        var (outcome, detail, fired) = await FaultRun.RunAsync(_sshd, plan, cts.Token);
        await TestContext.Out.WriteLineAsync($"{outcome} (fault fired: {fired > 0}): {detail}");
        Assert.That(outcome, Is.EqualTo(FaultOutcome.Recovered), detail);
    }

    [Test]
    public async Task RandomFault_WithoutRetries_SucceedsIdenticalOrFailsLoudly_NeverSilently([Range(10, 19)] int index)
    {
        var plan = FaultPlan.Draw(SeedFor(index), retries: 0, RegularMaxSize);
        await TestContext.Out.WriteLineAsync($"seed={plan.Seed}  {plan}");
        using var cts = new CancellationTokenSource(RunTimeout);
        var (outcome, detail, fired) = await FaultRun.RunAsync(_sshd, plan, cts.Token);
        await TestContext.Out.WriteLineAsync($"{outcome} (fault fired: {fired > 0}): {detail}");
        Assert.That(outcome, Is.Not.EqualTo(FaultOutcome.SilentCorruption), detail);
    }

    /// <summary>
    /// <c>./build.sh stress</c>: 200+ runs up to 64 MiB, half with retries, half without; prints the tally. Fails on
    /// any silent corruption and on any run with retries that did not recover.
    /// </summary>
    [Test]
    [Category("Stress")]
    [CancelAfter(4 * 3600 * 1000)]
    public async Task RandomFaults_Stress_Tally(CancellationToken testToken)
    {
        int recovered = 0, loud = 0, silent = 0, notFired = 0;
        var problems = new List<string>();
        for (int i = 0; i < StressRuns; i++)
        {
            int retries = i % 2 == 0 ? 3 : 0;
            var plan = FaultPlan.Draw(BaseSeed + 1000 + i, retries, StressMaxSize);
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(testToken);
            cts.CancelAfter(RunTimeout);
            var (outcome, detail, fired) = await FaultRun.RunAsync(_sshd, plan, cts.Token);
            string line = $"seed={plan.Seed}  {plan} -> {outcome} (fired {fired}): {detail}";
            await TestContext.Out.WriteLineAsync(line);
            await TestContext.Progress.WriteLineAsync(line);
            notFired += fired == 0 ? 1 : 0;
            switch (outcome)
            {
                case FaultOutcome.Recovered:
                    recovered++;
                    break;
                case FaultOutcome.LoudFailure:
                    loud++;
                    if (retries > 0)
                    {
                        problems.Add($"seed={plan.Seed} did not recover with retries: {detail}");
                    }

                    break;
                default:
                    silent++;
                    problems.Add($"seed={plan.Seed} SILENT CORRUPTION: {detail}");
                    break;
            }
        }

        string tally = $"recovered {recovered}, loud failures {loud}, silent corruptions {silent} ({StressRuns} runs, base seed {BaseSeed}, {notFired} faults landed past the end of the stream)";
        await TestContext.Out.WriteLineAsync(tally);
        await TestContext.Progress.WriteLineAsync(tally);
        Assert.That(problems, Is.Empty, tally);
    }
}
