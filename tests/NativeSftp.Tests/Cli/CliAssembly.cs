using System.Reflection;

namespace NativeSftp.Tests.Cli;

/// <summary>
/// nsftp.dll loaded by path, for unit tests of its output classes. The test project references the CLI only for
/// build order (it is an executable, not a library); its public types are reached here by name. NativeSftp.dll is
/// the same assembly in both, so TransferResult and TransferProgress pass across unchanged.
/// </summary>
public static class CliAssembly
{
    private static readonly Lazy<Assembly> Loaded = new(() => Assembly.LoadFrom(NsftpProcess.DllPath));

    public static Type Type(string name) =>
        Loaded.Value.GetType("NativeSftp.Cli." + name, throwOnError: true)!;

    public static object? InvokeStatic(string type, string method, params object?[] args)
    {
        try
        {
            return Type(type).GetMethod(method, BindingFlags.Public | BindingFlags.Static)!.Invoke(null, args);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerException).Throw();
            throw;
        }
    }
}
