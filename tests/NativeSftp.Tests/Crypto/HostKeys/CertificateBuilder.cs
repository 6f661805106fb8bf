using NativeSftp.Wire;

namespace NativeSftp.Tests.Crypto.HostKeys;

/// <summary>
/// Writes certificate blobs field by field (PROTOCOL.certkeys layout) for the malformed-input tests, where
/// ssh-keygen would refuse to produce the broken field. The signature is a placeholder: these tests are about parsing.
/// </summary>
internal static class CertificateBuilder
{
    public static byte[] Build(byte[] caBlob, uint type = 2, string[]? principals = null, string[]? extensions = null, byte[]? signatureBlob = null)
    {
        return MalformedHostKeyTests.Blob(w =>
        {
            w.WriteAscii("ssh-ed25519-cert-v01@openssh.com");
            w.WriteString(new byte[32]);                      // nonce
            w.WriteString(caBlob.AsSpan(caBlob.Length - 32)); // any valid ed25519 point: reuse the CA's
            w.WriteUInt64(1);                                 // serial
            w.WriteUInt32(type);
            w.WriteUtf8("id");
            w.WriteString(MalformedHostKeyTests.Blob(p =>
            {
                foreach (string name in principals ?? ["host1"])
                {
                    p.WriteUtf8(name);
                }
            }));
            w.WriteUInt64(0);
            w.WriteUInt64(ulong.MaxValue);
            w.WriteString([]);                                // critical options
            w.WriteString(MalformedHostKeyTests.Blob(p =>
            {
                foreach (string name in extensions ?? [])
                {
                    p.WriteUtf8(name);
                    p.WriteString([]);
                }
            }));
            w.WriteString([]);                                // reserved
            w.WriteString(caBlob);
            w.WriteString(signatureBlob ?? HostKeySignatureTests.SignatureBlob("ssh-ed25519", new byte[64]));
        });
    }
}
