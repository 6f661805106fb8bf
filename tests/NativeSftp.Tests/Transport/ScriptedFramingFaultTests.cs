using System.Buffers.Binary;
using NativeSftp.Tests.Transport.ScriptedPeer;
using NativeSftp.Transport;
using NativeSftp.Wire;

namespace NativeSftp.Tests.Transport;

/// <summary>
/// Damaged binary packets (RFC 4253 §6) fed to the client after key exchange: each ends the connection with a clear
/// reason, the client's <see cref="SshTransport.Failure"/> set, its <see cref="SshTransport.Completion"/> done, and
/// nothing left hanging.
/// </summary>
[TestFixture]
public class ScriptedFramingFaultTests
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Bytes sent after a packet whose length was damaged, so a longer length still finds enough bytes to check the
    /// tag instead of waiting: the flip below changes the length by 16, the filler is four times that.
    /// </summary>
    private const int Filler = 64;

    /// <summary>Flipping this bit of the last length byte changes the length by 16: still a multiple of every block size.</summary>
    private const byte LengthBit = 0x10;

    /// <summary>
    /// What the failure path may allocate (exceptions, the DISCONNECT, other threads' noise): 16 MiB, far from the
    /// 2 GiB a buffer sized from the absurd length would take, so the check cannot pass by luck or fail by noise.
    /// </summary>
    private const long AllocationBudget = 16L * 1024 * 1024;

    private static readonly string[] Ciphers = ["aes256-gcm@openssh.com", "chacha20-poly1305@openssh.com", "aes128-ctr"];

    public enum Damage { Length, Payload, Mac }

    [Test]
    public async Task FlippedBit_IsMacError([ValueSource(nameof(Ciphers))] string cipher, [Values] Damage damage)
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        var (server, client) = await ConnectAsync(cipher, cts.Token);
        await using (server)
        await using (client)
        {
            byte[] packet = server.SealPacket(StrictKexTests.GlobalRequest("damaged in transit"));
            int index = damage switch
            {
                Damage.Length => 3,
                Damage.Payload => 4 + 8,
                _ => packet.Length - 1,
            };
            packet[index] ^= damage == Damage.Length ? LengthBit : (byte)0x01;
            await server.SendRawAsync((byte[])[.. packet, .. new byte[Filler]], cts.Token);

            var ex = await ExpectFailureAsync(client, cts.Token);
            Assert.That(ex.Reason, Is.EqualTo(DisconnectReason.MacError), ex.Message);
            Assert.That(ex.ClosedBy, Is.EqualTo(ClosedBy.Client));
            var told = await server.ExpectDisconnectAsync(cts.Token);
            Assert.That(told.Reason, Is.EqualTo(DisconnectReason.MacError), "the client tells the server why");
        }
    }

    [TestCase("aes256-gcm@openssh.com")]
    [TestCase("chacha20-poly1305@openssh.com")]
    public async Task AbsurdPacketLength_IsProtocolErrorWithoutAllocatingIt(string cipher)
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        var (server, client) = await ConnectAsync(cipher, cts.Token);
        await using (server)
        await using (client)
        {
            // 2 GiB - 16: a multiple of every block size, so only the bound can refuse it.
            const uint Absurd = 0x7FFF_FFF0;
            byte[] packet = server.SealPacket(StrictKexTests.GlobalRequest("huge"));
            SetEncryptedLength(packet, server.MacLength, Absurd);
            long before = GC.GetTotalAllocatedBytes(precise: true);
            await server.SendRawAsync(packet, cts.Token);

            var ex = await ExpectFailureAsync(client, cts.Token);
            long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
            Assert.That(ex.Reason, Is.EqualTo(DisconnectReason.ProtocolError));
            Assert.That(ex.Message, Does.Contain($"bad packet length {Absurd}"));
            Assert.That(allocated, Is.LessThan(AllocationBudget), "no buffer was sized from the claimed length");
        }
    }

    [TestCase("aes256-gcm@openssh.com", 3)]
    [TestCase("chacha20-poly1305@openssh.com", 3)]
    [TestCase("aes256-gcm@openssh.com", 0)]
    public async Task PaddingLengthUnderFour_IsProtocolError(string cipher, int padding)
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        var (server, client) = await ConnectAsync(cipher, cts.Token);
        await using (server)
        await using (client)
        {
            // padding_length + payload + padding = 16 bytes, block-aligned for both AEADs (the length is excluded).
            byte[] payload = new byte[16 - 1 - padding];
            payload[0] = MessageNumbers.Ignore;
            await server.SendRawAsync(server.SealPacket(payload, paddingLength: padding), cts.Token);

            var ex = await ExpectFailureAsync(client, cts.Token);
            Assert.That(ex.Reason, Is.EqualTo(DisconnectReason.ProtocolError));
            Assert.That(ex.Message, Does.Contain($"bad padding length {padding}"));
        }
    }

    [Test]
    public async Task PaddingLeavingNoPayload_IsProtocolError()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        var (server, client) = await ConnectAsync("aes256-gcm@openssh.com", cts.Token);
        await using (server)
        await using (client)
        {
            await server.SendRawAsync(server.SealPacket([], paddingLength: 15), cts.Token);

            var ex = await ExpectFailureAsync(client, cts.Token);
            Assert.That(ex.Reason, Is.EqualTo(DisconnectReason.ProtocolError));
            Assert.That(ex.Message, Does.Contain("bad padding length 15"));
        }
    }

    [TestCase("aes256-gcm@openssh.com")]
    [TestCase("chacha20-poly1305@openssh.com")]
    public async Task ConnectionClosedMidPacket_IsConnectionExceptionSayingSo(string cipher)
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        var (server, client) = await ConnectAsync(cipher, cts.Token);
        await using (server)
        await using (client)
        {
            byte[] packet = server.SealPacket(StrictKexTests.GlobalRequest("cut short"));
            await server.SendRawAsync(packet.AsMemory(0, packet.Length / 2), cts.Token);
            server.CloseSending();

            var ex = await ExpectFailureAsync(client, cts.Token);
            Assert.That(ex.ClosedBy, Is.EqualTo(ClosedBy.Network));
            Assert.That(ex.Reason, Is.EqualTo(DisconnectReason.ConnectionLost));
            Assert.That(ex.Message, Does.Contain("in the middle of a packet"));
            Assert.That(ex.Message, Does.Contain($"{packet.Length / 2} bytes"));
        }
    }

    [Test]
    public async Task ConnectionClosedBetweenPackets_IsConnectionExceptionWithoutDisconnect()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        var (server, client) = await ConnectAsync("aes256-gcm@openssh.com", cts.Token);
        await using (server)
        await using (client)
        {
            server.CloseSending();

            var ex = await ExpectFailureAsync(client, cts.Token);
            Assert.That(ex.ClosedBy, Is.EqualTo(ClosedBy.Network));
            Assert.That(ex.Message, Does.Contain("without a DISCONNECT"));
        }
    }

    [Test]
    public async Task Garbage_AfterKeyExchange_FailsWithoutHanging()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        var (server, client) = await ConnectAsync("aes256-gcm@openssh.com", cts.Token);
        await using (server)
        await using (client)
        {
            // Random bytes: the (clear) length is out of range or misaligned, or the tag fails once enough arrives.
            var random = new Random(4253);
            byte[] garbage = new byte[PacketDecoder.MaxPacketLength + 1024];
            random.NextBytes(garbage);
            await server.SendRawAsync(garbage, cts.Token);

            var ex = await ExpectFailureAsync(client, cts.Token);
            Assert.That(ex.Reason, Is.AnyOf(DisconnectReason.ProtocolError, DisconnectReason.MacError));
            Assert.That(ex.ClosedBy, Is.EqualTo(ClosedBy.Client));
        }
    }

    private static async Task<(ScriptedSshServer Server, SshTransport Client)> ConnectAsync(string cipher, CancellationToken ct)
    {
        var server = ScriptedSshServer.Create();
        var accept = server.AcceptAsync(new ServerKexOptions(), ct);
        var client = await server.StartClientAsync(server.ClientSettings(cipher), ct);
        await accept;
        return (server, client);
    }

    /// <summary>The failure as a waiting reader sees it; it must be the recorded one, and the connection must be done.</summary>
    private static async Task<SshConnectionException> ExpectFailureAsync(SshTransport client, CancellationToken ct)
    {
        var ex = Assert.ThrowsAsync<SshConnectionException>(async () => await client.Incoming.ReceiveAsync(ct));
        await client.Completion.WaitAsync(ct);
        Assert.That(client.Failure, Is.SameAs(ex));
        return ex!;
    }

    /// <summary>
    /// Rewrites the packet_length of a sealed packet. AES-GCM sends it in the clear; chacha20-poly1305 encrypts it with
    /// a stream cipher, so XOR-ing the difference into the ciphertext sets the plaintext the client will decrypt.
    /// Either way the tag no longer matches, but the bound check must refuse the length before the tag is checked.
    /// </summary>
    private static void SetEncryptedLength(byte[] packet, int macLength, uint length)
    {
        uint actual = (uint)(packet.Length - 4 - macLength);
        uint current = BinaryPrimitives.ReadUInt32BigEndian(packet);
        uint plainXorCipher = current ^ actual; // 0 for GCM, the keystream for chacha
        BinaryPrimitives.WriteUInt32BigEndian(packet, length ^ plainXorCipher);
    }
}
