using System.CommandLine;
using NativeSftp.Cli.Commands;
using NativeSftp.Cli.Connect;

namespace NativeSftp.Cli.CommandLine;

/// <summary>
/// Builds the `nsftp` command tree and runs it. Parse errors (unknown option, missing argument, no command) print
/// the parser's message and exit 2 instead of System.CommandLine's default 1, so scripts can tell usage from failure.
/// </summary>
public static class NsftpCommandLine
{
    public static RootCommand Build(CommandRunner runner)
    {
        ArgumentNullException.ThrowIfNull(runner);
        var root = new RootCommand(
            "nsftp: SFTP client. URLs are sftp://[user@]host[:port]/path; /~/path is relative to the login directory.\n" +
            "Exit codes: 0 done, 2 usage, 3 connection/authentication/host key, 4 operation failed, 5 verification mismatch.");
        runner.Options.AddTo(root);
        FileCommands.Register(root, runner);
        InfoCommand.Register(root, runner);
        TransferCommands.Register(root, runner);
        return root;
    }

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CliEnvironment environment, CancellationToken cancellationToken = default)
    {
        var runner = new CommandRunner(new CommonOptions(), output, error, environment);
        RootCommand root = Build(runner);
        ParseResult parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var e in parse.Errors)
            {
                await error.WriteLineAsync("nsftp: " + e.Message).ConfigureAwait(false);
            }

            await error.WriteLineAsync("nsftp: run 'nsftp --help' for usage.").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        var config = new InvocationConfiguration { Output = output, Error = error };
        return await parse.InvokeAsync(config, cancellationToken).ConfigureAwait(false);
    }
}
