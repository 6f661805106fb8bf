using System.Diagnostics;

namespace NativeSftp.Tests.Cli;

/// <summary>What one nsftp run produced.</summary>
public sealed record NsftpRun(int ExitCode, string StandardOutput, string StandardError)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout ---\n{StandardOutput}\n--- stderr ---\n{StandardError}";
}

/// <summary>
/// Runs the built nsftp.dll with `dotnet`, as a user would, with HOME pointed at a test folder (so ~/.ssh/config
/// and known_hosts are the test's) and without SSH_AUTH_SOCK (so a developer's agent cannot make a test pass).
/// With <c>NSFTP_EXECUTABLE</c> set (./build.sh test sets it for a second pass of the process tests) the native
/// executable at that path is run instead: the Native AOT nsftp that ./build.sh publish makes, so code that only
/// breaks ahead-of-time compiled (trimmed reflection, say) fails a test.
/// </summary>
public static class NsftpProcess
{
    /// <summary>The environment variable naming a native nsftp to run instead of <c>dotnet nsftp.dll</c>.</summary>
    public const string ExecutableVariable = "NSFTP_EXECUTABLE";

    /// <summary>The test category of every fixture that runs nsftp as a process: ./build.sh test runs it twice.</summary>
    public const string Category = "NsftpProcess";

    /// <summary>A hung run must fail the test, not the suite: no command here needs more than a few seconds.</summary>
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(30);

    private static readonly Lazy<string> Dll = new(FindDll);

    public static string DllPath => Dll.Value;

    public static async Task<NsftpRun> RunAsync(string home, IEnumerable<string> args, IDictionary<string, string>? environment = null)
    {
        var psi = StartInfo(args);

        psi.Environment["HOME"] = home;
        psi.Environment.Remove("SSH_AUTH_SOCK");
        psi.Environment.Remove("NSFTP_PASSPHRASE");
        psi.Environment["DOTNET_NOLOGO"] = "1";
        if (environment is not null)
        {
            foreach (var (k, v) in environment)
            {
                psi.Environment[k] = v;
            }
        }

        using var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start dotnet");
        p.StandardInput.Close(); // no terminal: nsftp must never wait for a prompt
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(RunTimeout);
        try
        {
            await p.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"nsftp {string.Join(' ', args)} did not finish within {RunTimeout.TotalSeconds} s");
        }

        return new NsftpRun(p.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
    }

    /// <summary>
    /// How to start nsftp with these arguments: the native executable named by <see cref="ExecutableVariable"/>,
    /// else <c>dotnet nsftp.dll</c>. Output and input are redirected; the caller sets the environment.
    /// </summary>
    public static ProcessStartInfo StartInfo(IEnumerable<string> args)
    {
        string? native = Environment.GetEnvironmentVariable(ExecutableVariable);
        ProcessStartInfo psi;
        if (!string.IsNullOrEmpty(native))
        {
            if (!File.Exists(native))
            {
                throw new FileNotFoundException($"{ExecutableVariable} names {native}, which does not exist (./build.sh publish makes it)");
            }

            psi = new ProcessStartInfo(native);
        }
        else
        {
            psi = new ProcessStartInfo("dotnet");
            psi.ArgumentList.Add(DllPath);
        }

        psi.UseShellExecute = false;
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        psi.RedirectStandardInput = true;
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        return psi;
    }

    /// <summary>
    /// nsftp.dll in the CLI project's output for the configuration the tests were built with (the test assembly's
    /// own folder is tests/NativeSftp.Tests/bin/&lt;Configuration&gt;/net10.0).
    /// </summary>
    private static string FindDll()
    {
        var testDir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        string framework = testDir.Name;
        string configuration = testDir.Parent?.Name ?? "Release";
        string root = Path.GetFullPath(Path.Combine(testDir.FullName, "..", "..", "..", "..", ".."));
        string[] candidates =
        [
            Path.Combine(root, "src", "NativeSftp.Cli", "bin", configuration, framework, "nsftp.dll"),
            Path.Combine(root, "src", "NativeSftp.Cli", "bin", "Release", framework, "nsftp.dll"),
            Path.Combine(root, "src", "NativeSftp.Cli", "bin", "Debug", framework, "nsftp.dll"),
        ];
        return candidates.FirstOrDefault(File.Exists)
            ?? throw new FileNotFoundException("nsftp.dll not found; build the solution first. Looked in: " + string.Join(", ", candidates));
    }
}
