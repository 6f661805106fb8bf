using System.Globalization;
using System.Text;
using NativeSftp.Wire;

namespace NativeSftp.Sftp.Protocol;

/// <summary>
/// One extension a server announces in VERSION. OpenSSH puts the extension's version number in
/// <see cref="Data"/> as ASCII digits ("1", "2") and a client must check it (OpenSSH PROTOCOL §4.2).
/// </summary>
public sealed record SftpExtensionAnnouncement(string Name, byte[] Data)
{
    public string DataText => Encoding.UTF8.GetString(Data);
}

/// <summary>
/// SSH_FXP_VERSION (draft-ietf-secsh-filexfer-02 §4): <c>uint32 version</c> then <c>string extension-name,
/// string extension-data</c> pairs to the end of the packet. The framer hands the version over in the request-id
/// position; the body is the pairs.
/// </summary>
internal static class SftpVersion
{
    /// <summary>
    /// Checks the version and reads the extensions, keeping their order and any duplicates. A server answering
    /// with anything but 3 is refused: we speak only v3, and the draft lets a server answer only with a version
    /// no higher than ours, so a lower one means attribute and status layouts we do not parse.
    /// </summary>
    public static IReadOnlyList<SftpExtensionAnnouncement> Read(uint version, ReadOnlySpan<byte> body)
    {
        if (version != SftpProtocolLimits.ProtocolVersion)
        {
            throw new SshProtocolException(DisconnectReason.ProtocolError, string.Create(CultureInfo.InvariantCulture,
                $"SFTP server answered with protocol version {version}; only version {SftpProtocolLimits.ProtocolVersion} is supported"));
        }

        var reader = new SshReader(body);
        var list = new List<SftpExtensionAnnouncement>();
        while (!reader.IsAtEnd)
        {
            string name = reader.ReadUtf8();
            list.Add(new SftpExtensionAnnouncement(name, reader.ReadStringAsArray()));
        }

        return list;
    }
}
