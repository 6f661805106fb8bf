using System.Text.Json;
using NativeSftp.Cli.Commands;
using NativeSftp.Transfer;

namespace NativeSftp.Cli.Output;

/// <summary>
/// The one JSON object put -r / get -r print: operation ("put -r"/"get -r"), local, remote, complete, bytes,
/// seconds, directories, files[ (each as <see cref="TransferResultJson"/>) ], skipped[{path,reason}],
/// failed ({local,remote,error} or null). Printed on failure too, so a script sees what did arrive.
/// </summary>
internal sealed class RecursiveTransferJson(string label, string localRoot, string remoteRoot, TransferTree tree)
{
    public string ToJson(IReadOnlyList<TransferResult> results, (string Local, string Remote, Exception Error)? failed) => JsonOutput.Write(w =>
    {
        long bytes = 0;
        double seconds = 0;
        foreach (var r in results)
        {
            bytes += r.Bytes;
            seconds += r.Duration.TotalSeconds;
        }

        w.WriteString("operation", label + " -r");
        w.WriteString("local", localRoot);
        w.WriteString("remote", remoteRoot);
        w.WriteBoolean("complete", failed is null);
        w.WriteNumber("bytes", bytes);
        w.WriteNumber("seconds", Math.Round(seconds, 3));
        w.WriteNumber("directories", tree.Directories.Count);
        w.WriteStartArray("files");
        foreach (var r in results)
        {
            w.WriteStartObject();
            TransferResultJson.WriteFields(w, r);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartArray("skipped");
        foreach (var (path, reason) in tree.Skipped)
        {
            w.WriteStartObject();
            w.WriteString("path", path);
            w.WriteString("reason", reason);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        if (failed is { } f)
        {
            w.WriteStartObject("failed");
            w.WriteString("local", f.Local);
            w.WriteString("remote", f.Remote);
            w.WriteString("error", f.Error.Message);
            w.WriteEndObject();
        }
        else
        {
            w.WriteNull("failed");
        }
    });
}
