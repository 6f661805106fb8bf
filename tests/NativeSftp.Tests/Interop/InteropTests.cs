using System.Security.Cryptography;

namespace NativeSftp.Tests.Interop;

/// <summary>
/// What the tests against a server other than OpenSSH share: one server for the fixture, a local folder beside it,
/// files of random data, and the server's own log printed with a failed test.
/// </summary>
public abstract class InteropTests<TServer> where TServer : class, IAsyncDisposable
{
    protected TServer Server { get; private set; } = null!;

    protected string LocalDir { get; private set; } = null!;

    protected abstract Task<TServer> StartServerAsync();

    /// <summary>The server's folder (the local folder goes inside it, so one delete removes both).</summary>
    protected abstract string ServerDirectory(TServer server);

    /// <summary>The server's log so far, for a failed test.</summary>
    protected abstract string ServerLog(TServer server);

    [OneTimeSetUp]
    public async Task StartServer()
    {
        Server = await StartServerAsync();
        LocalDir = Path.Combine(ServerDirectory(Server), "local");
        Directory.CreateDirectory(LocalDir);
    }

    [OneTimeTearDown]
    public async Task StopServer() => await Server.DisposeAsync();

    [TearDown]
    public void ShowLogOnFailure()
    {
        if (TestContext.CurrentContext.Result.Outcome.Status == NUnit.Framework.Interfaces.TestStatus.Failed)
        {
            TestContext.Out.WriteLine($"--- {typeof(TServer).Name} log ---\n" + ServerLog(Server));
        }
    }

    protected string LocalFile(string name, int size)
    {
        string path = Path.Combine(LocalDir, name);
        File.WriteAllBytes(path, RandomNumberGenerator.GetBytes(size));
        return path;
    }
}
