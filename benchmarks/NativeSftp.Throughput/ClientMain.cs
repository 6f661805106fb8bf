using System.Diagnostics;
using System.Globalization;
using NativeSftp.Transfer;
using Renci.SshNet;

namespace NativeSftp.Throughput;

/// <summary>
/// The child-process side: one upload or download by one .NET client, so its CPU time and peak RSS are measured
/// per process by /usr/bin/time exactly as for OpenSSH's sftp. Prints one "RESULT key=value ..." line.
/// </summary>
internal static class ClientMain
{
    public const string ResultPrefix = "RESULT ";

    public static async Task<int> RunAsync(string[] args)
    {
        var a = ParseArgs(args);
        string client = a["--client"], op = a["--op"], local = a["--local"], remote = a["--remote"];
        int port = int.Parse(a["--port"], CultureInfo.InvariantCulture);
        if (op is not ("put" or "get"))
        {
            throw new ArgumentException($"--op must be put or get, not {op}");
        }

        var clock = Stopwatch.StartNew();
        string details = client switch
        {
            "nativesftp" => await RunNativeSftpAsync(a, port, op, local, remote).ConfigureAwait(false),
            "sshnet" => RunSshNet(a, port, op, local, remote),
            _ => throw new ArgumentException($"--client must be nativesftp or sshnet, not {client}"),
        };
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{ResultPrefix}session_seconds={clock.Elapsed.TotalSeconds:F3}{details}"));
        return 0;
    }

    private static async Task<string> RunNativeSftpAsync(Dictionary<string, string> a, int port, string op, string local, string remote)
    {
        var options = new SshClientOptions("127.0.0.1", a["--user"])
        {
            Port = port,
            UseAgent = false,
            HostKeyPolicy = NativeSftp.Auth.KnownHosts.HostKeyPolicy.AcceptNew,
            KeepAliveInterval = TimeSpan.Zero,
        };
        options.IdentityFiles.Add(a["--key"]);
        options.KnownHostsFiles.Add(a["--known-hosts"]);
        var transfer = new TransferOptions
        {
            Verify = a.GetValueOrDefault("--verify", "auto") switch
            {
                "auto" => VerifyMode.Auto,
                "none" => VerifyMode.None,
                string v => throw new ArgumentException($"--verify must be auto or none, not {v}"),
            },
            Segments = a.GetValueOrDefault("--segments", "auto") is "auto" ? null : int.Parse(a["--segments"], CultureInfo.InvariantCulture),
        };

        await using var ssh = await SshClient.ConnectAsync(options, CancellationToken.None).ConfigureAwait(false);
        await using var sftp = await ssh.OpenSftpAsync(CancellationToken.None).ConfigureAwait(false);
        TransferResult r = op == "put"
            ? await sftp.UploadFileAsync(local, remote, transfer).ConfigureAwait(false)
            : await sftp.DownloadFileAsync(remote, local, transfer).ConfigureAwait(false);
        return Field("transfer_seconds", r.Duration.TotalSeconds.ToString("F3", CultureInfo.InvariantCulture)) + Field("bytes", r.Bytes)
            + Field("segments", r.Segments) + Field("chunk", r.ChunkSize) + Field("depth", r.RequestsInFlight)
            + Field("verify", r.VerifyMethod) + Field("cipher", r.Algorithms?.EncryptionClientToServer);
    }

    private static string RunSshNet(Dictionary<string, string> a, int port, string op, string local, string remote)
    {
        using var key = new PrivateKeyFile(a["--key"]);
        using var sftp = new SftpClient("127.0.0.1", port, a["--user"], key);
        // The harness's own throwaway server on loopback: SSH.NET accepts any host key unless told otherwise.
        sftp.Connect();
        var clock = Stopwatch.StartNew();
        if (op == "put")
        {
            using var input = File.OpenRead(local);
            sftp.UploadFile(input, remote);
        }
        else
        {
            using var output = File.Create(local);
            sftp.DownloadFile(remote, output);
        }

        double seconds = clock.Elapsed.TotalSeconds;
        string cipher = sftp.ConnectionInfo.CurrentClientEncryption ?? "?";
        sftp.Disconnect();
        return Field("transfer_seconds", seconds.ToString("F3", CultureInfo.InvariantCulture)) + Field("verify", "none") + Field("cipher", cipher);
    }

    /// <summary>" key=value" with spaces in the value made underscores, so the line splits on spaces.</summary>
    private static string Field(string key, object? value) =>
        " " + key + "=" + (Convert.ToString(value, CultureInfo.InvariantCulture) is { Length: > 0 } v ? v.Replace(' ', '_') : "?");

    private static Dictionary<string, string> ParseArgs(string[] args)
    {
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            d[args[i]] = args[i + 1];
        }

        foreach (string required in new[] { "--client", "--op", "--port", "--user", "--key", "--known-hosts", "--local", "--remote" })
        {
            if (!d.ContainsKey(required))
            {
                throw new ArgumentException($"client mode needs {required}");
            }
        }

        return d;
    }
}
