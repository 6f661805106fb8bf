namespace NativeSftp.Throughput;

/// <summary>One row family: a client with its settings, run for put and for get.</summary>
internal sealed record Job(string Label, string Client, IReadOnlyList<string> ExtraArgs)
{
    /// <summary>Ours: the library in a .NET process ("nativesftp") and the native nsftp tool ("nsftp"); the rest are peers.</summary>
    public bool IsOurs => Client is "nativesftp" or "nsftp";

    public static IReadOnlyList<Job> ForLoopback(ISet<string> clients)
    {
        var jobs = new List<Job>();
        if (clients.Contains("nativesftp"))
        {
            jobs.Add(new Job("NativeSftp (verify auto)", "nativesftp", ["--verify", "auto", "--segments", "auto"]));
            jobs.Add(new Job("NativeSftp (verify none)", "nativesftp", ["--verify", "none", "--segments", "auto"]));
        }

        if (clients.Contains("nsftp"))
        {
            jobs.Add(new Job("nsftp native (verify auto)", "nsftp", ["--verify", "auto"]));
            jobs.Add(new Job("nsftp native (verify none)", "nsftp", ["--verify", "none"]));
        }

        AddPeers(jobs, clients);
        return jobs;
    }

    public static IReadOnlyList<Job> ForLatency(ISet<string> clients)
    {
        var jobs = new List<Job>();
        if (clients.Contains("nativesftp"))
        {
            jobs.Add(new Job("NativeSftp 1 segment (verify auto)", "nativesftp", ["--verify", "auto", "--segments", "1"]));
            // Like for like with the peers, which verify nothing.
            jobs.Add(new Job("NativeSftp 1 segment (verify none)", "nativesftp", ["--verify", "none", "--segments", "1"]));
            jobs.Add(new Job("NativeSftp auto segments (verify auto)", "nativesftp", ["--verify", "auto", "--segments", "auto"]));
            jobs.Add(new Job("NativeSftp auto segments (verify none)", "nativesftp", ["--verify", "none", "--segments", "auto"]));
            jobs.Add(new Job("NativeSftp 4 segments (verify auto)", "nativesftp", ["--verify", "auto", "--segments", "4"]));
        }

        if (clients.Contains("nsftp"))
        {
            jobs.Add(new Job("nsftp native 1 segment (verify none)", "nsftp", ["--verify", "none", "--segments", "1"]));
            jobs.Add(new Job("nsftp native auto segments (verify auto)", "nsftp", ["--verify", "auto"]));
            jobs.Add(new Job("nsftp native auto segments (verify none)", "nsftp", ["--verify", "none"]));
        }

        AddPeers(jobs, clients);
        return jobs;
    }

    private static void AddPeers(List<Job> jobs, ISet<string> clients)
    {
        if (clients.Contains("openssh"))
        {
            jobs.Add(new Job("OpenSSH sftp (defaults)", "openssh", []));
        }

        if (clients.Contains("sshnet"))
        {
            jobs.Add(new Job("SSH.NET SftpClient", "sshnet", []));
        }
    }
}
