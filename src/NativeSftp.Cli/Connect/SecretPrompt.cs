using System.Text;

namespace NativeSftp.Cli.Connect;

/// <summary>Reads a secret from the terminal without echo (for key passphrases). Never used when stdin is redirected.</summary>
internal static class SecretPrompt
{
    /// <summary>A passphrase longer than 1024 characters is a paste accident, not a secret anyone types; stop there.</summary>
    private const int MaxChars = 1024;

    public static string? Read(string prompt)
    {
        Console.Error.Write(prompt);
        var sb = new StringBuilder();
        try
        {
            while (true)
            {
                ConsoleKeyInfo key = Console.ReadKey(intercept: true);
                switch (key.Key)
                {
                    case ConsoleKey.Enter:
                        Console.Error.WriteLine();
                        return sb.ToString();
                    case ConsoleKey.Backspace:
                        if (sb.Length > 0)
                        {
                            sb.Length--;
                        }

                        break;
                    case ConsoleKey.Escape:
                        Console.Error.WriteLine();
                        return null;
                    default:
                        if (key.KeyChar != '\0' && sb.Length < MaxChars)
                        {
                            sb.Append(key.KeyChar);
                        }

                        break;
                }
            }
        }
        finally
        {
            // The builder's buffer held the secret; overwrite it before it is left to the collector.
            for (int i = 0; i < sb.Length; i++)
            {
                sb[i] = '\0';
            }
        }
    }
}
