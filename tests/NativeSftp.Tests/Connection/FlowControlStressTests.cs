using NativeSftp.Connection.FlowControl;

namespace NativeSftp.Tests.Connection;

/// <summary>Flow control under real concurrency: nothing lost, nothing granted twice, no deadlock.</summary>
public class FlowControlStressTests
{
    [Test]
    public async Task SendersThatCancelAtRandom_NeitherLoseWindowNorStallTheOthers()
    {
        const int Senders = 4;
        const long Total = 1_000_000;
        var window = new OutboundWindow(0, 4096, TimeProvider.System);
        var done = new InvalidOperationException("all window reserved");
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        long reserved = 0;
        int cancellations = 0;

        async Task Send(int seed)
        {
            var random = new Random(seed);
            while (true)
            {
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token);
                if (random.Next(3) == 0)
                {
                    // Cancel from another thread at a random moment: before queueing, while queued, or after the grant.
                    _ = Task.Run(attempt.Cancel, CancellationToken.None);
                }

                int got;
                try
                {
                    got = await window.ReserveAsync(random.Next(1, 10_000), attempt.Token);
                }
                catch (InvalidOperationException e) when (ReferenceEquals(e, done))
                {
                    return;
                }
                catch (OperationCanceledException) when (!deadline.IsCancellationRequested)
                {
                    Interlocked.Increment(ref cancellations);
                    continue;
                }

                if (Interlocked.Add(ref reserved, got) == Total)
                {
                    window.Close(done);
                }
            }
        }

        void Adjust()
        {
            var random = new Random(7);
            long added = 0;
            while (added < Total)
            {
                uint chunk = (uint)Math.Min(random.Next(1, 6000), Total - added);
                window.Add(chunk);
                added += chunk;
                Thread.Yield();
            }
        }

        var tasks = new List<Task>();
        for (int i = 0; i < Senders; i++)
        {
            int seed = 100 + i;
            tasks.Add(Task.Run(() => Send(seed)));
        }

        tasks.Add(Task.Run(Adjust));
        await Task.WhenAll(tasks).WaitAsync(deadline.Token);
        await TestContext.Out.WriteLineAsync($"{cancellations} reservations cancelled");

        Assert.That(Interlocked.Read(ref reserved), Is.EqualTo(Total), "every added byte was reserved exactly once");
        Assert.That(window.BytesReserved, Is.EqualTo(Total));
        Assert.That(window.Available, Is.EqualTo(0u));
    }

    [Test]
    public async Task ReceiveLoopAndConsumerOnDifferentThreads_KeepTheWindowBalanced()
    {
        const uint Initial = 64 * 1024;
        const int Packet = 1000;
        const int Packets = 20_000;
        var inbound = new InboundWindow(Initial, Packet);
        var outbound = new OutboundWindow(Initial, Packet, TimeProvider.System);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        long buffered = 0;

        // The "peer" reserves from its view of our window and the receive loop accounts each packet; the consumer
        // drains and sends adjusts, which the peer applies. If our adjusts ever over-granted, OnDataReceived would
        // not throw but the peer could exceed the window; if they under-granted, the peer would stall until deadline.
        async Task PeerAndReceiveLoop()
        {
            // Counted in bytes: a reservation may return less than a packet when the window runs low.
            for (long sent = 0; sent < (long)Packets * Packet;)
            {
                int n = await outbound.ReserveAsync((int)Math.Min(Packet, (long)Packets * Packet - sent), deadline.Token);
                inbound.OnDataReceived(n);
                Interlocked.Add(ref buffered, n);
                sent += n;
            }
        }

        async Task Consumer()
        {
            long consumed = 0;
            while (consumed < (long)Packets * Packet)
            {
                long take = Interlocked.Exchange(ref buffered, 0);
                if (take == 0)
                {
                    await Task.Yield();
                    deadline.Token.ThrowIfCancellationRequested();
                    continue;
                }

                inbound.OnDataConsumed((int)take);
                consumed += take;
                if (inbound.TryGetAdjust(out uint adjust))
                {
                    outbound.Add(adjust);
                }
            }
        }

        await Task.WhenAll(Task.Run(PeerAndReceiveLoop), Task.Run(Consumer)).WaitAsync(deadline.Token);

        Assert.That(inbound.BytesReceived, Is.EqualTo((long)Packets * Packet));
        Assert.That(inbound.Available, Is.EqualTo(outbound.Available), "both ends agree on the window");
        Assert.That(inbound.AdjustsSent, Is.EqualTo(outbound.AdjustsReceived));
    }
}
