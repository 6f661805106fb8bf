using System.Diagnostics;
using System.Globalization;
using NativeSftp.Tests.Fixtures;

namespace NativeSftp.Tests.Resilience;

/// <summary>
/// Server-side faults on the sshd fixture, by process: kill the per-connection session processes (what an OOM kill
/// or an admin's kill -9 does), or crash the whole server and start a new sshd on the same port with the same
/// configuration (a restart). Found through /proc: the listener's pid is in the fixture's PidFile, sessions are its
/// descendants by PPID.
/// </summary>
public static class SshdProcesses
{
    /// <summary>The listening sshd's pid, from the PidFile the fixture's config names.</summary>
    public static int ListenerPid(SshdServer sshd) =>
        int.Parse(File.ReadAllText(Path.Combine(sshd.Directory, "sshd.pid")).Trim(), CultureInfo.InvariantCulture);

    /// <summary>Every descendant of <paramref name="pid"/> (children first-level first).</summary>
    public static List<int> Descendants(int pid)
    {
        var byParent = new Dictionary<int, List<int>>();
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int p))
            {
                continue;
            }

            int? parent = ParentOf(dir);
            if (parent is int pp)
            {
                if (!byParent.TryGetValue(pp, out var list))
                {
                    byParent[pp] = list = [];
                }

                list.Add(p);
            }
        }

        var result = new List<int>();
        var queue = new Queue<int>([pid]);
        while (queue.Count > 0)
        {
            if (byParent.TryGetValue(queue.Dequeue(), out var kids))
            {
                foreach (int k in kids)
                {
                    result.Add(k);
                    queue.Enqueue(k);
                }
            }
        }

        return result;
    }

    /// <summary>The PPID field of /proc/&lt;pid&gt;/stat; null when the process is gone.</summary>
    private static int? ParentOf(string procDir)
    {
        string stat;
        try
        {
            stat = File.ReadAllText(Path.Combine(procDir, "stat"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null; // exited while we looked
        }

        // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ')'.
        string[] rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return int.Parse(rest[1], CultureInfo.InvariantCulture);
    }

    public static string CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }

    /// <summary>kill -9 every session process of the fixture (the listener survives); returns what was killed.</summary>
    public static List<string> KillSessions(SshdServer sshd, Func<string, bool>? which = null)
    {
        var killed = new List<string>();
        foreach (int pid in Descendants(ListenerPid(sshd)))
        {
            string cmd = CommandLine(pid);
            if (which is null || which(cmd))
            {
                Kill(pid);
                killed.Add($"{pid} {cmd}");
            }
        }

        return killed;
    }

    private static void Kill(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            p.Kill();
        }
        catch (ArgumentException)
        {
            // It exited on its own between the scan and the kill.
        }
    }

    /// <summary>
    /// A crash and restart: kill -9 the listener and every session, then start a new sshd with the fixture's own
    /// config file (so the same port, keys and folder). The returned process is the new server; kill it when done
    /// (the fixture's Dispose only knows the old one).
    /// </summary>
    public static async Task<Process> CrashAndRestartAsync(SshdServer sshd, TimeSpan downtime, CancellationToken ct)
    {
        int listener = ListenerPid(sshd);
        foreach (int pid in Descendants(listener))
        {
            Kill(pid);
        }

        Kill(listener);
        await Task.Delay(downtime, ct);
        var psi = new ProcessStartInfo(SshdServer.SshdPath) { UseShellExecute = false, RedirectStandardError = true };
        foreach (string a in new[] { "-D", "-f", Path.Combine(sshd.Directory, "sshd_config"), "-E", Path.Combine(sshd.Directory, "sshd-restarted.log") })
        {
            psi.ArgumentList.Add(a);
        }

        var restarted = Process.Start(psi) ?? throw new InvalidOperationException("could not restart sshd");
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                if ((await sshd.ReadBannerAsync(ct)).StartsWith("SSH-2.0-", StringComparison.Ordinal))
                {
                    return restarted;
                }
            }
            catch (Exception e) when (e is System.Net.Sockets.SocketException or IOException or OperationCanceledException && !ct.IsCancellationRequested && deadline.Elapsed < TimeSpan.FromSeconds(10))
            {
                await Task.Delay(50, ct);
            }
        }
    }
}
