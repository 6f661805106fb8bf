using NativeSftp.Sftp;
using NativeSftp.Sftp.Protocol;

namespace NativeSftp.Cli.Commands;

/// <summary>
/// A directory tree to copy, as paths relative to its root ('/'-separated): the directories (parents before
/// children) and the regular files (sorted, so runs are repeatable), plus what was left out and why.
/// </summary>
internal sealed class TransferTree
{
    public List<string> Directories { get; } = [];
    public List<string> Files { get; } = [];

    /// <summary>Each file's size as the walk saw it (absent when a remote listing did not say).</summary>
    public Dictionary<string, long> FileSizes { get; } = new(StringComparer.Ordinal);
    public List<(string Path, string Reason)> Skipped { get; } = [];

    public int Count => Directories.Count + Files.Count + Skipped.Count;
}

/// <summary>
/// Walks a local or remote directory for put -r / get -r. Symbolic links are never followed (a link can point
/// outside the tree or back into it, making a loop): they are skipped and reported. A remote listing is input from
/// the server, so its names are checked before they become local paths.
/// </summary>
internal static class TreeWalker
{
    /// <summary>
    /// Deepest directory level walked. Linux PATH_MAX is 4096 bytes and the shortest component with its separator
    /// is 2 bytes ("a/"), so no real path is deeper than 2048; a server listing deeper than that is lying or looping.
    /// </summary>
    public const int MaxDepth = 4096 / 2;

    /// <summary>
    /// Entries walked in one tree. Each costs about a path string (~100 bytes) in memory, so 1 000 000 entries is
    /// ~100 MB: far past any tree one would copy file by file, and a bound on what an endless listing can cost.
    /// </summary>
    public const int MaxEntries = 1_000_000;

    public static TransferTree WalkLocal(string root)
    {
        ArgumentNullException.ThrowIfNull(root);
        var tree = new TransferTree();
        WalkLocal(new DirectoryInfo(root), "", 0, tree);
        tree.Files.Sort(StringComparer.Ordinal);
        return tree;
    }

    private static void WalkLocal(DirectoryInfo dir, string relative, int depth, TransferTree tree)
    {
        var children = dir.GetFileSystemInfos();
        Array.Sort(children, (a, b) => string.CompareOrdinal(a.Name, b.Name));
        foreach (FileSystemInfo child in children)
        {
            CheckSize(tree);
            string path = relative.Length == 0 ? child.Name : relative + "/" + child.Name;
            if (child.LinkTarget is not null)
            {
                tree.Skipped.Add((path, "symbolic link"));
            }
            else if (child is DirectoryInfo sub)
            {
                CheckDepth(depth + 1, path);
                tree.Directories.Add(path);
                WalkLocal(sub, path, depth + 1, tree);
            }
            else if (IsLocalRegularFile(child))
            {
                tree.Files.Add(path);
                tree.FileSizes[path] = ((FileInfo)child).Length;
            }
            else
            {
                tree.Skipped.Add((path, "not a regular file"));
            }
        }
    }

    /// <summary>
    /// .NET has no portable file-type API for FIFOs and sockets; devices carry the Device attribute. A FIFO that
    /// slips through fails or blocks at open like any unreadable file (a known gap, noted in spec-notes/cli.md).
    /// </summary>
    private static bool IsLocalRegularFile(FileSystemInfo info) =>
        info is FileInfo && (info.Attributes & FileAttributes.Device) == 0;

    public static async Task<TransferTree> WalkRemoteAsync(SftpClient sftp, string root, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(sftp);
        ArgumentNullException.ThrowIfNull(root);
        var tree = new TransferTree();
        await WalkRemoteAsync(sftp, root, "", 0, tree, ct).ConfigureAwait(false);
        tree.Files.Sort(StringComparer.Ordinal);
        return tree;
    }

    private static async Task WalkRemoteAsync(SftpClient sftp, string root, string relative, int depth, TransferTree tree, CancellationToken ct)
    {
        string dir = relative.Length == 0 ? root : Join(root, relative);
        var entries = new List<SftpNameEntry>();
        await foreach (var entry in sftp.ListDirectoryAsync(dir, ct).ConfigureAwait(false))
        {
            if (entry.Name is "." or "..")
            {
                continue;
            }

            CheckName(entry, dir);
            entries.Add(entry);
            CheckSize(tree, entries.Count);
        }

        entries.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        foreach (var entry in entries)
        {
            string path = relative.Length == 0 ? entry.Name : relative + "/" + entry.Name;
            SftpAttributes attributes = entry.Attributes;
            if (attributes.Permissions is null)
            {
                // READDIR attributes are optional (draft-ietf-secsh-filexfer-02 §7); without a type, ask with LSTAT.
                attributes = await sftp.LstatAsync(Join(root, path), ct).ConfigureAwait(false);
            }

            if (attributes.IsSymbolicLink)
            {
                tree.Skipped.Add((path, "symbolic link"));
            }
            else if (attributes.IsDirectory)
            {
                CheckDepth(depth + 1, path);
                tree.Directories.Add(path);
                await WalkRemoteAsync(sftp, root, path, depth + 1, tree, ct).ConfigureAwait(false);
            }
            else if (attributes.IsRegularFile)
            {
                tree.Files.Add(path);
                if (attributes.Size is ulong size && size <= long.MaxValue)
                {
                    tree.FileSizes[path] = (long)size;
                }
            }
            else
            {
                tree.Skipped.Add((path, "not a regular file"));
            }
        }
    }

    /// <summary>
    /// A READDIR name is one path component (draft-ietf-secsh-filexfer-02 §6.7). A name with '/' or NUL, or an
    /// empty one, could make a local path outside the target ("../../.bashrc"): that is a hostile or broken server.
    /// A name that is not UTF-8 cannot be sent back through a string path, so it stops the copy rather than
    /// silently missing a file.
    /// </summary>
    private static void CheckName(SftpNameEntry entry, string dir)
    {
        if (entry.Name.Length == 0 || entry.RawName.AsSpan().IndexOfAny((byte)'/', (byte)0) >= 0)
        {
            throw new SshProtocolException(DisconnectReason.ProtocolError,
                $"the server listed an entry '{entry.Name}' in {dir} that is not a single file name; refusing to write outside the target");
        }

        if (!entry.NameIsUtf8)
        {
            throw new SshException($"{dir}/{entry.Name}: the name is not UTF-8, which this version cannot copy; copy that directory another way");
        }
    }

    private static void CheckDepth(int depth, string path)
    {
        if (depth > MaxDepth)
        {
            throw new IOException($"{path}: directory tree is deeper than {MaxDepth} levels");
        }
    }

    private static void CheckSize(TransferTree tree, int pending = 0)
    {
        if (tree.Count + pending > MaxEntries)
        {
            throw new IOException($"the directory tree has more than {MaxEntries} entries; copy it in parts");
        }
    }

    /// <summary>Joins remote path parts with '/': SFTP paths are POSIX-style whatever the local system is.</summary>
    public static string Join(string root, string relative) =>
        root.EndsWith('/') ? root + relative : root + "/" + relative;
}
