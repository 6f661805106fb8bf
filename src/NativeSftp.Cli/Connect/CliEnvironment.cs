namespace NativeSftp.Cli.Connect;

/// <summary>
/// What the CLI takes from its surroundings: environment variables, the home folder (HOME, so tests and scripts can
/// point it elsewhere), the local user, and whether a person is at a terminal. One seam, so the rest stays pure.
/// </summary>
public sealed class CliEnvironment
{
    public static CliEnvironment Current { get; } = new();

    public string? Variable(string name) => Environment.GetEnvironmentVariable(name);

    /// <summary>$HOME (as OpenSSH reads it for ~ in its config), else the platform's profile folder.</summary>
    public string HomeDirectory =>
        Variable("HOME") is { Length: > 0 } home ? home : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);

    /// <summary>$USER, else the account name: OpenSSH's default remote user is the local one.</summary>
    public string LocalUser => Variable("USER") is { Length: > 0 } user ? user : Environment.UserName;

    /// <summary>Prompts need a person: stdin and stderr both attached to a terminal.</summary>
    public bool IsInteractive => !Console.IsInputRedirected && !Console.IsErrorRedirected;

    /// <summary>Expands a leading ~ against <see cref="HomeDirectory"/>.</summary>
    public string ExpandHome(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path == "~")
        {
            return HomeDirectory;
        }

        return path.StartsWith("~/", StringComparison.Ordinal) ? Path.Combine(HomeDirectory, path[2..]) : path;
    }
}
