using NativeSftp.Cli.CommandLine;
using NativeSftp.Cli.Connect;

namespace NativeSftp.Cli;

internal static class Program
{
    private static Task<int> Main(string[] args) =>
        NsftpCommandLine.RunAsync(args, Console.Out, Console.Error, CliEnvironment.Current);
}
