namespace NativeSftp.Crypto.Ciphers;

/// <summary>The MAC names we implement, as negotiated in KEXINIT.</summary>
internal static class MacNames
{
    public const string HmacSha256Etm = "hmac-sha2-256-etm@openssh.com";
    public const string HmacSha512Etm = "hmac-sha2-512-etm@openssh.com";
    public const string HmacSha256 = "hmac-sha2-256";
    public const string HmacSha512 = "hmac-sha2-512";
}
