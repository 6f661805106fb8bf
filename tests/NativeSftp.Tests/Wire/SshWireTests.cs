using NativeSftp.Wire;

namespace NativeSftp.Tests.Wire;

[TestFixture]
public class SshWireTests
{
    private static byte[] Write(Action<SshWriter> write)
    {
        using var buffer = new PooledBufferWriter();
        write(new SshWriter(buffer));
        return buffer.ToArray();
    }

    // RFC 4251 §5 gives these mpint examples verbatim.
    [TestCase("", "00000000")]
    [TestCase("09a378f9b2e332a7", "0000000809a378f9b2e332a7")]
    [TestCase("80", "000000020080")]
    [TestCase("0080", "000000020080")]
    public void MPInt_EncodesRfc4251Examples(string magnitudeHex, string expectedHex)
    {
        byte[] bytes = Write(w => w.WriteMPInt(Convert.FromHexString(magnitudeHex)));
        Assert.That(Convert.ToHexString(bytes), Is.EqualTo(expectedHex.ToUpperInvariant()));
    }

    [Test]
    public void MPInt_RoundTripsMagnitude()
    {
        byte[] bytes = Write(w => w.WriteMPInt(Convert.FromHexString("80ff")));
        var r = new SshReader(bytes);
        Assert.That(Convert.ToHexString(r.ReadPositiveMPInt()), Is.EqualTo("80FF"));
        Assert.That(r.IsAtEnd, Is.True);
    }

    [TestCase("00000001ff")]   // negative
    [TestCase("000000020001")] // unnecessary leading zero
    public void MPInt_RejectsNonCanonicalOrNegative(string hex)
    {
        Assert.Throws<SshProtocolException>(() => new SshReader(Convert.FromHexString(hex)).ReadPositiveMPInt());
    }

    [Test]
    public void NameList_RoundTrips_AndEmptyListIsZeroLength()
    {
        byte[] bytes = Write(w =>
        {
            w.WriteNameList(["zlib", "none"]);
            w.WriteNameList([]);
        });
        Assert.That(Convert.ToHexString(bytes), Is.EqualTo("000000097A6C69622C6E6F6E6500000000"));
        var r = new SshReader(bytes);
        Assert.That(r.ReadNameList(), Is.EqualTo(new[] { "zlib", "none" }));
        Assert.That(r.ReadNameList(), Is.Empty);
    }

    [Test]
    public void NameList_WithEmptyMember_IsProtocolError()
    {
        byte[] bytes = Write(w => w.WriteAscii("a,,b"));
        Assert.Throws<SshProtocolException>(() => new SshReader(bytes).ReadNameList());
    }

    [Test]
    public void String_WithLengthPastTheEnd_ThrowsWithoutAllocating()
    {
        // A hostile length of 4 GiB - 1 must fail on the bound check, not on an allocation.
        byte[] bytes = Convert.FromHexString("FFFFFFFF0102");
        var ex = Assert.Throws<SshProtocolException>(() => new SshReader(bytes).ReadString());
        Assert.That(ex!.Reason, Is.EqualTo(DisconnectReason.ProtocolError));
        Assert.That(ex.Message, Does.Contain("truncated"));
    }

    [Test]
    public void Integers_AreBigEndian()
    {
        byte[] bytes = Write(w =>
        {
            w.WriteUInt32(0x29b7f4aa);
            w.WriteUInt64(0x0102030405060708);
            w.WriteBoolean(true);
            w.WriteByte(0x5e);
        });
        Assert.That(Convert.ToHexString(bytes), Is.EqualTo("29B7F4AA0102030405060708015E"));
        var r = new SshReader(bytes);
        Assert.That(r.ReadUInt32(), Is.EqualTo(0x29b7f4aau));
        Assert.That(r.ReadUInt64(), Is.EqualTo(0x0102030405060708ul));
        Assert.That(r.ReadBoolean(), Is.True);
        Assert.That(r.ReadByte(), Is.EqualTo(0x5e));
        Assert.Throws<SshProtocolException>(() => new SshReader(bytes.AsSpan(0, 3)).ReadUInt32());
    }

    [Test]
    public void Utf8_InvalidBytes_AreProtocolError()
    {
        byte[] bytes = Convert.FromHexString("00000002C328");
        Assert.Throws<SshProtocolException>(() => new SshReader(bytes).ReadUtf8());
    }

    [Test]
    public void EnsureAtEnd_RejectsTrailingBytes()
    {
        byte[] bytes = Convert.FromHexString("0000000100");
        Assert.Throws<SshProtocolException>(() =>
        {
            var r = new SshReader(bytes);
            r.ReadUInt32();
            r.EnsureAtEnd("test message");
        });
    }

    [Test]
    public void PooledBufferWriter_GrowsAndKeepsContents()
    {
        using var w = new PooledBufferWriter(16);
        var sw = new SshWriter(w);
        for (int i = 0; i < 1000; i++)
        {
            sw.WriteUInt32((uint)i);
        }

        Assert.That(w.WrittenCount, Is.EqualTo(4000));
        var r = new SshReader(w.WrittenSpan);
        for (int i = 0; i < 1000; i++)
        {
            Assert.That(r.ReadUInt32(), Is.EqualTo((uint)i));
        }
    }
}
