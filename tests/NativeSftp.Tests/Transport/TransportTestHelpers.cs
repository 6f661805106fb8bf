using NativeSftp.Auth;
using NativeSftp.Crypto;
using NativeSftp.Crypto.Keys;
using NativeSftp.Tests.Fixtures;
using NativeSftp.Transport;
using NativeSftp.Wire;

namespace NativeSftp.Tests.Transport;

internal static class TransportTestHelpers
{
    public static TransportSettings Settings(SshdServer sshd, IHostKeyVerifier? verifier = null) => new()
    {
        Host = sshd.Host,
        Port = sshd.Port,
        HostKeyVerifier = verifier ?? PinnedHostKeyVerifier.ForFixture(),
    };

    /// <summary>Logs in with the fixture's ed25519 user key.</summary>
    public static async Task AuthenticateAsync(SshTransport t, CancellationToken ct)
    {
        using var key = PrivateKeyFile.Load(SshdServer.Keys.UserEd25519);
        var options = new AuthenticationOptions(Environment.UserName);
        options.Keys.Add(key);
        await new UserAuthClient(t, options).AuthenticateAsync(ct);
    }

    /// <summary>keepalive@openssh.com with want-reply: OpenSSH answers REQUEST_FAILURE, which proves both directions.</summary>
    public static async Task<byte> GlobalRequestRoundTripAsync(SshTransport t, CancellationToken ct)
    {
        using var w = new PooledBufferWriter();
        var sw = new SshWriter(w);
        sw.WriteByte(MessageNumbers.GlobalRequest);
        sw.WriteAscii("keepalive@openssh.com");
        sw.WriteBoolean(true);
        await t.SendAsync(w.WrittenMemory, ct);
        while (true)
        {
            byte[] reply = await t.Incoming.ReceiveAsync(ct);
            if (reply[0] is MessageNumbers.RequestFailure or MessageNumbers.RequestSuccess)
            {
                return reply[0];
            }
        }
    }

    /// <summary>
    /// Proves both directions work under the current keys: SERVICE_REQUEST ssh-userauth → SERVICE_ACCEPT, or (after
    /// that) a USERAUTH_REQUEST "none" → USERAUTH_FAILURE listing methods.
    /// </summary>
    public static async Task<byte> RoundTripAsync(SshTransport t, bool serviceRequested, CancellationToken ct)
    {
        using var w = new PooledBufferWriter();
        var sw = new SshWriter(w);
        if (!serviceRequested)
        {
            sw.WriteByte(MessageNumbers.ServiceRequest);
            sw.WriteAscii("ssh-userauth");
        }
        else
        {
            sw.WriteByte(MessageNumbers.UserauthRequest);
            sw.WriteUtf8(Environment.UserName);
            sw.WriteAscii("ssh-connection");
            sw.WriteAscii("none");
        }

        await t.SendAsync(w.WrittenMemory, ct);
        while (true)
        {
            byte[] reply = await t.Incoming.ReceiveAsync(ct);
            if (reply[0] == MessageNumbers.UserauthBanner)
            {
                continue;
            }

            return reply[0];
        }
    }
}
