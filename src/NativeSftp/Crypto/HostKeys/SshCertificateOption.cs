namespace NativeSftp.Crypto.HostKeys;

/// <summary>What a certificate certifies (PROTOCOL.certkeys: SSH2_CERT_TYPE_USER = 1, SSH2_CERT_TYPE_HOST = 2).</summary>
public enum SshCertificateType : uint
{
    User = 1,
    Host = 2,
}

/// <summary>
/// One critical option or extension of a certificate: its name and its data exactly as carried (for most options
/// the data is itself an SSH <c>string</c>, e.g. force-command's command; flag extensions carry empty data).
/// </summary>
public sealed record SshCertificateOption(string Name, ReadOnlyMemory<byte> Data);
