using System.CommandLine;
using NativeSftp.Cli.Connect;

namespace NativeSftp.Cli.CommandLine;

/// <summary>The body of one command: the parsed options, its context, and cancellation (Ctrl+C).</summary>
public delegate Task<int> CommandBody(ParseResult parse, ConnectionArguments arguments, CliContext context, CancellationToken cancellationToken);

/// <summary>Runs a command body with the shared setup (binding the common options) and the shared error mapping.</summary>
public sealed class CommandRunner(CommonOptions options, TextWriter output, TextWriter error, CliEnvironment environment)
{
    public CommonOptions Options { get; } = options;

    /// <summary>Sets <paramref name="command"/>'s action to run <paramref name="body"/>; every failure becomes an exit code.</summary>
    public void Bind(Command command, CommandBody body)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(body);
        command.SetAction((parse, ct) => RunAsync(parse, body, ct));
    }

    private async Task<int> RunAsync(ParseResult parse, CommandBody body, CancellationToken cancellationToken)
    {
        var context = new CliContext(output, error, environment);
        try
        {
            context.IsVerbose = parse.GetValue(Options.Verbose);
            ConnectionArguments arguments = Options.Bind(parse);
            context.Json = arguments.Json;
            return await body(parse, arguments, context, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // The one place every failure ends: mapped to an exit code and a readable message, never swallowed.
            return ErrorReporter.Report(e, context);
        }
        finally
        {
            await output.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }
}
