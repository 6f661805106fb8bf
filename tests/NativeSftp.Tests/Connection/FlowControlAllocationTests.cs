using NativeSftp.Connection.FlowControl;
using NativeSftp.Connection.KeepAlive;

namespace NativeSftp.Tests.Connection;

/// <summary>The per-packet calls must not allocate (STYLE: hot path, no per-packet allocation).</summary>
public class FlowControlAllocationTests
{
    private const int Packets = 10_000;

    [Test]
    public void PerPacketCalls_WhenNobodyWaits_AllocateNothing()
    {
        var outbound = new OutboundWindow(0, 32 * 1024, TimeProvider.System);
        var inbound = new InboundWindow(InboundWindow.DefaultWindowSize, 32 * 1024);
        var keepAlive = new KeepAliveMonitor(TimeSpan.FromSeconds(15), 3, TimeProvider.System);
        long reserved = 0;
        SimulatePackets(outbound, inbound, keepAlive, 100, ref reserved); // JIT and tiering out of the measurement

        long before = GC.GetAllocatedBytesForCurrentThread();
        SimulatePackets(outbound, inbound, keepAlive, Packets, ref reserved);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.That(allocated, Is.Zero);
        Assert.That(reserved, Is.EqualTo((Packets + 100) * 1024L));
    }

    private static void SimulatePackets(OutboundWindow outbound, InboundWindow inbound, KeepAliveMonitor keepAlive, int count, ref long reserved)
    {
        for (int i = 0; i < count; i++)
        {
            outbound.Add(1024);
            ValueTask<int> reserve = outbound.ReserveAsync(1024, CancellationToken.None);
            if (!reserve.IsCompletedSuccessfully)
            {
                Assert.Fail("a reservation with window available did not complete at once");
            }

            reserved += reserve.Result;
            inbound.OnDataReceived(1024);
            inbound.OnDataConsumed(1024);
            inbound.TryGetAdjust(out _);
            keepAlive.OnPacketReceived();
            keepAlive.Tick();
        }
    }
}
