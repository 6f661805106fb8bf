namespace NativeSftp.Transport;

/// <summary>
/// Algorithm negotiation, RFC 4253 §7.1, as a pure function: for each category the chosen algorithm is the first
/// on the client's list that is also on the server's. Pseudo-algorithms (ext-info-*, kex-strict-*) never match
/// because the two sides use different names for them.
/// </summary>
public static class AlgorithmNegotiator
{
    /// <summary>RFC 8308 §2.1: the client's marker asking for SSH_MSG_EXT_INFO.</summary>
    public const string ExtInfoClient = "ext-info-c";

    /// <summary>Strict KEX (OpenSSH PROTOCOL §1.10, Terrapin fix): the client's and the server's markers.</summary>
    public const string StrictKexClient = "kex-strict-c-v00@openssh.com";
    public const string StrictKexServer = "kex-strict-s-v00@openssh.com";

    /// <summary>
    /// Negotiates every category. <paramref name="isAead"/> says whether a cipher carries its own integrity
    /// (AES-GCM, chacha20-poly1305), in which case the MAC lists are not consulted (RFC 5647 §5.1, OpenSSH).
    /// Throws <see cref="SshProtocolException"/> (KeyExchangeFailed) naming the category and both lists when a
    /// category has no algorithm in common.
    /// </summary>
    public static NegotiatedAlgorithms Negotiate(KexInitMessage client, KexInitMessage server, Func<string, bool> isAead)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(isAead);

        string kex = Choose("key exchange", client.KexAlgorithms, server.KexAlgorithms, IsPseudoKex);
        string hostKey = Choose("host key", client.ServerHostKeyAlgorithms, server.ServerHostKeyAlgorithms, null);
        string encC2S = Choose("cipher client->server", client.EncryptionClientToServer, server.EncryptionClientToServer, null);
        string encS2C = Choose("cipher server->client", client.EncryptionServerToClient, server.EncryptionServerToClient, null);
        string? macC2S = isAead(encC2S) ? null : Choose("MAC client->server", client.MacClientToServer, server.MacClientToServer, null);
        string? macS2C = isAead(encS2C) ? null : Choose("MAC server->client", client.MacServerToClient, server.MacServerToClient, null);
        string compC2S = Choose("compression client->server", client.CompressionClientToServer, server.CompressionClientToServer, null);
        string compS2C = Choose("compression server->client", client.CompressionServerToClient, server.CompressionServerToClient, null);
        return new NegotiatedAlgorithms(kex, hostKey, encC2S, encS2C, macC2S, macS2C, compC2S, compS2C);
    }

    /// <summary>
    /// RFC 4253 §7.1: when the peer sent a guessed first KEX packet, the guess is right only if its first
    /// key-exchange and host-key algorithms are the ones negotiated; otherwise that packet must be ignored.
    /// </summary>
    public static bool GuessWasWrong(KexInitMessage sender, NegotiatedAlgorithms negotiated)
    {
        ArgumentNullException.ThrowIfNull(sender);
        ArgumentNullException.ThrowIfNull(negotiated);
        if (!sender.FirstKexPacketFollows)
        {
            return false;
        }

        string? firstKex = sender.KexAlgorithms.Count > 0 ? sender.KexAlgorithms[0] : null;
        string? firstHostKey = sender.ServerHostKeyAlgorithms.Count > 0 ? sender.ServerHostKeyAlgorithms[0] : null;
        return firstKex != negotiated.KeyExchange || firstHostKey != negotiated.ServerHostKey;
    }

    private static bool IsPseudoKex(string name) =>
        name is ExtInfoClient or "ext-info-s" or StrictKexClient or StrictKexServer;

    private static string Choose(string category, IReadOnlyList<string> client, IReadOnlyList<string> server, Func<string, bool>? skip)
    {
        foreach (string c in client)
        {
            if (skip is not null && skip(c))
            {
                continue;
            }

            foreach (string s in server)
            {
                if (string.Equals(c, s, StringComparison.Ordinal))
                {
                    return c;
                }
            }
        }

        throw new SshProtocolException(
            DisconnectReason.KeyExchangeFailed,
            $"no {category} algorithm in common: we offer [{string.Join(",", client)}], the server offers [{string.Join(",", server)}]");
    }
}
