using NativeSftp.Wire;

namespace NativeSftp.Crypto.HostKeys;

/// <summary>
/// An OpenSSH certificate (PROTOCOL.certkeys), every field parsed:
/// <code>
/// string    "ssh-ed25519-cert-v01@openssh.com" | "ecdsa-sha2-nistpN-cert-v01@openssh.com" | "ssh-rsa-cert-v01@openssh.com"
/// string    nonce
/// ...       the plain key's fields (ed25519: string pk | ecdsa: string curve, string Q | rsa: mpint e, mpint n)
/// uint64    serial
/// uint32    type (1 user, 2 host)
/// string    key id
/// string    valid principals (a sequence of string)
/// uint64    valid after   (seconds since the epoch)
/// uint64    valid before  (0xffffffffffffffff = forever)
/// string    critical options (a sequence of string name, string data)
/// string    extensions       (same layout)
/// string    reserved
/// string    signature key (the CA's plain public key blob)
/// string    signature     (string algorithm, string sig) over every preceding byte
/// </code>
/// Parsing checks structure only. <see cref="VerifySignature"/> checks the CA's signature; whether the CA is trusted
/// for this host, and whether the certificate is current and names the host, is the known_hosts layer's decision
/// (<see cref="IsValidAt"/>, <see cref="HasPrincipal"/> help it).
/// </summary>
public sealed class SshCertificate
{
    /// <summary>The suffix every certificate key type carries (PROTOCOL.certkeys).</summary>
    public const string CertificateSuffix = "-cert-v01@openssh.com";

    /// <summary>valid_before meaning "never expires" (PROTOCOL.certkeys: 0xffffffffffffffff).</summary>
    public const ulong Forever = ulong.MaxValue;

    /// <summary>OpenSSH's SSHKEY_CERT_MAX_PRINCIPALS: at most 256 principals; more is refused as malformed.</summary>
    public const int MaxPrincipals = 256;

    private readonly byte[] _blob;
    private readonly int _signedLength;
    private readonly byte[] _signatureBlob;

    private SshCertificate(byte[] blob, int signedLength, byte[] signatureBlob)
    {
        _blob = blob;
        _signedLength = signedLength;
        _signatureBlob = signatureBlob;
    }

    /// <summary>The certificate's key type, e.g. <c>ssh-rsa-cert-v01@openssh.com</c>.</summary>
    public string CertificateKeyType { get; private init; } = "";

    public ReadOnlyMemory<byte> Nonce { get; private init; }

    /// <summary>The certified key rebuilt as its own plain blob (e.g. <c>ssh-ed25519</c>).</summary>
    public SshPublicKey CertifiedKey { get; private init; } = null!;

    public ulong Serial { get; private init; }

    public SshCertificateType Type { get; private init; }

    public string KeyId { get; private init; } = "";

    /// <summary>The principals (host names for a host certificate) in the order the CA listed them.</summary>
    public IReadOnlyList<string> ValidPrincipals { get; private init; } = [];

    /// <summary>Seconds since the Unix epoch from which the certificate is valid (inclusive).</summary>
    public ulong ValidAfter { get; private init; }

    /// <summary>Seconds since the Unix epoch at which the certificate stops being valid (exclusive); <see cref="Forever"/> for no end.</summary>
    public ulong ValidBefore { get; private init; }

    public IReadOnlyList<SshCertificateOption> CriticalOptions { get; private init; } = [];

    public IReadOnlyList<SshCertificateOption> Extensions { get; private init; } = [];

    public ReadOnlyMemory<byte> Reserved { get; private init; }

    /// <summary>The CA's public key.</summary>
    public SshPublicKey SignatureKey { get; private init; } = null!;

    /// <summary>The algorithm the CA signed with, from the signature blob (e.g. <c>rsa-sha2-512</c>).</summary>
    public string SignatureAlgorithm { get; private init; } = "";

    /// <summary>The CA's signature blob: <c>string</c> algorithm || <c>string</c> signature.</summary>
    public ReadOnlySpan<byte> Signature => _signatureBlob;

    /// <summary>The whole certificate blob as parsed.</summary>
    public ReadOnlySpan<byte> Blob => _blob;

    /// <summary>The certified key, parsed, for verifying the host's signature without parsing again.</summary>
    internal VerifyingKey CertifiedVerifyingKey { get; private init; } = null!;

    /// <summary>The plain key type a certificate key type wraps, or null when it is not a certificate type we know.</summary>
    public static string? PlainKeyTypeOf(string certificateKeyType) => certificateKeyType switch
    {
        "ssh-ed25519-cert-v01@openssh.com" => VerifyingKey.Ed25519KeyType,
        "ecdsa-sha2-nistp256-cert-v01@openssh.com" => VerifyingKey.EcdsaNistP256KeyType,
        "ecdsa-sha2-nistp384-cert-v01@openssh.com" => VerifyingKey.EcdsaNistP384KeyType,
        "ecdsa-sha2-nistp521-cert-v01@openssh.com" => VerifyingKey.EcdsaNistP521KeyType,
        "ssh-rsa-cert-v01@openssh.com" => VerifyingKey.RsaKeyType,
        _ => null,
    };

    /// <summary>
    /// Parses a certificate blob. A truncated or over-long blob, an unknown certificate or certificate type, a
    /// malformed certified key, a CA key that is itself a certificate, or a malformed signature blob throws
    /// <see cref="SshProtocolException"/>. The CA's signature is not checked here; call <see cref="VerifySignature"/>.
    /// </summary>
    public static SshCertificate Parse(ReadOnlySpan<byte> blob)
    {
        var reader = new SshReader(blob);
        string certType = reader.ReadAscii();
        string plainType = PlainKeyTypeOf(certType)
            ?? throw new SshProtocolException(DisconnectReason.KeyExchangeFailed, $"'{certType}' is not a supported certificate type");

        var nonce = reader.ReadString();
        var certifiedKey = VerifyingKey.ReadFields(plainType, ref reader);
        ulong serial = reader.ReadUInt64();
        uint type = reader.ReadUInt32();
        if (type != (uint)SshCertificateType.User && type != (uint)SshCertificateType.Host)
        {
            throw new SshProtocolException(DisconnectReason.KeyExchangeFailed, $"certificate of unknown type {type}");
        }

        string keyId = ReadCString(ref reader, "key id");
        var principals = ReadPrincipals(reader.ReadString());
        ulong validAfter = reader.ReadUInt64();
        ulong validBefore = reader.ReadUInt64();
        var critical = ReadOptions(reader.ReadString(), "critical option");
        var extensions = ReadOptions(reader.ReadString(), "extension");
        var reserved = reader.ReadString();

        var caBlob = reader.ReadString();
        var caKey = new SshPublicKey(caBlob);

        // PROTOCOL.certkeys: the signature key may not be a certificate. Chains would let a leaf CA hide behind a
        // trusted one without the trust layer ever seeing it, so OpenSSH refuses them and so do we.
        if (caKey.KeyType.EndsWith(CertificateSuffix, StringComparison.Ordinal))
        {
            throw new SshProtocolException(DisconnectReason.KeyExchangeFailed, "certificate is signed by a key that is itself a certificate");
        }

        int signedLength = reader.Position;
        var signatureBlob = reader.ReadString();
        reader.EnsureAtEnd("certificate");

        var sigReader = new SshReader(signatureBlob);
        string signatureAlgorithm = sigReader.ReadAscii();
        sigReader.ReadString();
        sigReader.EnsureAtEnd("certificate signature");

        byte[] copy = blob.ToArray();
        return new SshCertificate(copy, signedLength, signatureBlob.ToArray())
        {
            CertificateKeyType = certType,
            Nonce = nonce.ToArray(),
            CertifiedVerifyingKey = certifiedKey,
            CertifiedKey = new SshPublicKey(certifiedKey.ToBlob()),
            Serial = serial,
            Type = (SshCertificateType)type,
            KeyId = keyId,
            ValidPrincipals = principals,
            ValidAfter = validAfter,
            ValidBefore = validBefore,
            CriticalOptions = critical,
            Extensions = extensions,
            Reserved = reserved.ToArray(),
            SignatureKey = caKey,
            SignatureAlgorithm = signatureAlgorithm,
        };
    }

    /// <summary>
    /// True when the CA's signature over the certificate (every byte before the signature field) is valid under the
    /// algorithm named in the signature blob. A signature algorithm we do not support (ssh-rsa with SHA-1, ssh-dss,
    /// ...) returns false: such a certificate cannot be trusted. A CA key that does not fit the signature algorithm,
    /// or a malformed CA key or signature, throws <see cref="SshProtocolException"/>.
    /// </summary>
    public bool VerifySignature()
    {
        if (!HostKeyAlgorithmRegistry.IsSignatureAlgorithm(SignatureAlgorithm))
        {
            return false;
        }

        var caKey = VerifyingKey.Parse(SignatureKey.Blob);
        return HostKeyAlgorithmRegistry.VerifyWithKey(caKey, SignatureAlgorithm, _blob.AsSpan(0, _signedLength), _signatureBlob);
    }

    /// <summary>
    /// True when <paramref name="time"/> is inside [valid after, valid before), as OpenSSH checks it. Times before
    /// the Unix epoch are never valid.
    /// </summary>
    public bool IsValidAt(DateTimeOffset time)
    {
        long seconds = time.ToUnixTimeSeconds();
        if (seconds < 0)
        {
            return false;
        }

        return (ulong)seconds >= ValidAfter && (ulong)seconds < ValidBefore;
    }

    /// <summary>
    /// True when <paramref name="principal"/> is listed exactly (ordinal). An empty principal list gives false; what
    /// an empty list means (OpenSSH: valid for any name unless a principal is required) is the caller's policy.
    /// </summary>
    public bool HasPrincipal(string principal)
    {
        ArgumentNullException.ThrowIfNull(principal);
        foreach (string p in ValidPrincipals)
        {
            if (string.Equals(p, principal, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static string[] ReadPrincipals(ReadOnlySpan<byte> field)
    {
        var reader = new SshReader(field);
        var principals = new List<string>();
        while (!reader.IsAtEnd)
        {
            if (principals.Count == MaxPrincipals)
            {
                throw new SshProtocolException(DisconnectReason.KeyExchangeFailed, $"certificate lists more than {MaxPrincipals} principals");
            }

            principals.Add(ReadCString(ref reader, "principal"));
        }

        return [.. principals];
    }

    private static SshCertificateOption[] ReadOptions(ReadOnlySpan<byte> field, string what)
    {
        var reader = new SshReader(field);
        var options = new List<SshCertificateOption>();
        while (!reader.IsAtEnd)
        {
            string name = ReadCString(ref reader, what + " name");
            byte[] data = reader.ReadStringAsArray();

            // PROTOCOL.certkeys: "each named option may only appear once". A repeat could make two readers of the
            // same certificate disagree on which value applies.
            foreach (var o in options)
            {
                if (o.Name == name)
                {
                    throw new SshProtocolException(DisconnectReason.KeyExchangeFailed, $"certificate repeats {what} '{name}'");
                }
            }

            options.Add(new SshCertificateOption(name, data));
        }

        return [.. options];
    }

    /// <summary>A UTF-8 text field that OpenSSH reads as a C string, so an embedded NUL is malformed (it would
    /// truncate the name there and let "host1\0.evil" match "host1").</summary>
    private static string ReadCString(ref SshReader reader, string what)
    {
        string s = reader.ReadUtf8();
        if (s.Contains('\0', StringComparison.Ordinal))
        {
            throw new SshProtocolException(DisconnectReason.KeyExchangeFailed, $"certificate {what} contains a NUL byte");
        }

        return s;
    }
}
