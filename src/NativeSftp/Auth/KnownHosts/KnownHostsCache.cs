using System.Collections.Concurrent;

namespace NativeSftp.Auth.KnownHosts;

/// <summary>
/// Parsed known_hosts files by full path, each with the last-write time and length it was read at. A verifier used
/// for many connections reads an unchanged file once; any change to either stamp (an edit, ssh-keygen -R, another
/// client's append) makes the next lookup read it again. The stamp is taken before reading, so a change during the
/// read is seen by the next lookup rather than cached under the new stamp.
/// </summary>
internal static class KnownHostsCache
{
    private sealed record Cached(DateTime LastWriteUtc, long Length, ParsedKnownHostsFile Content);

    private static readonly ConcurrentDictionary<string, Cached> Files = new(StringComparer.Ordinal);

    private static long s_reads;

    /// <summary>How many times a file was actually read (for tests of the cache).</summary>
    internal static long Reads => Interlocked.Read(ref s_reads);

    /// <summary>
    /// The parsed file, or <see cref="ParsedKnownHostsFile.Empty"/> when it does not exist. A file that exists but
    /// cannot be read is reported through <paramref name="problem"/> and treated as empty, as OpenSSH does.
    /// </summary>
    public static ParsedKnownHostsFile Get(string path, out string? problem)
    {
        problem = null;
        string fullPath = Path.GetFullPath(path);
        try
        {
            var info = new FileInfo(fullPath);
            if (!info.Exists)
            {
                Files.TryRemove(fullPath, out _);
                return ParsedKnownHostsFile.Empty;
            }

            DateTime stamp = info.LastWriteTimeUtc;
            long length = info.Length;
            if (Files.TryGetValue(fullPath, out var cached) && cached.LastWriteUtc == stamp && cached.Length == length)
            {
                return cached.Content;
            }

            Interlocked.Increment(ref s_reads);
            ParsedKnownHostsFile content;
            using (var stream = new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 1))
            {
                content = KnownHostsFileReader.Read(stream, path);
            }

            Files[fullPath] = new Cached(stamp, length, content);
            return content;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problem = $"{path}: could not be read ({e.Message})";
            return ParsedKnownHostsFile.Empty;
        }
    }

    /// <summary>Forgets a file we just wrote, so the next lookup sees the new line even within the same clock tick.</summary>
    public static void Invalidate(string path) => Files.TryRemove(Path.GetFullPath(path), out _);
}
