using NativeSftp.Connection.FlowControl;

namespace NativeSftp.Tests.Connection;

public class OutboundWindowTests
{
    // Completions of a waiter reach its caller through the thread pool; allow a generous bound so a slow CI box does
    // not fail the test, while a lost wake-up still fails it instead of hanging the run.
    private static readonly TimeSpan WakeTimeout = TimeSpan.FromSeconds(10);

    private static OutboundWindow Window(uint initial, uint maxPacket = 1_000_000, TimeProvider? time = null) =>
        new(initial, maxPacket, time ?? TimeProvider.System);

    [Test]
    public async Task Reserve_WithinWindow_ReturnsWantedAtOnce()
    {
        var window = Window(1000);

        ValueTask<int> reserve = window.ReserveAsync(300, CancellationToken.None);

        Assert.That(reserve.IsCompletedSuccessfully, Is.True, "a reservation that finds window must not wait");
        Assert.That(await reserve, Is.EqualTo(300));
        Assert.That(window.Available, Is.EqualTo(700u));
        Assert.That(window.BytesReserved, Is.EqualTo(300));
    }

    [Test]
    public async Task Reserve_MoreThanWindow_ReturnsWhatIsLeft()
    {
        var window = Window(100);

        Assert.That(await window.ReserveAsync(250, CancellationToken.None), Is.EqualTo(100));
        Assert.That(window.Available, Is.EqualTo(0u));
    }

    [Test]
    public async Task Reserve_MoreThanMaxPacket_IsCappedAtMaxPacket()
    {
        var window = Window(10_000, maxPacket: 4096);

        Assert.That(await window.ReserveAsync(9000, CancellationToken.None), Is.EqualTo(4096));
        Assert.That(window.Available, Is.EqualTo(10_000u - 4096));
    }

    [Test]
    public async Task Reserve_Zero_ReturnsZeroEvenWithNoWindow()
    {
        var window = Window(0);

        Assert.That(await window.ReserveAsync(0, CancellationToken.None), Is.Zero);
    }

    [Test]
    public void Reserve_NegativeAmount_IsRefused()
    {
        var window = Window(10);

        Assert.That(() => window.ReserveAsync(-1, CancellationToken.None), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void Constructor_MaxPacketSizeZero_IsAProtocolError()
    {
        var e = Assert.Throws<SshProtocolException>(() => Window(1000, maxPacket: 0));

        Assert.That(e.Reason, Is.EqualTo(DisconnectReason.ProtocolError));
    }

    [Test]
    public async Task Reserve_OnZeroWindow_WaitsUntilAdd()
    {
        var window = Window(0);

        Task<int> reserve = window.ReserveAsync(500, CancellationToken.None).AsTask();
        await Task.Delay(50);
        Assert.That(reserve.IsCompleted, Is.False, "nothing may be reserved from a zero window");

        window.Add(200);

        Assert.That(await reserve.WaitAsync(WakeTimeout), Is.EqualTo(200));
        Assert.That(window.Available, Is.EqualTo(0u));
        Assert.That(window.AdjustsReceived, Is.EqualTo(1));
    }

    [Test]
    public async Task Waiters_AreServedInArrivalOrder()
    {
        var window = Window(0);
        Task<int> first = window.ReserveAsync(10, CancellationToken.None).AsTask();
        Task<int> second = window.ReserveAsync(10, CancellationToken.None).AsTask();
        Task<int> third = window.ReserveAsync(10, CancellationToken.None).AsTask();

        window.Add(15);

        Assert.That(await first.WaitAsync(WakeTimeout), Is.EqualTo(10));
        Assert.That(await second.WaitAsync(WakeTimeout), Is.EqualTo(5), "the second in line gets the rest, the third nothing");
        Assert.That(third.IsCompleted, Is.False);
        Assert.That(window.Available, Is.EqualTo(0u));

        window.Add(100);

        Assert.That(await third.WaitAsync(WakeTimeout), Is.EqualTo(10));
        Assert.That(window.Available, Is.EqualTo(90u));
    }

    [Test]
    public async Task Newcomer_DoesNotOvertakeAQueuedSender()
    {
        var window = Window(0);
        Task<int> queued = window.ReserveAsync(50, CancellationToken.None).AsTask();

        window.Add(20);
        Task<int> newcomer = window.ReserveAsync(5, CancellationToken.None).AsTask();

        Assert.That(await queued.WaitAsync(WakeTimeout), Is.EqualTo(20), "the queued sender took the whole adjust");
        Assert.That(newcomer.IsCompleted, Is.False, "the newcomer found a zero window and queued");

        window.Add(5);
        Assert.That(await newcomer.WaitAsync(WakeTimeout), Is.EqualTo(5));
    }

    [Test]
    public async Task CancelledWaiter_ThrowsAndLosesNoWindow_OthersStillWake()
    {
        var window = Window(0);
        using var cts = new CancellationTokenSource();
        Task<int> first = window.ReserveAsync(10, CancellationToken.None).AsTask();
        Task<int> cancelled = window.ReserveAsync(10, cts.Token).AsTask();
        Task<int> third = window.ReserveAsync(10, CancellationToken.None).AsTask();

        await cts.CancelAsync();
        Assert.That(async () => await cancelled.WaitAsync(WakeTimeout), Throws.InstanceOf<OperationCanceledException>());
        Assert.That(first.IsCompleted || third.IsCompleted, Is.False, "cancelling one waiter must not wake the others");

        window.Add(25);

        Assert.That(await first.WaitAsync(WakeTimeout), Is.EqualTo(10));
        Assert.That(await third.WaitAsync(WakeTimeout), Is.EqualTo(10));
        Assert.That(window.Available, Is.EqualTo(5u), "the cancelled waiter's share stays in the window");
        Assert.That(window.BytesReserved, Is.EqualTo(20));
    }

    [Test]
    public async Task Reserve_WithCancelledToken_ThrowsAndTakesNothing()
    {
        var window = Window(100);
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        Assert.That(async () => await window.ReserveAsync(10, cts.Token), Throws.InstanceOf<OperationCanceledException>());
        Assert.That(window.Available, Is.EqualTo(100u));
    }

    [Test]
    public async Task CancelRacingAdd_NeverLosesWindow()
    {
        // Whichever wins, the bytes end up either with the waiter or still in the window: never in neither.
        const int Rounds = 2000;
        const uint Adjust = 10;
        var window = Window(0);
        long granted = 0;
        for (int i = 0; i < Rounds; i++)
        {
            using var cts = new CancellationTokenSource();
            Task<int> reserve = window.ReserveAsync((int)Adjust, cts.Token).AsTask();
            Task cancel = Task.Run(cts.Cancel);
            window.Add(Adjust);
            await cancel;
            try
            {
                granted += await reserve.WaitAsync(WakeTimeout);
            }
            catch (OperationCanceledException)
            {
                // Lost the race to cancellation: the adjust must still be in the window, taken below.
            }

            granted += await window.ReserveAsync((int)window.Available, CancellationToken.None);
        }

        Assert.That(granted, Is.EqualTo(Rounds * Adjust));
        Assert.That(window.BytesReserved, Is.EqualTo(Rounds * Adjust));
        Assert.That(window.Available, Is.EqualTo(0u));
    }

    [Test]
    public void Close_FailsCurrentAndLaterWaitersWithTheCause()
    {
        var window = Window(0);
        Task<int> waiting1 = window.ReserveAsync(10, CancellationToken.None).AsTask();
        Task<int> waiting2 = window.ReserveAsync(10, CancellationToken.None).AsTask();
        var cause = new SshConnectionException("gone", DisconnectReason.ConnectionLost, ClosedBy.Network);

        window.Close(cause);

        Assert.That(async () => await waiting1.WaitAsync(WakeTimeout), Throws.Exception.SameAs(cause));
        Assert.That(async () => await waiting2.WaitAsync(WakeTimeout), Throws.Exception.SameAs(cause));
        Assert.That(async () => await window.ReserveAsync(10, CancellationToken.None), Throws.Exception.SameAs(cause));
    }

    [Test]
    public void Close_WithWindowLeft_StillFailsLaterReservations()
    {
        var window = Window(1000);
        var cause = new InvalidOperationException("channel closed");

        window.Close(cause);

        Assert.That(async () => await window.ReserveAsync(10, CancellationToken.None), Throws.Exception.SameAs(cause));
    }

    [Test]
    public void Close_Twice_KeepsTheFirstCause()
    {
        var window = Window(0);
        var first = new InvalidOperationException("first");

        window.Close(first);
        window.Close(new InvalidOperationException("second"));

        Assert.That(async () => await window.ReserveAsync(1, CancellationToken.None), Throws.Exception.SameAs(first));
    }

    [Test]
    public void Add_OverflowingTheWindow_IsAProtocolErrorAndChangesNothing()
    {
        var window = Window(1);

        var e = Assert.Throws<SshProtocolException>(() => window.Add(uint.MaxValue));

        Assert.That(e.Reason, Is.EqualTo(DisconnectReason.ProtocolError));
        Assert.That(window.Available, Is.EqualTo(1u), "the window must not wrap");
        Assert.That(window.AdjustsReceived, Is.Zero);
    }

    [Test]
    public void Add_UpToExactlyTheMaximum_IsAllowed()
    {
        var window = Window(1);

        window.Add(uint.MaxValue - 1);

        Assert.That(window.Available, Is.EqualTo(uint.MaxValue));
    }

    [Test]
    public void Add_AfterClose_IsIgnored()
    {
        var window = Window(5);
        window.Close(new InvalidOperationException("closed"));

        window.Add(uint.MaxValue);

        Assert.That(window.AdjustsReceived, Is.Zero);
    }

    [Test]
    public async Task TimeBlocked_CountsStallsWithTheClock_IncludingOneInProgress()
    {
        var clock = new ManualTimeProvider();
        var window = Window(0, time: clock);
        Assert.That(window.BlockedSinceTimestamp, Is.Null);

        long stallStart = clock.GetTimestamp();
        Task<int> a = window.ReserveAsync(10, CancellationToken.None).AsTask();
        clock.Advance(TimeSpan.FromSeconds(1));
        Task<int> b = window.ReserveAsync(10, CancellationToken.None).AsTask();
        clock.Advance(TimeSpan.FromSeconds(2));

        Assert.That(window.BlockedSinceTimestamp, Is.EqualTo(stallStart));
        Assert.That(window.TimeBlocked, Is.EqualTo(TimeSpan.FromSeconds(3)), "a stall in progress counts, concurrent waiters once");

        window.Add(20);
        await Task.WhenAll(a, b).WaitAsync(WakeTimeout);
        clock.Advance(TimeSpan.FromSeconds(5));

        Assert.That(window.BlockedSinceTimestamp, Is.Null);
        Assert.That(window.TimeBlocked, Is.EqualTo(TimeSpan.FromSeconds(3)), "time with the window open is not a stall");

        Task<int> c = window.ReserveAsync(10, CancellationToken.None).AsTask();
        clock.Advance(TimeSpan.FromMilliseconds(250));
        window.Add(10);
        await c.WaitAsync(WakeTimeout);

        Assert.That(window.TimeBlocked, Is.EqualTo(TimeSpan.FromSeconds(3.25)));
    }

    [Test]
    public async Task TimeBlocked_StallEndsWhenTheOnlyWaiterIsCancelled()
    {
        var clock = new ManualTimeProvider();
        var window = Window(0, time: clock);
        using var cts = new CancellationTokenSource();
        Task<int> waiting = window.ReserveAsync(10, cts.Token).AsTask();
        clock.Advance(TimeSpan.FromSeconds(4));

        await cts.CancelAsync();
        Assert.That(async () => await waiting.WaitAsync(WakeTimeout), Throws.InstanceOf<OperationCanceledException>());
        clock.Advance(TimeSpan.FromSeconds(10));

        Assert.That(window.BlockedSinceTimestamp, Is.Null);
        Assert.That(window.TimeBlocked, Is.EqualTo(TimeSpan.FromSeconds(4)));
    }

    [Test]
    public async Task ConcurrentSendersAndAdjusts_ReserveExactlyWhatWasAdded_WithoutDeadlock()
    {
        const int Senders = 4;
        const long Total = 2_000_000;
        const uint MaxPacket = 2048;
        var window = Window(0, MaxPacket);
        var done = new InvalidOperationException("all window reserved");
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        long reserved = 0;

        async Task Send(int seed)
        {
            var random = new Random(seed);
            while (true)
            {
                int got;
                try
                {
                    got = await window.ReserveAsync(random.Next(1, 5000), deadline.Token);
                }
                catch (InvalidOperationException e) when (ReferenceEquals(e, done))
                {
                    return;
                }

                Assert.That(got, Is.InRange(1, (int)MaxPacket));
                if (Interlocked.Add(ref reserved, got) == Total)
                {
                    window.Close(done);
                }
            }
        }

        void Adjust()
        {
            var random = new Random(42);
            long added = 0;
            while (added < Total)
            {
                uint chunk = (uint)Math.Min(random.Next(1, 8000), Total - added);
                window.Add(chunk);
                added += chunk;
                if (random.Next(8) == 0)
                {
                    Thread.Yield();
                }
            }
        }

        var tasks = new List<Task>();
        for (int i = 0; i < Senders; i++)
        {
            int seed = i;
            tasks.Add(Task.Run(() => Send(seed)));
        }

        tasks.Add(Task.Run(Adjust));
        await Task.WhenAll(tasks).WaitAsync(deadline.Token);

        Assert.That(Interlocked.Read(ref reserved), Is.EqualTo(Total));
        Assert.That(window.BytesReserved, Is.EqualTo(Total));
        Assert.That(window.Available, Is.EqualTo(0u));
    }
}
