using System.Buffers;
using System.Text;
using NativeSftp.Crypto;
using NativeSftp.Wire;

namespace NativeSftp.Auth.Agent;

/// <summary>One identity from SSH_AGENT_IDENTITIES_ANSWER: the key blob and the comment the agent stored with it.</summary>
internal readonly record struct AgentIdentity(SshPublicKey PublicKey, string Comment);

/// <summary>
/// The ssh-agent messages the client sends and reads (draft-miller-ssh-agent §3, OpenSSH PROTOCOL.agent). Every
/// message travels as <c>uint32 length || byte type || contents</c>, the length counting the type byte and contents.
/// Encoders write a whole frame; decoders take one message (type byte first, length already removed).
/// </summary>
internal static class AgentMessages
{
    public const byte Failure = 5;              // SSH_AGENT_FAILURE
    public const byte RequestIdentities = 11;   // SSH_AGENTC_REQUEST_IDENTITIES
    public const byte IdentitiesAnswer = 12;    // SSH_AGENT_IDENTITIES_ANSWER
    public const byte SignRequest = 13;         // SSH_AGENTC_SIGN_REQUEST
    public const byte SignResponse = 14;        // SSH_AGENT_SIGN_RESPONSE

    /// <summary>SSH2_AGENT_FAILURE, the pre-draft number some old agents still answer with (OpenSSH authfd.c agent_failed).</summary>
    public const byte LegacySsh2Failure = 30;

    /// <summary>ssh.com ssh-agent2's failure code, likewise accepted as a refusal by OpenSSH's client.</summary>
    public const byte SshComFailure = 102;

    /// <summary>Bytes in the big-endian uint32 that precedes every message.</summary>
    public const int LengthPrefixSize = 4;

    /// <summary>
    /// Largest message either side may send: 256 * 1024 = 262,144 bytes, OpenSSH's MAX_AGENT_REPLY_LEN (authfd.c) for
    /// replies and AGENT_MAX_LEN (ssh-agent.c) for requests; the agent drops a client whose request is longer.
    /// An identities answer with the maximum 2048 keys of ~1 KiB each (a 4096-bit RSA certificate) stays well under.
    /// </summary>
    public const int MaxMessageLength = 256 * 1024;

    /// <summary>Most identities accepted in one answer: OpenSSH's MAX_AGENT_IDENTITIES (authfd.c).</summary>
    public const int MaxIdentities = 2048;

    /// <summary>Smallest encoding of one identity: an empty key blob and an empty comment, 4 + 4 bytes.</summary>
    private const int MinIdentitySize = 4 + 4;

    /// <summary>The three refusal codes OpenSSH's client treats alike (authfd.c agent_failed).</summary>
    public static bool IsFailure(byte type) => type is Failure or LegacySsh2Failure or SshComFailure;

    /// <summary>SSH_AGENTC_REQUEST_IDENTITIES (§3.5): just the type byte.</summary>
    public static void WriteRequestIdentities(IBufferWriter<byte> output)
    {
        var w = new SshWriter(output);
        w.WriteUInt32(1);
        w.WriteByte(RequestIdentities);
    }

    /// <summary>
    /// SSH_AGENTC_SIGN_REQUEST (§3.6): <c>byte 13 || string key blob || string data || uint32 flags</c>. Data that
    /// would push the message past <see cref="MaxMessageLength"/> throws <see cref="ArgumentException"/> before
    /// anything is written, since the agent would drop the connection instead of answering.
    /// </summary>
    public static void WriteSignRequest(IBufferWriter<byte> output, ReadOnlySpan<byte> keyBlob, ReadOnlySpan<byte> data, uint flags)
    {
        long length = 1L + 4 + keyBlob.Length + 4 + data.Length + 4;
        if (length > MaxMessageLength)
        {
            throw new ArgumentException(
                $"a sign request of {length} bytes exceeds the agent's {MaxMessageLength}-byte message limit", nameof(data));
        }

        var w = new SshWriter(output);
        w.WriteUInt32((uint)length);
        w.WriteByte(SignRequest);
        w.WriteString(keyBlob);
        w.WriteString(data);
        w.WriteUInt32(flags);
    }

    /// <summary>
    /// SSH_AGENT_IDENTITIES_ANSWER (§3.5): <c>byte 12 || uint32 nkeys || nkeys * (string key blob || string comment)</c>.
    /// A count above <see cref="MaxIdentities"/> or above what the message could hold is refused before any list is
    /// allocated. Keys of a supported type are parsed fully; other types are kept as they are.
    /// </summary>
    public static List<AgentIdentity> ReadIdentitiesAnswer(ReadOnlySpan<byte> message)
    {
        try
        {
            var r = new SshReader(message);
            ExpectType(ref r, IdentitiesAnswer, "SSH_AGENT_IDENTITIES_ANSWER");
            uint count = r.ReadUInt32();
            if (count > MaxIdentities)
            {
                throw new AgentException($"ssh-agent listed {count} keys; at most {MaxIdentities} are accepted") { ConnectionBroken = true };
            }

            if (count > (uint)(r.Remaining / MinIdentitySize))
            {
                throw new AgentException($"ssh-agent listed {count} keys in a {message.Length}-byte answer that cannot hold them") { ConnectionBroken = true };
            }

            var identities = new List<AgentIdentity>((int)count);
            for (int i = 0; i < count; i++)
            {
                var blob = r.ReadString();
                var key = new SshPublicKey(blob);
                if (AgentKeyAlgorithms.IsSupported(key.KeyType))
                {
                    AgentKeyAlgorithms.Validate(key.KeyType, blob);
                }

                // The comment is whatever the key file said; a stray non-UTF-8 byte there should not hide the key,
                // so it is decoded leniently (invalid bytes become U+FFFD).
                string comment = Encoding.UTF8.GetString(r.ReadString());
                identities.Add(new AgentIdentity(key, comment));
            }

            r.EnsureAtEnd("SSH_AGENT_IDENTITIES_ANSWER");
            return identities;
        }
        catch (SshProtocolException e)
        {
            throw Malformed("SSH_AGENT_IDENTITIES_ANSWER", e);
        }
    }

    /// <summary>
    /// SSH_AGENT_SIGN_RESPONSE (§3.6): <c>byte 14 || string signature</c>. The signature blob must be
    /// <c>string name || string bytes</c> with exactly <paramref name="expectedSignatureName"/>: an agent that
    /// ignored the flags would otherwise slip a SHA-1 ssh-rsa signature past us (OpenSSH checks the same,
    /// sshkey_check_sigtype). Returns a copy of the blob.
    /// </summary>
    public static byte[] ReadSignResponse(ReadOnlySpan<byte> message, string expectedSignatureName)
    {
        try
        {
            var r = new SshReader(message);
            ExpectType(ref r, SignResponse, "SSH_AGENT_SIGN_RESPONSE");
            var signature = r.ReadString();
            r.EnsureAtEnd("SSH_AGENT_SIGN_RESPONSE");

            var s = new SshReader(signature);
            string name = s.ReadAscii();
            s.ReadString();
            s.EnsureAtEnd("agent signature blob");
            if (!string.Equals(name, expectedSignatureName, StringComparison.Ordinal))
            {
                throw new AgentException($"ssh-agent returned a '{name}' signature where '{expectedSignatureName}' was requested");
            }

            return signature.ToArray();
        }
        catch (SshProtocolException e)
        {
            throw Malformed("SSH_AGENT_SIGN_RESPONSE", e);
        }
    }

    private static void ExpectType(ref SshReader r, byte expected, string name)
    {
        byte type = r.ReadByte();
        if (type != expected)
        {
            throw new AgentException($"ssh-agent answered with message type {type} where {name} ({expected}) was expected") { ConnectionBroken = true };
        }
    }

    private static AgentException Malformed(string what, SshProtocolException e) =>
        new($"ssh-agent sent a malformed {what}: {e.Message}", e) { ConnectionBroken = true };
}
