using NativeSftp.Connection.FlowControl;
using NativeSftp.Transport;

namespace NativeSftp.Tests.Connection;

public class InboundWindowTests
{
    [Test]
    public void Defaults_Are16MiBWindowAnd255KiBPackets()
    {
        Assert.That(InboundWindow.DefaultWindowSize, Is.EqualTo(16u * 1024 * 1024));
        Assert.That(InboundWindow.DefaultMaxPacketSize, Is.EqualTo(261_120u));
    }

    [Test]
    public void DefaultMaxPacket_AsExtendedDataWithMaximumPadding_FitsTheTransportPacketLimit()
    {
        // packet_length = padding_length byte + payload + padding (RFC 4253 §6); EXTENDED_DATA is the larger message:
        // byte 95, uint32 recipient, uint32 data_type_code, string data (RFC 4254 §5.2); padding is at most 255.
        long packetLength = 1 + (1 + 4 + 4 + 4 + InboundWindow.DefaultMaxPacketSize) + 255;

        Assert.That(packetLength, Is.LessThanOrEqualTo(PacketDecoder.MaxPacketLength));
    }

    [Test]
    public void DataWithinWindow_ShrinksTheWindowAndCounts()
    {
        var window = new InboundWindow(1000, 400);

        window.OnDataReceived(400);
        window.OnDataReceived(250);

        Assert.That(window.Available, Is.EqualTo(350u));
        Assert.That(window.BytesReceived, Is.EqualTo(650));
    }

    [Test]
    public void DataBeyondTheGrantedWindow_IsAProtocolError()
    {
        var window = new InboundWindow(1000, 600);
        window.OnDataReceived(600);

        var e = Assert.Throws<SshProtocolException>(() => window.OnDataReceived(401));

        Assert.That(e.Reason, Is.EqualTo(DisconnectReason.ProtocolError));
        Assert.That(e.Message, Does.Contain("window"));
        Assert.That(window.Available, Is.EqualTo(400u), "a refused packet is not accounted");
        Assert.That(window.BytesReceived, Is.EqualTo(600));
    }

    [Test]
    public void PacketLargerThanMaxPacketSize_IsAProtocolErrorEvenWithinTheWindow()
    {
        var window = new InboundWindow(1000, 100);

        var e = Assert.Throws<SshProtocolException>(() => window.OnDataReceived(101));

        Assert.That(e.Reason, Is.EqualTo(DisconnectReason.ProtocolError));
        Assert.That(e.Message, Does.Contain("maximum packet size"));
        Assert.That(window.Available, Is.EqualTo(1000u));
    }

    [Test]
    public void Adjust_IsWithheldUntilHalfTheWindowIsConsumed_ThenGrantsAllOfIt()
    {
        var window = new InboundWindow(1000, 100);
        for (int i = 0; i < 6; i++)
        {
            window.OnDataReceived(100);
        }

        window.OnDataConsumed(499);
        Assert.That(window.TryGetAdjust(out uint none), Is.False, "499 consumed is below the 500 threshold");
        Assert.That(none, Is.Zero);

        window.OnDataConsumed(1);
        Assert.That(window.TryGetAdjust(out uint adjust), Is.True);
        Assert.That(adjust, Is.EqualTo(500u));
        Assert.That(window.Available, Is.EqualTo(400u + 500u));
        Assert.That(window.AdjustsSent, Is.EqualTo(1));
        Assert.That(window.TryGetAdjust(out _), Is.False, "the same bytes are never granted twice");
    }

    [Test]
    public void ReceivedButUnconsumedData_IsNotReGranted_SoASlowReaderStopsThePeer()
    {
        var window = new InboundWindow(1000, 100);
        for (int i = 0; i < 10; i++)
        {
            window.OnDataReceived(100);
        }

        Assert.That(window.TryGetAdjust(out _), Is.False);
        Assert.That(window.Available, Is.Zero);
        Assert.Throws<SshProtocolException>(() => window.OnDataReceived(1));
    }

    [Test]
    public void ConsumingMoreThanReceived_IsACallerBug()
    {
        var window = new InboundWindow(1000, 100);
        window.OnDataReceived(50);

        Assert.Throws<InvalidOperationException>(() => window.OnDataConsumed(51));
    }

    [Test]
    public void SteadyStream_AdjustsTwicePerWindow_AndThePeerAlwaysKeepsHalfAWindow()
    {
        const uint Initial = 1000;
        const int Packet = 100;
        const int Stream = 100_000;
        var window = new InboundWindow(Initial, Packet);
        uint lowest = Initial;

        for (int sent = 0; sent < Stream; sent += Packet)
        {
            window.OnDataReceived(Packet);
            lowest = Math.Min(lowest, window.Available);
            window.OnDataConsumed(Packet);
            window.TryGetAdjust(out _);
        }

        Assert.That(window.AdjustsSent, Is.EqualTo(Stream / (Initial / 2)));
        Assert.That(lowest, Is.GreaterThanOrEqualTo(Initial / 2 - Packet), "the peer never runs the window dry");
        Assert.That(window.BytesReceived, Is.EqualTo(Stream));
    }

    [Test]
    public void ZeroInitialWindow_IsRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new InboundWindow(0, 100));
    }
}
