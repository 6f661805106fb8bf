using System.Text.Json;
using NativeSftp.Transfer;

namespace NativeSftp.Cli.Output;

/// <summary>
/// The JSON form of a <see cref="TransferResult"/> for put/get --json. Field names are an interface scripts depend on:
/// operation, local, remote, bytes, seconds, bytesPerSecond, sha256 (local, computed while streaming),
/// verify{method,digest (only when the copy was checked by SHA-256)},
/// attempts[{number,startOffset,bytesAcknowledged,seconds,waitedSeconds,failure}], resumedFrom, resumeVerification (how the resumed prefix was proven), segments,
/// algorithms{kex,hostKey,cipher,mac}. Absent values are JSON null, never left out, so a consumer's schema is fixed.
/// </summary>
public static class TransferResultJson
{
    public static string ToJson(TransferResult result) => JsonOutput.Write(w => WriteFields(w, result));

    /// <summary>Writes the fields into the current object (for embedding in a larger document).</summary>
    public static void WriteFields(Utf8JsonWriter w, TransferResult result)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(result);
        w.WriteString("operation", result.Operation);
        w.WriteString("local", result.LocalPath);
        w.WriteString("remote", result.RemotePath);
        w.WriteNumber("bytes", result.Bytes);
        w.WriteNumber("seconds", Math.Round(result.Duration.TotalSeconds, 3));
        w.WriteNumber("bytesPerSecond", Math.Round(result.BytesPerSecond, 1));
        // The data's SHA-256 as computed locally while it streamed (null when the engine did not compute one).
        w.WriteString("sha256", result.Sha256);
        w.WriteStartObject("verify");
        w.WriteString("method", result.VerifyMethod);
        // The digest under "verify" is the one the server's copy was checked against: with --verify size or none
        // nothing was compared by digest, so reporting one there would claim a check that never happened.
        bool digestVerified = result.Sha256 is not null && result.VerifyMethod.StartsWith("sha256", StringComparison.Ordinal);
        w.WriteString("digest", digestVerified ? "sha256:" + result.Sha256 : null);
        w.WriteEndObject();
        w.WriteStartArray("attempts");
        foreach (var a in result.Attempts)
        {
            w.WriteStartObject();
            w.WriteNumber("number", a.Number);
            w.WriteNumber("startOffset", a.StartOffset);
            w.WriteNumber("bytesAcknowledged", a.BytesAcknowledged);
            w.WriteNumber("seconds", Math.Round(a.Duration.TotalSeconds, 3));
            w.WriteNumber("waitedSeconds", Math.Round(a.WaitedBefore.TotalSeconds, 3));
            w.WriteString("failure", a.Failure);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteNumber("resumedFrom", result.ResumedFrom);
        w.WriteString("resumeVerification", result.ResumeVerification);
        w.WriteNumber("segments", result.Segments);
        if (result.Algorithms is { } n)
        {
            // The data flowed one way: report that direction's cipher and MAC (an AEAD cipher has no separate MAC: null).
            bool download = IsDownload(result.Operation);
            w.WriteStartObject("algorithms");
            w.WriteString("kex", n.KeyExchange);
            w.WriteString("hostKey", n.ServerHostKey);
            w.WriteString("cipher", download ? n.EncryptionServerToClient : n.EncryptionClientToServer);
            w.WriteString("mac", download ? n.MacServerToClient : n.MacClientToServer);
            w.WriteEndObject();
        }
        else
        {
            w.WriteNull("algorithms");
        }
    }

    private static bool IsDownload(string operation) =>
        operation.Equals("get", StringComparison.OrdinalIgnoreCase) || operation.Equals("download", StringComparison.OrdinalIgnoreCase);
}
