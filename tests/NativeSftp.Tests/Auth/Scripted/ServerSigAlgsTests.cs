using System.Text;
using NativeSftp.Auth;
using NativeSftp.Crypto.Keys;
using NativeSftp.Tests.Auth.KnownHosts;
using NativeSftp.Tests.Transport.ScriptedPeer;
using NativeSftp.Wire;

namespace NativeSftp.Tests.Auth.Scripted;

/// <summary>
/// server-sig-algs that does not list a key's algorithm. Found against the ssh2 Node.js library (1.17.0), which
/// sends "...,ecdsa-sha2-nistp521rsa-sha2-512,..." (a comma missing): we filtered by that list, so a P-521 key was
/// never offered, and login failed where OpenSSH's client logs in. The list is a hint, not a promise: a key none of
/// whose algorithms it names is still tried with its own.
/// </summary>
[TestFixture]
public class ServerSigAlgsTests
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(30);

    [Test]
    public async Task AKeyTheListDoesNotName_IsStillOffered_WithItsOwnAlgorithm()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        using var folder = new KnownHostsTestFolder();
        using var key = PrivateKeyFile.Load(folder.Generate("p521", "ecdsa", 521));
        await using var server = ScriptedSshServer.Create();
        await using var client = await server.ConnectClientAsync(cts.Token);
        // ssh2 1.17.0's list, as sent.
        await server.SendPacketAsync(ScriptedSshServer.Payload(w =>
        {
            w.WriteByte(MessageNumbers.ExtInfo);
            w.WriteUInt32(1);
            w.WriteAscii("server-sig-algs");
            w.WriteString(Encoding.ASCII.GetBytes("ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521rsa-sha2-512,rsa-sha2-256,ssh-rsa"));
        }), cts.Token);

        var options = new AuthenticationOptions("user");
        options.Keys.Add(key);
        var login = new UserAuthClient(client, options).AuthenticateAsync(cts.Token);

        var service = new SshReader(await server.ReceivePacketAsync(cts.Token));
        Assert.That(service.ReadByte(), Is.EqualTo(MessageNumbers.ServiceRequest));
        await server.SendPacketAsync(ScriptedSshServer.Payload(w => { w.WriteByte(MessageNumbers.ServiceAccept); w.WriteAscii("ssh-userauth"); }), cts.Token);

        string? offered = null;
        while (true)
        {
            var r = new SshReader(await server.ReceivePacketAsync(cts.Token));
            Assert.That(r.ReadByte(), Is.EqualTo(MessageNumbers.UserauthRequest));
            r.ReadUtf8();
            r.ReadAscii();
            string method = r.ReadAscii();
            if (method == "none")
            {
                await server.SendPacketAsync(ScriptedSshServer.Payload(w => { w.WriteByte(MessageNumbers.UserauthFailure); w.WriteAscii("publickey"); w.WriteBoolean(false); }), cts.Token);
                continue;
            }

            Assert.That(method, Is.EqualTo("publickey"));
            bool signed = r.ReadBoolean();
            offered = r.ReadAscii();
            byte[] blob = r.ReadString().ToArray();
            if (!signed)
            {
                await server.SendPacketAsync(ScriptedSshServer.Payload(w => { w.WriteByte(MessageNumbers.UserauthPkOk); w.WriteAscii(offered); w.WriteString(blob); }), cts.Token);
                continue;
            }

            await server.SendPacketAsync(ScriptedSshServer.Payload(w => w.WriteByte(MessageNumbers.UserauthSuccess)), cts.Token);
            break;
        }

        await login;
        Assert.That(offered, Is.EqualTo("ecdsa-sha2-nistp521"));
    }
}
