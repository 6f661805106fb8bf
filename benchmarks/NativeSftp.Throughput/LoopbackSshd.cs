using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace NativeSftp.Throughput;

/// <summary>
/// A throwaway OpenSSH sshd on 127.0.0.1 with keys generated in a temporary folder (the same shape as build.sh's
/// start_demo_sshd). Runs in the foreground (-D) as our child, so disposing it ends it and nothing is left behind.
/// </summary>
internal sealed class LoopbackSshd : IDisposable
{
    private const string SshdPath = "/usr/sbin/sshd";

    /// <summary>How long sshd gets to start listening: 100 polls × 100 ms = 10 s (it normally takes ~50 ms).</summary>
    private const int StartPolls = 100;
    private static readonly TimeSpan StartPollInterval = TimeSpan.FromMilliseconds(100);

    private readonly Process _process;

    private LoopbackSshd(Process process, string directory, int port)
    {
        _process = process;
        Directory = directory;
        Port = port;
    }

    public string Directory { get; }
    public int Port { get; }
    public string ClientKey => Path.Combine(Directory, "id_ed25519");
    public string UserName { get; } = Environment.UserName;

    public static async Task<LoopbackSshd> StartAsync(string directory)
    {
        if (!File.Exists(SshdPath))
        {
            throw new InvalidOperationException($"{SshdPath} is missing: install openssh-server and openssh-sftp-server");
        }

        System.IO.Directory.CreateDirectory(directory);
        // sshd refuses to start without its privilege-separation directory.
        System.IO.Directory.CreateDirectory("/run/sshd");
        await Tools.RunAsync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", Path.Combine(directory, "host_ed25519")]).ConfigureAwait(false);
        await Tools.RunAsync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", Path.Combine(directory, "id_ed25519")]).ConfigureAwait(false);
        File.Copy(Path.Combine(directory, "id_ed25519.pub"), Path.Combine(directory, "authorized_keys"), overwrite: true);

        int port = FreePort();
        string config = Path.Combine(directory, "sshd_config");
        await File.WriteAllTextAsync(config, string.Create(CultureInfo.InvariantCulture, $"""
            ListenAddress 127.0.0.1:{port}
            HostKey {directory}/host_ed25519
            PidFile none
            AuthorizedKeysFile {directory}/authorized_keys
            StrictModes no
            UsePAM no
            PermitRootLogin yes
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            Subsystem sftp internal-sftp

            """)).ConfigureAwait(false);

        var psi = new ProcessStartInfo(SshdPath) { UseShellExecute = false };
        foreach (string a in new[] { "-D", "-f", config, "-E", Path.Combine(directory, "sshd.log") })
        {
            psi.ArgumentList.Add(a);
        }

        var process = Process.Start(psi) ?? throw new InvalidOperationException("sshd did not start");
        var sshd = new LoopbackSshd(process, directory, port);
        for (int i = 0; i < StartPolls; i++)
        {
            if (process.HasExited)
            {
                break;
            }

            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, port).ConfigureAwait(false);
                return sshd;
            }
            catch (SocketException)
            {
                await Task.Delay(StartPollInterval).ConfigureAwait(false);
            }
        }

        string log = File.Exists(Path.Combine(directory, "sshd.log")) ? await File.ReadAllTextAsync(Path.Combine(directory, "sshd.log")).ConfigureAwait(false) : "";
        sshd.Dispose();
        throw new InvalidOperationException("sshd did not start listening; its log:\n" + log);
    }

    /// <summary>A port the kernel just gave out; sshd binds it a moment later (a race only another binder could lose us).</summary>
    private static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            // The listener only: per-connection sshd children end with their connections.
            _process.Kill(entireProcessTree: false);
            _process.WaitForExit();
        }

        _process.Dispose();
    }
}
