namespace NativeSftp.Throughput;

/// <summary>
/// The folder the test file, the uploads and the downloads live in: a tmpfs, so the disk never limits the
/// transfer. As root a private tmpfs is mounted (and unmounted at the end); otherwise /dev/shm is used.
/// </summary>
internal sealed class Scratch : IAsyncDisposable
{
    private const string SharedMemory = "/dev/shm";

    private readonly bool _mounted;

    private Scratch(string path, bool mounted, string kind)
    {
        Path = path;
        _mounted = mounted;
        Kind = kind;
    }

    public string Path { get; }
    public string Kind { get; }

    /// <param name="bytesNeeded">Room for the source file, one upload and one download, plus keys and logs.</param>
    public static async Task<Scratch> CreateAsync(long bytesNeeded)
    {
        string dir = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "nsftp-bench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        if (Environment.UserName == "root")
        {
            // 3 copies of the file plus 64 MiB for keys, logs and NativeSftp's temporary name, in MiB.
            long mib = (bytesNeeded / (1024 * 1024)) + 64;
            try
            {
                await Tools.RunAsync("mount", ["-t", "tmpfs", "-o", $"size={mib}m", "tmpfs", dir]).ConfigureAwait(false);
                return new Scratch(dir, mounted: true, $"tmpfs mounted at {dir}");
            }
            catch (InvalidOperationException e)
            {
                Console.Error.WriteLine($"could not mount a tmpfs ({e.Message.Trim()}); using {SharedMemory}");
            }
        }

        Directory.Delete(dir);
        string shm = System.IO.Path.Combine(SharedMemory, "nsftp-bench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(shm);
        return new Scratch(shm, mounted: false, $"{SharedMemory} (tmpfs)");
    }

    public async ValueTask DisposeAsync()
    {
        if (_mounted)
        {
            await Tools.RunAsync("umount", [Path]).ConfigureAwait(false);
            Directory.Delete(Path);
        }
        else
        {
            Directory.Delete(Path, recursive: true);
        }
    }
}
