namespace NativeSftp.Crypto.Keys;

/// <summary>
/// One PEM block: "-----BEGIN label-----", optional RFC 1421 headers ("Proc-Type: 4,ENCRYPTED",
/// "DEK-Info: ...") ended by a blank line, base64 body, "-----END label-----". .NET's PemEncoding follows
/// RFC 7468, which forbids headers, so legacy encrypted OpenSSL keys need this small reader.
/// </summary>
internal sealed class PemArmor
{
    private const string BeginPrefix = "-----BEGIN ";
    private const string EndPrefix = "-----END ";
    private const string Dashes = "-----";

    private PemArmor(string label, IReadOnlyDictionary<string, string> headers, byte[] body)
    {
        Label = label;
        Headers = headers;
        Body = body;
    }

    public string Label { get; }
    public IReadOnlyDictionary<string, string> Headers { get; }
    public byte[] Body { get; }

    /// <summary>Finds the first BEGIN line and reads that block; null when the text has no BEGIN line.</summary>
    public static PemArmor? TryParse(ReadOnlySpan<char> text)
    {
        int begin = text.IndexOf(BeginPrefix.AsSpan(), StringComparison.Ordinal);
        if (begin < 0)
        {
            return null;
        }

        var lines = text[begin..].EnumerateLines();
        lines.MoveNext();
        ReadOnlySpan<char> first = lines.Current.TrimEnd();
        if (!first.EndsWith(Dashes.AsSpan(), StringComparison.Ordinal) || first.Length < BeginPrefix.Length + Dashes.Length)
        {
            throw new PrivateKeyFormatException("PEM BEGIN line is not terminated by '-----'");
        }

        string label = first[BeginPrefix.Length..^Dashes.Length].ToString();
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        // The body is gathered in an array, not a string, so it can be zeroed (it may be an unencrypted key).
        char[] base64 = new char[text.Length];
        int base64Length = 0;
        bool inBody = false;
        int lineNumber = 1;
        while (lines.MoveNext())
        {
            lineNumber++;
            ReadOnlySpan<char> line = lines.Current.Trim();
            if (line.StartsWith(EndPrefix.AsSpan(), StringComparison.Ordinal))
            {
                string endLabel = line.TrimEnd(Dashes.AsSpan())[EndPrefix.Length..].ToString();
                if (endLabel != label)
                {
                    throw new PrivateKeyFormatException($"PEM block '{label}' ends with '{endLabel}' at line {lineNumber}");
                }

                try
                {
                    return new PemArmor(label, headers, DecodeBody(base64.AsSpan(0, base64Length), label));
                }
                finally
                {
                    Array.Clear(base64);
                }
            }

            if (line.IsEmpty)
            {
                inBody |= headers.Count > 0;
                continue;
            }

            int colon = line.IndexOf(':');
            if (!inBody && base64Length == 0 && colon > 0)
            {
                headers[line[..colon].Trim().ToString()] = line[(colon + 1)..].Trim().ToString();
                continue;
            }

            inBody = true;
            line.CopyTo(base64.AsSpan(base64Length));
            base64Length += line.Length;
        }

        Array.Clear(base64);
        throw new PrivateKeyFormatException($"PEM block '{label}' has no END line (truncated file?)");
    }

    private static byte[] DecodeBody(ReadOnlySpan<char> chars, string label)
    {
        byte[] buffer = new byte[(chars.Length / 4 * 3) + 3];
        if (!Convert.TryFromBase64Chars(chars, buffer, out int written))
        {
            throw new PrivateKeyFormatException($"PEM block '{label}' body is not valid base64");
        }

        if (written == 0)
        {
            throw new PrivateKeyFormatException($"PEM block '{label}' is empty");
        }

        byte[] body = buffer.AsSpan(0, written).ToArray();
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(buffer);
        return body;
    }
}
