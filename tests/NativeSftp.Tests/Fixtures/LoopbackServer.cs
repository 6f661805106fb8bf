using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace NativeSftp.Tests.Fixtures;

/// <summary>What the server fixtures (sshd, ProFTPD, dropbear) share: a free loopback port, waiting for the SSH banner, reading a log being written.</summary>
internal static class LoopbackServer
{
    /// <summary>A port free on 127.0.0.1 now (the caller retries if it is taken before the server binds it).</summary>
    public static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    /// <summary>Connects, reads the server's identification line, and closes.</summary>
    public static async Task<string> ReadBannerAsync(int port, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(5));
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port, timeout.Token).ConfigureAwait(false);
        var stream = client.GetStream();
        var line = new List<byte>();
        var one = new byte[1];
        while (line.Count < 255)
        {
            int n = await stream.ReadAsync(one, timeout.Token).ConfigureAwait(false);
            if (n == 0)
            {
                throw new IOException("connection closed before the banner");
            }

            if (one[0] == '\n')
            {
                break;
            }

            line.Add(one[0]);
        }

        return Encoding.ASCII.GetString(line.ToArray()).TrimEnd('\r');
    }

    /// <summary>
    /// Waits until <paramref name="process"/> answers on <paramref name="port"/> with an SSH-2.0 banner; throws when it
    /// exits first (with <paramref name="exitDetail"/>'s account) or after <paramref name="startTimeout"/>.
    /// </summary>
    public static async Task WaitForBannerAsync(Process process, int port, string name, TimeSpan startTimeout, Func<Task<string>> exitDetail, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + startTimeout;
        string? lastError = null;
        while (DateTime.UtcNow < deadline)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (process.HasExited)
            {
                throw new InvalidOperationException($"{name} exited with code {process.ExitCode}: {(await exitDetail().ConfigureAwait(false)).Trim()}");
            }

            try
            {
                string banner = await ReadBannerAsync(port, cancellationToken).ConfigureAwait(false);
                if (banner.StartsWith("SSH-2.0-", StringComparison.Ordinal))
                {
                    return;
                }

                lastError = "unexpected banner " + banner;
            }
            catch (Exception e) when (e is SocketException or IOException or TimeoutException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                lastError = e.Message;
            }

            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }

        throw new TimeoutException($"{name} on port {port} gave no banner within {startTimeout.TotalSeconds} s: {lastError}");
    }

    /// <summary>Stops a server and every process it forked (its sessions), and releases it.</summary>
    public static async Task StopAsync(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync().ConfigureAwait(false);
            }
        }
        catch (InvalidOperationException)
        {
            // The process had already exited between the check and the kill: nothing left to stop.
        }

        process.Dispose();
    }

    /// <summary>Deletes a server's folder; a session process still holding a file for a moment only leaves it behind (it is under the temp directory).</summary>
    public static void DeleteQuietly(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException e)
        {
            TestContext.Progress.WriteLine($"could not delete {directory}: {e.Message}");
        }
    }

    /// <summary>A file another process is still writing (a server log); the reason instead when it cannot be read.</summary>
    public static string ReadShared(string path)
    {
        try
        {
            using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var sr = new StreamReader(fs);
            return sr.ReadToEnd();
        }
        catch (IOException e)
        {
            return $"(unavailable: {e.Message})";
        }
    }
}
