using System.Text;

namespace NativeSftp.Auth.KnownHosts;

/// <summary>The usable content of one known_hosts file: its key lines and the lines it skipped.</summary>
internal sealed record ParsedKnownHostsFile(IReadOnlyList<KnownHostsEntry> Entries, IReadOnlyList<KnownHostsSkippedLine> Skipped)
{
    public static readonly ParsedKnownHostsFile Empty = new([], []);
}

/// <summary>
/// Reads a known_hosts file line by line without ever holding more than one bounded line: a file of binary junk
/// with no newline, or a line of a gigabyte, costs <see cref="MaxLineBytes"/> of memory and is skipped.
/// </summary>
internal static class KnownHostsFileReader
{
    /// <summary>
    /// The longest line we read. The largest legitimate line is a long host list: 1,000 names of 253 characters
    /// (RFC 1035 §2.3.4's longest name) is 254,000 bytes, plus an RSA-16384 key (2,071-byte blob, 2,764 base64
    /// characters). 256 KiB = 262,144 bytes holds both. OpenSSH itself has no limit (getline).
    /// </summary>
    public const int MaxLineBytes = 256 * 1024;

    /// <summary>Read size: a typical known_hosts of a few hundred lines fits in one or two reads.</summary>
    private const int ChunkBytes = 64 * 1024;

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    public static ParsedKnownHostsFile Read(Stream stream, string file)
    {
        var entries = new List<KnownHostsEntry>();
        var skipped = new List<KnownHostsSkippedLine>();
        byte[] chunk = new byte[ChunkBytes];
        var line = new MemoryStream();
        bool tooLong = false;
        int lineNumber = 0;

        int read;
        while ((read = stream.Read(chunk, 0, chunk.Length)) > 0)
        {
            int start = 0;
            while (start < read)
            {
                int newline = Array.IndexOf(chunk, (byte)'\n', start, read - start);
                int end = newline < 0 ? read : newline;
                Append(line, chunk.AsSpan(start, end - start), ref tooLong);
                if (newline < 0)
                {
                    break;
                }

                lineNumber++;
                Finish(file, lineNumber, line, ref tooLong, entries, skipped);
                start = newline + 1;
            }
        }

        // The last line need not end in a newline (OpenSSH's getline returns it all the same).
        if (line.Length > 0 || tooLong)
        {
            lineNumber++;
            Finish(file, lineNumber, line, ref tooLong, entries, skipped);
        }

        return new ParsedKnownHostsFile(entries, skipped);
    }

    private static void Append(MemoryStream line, ReadOnlySpan<byte> bytes, ref bool tooLong)
    {
        if (tooLong)
        {
            return;
        }

        if (line.Length + bytes.Length > MaxLineBytes)
        {
            tooLong = true;
            line.SetLength(0);
            return;
        }

        line.Write(bytes);
    }

    private static void Finish(string file, int lineNumber, MemoryStream line, ref bool tooLong, List<KnownHostsEntry> entries, List<KnownHostsSkippedLine> skipped)
    {
        if (tooLong)
        {
            skipped.Add(new KnownHostsSkippedLine(file, lineNumber, $"line longer than {MaxLineBytes} bytes"));
        }
        else
        {
            string text = Utf8.GetString(line.GetBuffer(), 0, (int)line.Length);
            var entry = KnownHostsLineParser.Parse(file, lineNumber, text, out string? reason);
            if (entry is not null)
            {
                entries.Add(entry);
            }
            else if (reason is not null)
            {
                skipped.Add(new KnownHostsSkippedLine(file, lineNumber, reason));
            }
        }

        tooLong = false;
        line.SetLength(0);
    }
}
