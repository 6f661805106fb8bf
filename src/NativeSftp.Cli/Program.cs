namespace NativeSftp.Cli;

internal static class Program
{
    private static int Main(string[] args)
    {
        Console.Error.WriteLine("nsftp: no commands are implemented yet.");
        return 2;
    }
}
