using System.Globalization;
using NativeSftp.Crypto;
using NativeSftp.Crypto.HostKeys;

namespace NativeSftp.Auth.KnownHosts;

/// <summary>
/// Builds the <see cref="HostKeyVerificationException"/> for a refused key: what was presented, what the files say
/// (file and line), and the command that resolves it. The message is what a user sees, so it names the next step.
/// </summary>
internal static class HostKeyRefusal
{
    public static HostKeyVerificationException For(KnownHostsLookupResult result, string? userFile)
    {
        string where = Display(result.Host, result.Port);
        string presented = $"{result.Key.KeyType} {result.Key.Sha256Fingerprint}";
        var entry = result.DecidingEntry;
        string message = result.Status switch
        {
            KnownHostsStatus.Unknown =>
                $"The host key of {where} is not known: {presented}. It is in none of: {string.Join(", ", result.Files)}. " +
                $"Check this fingerprint with the server's administrator (on the server: ssh-keygen -l -E sha256 -f <host key>.pub), " +
                $"then add it with `{KeyscanCommand(result, userFile)}` (compare the fingerprint of what it adds), " +
                "or connect once with --host-key-policy accept-new.",
            KnownHostsStatus.Changed =>
                $"WARNING: the host key of {where} has CHANGED. Someone may be intercepting the connection (man-in-the-middle), " +
                $"or the server's key was replaced. Presented: {presented}. Known: {entry!.Key.KeyType} {entry.Key.Sha256Fingerprint} " +
                $"at {entry.Location}. If the change is expected, confirm the new fingerprint with the server's administrator, " +
                $"remove the old entry with `ssh-keygen -R '{KnownHostsFile.LookupName(result.Host, result.Port)}' -f {entry.File}`, and connect again.",
            KnownHostsStatus.OtherKeyTypeKnown =>
                $"The server {where} presented a {result.Key.KeyType} host key ({result.Key.Sha256Fingerprint}), but known_hosts knows this host " +
                $"only by a key of another type ({entry!.Key.KeyType} {entry.Key.Sha256Fingerprint} at {entry.Location}). That is not proof of an attack " +
                $"(servers have several host keys), but nothing vouches for this one. Ask for the known key's type (--host-key-algorithms " +
                $"{AlgorithmsFor(entry.Key.KeyType)}), or check the new fingerprint with the server's administrator and add it with " +
                $"`{KeyscanCommand(result, userFile)}`.",
            KnownHostsStatus.Revoked =>
                $"The host key of {where} is REVOKED: {presented} is listed by the @revoked line {entry!.Location} " +
                $"({entry.Key.KeyType} {entry.Key.Sha256Fingerprint}). Refusing to connect; a revoked key must never be accepted.",
            KnownHostsStatus.InvalidCertificate =>
                $"The host certificate of {where} ({presented}) is not acceptable: {result.Reason}" +
                (entry is null ? "." : $". Its CA is trusted by {entry.Location}; ask the server's administrator to re-issue the host certificate."),
            _ => throw new ArgumentException($"a {result.Status} lookup is not a refusal", nameof(result)),
        };

        return new HostKeyVerificationException(message, result.Host, result.Port, result.Key.KeyType, result.Key.Sha256Fingerprint)
        {
            ExpectedFingerprint = result.Status == KnownHostsStatus.Changed ? entry!.Key.Sha256Fingerprint : null,
            KnownHostsFile = entry?.File,
            KnownHostsLine = entry?.LineNumber,
        };
    }

    /// <summary>The host-key algorithm names that ask a server for a key of <paramref name="keyType"/>.</summary>
    private static string AlgorithmsFor(string keyType) => keyType == "ssh-rsa" ? "rsa-sha2-512,rsa-sha2-256" : keyType;

    public static string Display(string host, int port) =>
        port == KnownHostsFile.DefaultPort ? host : host + " port " + port.ToString(CultureInfo.InvariantCulture);

    private static string KeyscanCommand(KnownHostsLookupResult result, string? userFile)
    {
        string plainType = SshCertificate.PlainKeyTypeOf(result.Key.KeyType) ?? result.Key.KeyType;
        string scanType = plainType switch
        {
            "ssh-ed25519" => "ed25519",
            "ssh-rsa" => "rsa",
            _ when plainType.StartsWith("ecdsa-", StringComparison.Ordinal) => "ecdsa",
            _ => plainType,
        };
        string port = result.Port == KnownHostsFile.DefaultPort ? "" : "-p " + result.Port.ToString(CultureInfo.InvariantCulture) + " ";
        return $"ssh-keyscan {port}-t {scanType} {result.Host} >> {userFile ?? "~/.ssh/known_hosts"}";
    }
}
