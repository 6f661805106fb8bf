using System.Buffers;
using NativeSftp.Sftp.Protocol;
using static NativeSftp.Tests.Sftp.Protocol.SftpBytes;

namespace NativeSftp.Tests.Sftp.Protocol;

[TestFixture]
public class SftpFramerTests
{
    // STATUS id 7, OK, empty message and language: 5 + 12 = 17 bytes after the length.
    private static readonly byte[] StatusOk = Bytes("00000011 65 00000007 00000000 00000000 00000000");

    [Test]
    public void WholePacket_IsReadAndConsumed()
    {
        var buffer = Sequence([.. StatusOk, 0xAB]);
        Assert.That(SftpFramer.TryReadPacket(ref buffer, out var packet), Is.True);
        Assert.That(packet.Type, Is.EqualTo(SftpPacketType.Status));
        Assert.That(packet.RequestId, Is.EqualTo(7u));
        Assert.That(packet.Body.Length, Is.EqualTo(12));
        Assert.That(SftpStatus.Read(packet.ContiguousBody()).IsOk, Is.True);
        Assert.That(buffer.ToArray(), Is.EqualTo(new byte[] { 0xAB }), "only the packet is consumed");
    }

    [Test]
    public void EveryShorterPrefix_NeedsMoreAndConsumesNothing()
    {
        for (int n = 0; n < StatusOk.Length; n++)
        {
            var buffer = Sequence(StatusOk[..n]);
            Assert.That(SftpFramer.TryReadPacket(ref buffer, out _), Is.False, $"prefix of {n}");
            Assert.That(buffer.Length, Is.EqualTo(n));
        }
    }

    [Test]
    public void PacketSplitAcrossSegments_IsRead()
    {
        // Split inside the length, inside the id and inside the body.
        var buffer = Sequence(StatusOk, 2, 7, 12);
        Assert.That(SftpFramer.TryReadPacket(ref buffer, out var packet), Is.True);
        Assert.That(packet.RequestId, Is.EqualTo(7u));
        Assert.That(packet.Body.IsSingleSegment, Is.False);
        Assert.That(SftpStatus.Read(packet.ContiguousBody()).Code, Is.EqualTo(SftpStatusCode.Ok));
        Assert.That(buffer.IsEmpty, Is.True);
    }

    [Test]
    public void TwoPacketsBackToBack_AreReadInTurn()
    {
        var buffer = Sequence([.. StatusOk, .. Bytes("00000009 67 00000008 00000000")]);
        Assert.That(SftpFramer.TryReadPacket(ref buffer, out var first), Is.True);
        Assert.That(SftpFramer.TryReadPacket(ref buffer, out var second), Is.True);
        Assert.That((first.RequestId, second.RequestId, second.Type), Is.EqualTo((7u, 8u, SftpPacketType.Data)));
        Assert.That(SftpFramer.TryReadPacket(ref buffer, out _), Is.False);
    }

    [Test]
    public void Version_CarriesTheVersionInTheIdPlace()
    {
        var buffer = Sequence(Bytes("00000005 02 00000003"));
        Assert.That(SftpFramer.TryReadPacket(ref buffer, out var packet), Is.True);
        Assert.That(packet.Type, Is.EqualTo(SftpPacketType.Version));
        Assert.That(SftpVersion.Read(packet.RequestId, packet.ContiguousBody()), Is.Empty);
    }

    [TestCase("00000000")]   // zero
    [TestCase("00000001")]   // type only, no id
    [TestCase("00000004")]   // one byte short of type + id
    [TestCase("00040401")]   // 256 KiB + 1 KiB + 1
    [TestCase("ffffffff")]   // 4 GiB
    public void BadLength_IsProtocolErrorAsSoonAsTheLengthIsIn(string lengthHex)
    {
        // Only the 4 length bytes have arrived: the framer must not ask for (and the caller buffer) more first.
        var buffer = Sequence(Bytes(lengthHex));
        var ex = Assert.Throws<SshProtocolException>(() => SftpFramer.TryReadPacket(ref buffer, out _));
        Assert.That(ex!.Message, Does.Contain("length"));
    }

    [Test]
    public void LargestAllowedLength_IsAccepted()
    {
        // 263,168 = 256 KiB + 1 KiB: a DATA reply carrying a full 256 KiB read fits with room to spare.
        const int length = 256 * 1024 + 1024;
        byte[] packet = new byte[4 + length];
        Bytes(U32(length), "67 00000001", U32(length - 9)).CopyTo(packet, 0);
        var buffer = Sequence(packet);
        Assert.That(SftpFramer.TryReadPacket(ref buffer, out var p), Is.True);
        Assert.That(p.Body.Length, Is.EqualTo(length - 5));
    }

    [Test]
    public void DataHeader_SaysWhereTheBytesAre()
    {
        byte[] packet = Bytes("0000000c 67 0000002a 00000003 616263");
        Assert.That(SftpData.TryParseHeader(packet, out var header), Is.True);
        Assert.That(header, Is.EqualTo(new SftpDataHeader(42, 13, 3, 16)));
        Assert.That(header.PacketSize, Is.EqualTo(packet.Length));
        Assert.That(packet.AsSpan(header.DataOffset, header.DataLength).ToArray(), Is.EqualTo("abc"u8.ToArray()));
    }

    [Test]
    public void DataHeader_NeedsThirteenBytes()
    {
        byte[] packet = Bytes("0000000c 67 0000002a 00000003 616263");
        Assert.That(SftpData.TryParseHeader(packet.AsSpan(0, 12), out _), Is.False);
        Assert.That(SftpData.TryParseHeader(packet.AsSpan(0, 13), out var header), Is.True);
        Assert.That(header.DataLength, Is.EqualTo(3));
    }

    [Test]
    public void DataHeader_StraddlingSegments_IsRead()
    {
        byte[] packet = Bytes("0000000c 67 0000002a 00000003 616263");
        var seq = Sequence(packet, 3, 10);
        Assert.That(SftpData.TryParseHeader(seq, out var header), Is.True);
        Assert.That(header, Is.EqualTo(new SftpDataHeader(42, 13, 3, 16)));
        Assert.That(SftpData.TryParseHeader(Sequence(packet, 3, 10).Slice(0, 12), out _), Is.False);
    }

    [TestCase("0000000c 67 0000002a 00000004")]  // data length longer than the packet holds
    [TestCase("0000000c 67 0000002a 00000001")]  // two bytes short: more trailing bytes than the v6 end-of-file flag
    [TestCase("ffffffff 67 0000002a fffffff6")]  // consistent but over the length limit
    public void DataHeader_Inconsistent_IsProtocolError(string hex)
    {
        Assert.Throws<SshProtocolException>(() => SftpData.TryParseHeader(Bytes(hex), out _));
    }

    [Test]
    public void DataHeader_WithTheV6EndOfFileByte_CoversTheWholePacket()
    {
        // Some v3 servers append version 6's "bool end-of-file" after the data.
        byte[] packet = Bytes("0000000d 67 0000002a 00000003 616263 01");
        Assert.That(SftpData.TryParseHeader(packet, out var header), Is.True);
        Assert.That(header, Is.EqualTo(new SftpDataHeader(42, 13, 3, 17)));
    }

    [Test]
    public void DataHeader_OnAnotherType_IsCallerError()
    {
        Assert.Throws<ArgumentException>(() => SftpData.TryParseHeader(Bytes("0000000c 65 0000002a 00000003"), out _));
    }

    [Test]
    public void FramingAndDataHeader_AllocateNothingPerPacket()
    {
        byte[] packet = Bytes("0000000c 67 0000002a 00000003 616263");
        var seq = new ReadOnlySequence<byte>(packet);
        var b = seq;
        SftpFramer.TryReadPacket(ref b, out _); // warm up
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            var buffer = seq;
            SftpFramer.TryReadPacket(ref buffer, out var p);
            SftpData.TryParseHeader(packet, out _);
            _ = SftpData.Read(p.Body.FirstSpan);
        }

        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
    }
}
