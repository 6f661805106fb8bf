using System.Buffers;
using System.Buffers.Binary;
using NativeSftp.Crypto;
using NativeSftp.Crypto.Ciphers;
using NativeSftp.Tests.Crypto.Ciphers;
using NativeSftp.Transport;
using NativeSftp.Wire;

namespace NativeSftp.Tests.Transport;

/// <summary>
/// <see cref="PacketEncoder"/> and <see cref="PacketDecoder"/> alone (RFC 4253 §6): round trips under every cipher,
/// "need more" for every strict prefix, packets split across buffer segments, and garbage refused with a protocol
/// exception rather than a hang or a huge allocation.
/// </summary>
[TestFixture]
public class PacketCodecTests
{
    /// <summary>Payload sizes around the block boundaries of 8 and 16 and a CHANNEL_DATA-sized one.</summary>
    private static readonly int[] PayloadSizes = [1, 2, 7, 8, 11, 12, 15, 16, 17, 31, 32, 33, 255, 1000, 32 * 1024 + 9];

    public static IEnumerable<TestCaseData> Ciphers()
    {
        yield return new TestCaseData(new object?[] { null }).SetArgDisplayNames("plaintext");
        foreach (CipherCase c in CipherCase.All())
        {
            yield return new TestCaseData(c).SetArgDisplayNames(c.ToString());
        }
    }

    [TestCaseSource(nameof(Ciphers))]
    public void RoundTrip_EveryPayloadSize_DecodesWhatWasEncoded(CipherCase? cipher)
    {
        var (encoder, decoder) = Create(cipher, new Random(1));
        using (encoder)
        using (decoder)
        {
            var random = new Random(2);
            foreach (int size in PayloadSizes)
            {
                byte[] payload = RandomPayload(random, size);
                byte[] wire = Encode(encoder, payload);
                AssertWellFormed(wire, cipher, size);

                var buffer = new ReadOnlySequence<byte>(wire);
                Assert.That(decoder.TryDecode(ref buffer, out InboundPacket packet), Is.True);
                using (packet)
                {
                    Assert.That(packet.Payload.ToArray(), Is.EqualTo(payload));
                }

                Assert.That(buffer.Length, Is.Zero, "the whole packet was consumed");
            }

            Assert.That(decoder.Sequence, Is.EqualTo((uint)PayloadSizes.Length));
            Assert.That(encoder.Sequence, Is.EqualTo((uint)PayloadSizes.Length));
            Assert.That(decoder.ByteCount, Is.EqualTo(encoder.ByteCount));
        }
    }

    [TestCaseSource(nameof(Ciphers))]
    public void OneByteAtATime_NeedsMoreUntilTheLastByte_ThenReturnsThePacket(CipherCase? cipher)
    {
        var (encoder, decoder) = Create(cipher, new Random(3));
        using (encoder)
        using (decoder)
        {
            byte[] payload = RandomPayload(new Random(4), 45);
            byte[] wire = Encode(encoder, payload);
            for (int n = 0; n < wire.Length; n++)
            {
                var partial = new ReadOnlySequence<byte>(wire, 0, n);
                Assert.That(decoder.TryDecode(ref partial, out _), Is.False, $"{n} of {wire.Length} bytes is not a packet");
                Assert.That(partial.Length, Is.EqualTo(n), "nothing is consumed while waiting");
            }

            // The last attempt: every byte in its own segment, so the multi-segment gather path opens it.
            var segmented = OneBytePerSegment(wire);
            Assert.That(decoder.TryDecode(ref segmented, out InboundPacket packet), Is.True);
            using (packet)
            {
                Assert.That(packet.Payload.ToArray(), Is.EqualTo(payload));
                Assert.That(packet.Sequence, Is.Zero);
            }
        }
    }

    [TestCaseSource(nameof(Ciphers))]
    public void SeveralPacketsInOneBuffer_DecodeInOrderWithSequenceNumbers(CipherCase? cipher)
    {
        var (encoder, decoder) = Create(cipher, new Random(5));
        using (encoder)
        using (decoder)
        {
            byte[][] payloads = [.. Enumerable.Range(0, 5).Select(i => RandomPayload(new Random(i), 10 + i * 37))];
            byte[] wire = [.. payloads.SelectMany(p => Encode(encoder, p))];
            var buffer = new ReadOnlySequence<byte>(wire);
            for (int i = 0; i < payloads.Length; i++)
            {
                Assert.That(decoder.TryDecode(ref buffer, out InboundPacket packet), Is.True);
                using (packet)
                {
                    Assert.That(packet.Payload.ToArray(), Is.EqualTo(payloads[i]));
                    Assert.That(packet.Sequence, Is.EqualTo((uint)i));
                }
            }

            Assert.That(decoder.TryDecode(ref buffer, out _), Is.False);
        }
    }

    [Test]
    public void StrictKexReset_BothSidesReset_StillOpens_OneSideOnly_IsMacError()
    {
        var cipher = new CipherCase("chacha20-poly1305@openssh.com", null);
        var (encoder, decoder) = Create(cipher, new Random(6));
        using (encoder)
        using (decoder)
        {
            Decode(decoder, Encode(encoder, [MessageNumbers.Ignore, 1]));
            encoder.ResetSequence();
            decoder.ResetSequence();
            Assert.That(Decode(decoder, Encode(encoder, [MessageNumbers.Ignore, 2])), Is.EqualTo(new byte[] { MessageNumbers.Ignore, 2 }));

            encoder.ResetSequence(); // the peer resets, we do not: the chacha nonce differs
            byte[] wire = Encode(encoder, [MessageNumbers.Ignore, 3]);
            var buffer = new ReadOnlySequence<byte>(wire);
            var ex = Assert.Throws<SshProtocolException>(() => decoder.TryDecode(ref buffer, out _));
            Assert.That(ex!.Reason, Is.AnyOf(DisconnectReason.MacError, DisconnectReason.ProtocolError));
        }
    }

    [TestCase(0u)]
    [TestCase(4u)]
    [TestCase((uint)PacketDecoder.MaxPacketLength + 8)]
    [TestCase(uint.MaxValue)]
    public void PlaintextLengthOutOfRange_IsProtocolErrorBeforeAnyBodyArrives(uint length)
    {
        using var decoder = new PacketDecoder(new PlaintextPacketCipher());
        byte[] prefix = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(prefix, length);
        var buffer = new ReadOnlySequence<byte>(prefix);
        var ex = Assert.Throws<SshProtocolException>(() => decoder.TryDecode(ref buffer, out _));
        Assert.That(ex!.Reason, Is.EqualTo(DisconnectReason.ProtocolError));
        Assert.That(ex.Message, Does.Contain($"bad packet length {length}"));
    }

    [Test]
    public void PlaintextLengthNotBlockAligned_IsProtocolError()
    {
        using var decoder = new PacketDecoder(new PlaintextPacketCipher());
        byte[] wire = new byte[4 + 13];
        BinaryPrimitives.WriteUInt32BigEndian(wire, 13); // 4 + 13 = 17, not a multiple of 8
        wire[4] = 4;
        var buffer = new ReadOnlySequence<byte>(wire);
        var ex = Assert.Throws<SshProtocolException>(() => decoder.TryDecode(ref buffer, out _));
        Assert.That(ex!.Message, Does.Contain("not a multiple of the cipher block size 8"));
    }

    [TestCaseSource(nameof(Ciphers))]
    public void Garbage_IsSshProtocolException(CipherCase? cipher)
    {
        var (encoder, decoder) = Create(cipher, new Random(7));
        using (encoder)
        using (decoder)
        {
            var random = new Random(8);
            for (int attempt = 0; attempt < 20; attempt++)
            {
                // Enough bytes for the largest length the decoder accepts, so it never just waits for more.
                byte[] garbage = new byte[PacketDecoder.MaxPacketLength + 4 + 64];
                random.NextBytes(garbage);
                if (cipher is null)
                {
                    // In plaintext only the length and padding are checked; make the length plausible so padding is.
                    BinaryPrimitives.WriteUInt32BigEndian(garbage, 28);
                    garbage[4] = (byte)(30 + random.Next(200));
                }

                var buffer = new ReadOnlySequence<byte>(garbage);
                Assert.Throws<SshProtocolException>(() => decoder.TryDecode(ref buffer, out _), $"attempt {attempt}");
            }
        }
    }

    private static (PacketEncoder Encoder, PacketDecoder Decoder) Create(CipherCase? cipher, Random random)
    {
        if (cipher is null)
        {
            return (new PacketEncoder(new PlaintextPacketCipher()), new PacketDecoder(new PlaintextPacketCipher()));
        }

        var (sealer, opener) = cipher.Create(random);
        return (new PacketEncoder(sealer), new PacketDecoder(opener));
    }

    private static byte[] RandomPayload(Random random, int size)
    {
        byte[] payload = new byte[size];
        random.NextBytes(payload);
        payload[0] = MessageNumbers.ChannelData;
        return payload;
    }

    private static byte[] Encode(PacketEncoder encoder, byte[] payload)
    {
        byte[] buffer = new byte[SshTransport.PacketOverhead + payload.Length];
        payload.CopyTo(buffer, PacketEncoder.HeaderSize);
        int total = encoder.Seal(buffer, payload.Length);
        return buffer[..total];
    }

    private static byte[] Decode(PacketDecoder decoder, byte[] wire)
    {
        var buffer = new ReadOnlySequence<byte>(wire);
        Assert.That(decoder.TryDecode(ref buffer, out InboundPacket packet), Is.True);
        using (packet)
        {
            return packet.Payload.ToArray();
        }
    }

    /// <summary>RFC 4253 §6 on the encoder's output: padding ≥ 4, aligned to the block, at least 16 bytes.</summary>
    private static void AssertWellFormed(byte[] wire, CipherCase? cipher, int payloadSize)
    {
        if (cipher is not null)
        {
            return; // encrypted: the decoder's round trip checks the shape
        }

        uint length = BinaryPrimitives.ReadUInt32BigEndian(wire);
        int padding = wire[4];
        Assert.That(length, Is.EqualTo((uint)(1 + payloadSize + padding)));
        Assert.That(padding, Is.InRange(4, 4 + 8 + 3));
        Assert.That((4 + length) % PlaintextPacketCipher.PlaintextBlockSize, Is.Zero);
        Assert.That(4 + length, Is.GreaterThanOrEqualTo(16u));
    }

    private static ReadOnlySequence<byte> OneBytePerSegment(byte[] bytes)
    {
        var first = new Segment(bytes.AsMemory(0, 1), 0);
        Segment last = first;
        for (int i = 1; i < bytes.Length; i++)
        {
            last = last.Append(bytes.AsMemory(i, 1));
        }

        return new ReadOnlySequence<byte>(first, 0, last, 1);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
