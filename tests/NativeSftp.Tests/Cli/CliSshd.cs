using NativeSftp.Tests.Fixtures;

namespace NativeSftp.Tests.Cli;

/// <summary>One sshd for every CLI test (each test has its own HOME and remote folder, so they do not interfere).</summary>
[SetUpFixture]
public sealed class CliSshd
{
    private static SshdServer? _server;

    public static SshdServer Server => _server ?? throw new InvalidOperationException("the CLI sshd fixture did not start");

    [OneTimeSetUp]
    public async Task StartAsync() => _server = await SshdServer.StartAsync();

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    /// <summary>A fresh folder for a test's remote files (sshd runs as this user on this machine).</summary>
    public static string NewRemoteFolder()
    {
        string dir = Path.Combine(Path.GetTempPath(), "nsftp-cli-remote-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dir);
        return dir;
    }
}
