using NativeSftp.Auth;
using NativeSftp.Crypto;
using NativeSftp.Crypto.Keys;
using NativeSftp.Tests.Auth.KnownHosts;
using NativeSftp.Tests.Transport.ScriptedPeer;
using NativeSftp.Wire;

namespace NativeSftp.Tests.Auth.Scripted;

/// <summary>
/// The round trips a login costs. On a 50 ms path every one is 50 ms of every command: the "none" probe rides in the
/// same flight as SERVICE_REQUEST, and a key held in memory signs at once instead of asking first. A signer that is
/// not in memory (an agent's key, or a caller's own ISigner, maybe a hardware token) is still asked about first.
/// </summary>
[TestFixture]
public class LoginRoundTripTests
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(30);

    [Test]
    public async Task NoneProbe_GoesOutBeforeServiceAccept_AndAFileKeySignsAtOnce()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        using var folder = new KnownHostsTestFolder();
        using var key = PrivateKeyFile.Load(folder.Generate("ed", "ed25519"));
        await using var server = ScriptedSshServer.Create();
        await using var client = await server.ConnectClientAsync(cts.Token);
        var options = new AuthenticationOptions("user");
        options.Keys.Add(key);
        var login = new UserAuthClient(client, options).AuthenticateAsync(cts.Token);

        Assert.That(new SshReader(await server.ReceivePacketAsync(cts.Token)).ReadByte(), Is.EqualTo(MessageNumbers.ServiceRequest));
        // Nothing answered yet: the probe must already be on its way (the old client waited here, and this read timed out).
        var (method, _, _) = ReadUserauthRequest(await server.ReceivePacketAsync(cts.Token));
        Assert.That(method, Is.EqualTo("none"));
        await SendServiceAcceptAsync(server, cts.Token);
        await SendFailureAsync(server, "publickey", partial: false, cts.Token);

        var (next, signed, algorithm) = ReadUserauthRequest(await server.ReceivePacketAsync(cts.Token));
        Assert.That((next, signed, algorithm), Is.EqualTo(("publickey", true, "ssh-ed25519")), "the first publickey request already carries the signature");
        await server.SendPacketAsync(ScriptedSshServer.Payload(w => w.WriteByte(MessageNumbers.UserauthSuccess)), cts.Token);

        await login;
    }

    [Test]
    public async Task ASignerNotInMemory_IsAskedAboutFirst_AndSignsOnlyAfterPkOk()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        using var folder = new KnownHostsTestFolder();
        using var key = PrivateKeyFile.Load(folder.Generate("ed", "ed25519"));
        var signer = new CountingSigner(key);
        await using var server = ScriptedSshServer.Create();
        await using var client = await server.ConnectClientAsync(cts.Token);
        var options = new AuthenticationOptions("user");
        options.Keys.Add(signer);
        var login = new UserAuthClient(client, options).AuthenticateAsync(cts.Token);
        await AnswerServiceRequestAndNoneAsync(server, cts.Token);

        byte[] query = await server.ReceivePacketAsync(cts.Token);
        var (method, signed, algorithm) = ReadUserauthRequest(query);
        Assert.That((method, signed), Is.EqualTo(("publickey", false)));
        Assert.That(signer.Signatures, Is.Zero, "no signature before the server said the key would do");
        await server.SendPacketAsync(ScriptedSshServer.Payload(w =>
        {
            w.WriteByte(MessageNumbers.UserauthPkOk);
            w.WriteAscii(algorithm);
            w.WriteString(key.PublicKey.ToArray());
        }), cts.Token);

        var (_, signedNow, _) = ReadUserauthRequest(await server.ReceivePacketAsync(cts.Token));
        Assert.That(signedNow, Is.True);
        Assert.That(signer.Signatures, Is.EqualTo(1));
        await server.SendPacketAsync(ScriptedSshServer.Payload(w => w.WriteByte(MessageNumbers.UserauthSuccess)), cts.Token);
        await login;
    }

    [Test]
    public async Task PartialSuccessAfterADirectSignature_DoesNotSignAgainWithTheKeysNextAlgorithm()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        using var folder = new KnownHostsTestFolder();
        using var key = PrivateKeyFile.Load(folder.Generate("rsa", "rsa", 2048));
        await using var server = ScriptedSshServer.Create();
        await using var client = await server.ConnectClientAsync(cts.Token);
        var options = new AuthenticationOptions("user");
        options.Keys.Add(key);
        var login = new UserAuthClient(client, options).AuthenticateAsync(cts.Token);
        await AnswerServiceRequestAndNoneAsync(server, cts.Token);

        var (method, signed, algorithm) = ReadUserauthRequest(await server.ReceivePacketAsync(cts.Token));
        Assert.That((method, signed, algorithm), Is.EqualTo(("publickey", true, "rsa-sha2-512")));
        // The key was accepted; the server wants one more method (publickey with another key, or a password), and
        // this client has neither. Publickey is still listed, so only the partial-success flag stops the client from
        // signing again with the same key's rsa-sha2-256 (which would wait here for an answer until the timeout).
        await SendFailureAsync(server, "publickey,password", partial: true, cts.Token);

        var e = Assert.ThrowsAsync<SshAuthenticationException>(async () => await login);
        Assert.That(e!.Message, Does.Contain("the server allows [publickey,password]"));
        using var quiet = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);
        quiet.CancelAfter(TimeSpan.FromMilliseconds(300));
        Assert.That(async () => await server.ReceivePacketAsync(quiet.Token), Throws.InstanceOf<OperationCanceledException>(), "no second signature with the accepted key");
    }

    private static (string Method, bool Signed, string Algorithm) ReadUserauthRequest(byte[] packet)
    {
        var r = new SshReader(packet);
        Assert.That(r.ReadByte(), Is.EqualTo(MessageNumbers.UserauthRequest));
        r.ReadUtf8();
        r.ReadAscii();
        string method = r.ReadAscii();
        if (method != "publickey")
        {
            return (method, false, "");
        }

        bool signed = r.ReadBoolean();
        return (method, signed, r.ReadAscii());
    }

    /// <summary>Reads SERVICE_REQUEST and the "none" probe behind it, accepts the service and fails "none" (publickey allowed).</summary>
    private static async Task AnswerServiceRequestAndNoneAsync(ScriptedSshServer server, CancellationToken ct)
    {
        Assert.That(new SshReader(await server.ReceivePacketAsync(ct)).ReadByte(), Is.EqualTo(MessageNumbers.ServiceRequest));
        Assert.That(ReadUserauthRequest(await server.ReceivePacketAsync(ct)).Method, Is.EqualTo("none"));
        await SendServiceAcceptAsync(server, ct);
        await SendFailureAsync(server, "publickey", partial: false, ct);
    }

    private static Task SendServiceAcceptAsync(ScriptedSshServer server, CancellationToken ct) =>
        server.SendPacketAsync(ScriptedSshServer.Payload(w => { w.WriteByte(MessageNumbers.ServiceAccept); w.WriteAscii("ssh-userauth"); }), ct);

    private static Task SendFailureAsync(ScriptedSshServer server, string methods, bool partial, CancellationToken ct) =>
        server.SendPacketAsync(ScriptedSshServer.Payload(w => { w.WriteByte(MessageNumbers.UserauthFailure); w.WriteAscii(methods); w.WriteBoolean(partial); }), ct);

    /// <summary>A caller's own signer (not a key the library holds in memory), counting its signatures.</summary>
    private sealed class CountingSigner(ISigner inner) : ISigner
    {
        public int Signatures { get; private set; }

        public SshPublicKey PublicKey => inner.PublicKey;

        public IReadOnlyList<string> SignatureAlgorithms => inner.SignatureAlgorithms;

        public ValueTask<byte[]> SignAsync(string algorithm, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
        {
            Signatures++;
            return inner.SignAsync(algorithm, data, cancellationToken);
        }
    }
}
