using System.Text;
using NativeSftp.Tests.Transport.ScriptedPeer;
using NativeSftp.Transport;

namespace NativeSftp.Tests.Transport;

/// <summary>The version exchange (RFC 4253 §4.2) against a scripted server's first bytes.</summary>
[TestFixture]
public class ScriptedIdentificationTests
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(15);

    [Test]
    public async Task PreambleLines_BeforeVersionLine_AreSkipped()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var server = ScriptedSshServer.Create();
        var accept = server.AcceptAsync(new ServerKexOptions(), cts.Token, preamble: ["Welcome to the scripted host", "", "SSH is below"]);
        await using var client = await server.StartClientAsync(server.ClientSettings(), cts.Token);
        await accept;

        Assert.That(client.ServerVersion, Is.EqualTo(ScriptedSshServer.DefaultVersion));
        await StrictKexTests.AssertTrafficFlowsAsync(server, client, cts.Token);
    }

    [Test]
    public async Task VersionLine_WithBareLineFeed_IsAccepted()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var server = ScriptedSshServer.Create();
        var script = Task.Run(async () =>
        {
            // OpenSSH accepts LF without CR, and so do we; V_S in H is still the line without its terminator.
            await server.SendRawAsync(Encoding.ASCII.GetBytes(ScriptedSshServer.DefaultVersion + "\n"), cts.Token);
            await server.ReadClientIdentificationAsync(cts.Token);
            return await server.KeyExchangeAsync(new ServerKexOptions(), cts.Token);
        }, cts.Token);
        await using var client = await server.StartClientAsync(server.ClientSettings(), cts.Token);
        await script;
        Assert.That(client.ServerVersion, Is.EqualTo(ScriptedSshServer.DefaultVersion));
    }

    [TestCase(false, TestName = "PreambleLine_Over255Bytes_IsRefused")]
    [TestCase(true, TestName = "VersionLine_Over255Bytes_IsRefused")]
    public async Task LineOver255Bytes_IsRefused(bool versionLine)
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var server = ScriptedSshServer.Create();
        string line = (versionLine ? "SSH-2.0-" : "") + new string('x', 300);
        await server.SendRawAsync(Encoding.ASCII.GetBytes(line + "\r\n" + ScriptedSshServer.DefaultVersion + "\r\n"), cts.Token);

        var ex = Assert.ThrowsAsync<SshProtocolException>(async () => await server.StartClientAsync(server.ClientSettings(), cts.Token));
        Assert.That(ex!.Message, Does.Contain($"longer than {IdentificationExchange.MaxLineLength} bytes"));
        Assert.That(ex.Reason, Is.EqualTo(DisconnectReason.ProtocolError));
    }

    // RFC 4253 §4.2: 255 bytes including CR LF is the longest allowed line; one more is refused.
    [TestCase(253, true, TestName = "PreambleLine_Of255BytesWithCrLf_IsAccepted")]
    [TestCase(254, false, TestName = "PreambleLine_Of256BytesWithCrLf_IsRefused")]
    public async Task PreambleLineAtTheLimit(int characters, bool accepted)
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var server = ScriptedSshServer.Create();
        var accept = server.AcceptAsync(new ServerKexOptions(), cts.Token, preamble: [new string('p', characters)]);
        if (accepted)
        {
            await using var client = await server.StartClientAsync(server.ClientSettings(), cts.Token);
            await accept;
            Assert.That(client.ServerVersion, Is.EqualTo(ScriptedSshServer.DefaultVersion));
        }
        else
        {
            var ex = Assert.ThrowsAsync<SshProtocolException>(async () => await server.StartClientAsync(server.ClientSettings(), cts.Token));
            Assert.That(ex!.Message, Does.Contain($"longer than {IdentificationExchange.MaxLineLength} bytes"));
            Assert.CatchAsync(async () => await accept);
        }
    }

    [Test]
    public async Task EndlessLineWithoutNewline_IsRefusedAfter255Bytes()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var server = ScriptedSshServer.Create();
        await server.SendRawAsync(new byte[64 * 1024].Select(_ => (byte)'y').ToArray(), cts.Token);

        var ex = Assert.ThrowsAsync<SshProtocolException>(async () => await server.StartClientAsync(server.ClientSettings(), cts.Token));
        Assert.That(ex!.Message, Does.Contain($"longer than {IdentificationExchange.MaxLineLength} bytes"));
    }

    [Test]
    public async Task TooManyPreambleLines_AreRefused()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var server = ScriptedSshServer.Create();
        var lines = Enumerable.Repeat("noise", IdentificationExchange.MaxPreambleLines + 1);
        await server.SendIdentificationAsync(cts.Token, lines);

        var ex = Assert.ThrowsAsync<SshProtocolException>(async () => await server.StartClientAsync(server.ClientSettings(), cts.Token));
        Assert.That(ex!.Message, Does.Contain("lines"));
        Assert.That(ex.Message, Does.Contain("before its SSH version line"));
    }

    [Test]
    public async Task TooManyPreambleBytes_AreRefused()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var server = ScriptedSshServer.Create();
        // 300 lines of 250 bytes: under the line count, over the 64 KiB byte budget.
        var lines = Enumerable.Repeat(new string('z', 248), 300);
        await server.SendIdentificationAsync(cts.Token, lines);

        var ex = Assert.ThrowsAsync<SshProtocolException>(async () => await server.StartClientAsync(server.ClientSettings(), cts.Token));
        Assert.That(ex!.Message, Does.Contain("before its SSH version line"));
    }

    [TestCase("SSH-1.5-OldServer")]
    [TestCase("SSH-3.0-FutureServer")]
    public async Task UnsupportedProtocolVersion_IsRefusedNamingTheLine(string version)
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var server = ScriptedSshServer.Create();
        await server.SendIdentificationAsync(cts.Token, version: version);

        var ex = Assert.ThrowsAsync<SshProtocolException>(async () => await server.StartClientAsync(server.ClientSettings(), cts.Token));
        Assert.That(ex!.Reason, Is.EqualTo(DisconnectReason.ProtocolVersionNotSupported));
        Assert.That(ex.Message, Does.Contain(version));
    }

    [Test]
    public async Task Version199_IsAcceptedAsSsh2()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var server = ScriptedSshServer.Create();
        var script = Task.Run(async () =>
        {
            await server.SendIdentificationAsync(cts.Token, version: "SSH-1.99-Compat");
            await server.ReadClientIdentificationAsync(cts.Token);
            return await server.KeyExchangeAsync(new ServerKexOptions(), cts.Token);
        }, cts.Token);
        await using var client = await server.StartClientAsync(server.ClientSettings(), cts.Token);
        await script;
        Assert.That(client.ServerVersion, Is.EqualTo("SSH-1.99-Compat"));
    }

    [TestCase("", TestName = "ConnectionClosed_BeforeAnyByte_IsConnectionException")]
    [TestCase("Welcome\r\n", TestName = "ConnectionClosed_AfterPreamble_IsConnectionException")]
    [TestCase("SSH-2.0-Trunc", TestName = "ConnectionClosed_InsideVersionLine_IsConnectionException")]
    public async Task ConnectionClosedBeforeBanner_IsConnectionException(string sentFirst)
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var server = ScriptedSshServer.Create();
        await server.SendRawAsync(Encoding.ASCII.GetBytes(sentFirst), cts.Token);
        server.CloseSending();

        var ex = Assert.ThrowsAsync<SshConnectionException>(async () => await server.StartClientAsync(server.ClientSettings(), cts.Token));
        Assert.That(ex!.ClosedBy, Is.EqualTo(ClosedBy.Network));
        Assert.That(ex.Reason, Is.EqualTo(DisconnectReason.ConnectionLost));
        Assert.That(ex.Message, Does.Contain("before sending its SSH version line"));
    }

    [Test]
    public async Task ConnectionReset_BeforeBanner_IsConnectionException()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await using var server = ScriptedSshServer.Create();
        await server.AbortAsync();
        var ex = Assert.ThrowsAsync<SshConnectionException>(async () => await server.StartClientAsync(server.ClientSettings(), cts.Token));
        Assert.That(ex!.ClosedBy, Is.EqualTo(ClosedBy.Network));
    }
}
