using NativeSftp.Crypto;
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
