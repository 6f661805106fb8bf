using NativeSftp.Connection.KeepAlive;

namespace NativeSftp.Tests.Connection;

public class KeepAliveMonitorTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(15);
    private const int CountMax = 3;

    [Test]
    public void FirstProbe_IsDueExactlyOneIntervalAfterTheLastPacket()
    {
        var clock = new ManualTimeProvider();
        var monitor = new KeepAliveMonitor(Interval, CountMax, clock);

        clock.Advance(Interval - TimeSpan.FromTicks(1));
        Assert.That(monitor.Tick(), Is.EqualTo(KeepAliveAction.None));

        clock.Advance(TimeSpan.FromTicks(1));
        Assert.That(monitor.Tick(), Is.EqualTo(KeepAliveAction.SendProbe));
        Assert.That(monitor.Unanswered, Is.EqualTo(1));
        Assert.That(monitor.Tick(), Is.EqualTo(KeepAliveAction.None), "one probe per interval, however often we tick");
    }

    [Test]
    public void SilentPeer_GetsAProbeEachInterval_AndIsDeadExactlyAfterIntervalTimesCountMaxPlusOne()
    {
        var clock = new ManualTimeProvider();
        var monitor = new KeepAliveMonitor(Interval, CountMax, clock);
        var probes = new List<TimeSpan>();
        TimeSpan? dead = null;

        for (var t = TimeSpan.Zero; t <= TimeSpan.FromSeconds(120) && dead is null; t += TimeSpan.FromSeconds(1))
        {
            switch (monitor.Tick())
            {
                case KeepAliveAction.SendProbe:
                    probes.Add(t);
                    break;
                case KeepAliveAction.Dead:
                    dead = t;
                    break;
            }

            clock.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.That(probes, Is.EqualTo(new[] { TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(45) }));
        Assert.That(dead, Is.EqualTo(Interval * (CountMax + 1)));
        Assert.That(monitor.Unanswered, Is.EqualTo(CountMax));
    }

    [Test]
    public void Dead_IsReportedAgainOnLaterTicks()
    {
        var clock = new ManualTimeProvider();
        var monitor = new KeepAliveMonitor(Interval, 1, clock);
        clock.Advance(Interval);
        Assert.That(monitor.Tick(), Is.EqualTo(KeepAliveAction.SendProbe));
        clock.Advance(Interval);
        Assert.That(monitor.Tick(), Is.EqualTo(KeepAliveAction.Dead));

        clock.Advance(TimeSpan.FromSeconds(1));

        Assert.That(monitor.Tick(), Is.EqualTo(KeepAliveAction.Dead));
    }

    [Test]
    public void AnyPacket_ResetsTheCountAndTheSilence()
    {
        var clock = new ManualTimeProvider();
        var monitor = new KeepAliveMonitor(Interval, CountMax, clock);
        clock.Advance(Interval);
        Assert.That(monitor.Tick(), Is.EqualTo(KeepAliveAction.SendProbe));
        clock.Advance(Interval);
        Assert.That(monitor.Tick(), Is.EqualTo(KeepAliveAction.SendProbe));
        clock.Advance(TimeSpan.FromSeconds(3));

        monitor.OnPacketReceived();

        Assert.That(monitor.Unanswered, Is.Zero);
        Assert.That(monitor.TimeSinceLastReceive, Is.EqualTo(TimeSpan.Zero));
        clock.Advance(Interval - TimeSpan.FromTicks(1));
        Assert.That(monitor.Tick(), Is.EqualTo(KeepAliveAction.None), "the silence restarts at the packet, not at the probe");
        clock.Advance(TimeSpan.FromTicks(1));
        Assert.That(monitor.Tick(), Is.EqualTo(KeepAliveAction.SendProbe));
        Assert.That(monitor.Unanswered, Is.EqualTo(1));
    }

    [Test]
    public void PeerThatKeepsTalking_IsNeverProbed()
    {
        var clock = new ManualTimeProvider();
        var monitor = new KeepAliveMonitor(Interval, CountMax, clock);

        for (int i = 0; i < 100; i++)
        {
            clock.Advance(TimeSpan.FromSeconds(10));
            monitor.OnPacketReceived();
            Assert.That(monitor.Tick(), Is.EqualTo(KeepAliveAction.None));
        }
    }

    [Test]
    public void LongPauseBetweenTicks_SendsOneProbeAndWaitsAFullIntervalBeforeTheNext()
    {
        var clock = new ManualTimeProvider();
        var monitor = new KeepAliveMonitor(Interval, CountMax, clock);

        clock.Advance(TimeSpan.FromMinutes(10));
        Assert.That(monitor.Tick(), Is.EqualTo(KeepAliveAction.SendProbe));
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.That(monitor.Tick(), Is.EqualTo(KeepAliveAction.None), "overdue probes are not fired in a burst");
        Assert.That(monitor.TimeSinceLastReceive, Is.EqualTo(TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(1)));
    }

    [Test]
    public void CountMaxZero_IsDeadAfterOneSilentIntervalWithoutProbing()
    {
        var clock = new ManualTimeProvider();
        var monitor = new KeepAliveMonitor(Interval, 0, clock);

        clock.Advance(Interval);

        Assert.That(monitor.Tick(), Is.EqualTo(KeepAliveAction.Dead));
    }

    [Test]
    public void ZeroInterval_DisablesKeepAlive()
    {
        var clock = new ManualTimeProvider();
        var monitor = new KeepAliveMonitor(TimeSpan.Zero, CountMax, clock);

        for (int i = 0; i < 10; i++)
        {
            clock.Advance(TimeSpan.FromHours(1));
            Assert.That(monitor.Tick(), Is.EqualTo(KeepAliveAction.None));
        }

        Assert.That(monitor.IsEnabled, Is.False);
        Assert.That(monitor.Unanswered, Is.Zero);
    }

    [Test]
    public void NegativeIntervalOrCount_IsRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new KeepAliveMonitor(TimeSpan.FromSeconds(-1), 3, TimeProvider.System));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new KeepAliveMonitor(Interval, -1, TimeProvider.System));
    }
}
