using System.Security.Cryptography;
using System.Text;
using NativeSftp.Connection;
using NativeSftp.Tests.Fixtures;
using NativeSftp.Transport;
using static NativeSftp.Tests.Transport.TransportTestHelpers;

namespace NativeSftp.Tests.Transport;

/// <summary>sshd with RekeyLimit 64K re-keys every 64 KiB in each direction: a long stream must come through intact.</summary>
[TestFixture]
public class RekeyStormTests
{
    private const int StreamSize = 24 << 20;

    /// <summary>
    /// Re-keys we insist on per direction. sshd checks its limit between bursts of work, so how often it re-keys
    /// depends on load (15 to 55 for 24 MiB seen here); 5 is well above a normal run's none and below any of those.
    /// </summary>
    private const int MinRekeys = 5;

    [TestCase("aes128-gcm@openssh.com", null)]
    [TestCase("chacha20-poly1305@openssh.com", null)]
    [TestCase("aes256-ctr", "hmac-sha2-256-etm@openssh.com")]
    public async Task ServerInitiatedRekeyStorm_UnderLongStreams_LosesNothing(string cipher, string? mac)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await using var sshd = await SshdServer.StartAsync(o => o.ConfigLines.Add("RekeyLimit 64K"));
        var settings = Settings(sshd);
        settings.Ciphers = [cipher];
        if (mac is not null)
        {
            settings.Macs = [mac];
        }

        // Our own limit stays at the default, so every re-key here is the server's.
        var t = await SshTransport.ConnectAsync(settings, SshTransport.DefaultConnectTimeout, cts.Token);
        await AuthenticateAsync(t, cts.Token);
        await using var c = new SshConnection(t);

        // Upload direction: stream into sha256sum and compare digests.
        await using (var ch = await c.ExecAsync("sha256sum", cts.Token))
        {
            var reading = ReadAllAsync(ch, cts.Token);
            byte[] chunk = new byte[256 * 1024];
            var rng = new Random(42);
            using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            for (int sent = 0; sent < StreamSize; sent += chunk.Length)
            {
                rng.NextBytes(chunk);
                h.AppendData(chunk);
                await ch.WriteAsync(chunk, cts.Token);
            }

            await ch.SendEofAsync(cts.Token);
            string output = Encoding.ASCII.GetString(await reading);
            Assert.That(output.Split(' ')[0], Is.EqualTo(Convert.ToHexStringLower(h.GetHashAndReset())));
        }

        int afterUpload = t.KeyExchangeCount;
        Assert.That(afterUpload, Is.GreaterThanOrEqualTo(MinRekeys), "the server re-keyed many times during the upload");

        // Download direction: a known repeating stream from the server, checked byte by byte.
        await using (var ch = await c.ExecAsync($"yes abcdefghijklmnopqrstuvwxyz0123456789 | head -c {StreamSize}", cts.Token))
        {
            byte[] data = await ReadAllAsync(ch, cts.Token);
            Assert.That(data, Has.Length.EqualTo(StreamSize));
            byte[] line = Encoding.ASCII.GetBytes("abcdefghijklmnopqrstuvwxyz0123456789\n");
            for (int i = 0; i < data.Length; i++)
            {
                if (data[i] != line[i % line.Length])
                {
                    Assert.Fail($"byte {i} differs");
                }
            }
        }

        Assert.That(t.KeyExchangeCount, Is.GreaterThanOrEqualTo(afterUpload + MinRekeys), "and again during the download");
        Assert.That(t.Failure, Is.Null);
    }

    private static async Task<byte[]> ReadAllAsync(SshChannel ch, CancellationToken ct)
    {
        var ms = new MemoryStream();
        byte[] buffer = new byte[64 * 1024];
        int n;
        while ((n = await ch.ReadAsync(buffer, ct)) > 0)
        {
            ms.Write(buffer, 0, n);
        }

        return ms.ToArray();
    }
}
