using System.Security.Cryptography;
using NativeSftp.Tests.Fixtures;

namespace NativeSftp.Tests.Auth.Interop;

/// <summary>
/// A throwaway local account for password tests: <c>useradd -M -s /bin/sh nsftp-test-XXXX</c> with a random
/// password set through chpasswd, removed with userdel on dispose. Password login is never tested against the
/// account running the tests, so no real password is ever set or sent. Needs root; fails loudly without it.
/// </summary>
public sealed class LocalTestUser : IDisposable
{
    private const string UserAdd = "/usr/sbin/useradd";
    private const string ChPasswd = "/usr/sbin/chpasswd";
    private const string UserDel = "/usr/sbin/userdel";

    /// <summary>Linux user names are at most 32 characters; "nsftp-test-" plus 8 hex digits is 19.</summary>
    private const int SuffixHexDigits = 8;

    private LocalTestUser(string name, string password)
    {
        Name = name;
        Password = password;
    }

    public string Name { get; }
    public string Password { get; }

    public static LocalTestUser Create()
    {
        if (Environment.UserName != "root" || !File.Exists(UserAdd) || !File.Exists(ChPasswd))
        {
            throw new InvalidOperationException(
                $"password tests create a local user and need root with {UserAdd} and {ChPasswd} (running as '{Environment.UserName}')");
        }

        string name = "nsftp-test-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(SuffixHexDigits / 2));

        // Letters and digits only: chpasswd reads "user:password" lines, so a ':' or newline would break it.
        string password = "Pw" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        TestKeys.Run(UserAdd, ["-M", "-s", "/bin/sh", name]);
        try
        {
            TestKeys.Run(ChPasswd, [], stdin: $"{name}:{password}\n");
        }
        catch
        {
            TestKeys.Run(UserDel, [name]);
            throw;
        }

        return new LocalTestUser(name, password);
    }

    /// <summary>-f: a session sshd forked for the user may still be exiting, and userdel refuses a logged-in user without it.</summary>
    public void Dispose() => TestKeys.Run(UserDel, ["-f", Name]);
}
