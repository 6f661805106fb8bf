using NativeSftp.Cli.Connect;

namespace NativeSftp.Cli.CommandLine;

/// <summary>Where a command was when it failed: a failure before the SFTP session is up is a connection failure.</summary>
public enum CommandPhase
{
    Starting,
    Connecting,
    Operating,
}

/// <summary>A command's surroundings: output streams, environment, verbosity, and its phase for error mapping.</summary>
public sealed class CliContext(TextWriter output, TextWriter error, CliEnvironment environment)
{
    public TextWriter Output { get; } = output;
    public TextWriter Error { get; } = error;
    public CliEnvironment Environment { get; } = environment;
    public bool IsVerbose { get; set; }

    /// <summary>--json: commands that support it print one JSON object instead of text.</summary>
    public bool Json { get; set; }
    public CommandPhase Phase { get; set; } = CommandPhase.Starting;

    public void Verbose(string message)
    {
        if (IsVerbose)
        {
            Error.WriteLine("nsftp: " + message);
        }
    }
}
