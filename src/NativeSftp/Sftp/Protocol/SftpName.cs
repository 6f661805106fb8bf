using System.Globalization;
using System.Text;
using System.Text.Unicode;
using NativeSftp.Wire;

namespace NativeSftp.Sftp.Protocol;

/// <summary>
/// One entry of a NAME reply. OpenSSH sends file names as the raw bytes the file system holds, which need not be
/// UTF-8. <see cref="RawName"/> keeps them exactly, and is what must be sent back (it converts to
/// <see cref="SftpPath"/>); <see cref="Name"/> is for display and equals the real name only when
/// <see cref="NameIsUtf8"/> is true (otherwise invalid sequences show as U+FFFD).
/// </summary>
public sealed class SftpNameEntry
{
    public SftpNameEntry(byte[] rawName, string longName, SftpAttributes attributes)
    {
        RawName = rawName ?? throw new ArgumentNullException(nameof(rawName));
        NameIsUtf8 = Utf8.IsValid(rawName);
        Name = Encoding.UTF8.GetString(rawName);
        LongName = longName ?? throw new ArgumentNullException(nameof(longName));
        Attributes = attributes ?? throw new ArgumentNullException(nameof(attributes));
    }

    public byte[] RawName { get; }
    public string Name { get; }
    public bool NameIsUtf8 { get; }
    /// <summary>The server's <c>ls -l</c> style line (display only; the draft says not to parse it).</summary>
    public string LongName { get; }
    public SftpAttributes Attributes { get; }
}

/// <summary>
/// SSH_FXP_NAME (draft-ietf-secsh-filexfer-02 §7): <c>uint32 id, uint32 count,</c> then count times
/// <c>string filename, string longname, ATTRS attrs</c>. Answers READDIR, REALPATH, READLINK and the
/// expand-path / home-directory extensions.
/// </summary>
internal static class SftpName
{
    /// <summary>The smallest entry: empty filename (4) + empty longname (4) + ATTRS with no flags (4) = 12 bytes.</summary>
    private const int MinEntrySize = 4 + 4 + 4;

    /// <summary>Parses a NAME body (after the request id). The count is checked against the bytes left before any allocation.</summary>
    public static SftpNameEntry[] Read(ReadOnlySpan<byte> body)
    {
        var reader = new SshReader(body);
        uint count = reader.ReadUInt32();
        if (count > (uint)(reader.Remaining / MinEntrySize))
        {
            throw new SshProtocolException(DisconnectReason.ProtocolError, string.Create(CultureInfo.InvariantCulture,
                $"SFTP NAME claims {count} entries but only {reader.Remaining} bytes follow (at least {MinEntrySize} each)"));
        }

        var entries = new SftpNameEntry[count];
        for (int i = 0; i < entries.Length; i++)
        {
            byte[] name = reader.ReadStringAsArray();
            string longName = Encoding.UTF8.GetString(reader.ReadString());
            entries[i] = new SftpNameEntry(name, longName, SftpAttributes.Read(ref reader));
        }

        reader.EnsureAtEnd("SFTP NAME");
        return entries;
    }

    /// <summary>REALPATH, READLINK, expand-path and home-directory answer with exactly one name.</summary>
    public static SftpNameEntry ReadSingle(ReadOnlySpan<byte> body)
    {
        var entries = Read(body);
        if (entries.Length != 1)
        {
            throw new SshProtocolException(DisconnectReason.ProtocolError, string.Create(CultureInfo.InvariantCulture,
                $"SFTP NAME with {entries.Length} entries where exactly one was expected"));
        }

        return entries[0];
    }
}
