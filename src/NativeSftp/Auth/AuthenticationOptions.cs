using NativeSftp.Crypto;

namespace NativeSftp.Auth;

/// <summary>One keyboard-interactive prompt (RFC 4256 §3.2).</summary>
public sealed record KeyboardInteractivePrompt(string Text, bool Echo);

/// <summary>A keyboard-interactive round: the server's name, instruction and prompts (RFC 4256 §3.2).</summary>
public sealed record KeyboardInteractiveRequest(string Name, string Instruction, IReadOnlyList<KeyboardInteractivePrompt> Prompts);

/// <summary>What user authentication may try, in OpenSSH's order: publickey (agent keys, then key files), keyboard-interactive, password.</summary>
public sealed class AuthenticationOptions
{
    public AuthenticationOptions(string userName)
    {
        ArgumentException.ThrowIfNullOrEmpty(userName);
        UserName = userName;
    }

    public string UserName { get; }

    /// <summary>Keys to offer, in order (agent keys first, as OpenSSH does, then key files).</summary>
    public List<ISigner> Keys { get; } = [];

    /// <summary>A password, asked for only when the server offers the password method.</summary>
    public Func<CancellationToken, ValueTask<string?>>? PasswordProvider { get; set; }

    /// <summary>Answers keyboard-interactive prompts; return null to give up on the method.</summary>
    public Func<KeyboardInteractiveRequest, CancellationToken, ValueTask<IReadOnlyList<string>?>>? KeyboardInteractive { get; set; }

    /// <summary>Things worth knowing if authentication fails (an agent that could not be reached, say).</summary>
    public List<string> Notes { get; } = [];

    /// <summary>Called with each USERAUTH_BANNER (control characters already replaced).</summary>
    public Action<string>? BannerReceived { get; set; }
}
