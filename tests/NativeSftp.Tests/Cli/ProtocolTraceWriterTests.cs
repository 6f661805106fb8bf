using System.Buffers.Binary;
using System.Text;
using NativeSftp.Diagnostics;
using NativeSftp.Tests.Connection;

namespace NativeSftp.Tests.Cli;

[TestFixture]
public sealed class ProtocolTraceWriterTests
{
    private static byte[] Message(byte number, params object[] fields)
    {
        var ms = new MemoryStream();
        ms.WriteByte(number);
        Span<byte> u32 = stackalloc byte[4];
        foreach (object f in fields)
        {
            switch (f)
            {
                case uint u:
                    BinaryPrimitives.WriteUInt32BigEndian(u32, u);
                    ms.Write(u32);
                    break;
                case bool b:
                    ms.WriteByte(b ? (byte)1 : (byte)0);
                    break;
                case string s:
                    byte[] bytes = Encoding.UTF8.GetBytes(s);
                    BinaryPrimitives.WriteUInt32BigEndian(u32, (uint)bytes.Length);
                    ms.Write(u32);
                    ms.Write(bytes);
                    break;
            }
        }

        return ms.ToArray();
    }

    private static string Trace(Action<ProtocolTraceWriter> write)
    {
        var sw = new StringWriter();
        using (var tracer = new ProtocolTraceWriter(sw, ownsWriter: false, new ManualTimeProvider()))
        {
            write(tracer);
        }

        return sw.ToString();
    }

    [Test]
    public void ChannelData_ShowsChannelAndLength_NeverTheBytes()
    {
        byte[] payload = Message(94, 3u, "SECRET-FILE-BYTES");
        string line = Trace(t => t.OnPacket(PacketDirection.Sent, payload, 64, 1));
        Assert.That(line, Is.EqualTo("2025-01-02T00:00:00.000000Z send kex=1 wire=64 CHANNEL_DATA channel=3 data=17" + Environment.NewLine));
    }

    [Test]
    public void PerConnectionViews_NumberTheirLines_InTheOrderTheyWereMade()
    {
        byte[] payload = Message(94, 0u, "x");
        string text = Trace(t =>
        {
            IPacketTracer first = t.ForConnection(), second = t.ForConnection();
            second.OnPacket(PacketDirection.Received, payload, 48, 1);
            first.OnPacket(PacketDirection.Sent, payload, 48, 1);
            t.OnPacket(PacketDirection.Sent, payload, 48, 1);
        });

        Assert.That(text.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries), Is.EqualTo(new[]
        {
            "2025-01-02T00:00:00.000000Z conn=2 recv kex=1 wire=48 CHANNEL_DATA channel=0 data=1",
            "2025-01-02T00:00:00.000000Z conn=1 send kex=1 wire=48 CHANNEL_DATA channel=0 data=1",
            "2025-01-02T00:00:00.000000Z send kex=1 wire=48 CHANNEL_DATA channel=0 data=1",
        }));
    }

    [Test]
    public void UserauthRequest_ShowsTheMethodOnly()
    {
        byte[] payload = Message(50, "alice", "ssh-connection", "password", false, "hunter2");
        string line = Trace(t => t.OnPacket(PacketDirection.Sent, payload, 100, 1));
        Assert.That(line, Does.Contain("USERAUTH_REQUEST method=password"));
        Assert.That(line, Does.Not.Contain("alice").And.Not.Contain("hunter2"));
    }

    [Test]
    public void WindowAdjustAndChannelRequest_ShowTheirHeaderFields()
    {
        string text = Trace(t =>
        {
            t.OnPacket(PacketDirection.Received, Message(93, 0u, 2097152u), 40, 2);
            t.OnPacket(PacketDirection.Sent, Message(98, 0u, "exec", true, "cat /etc/secret"), 80, 2);
        });
        Assert.That(text, Does.Contain("recv kex=2 wire=40 CHANNEL_WINDOW_ADJUST channel=0 adjust=2097152"));
        Assert.That(text, Does.Contain("CHANNEL_REQUEST channel=0 request=exec want-reply=true"));
        Assert.That(text, Does.Not.Contain("/etc/secret"));
    }

    [Test]
    public void KexMessages_ShowTheNameOnly()
    {
        byte[] kexInit = Message(20, "0123456789abcdef", "curve25519-sha256");
        string text = Trace(t =>
        {
            t.OnPacket(PacketDirection.Sent, kexInit, 1000, 0);
            t.OnPacket(PacketDirection.Received, Message(31, "host-key-blob", "Q", "signature"), 500, 0);
        });
        Assert.That(text, Does.Contain("KEXINIT" + Environment.NewLine));
        Assert.That(text, Does.Contain("KEXDH_REPLY"));
        Assert.That(text, Does.Not.Contain("curve25519").And.Not.Contain("signature"));
    }

    [Test]
    public void TruncatedOrHostileHeaders_AreMarked_NotThrown()
    {
        byte[] shortData = [94, 0, 0];
        byte[] lyingLength = Message(98, 1u);
        lyingLength = [.. lyingLength, 0xFF, 0xFF, 0xFF, 0xFF, (byte)'x'];
        byte[] controlChars = Message(80, "evil\u001b[2J\nname", true);
        string text = Trace(t =>
        {
            t.OnPacket(PacketDirection.Received, shortData, 10, 1);
            t.OnPacket(PacketDirection.Received, lyingLength, 10, 1);
            t.OnPacket(PacketDirection.Received, controlChars, 10, 1);
            t.OnPacket(PacketDirection.Received, [], 10, 1);
        });
        string[] lines = text.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(4), text);
        Assert.That(lines[0], Does.EndWith("CHANNEL_DATA (truncated)"));
        Assert.That(lines[1], Does.EndWith("CHANNEL_REQUEST channel=1 request= (truncated)"));
        Assert.That(lines[2], Does.EndWith("GLOBAL_REQUEST request=evil?[2J?name want-reply=true"));
        Assert.That(lines[3], Does.EndWith("(empty payload)"));
    }

    [Test]
    public void ConcurrentPackets_EachGetAWholeLine()
    {
        const int Threads = 8;
        const int PerThread = 2000;
        string text = Trace(t => Parallel.For(0, Threads, i =>
        {
            byte[] payload = Message(94, (uint)i, "data");
            for (int n = 0; n < PerThread; n++)
            {
                t.OnPacket(PacketDirection.Sent, payload, 50, 1);
            }
        }));
        string[] lines = text.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(Threads * PerThread));
        Assert.That(lines, Has.All.Match(@"^\S+ send kex=1 wire=50 CHANNEL_DATA channel=\d data=4$"));
    }

    [Test]
    public void ToFile_IsFlushedOnDispose_AndLaterPacketsAreIgnored()
    {
        string path = Path.Combine(Path.GetTempPath(), "nsftp-trace-" + Guid.NewGuid().ToString("N") + ".log");
        try
        {
            var tracer = ProtocolTraceWriter.ToFile(path);
            tracer.OnPacket(PacketDirection.Sent, Message(21), 16, 0);
            tracer.Dispose();
            tracer.OnPacket(PacketDirection.Sent, Message(21), 16, 0);
            Assert.That(File.ReadAllLines(path), Has.Length.EqualTo(1).And.All.Contain("NEWKEYS"));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
