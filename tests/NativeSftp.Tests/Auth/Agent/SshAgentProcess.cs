using System.Diagnostics;
using NativeSftp.Tests.Fixtures;

namespace NativeSftp.Tests.Auth.Agent;

/// <summary>
/// A private OpenSSH ssh-agent (<c>ssh-agent -D -a socket</c>) in its own temp folder, so tests never touch the
/// developer's agent. Keys are added with ssh-add pointed at it through SSH_AUTH_SOCK. Disposal kills it.
/// </summary>
public sealed class SshAgentProcess : IDisposable
{
    private const string SshAgentPath = "/usr/bin/ssh-agent";
    private const string SshAddPath = "/usr/bin/ssh-add";

    /// <summary>How long the agent gets to create its socket; it normally takes a few milliseconds.</summary>
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(10);

    private readonly Process _process;

    private SshAgentProcess(string directory, Process process)
    {
        Directory = directory;
        SocketPath = Path.Combine(directory, "agent.sock");
        _process = process;
    }

    public string Directory { get; }
    public string SocketPath { get; }

    public static SshAgentProcess Start()
    {
        if (!File.Exists(SshAgentPath) || !File.Exists(SshAddPath))
        {
            throw new InvalidOperationException($"OpenSSH client tools not found ({SshAgentPath}, {SshAddPath}); install openssh-client.");
        }

        // Short path: a Unix socket path must fit in 108 bytes.
        string dir = Path.Combine(Path.GetTempPath(), "nsftp-agent-" + Guid.NewGuid().ToString("N")[..10]);
        System.IO.Directory.CreateDirectory(dir);
        string socket = Path.Combine(dir, "agent.sock");
        var psi = new ProcessStartInfo(SshAgentPath)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.ArgumentList.Add("-D");
        psi.ArgumentList.Add("-a");
        psi.ArgumentList.Add(socket);
        var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start ssh-agent");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var agent = new SshAgentProcess(dir, process);
        var deadline = Stopwatch.StartNew();
        while (!File.Exists(socket))
        {
            if (process.HasExited || deadline.Elapsed > StartTimeout)
            {
                agent.Dispose();
                throw new InvalidOperationException($"ssh-agent did not create {socket} (exited: {process.HasExited})");
            }

            Thread.Sleep(20);
        }

        return agent;
    }

    /// <summary>Adds key files with ssh-add (which also adds a <c>key-cert.pub</c> lying next to a key).</summary>
    public void Add(params string[] keyFiles)
    {
        var psi = new ProcessStartInfo(SshAddPath)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.Environment["SSH_AUTH_SOCK"] = SocketPath;
        psi.Environment["SSH_ASKPASS_REQUIRE"] = "never";
        foreach (string f in keyFiles)
        {
            psi.ArgumentList.Add(f);
        }

        using var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start ssh-add");
        var stdout = p.StandardOutput.ReadToEndAsync();
        string stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"ssh-add {string.Join(' ', keyFiles)} exited {p.ExitCode}: {stderr} {stdout.Result}");
        }
    }

    /// <summary>Kills the agent now (its socket file stays behind, as after a crash).</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }

    /// <summary>Generates a key with ssh-keygen (no passphrase) and returns its path.</summary>
    public static string GenerateKey(string directory, string name, string type, string? bits, string comment)
    {
        string path = Path.Combine(directory, name);
        var args = new List<string> { "-q", "-t", type, "-N", "", "-C", comment, "-f", path };
        if (bits is not null)
        {
            args.InsertRange(0, ["-b", bits]);
        }

        TestKeys.Run("/usr/bin/ssh-keygen", args);
        return path;
    }
}
