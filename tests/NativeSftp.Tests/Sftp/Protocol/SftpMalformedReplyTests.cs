using NativeSftp.Sftp.Protocol;
using NativeSftp.Sftp.Protocol.Extensions;
using static NativeSftp.Tests.Sftp.Protocol.SftpBytes;

namespace NativeSftp.Tests.Sftp.Protocol;

/// <summary>
/// Hostile or broken replies: every field cut short, counts and lengths that claim more than the packet holds.
/// Each must fail with <see cref="SshProtocolException"/> at once and without allocating per the claimed size.
/// </summary>
[TestFixture]
public class SftpMalformedReplyTests
{
    public delegate void Parser(byte[] body);

    private static readonly string[] CheckFileAlgorithms = ["sha256"];

    private static IEnumerable<TestCaseData> WellFormedBodies()
    {
        // validPrefixes: shorter bodies that are themselves complete (STATUS may stop after the code or the
        // message; VERSION's pairs and check-file's hashes run to the end, so "none" is valid).
        yield return Case("HANDLE", b => SftpHandle.Read(b), 0, "00000004 00010203");
        yield return Case("DATA", b => SftpData.Read(b), 0, "00000003 616263");
        yield return Case("NAME", b => SftpName.Read(b), 0, "00000001", S("f"), S("-rw f"), "00000005 0000000000000001 000081a4");
        yield return Case("ATTRS", b => SftpAttributes.ReadReply(b), 0, "8000000f 0000000000000001 00000001 00000002 000001a4 00000003 00000004 00000001", S("t"), S("d"));
        yield return Case("STATUS", b => SftpStatus.Read(b), 2, "00000002", S("No such file"), S("en"));
        yield return Case("VERSION", b => SftpVersion.Read(3, b), 1, S("a@b"), S("1"));
        yield return Case("statvfs", b => SftpStatvfs.ReadReply(b), 0, string.Concat(Enumerable.Repeat("0000000000000001", 11)));
        yield return Case("limits", b => SftpLimits.ReadReply(b), 0, string.Concat(Enumerable.Repeat("0000000000000001", 4)));
        yield return Case("check-file", b => SftpCheckFile.ReadReply(b, CheckFileAlgorithms), 1, S("check-file"), S("sha256"), new string('a', 64));
    }

    private static TestCaseData Case(string name, Parser parse, int validPrefixes, params string[] hex) =>
        new TestCaseData(parse, Bytes(hex), validPrefixes).SetArgDisplayNames(name);

    [TestCaseSource(nameof(WellFormedBodies))]
    public void WellFormedBody_Parses(Parser parse, byte[] body, int validPrefixes)
    {
        Assert.DoesNotThrow(() => parse(body));
    }

    [TestCaseSource(nameof(WellFormedBodies))]
    public void EveryTruncation_IsProtocolError(Parser parse, byte[] body, int validPrefixes)
    {
        int accepted = 0;
        for (int cut = 0; cut < body.Length; cut++)
        {
            byte[] prefix = body[..cut];
            try
            {
                parse(prefix);
                accepted++;
            }
            catch (SshProtocolException)
            {
                // the expected outcome for a cut inside a field
            }
        }

        Assert.That(accepted, Is.EqualTo(validPrefixes), "truncated bodies accepted");
    }

    [TestCaseSource(nameof(WellFormedBodies))]
    public void TrailingBytes_AreProtocolError(Parser parse, byte[] body, int validPrefixes)
    {
        // Two bytes: DATA tolerates one (the v6 end-of-file flag). For VERSION they are a cut-short pair, for
        // check-file not a whole hash: an error everywhere.
        byte[] longer = [.. body, 0x00, 0x00];
        Assert.Throws<SshProtocolException>(() => parse(longer));
    }

    [Test]
    public void NameCountLargerThanThePacketCanHold_IsRefusedBeforeAllocating()
    {
        // 0xFFFFFFFF entries would be ~100 GB of entry objects; 12 bytes remain, room for one at most.
        byte[] body = Bytes("ffffffff", "00000000 00000000 00000000");
        long before = GC.GetAllocatedBytesForCurrentThread();
        var ex = Assert.Throws<SshProtocolException>(() => SftpName.Read(body));
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.LessThan(16 * 1024));
        Assert.That(ex!.Message, Does.Contain("4294967295"));
    }

    [Test]
    public void NameCountOneTooMany_IsRefused()
    {
        Assert.Throws<SshProtocolException>(() => SftpName.Read(Bytes("00000002", "00000000 00000000 00000000")));
    }

    [Test]
    public void StringLengthLargerThanThePacket_IsRefusedBeforeAllocating()
    {
        byte[] body = Bytes("7fffffff 00");
        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Throws<SshProtocolException>(() => SftpHandle.Read(body));
        Assert.Throws<SshProtocolException>(() => SftpData.Read(body));
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.LessThan(16 * 1024));
    }

    [Test]
    public void NameEntryWithUnknownAttributeFlag_IsProtocolError()
    {
        Assert.Throws<SshProtocolException>(() => SftpName.Read(Bytes("00000001", S("f"), S("l"), "00000100")));
    }

    [Test]
    public void Status_CutInsideTheCode_IsProtocolError()
    {
        Assert.Throws<SshProtocolException>(() => SftpStatus.Read(Bytes("000000")));
        Assert.Throws<SshProtocolException>(() => SftpStatus.Read(Bytes("00000002 0000000c 4e6f")));
    }

    [Test]
    public void ManyMalformedReplies_FailQuickly()
    {
        byte[] hostile = Bytes("ffffffff ffffffff ffffffff");
        var watch = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < 10_000; i++)
        {
            Assert.Throws<SshProtocolException>(() => SftpName.Read(hostile));
        }

        Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)));
    }
}
