using System.Text.Encodings.Web;
using System.Text.Json;

namespace NativeSftp.Cli.Output;

/// <summary>Writes one JSON object to a TextWriter with Utf8JsonWriter (no reflection, so nothing to trim away).</summary>
public static class JsonOutput
{
    private static readonly JsonWriterOptions Options = new()
    {
        Indented = true,
        // Paths and names are data for scripts, not HTML: keep non-ASCII and '+' readable.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string Write(Action<Utf8JsonWriter> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, Options))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}
