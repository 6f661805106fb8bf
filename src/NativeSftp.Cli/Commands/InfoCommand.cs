using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using NativeSftp.Cli.CommandLine;
using NativeSftp.Cli.Connect;
using NativeSftp.Cli.Output;
using NativeSftp.Sftp;
using NativeSftp.Transport;

namespace NativeSftp.Cli.Commands;

/// <summary>
/// `nsftp info sftp://host`: what the server is and what was agreed — banner, everything its KEXINIT offered,
/// what was negotiated, strict KEX, host key, SFTP version, extensions and limits. It logs in (the SFTP part needs
/// a session), so it also proves the credentials work.
/// </summary>
public static class InfoCommand
{
    public static void Register(RootCommand root, CommandRunner runner)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(runner);
        var url = new Argument<string>("host-url") { Description = "sftp://[user@]host[:port]" };
        var command = new Command("info", "Show the server's banner, algorithms (offered and negotiated), strict KEX, host key, SFTP version, extensions and limits.") { url };
        runner.Bind(command, async (parse, args, context, ct) =>
        {
            var remote = RemoteUrl.Parse(parse.GetRequiredValue(url));
            await using var session = await CliSession.OpenAsync(remote, args, context, ct).ConfigureAwait(false);
            var report = Collect(session);
            await context.Output.WriteAsync(context.Json ? Json(report) : Text(report)).ConfigureAwait(false);
            return ExitCodes.Success;
        });
        root.Add(command);
    }

    /// <summary>Everything info prints, gathered once so the text and JSON forms cannot disagree.</summary>
    public sealed record Report(
        string Host,
        int Port,
        string ServerVersion,
        string ClientVersion,
        bool StrictKex,
        string HostKeyType,
        string HostKeyFingerprint,
        NegotiatedAlgorithms Negotiated,
        KexInitMessage? Offered,
        IReadOnlyList<string> ServerSignatureAlgorithms,
        uint SftpVersion,
        IReadOnlyDictionary<string, string> Extensions,
        Sftp.Protocol.Extensions.SftpServerLimits? Limits);

    public static Report Collect(CliSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        SshClient ssh = session.Ssh;
        SshTransport t = ssh.Transport;
        return new Report(
            ssh.Options.Host,
            ssh.Options.Port,
            ssh.ServerVersion,
            t.ClientVersion,
            t.IsStrictKex,
            ssh.HostKey.KeyType,
            ssh.HostKey.Sha256Fingerprint,
            ssh.Algorithms,
            t.ServerKexInit,
            t.ServerSignatureAlgorithms,
            SftpClient.ProtocolVersion,
            session.Sftp.Extensions,
            session.Sftp.Limits);
    }

    public static string Text(Report r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var w = new StringWriter(CultureInfo.InvariantCulture);
        w.WriteLine($"server: {r.Host}:{r.Port}");
        w.WriteLine($"banner: {AttributeOutput.Printable(r.ServerVersion)}");
        w.WriteLine($"client: {r.ClientVersion}");
        w.WriteLine($"strict KEX: {(r.StrictKex ? "yes (kex-strict-s-v00@openssh.com)" : "no")}");
        w.WriteLine($"host key: {r.HostKeyType} {r.HostKeyFingerprint}");
        w.WriteLine("negotiated:");
        var n = r.Negotiated;
        w.WriteLine($"  kex: {n.KeyExchange}");
        w.WriteLine($"  host key algorithm: {n.ServerHostKey}");
        w.WriteLine($"  cipher: {n.EncryptionClientToServer} (client to server), {n.EncryptionServerToClient} (server to client)");
        w.WriteLine($"  mac: {n.MacClientToServer ?? "implicit (AEAD)"} (client to server), {n.MacServerToClient ?? "implicit (AEAD)"} (server to client)");
        w.WriteLine($"  compression: {n.CompressionClientToServer}, {n.CompressionServerToClient}");
        if (r.Offered is { } o)
        {
            w.WriteLine("offered by the server:");
            w.WriteLine($"  kex: {string.Join(",", o.KexAlgorithms)}");
            w.WriteLine($"  host key algorithms: {string.Join(",", o.ServerHostKeyAlgorithms)}");
            w.WriteLine($"  ciphers: {string.Join(",", o.EncryptionServerToClient)}");
            w.WriteLine($"  macs: {string.Join(",", o.MacServerToClient)}");
            w.WriteLine($"  compression: {string.Join(",", o.CompressionServerToClient)}");
        }

        if (r.ServerSignatureAlgorithms.Count > 0)
        {
            w.WriteLine($"  server-sig-algs: {string.Join(",", r.ServerSignatureAlgorithms)}");
        }

        w.WriteLine($"sftp version: {r.SftpVersion}");
        w.WriteLine("sftp extensions:");
        foreach (var (name, data) in r.Extensions)
        {
            w.WriteLine($"  {AttributeOutput.Printable(name)} {AttributeOutput.Printable(data)}");
        }

        if (r.Limits is { } l)
        {
            w.WriteLine("sftp limits (limits@openssh.com):");
            w.WriteLine($"  max packet length: {l.MaxPacketLength}");
            w.WriteLine($"  max read length: {l.MaxReadLength}");
            w.WriteLine($"  max write length: {l.MaxWriteLength}");
            w.WriteLine($"  max open handles: {(l.MaxOpenHandles == 0 ? "unlimited" : l.MaxOpenHandles.ToString(CultureInfo.InvariantCulture))}");
        }

        return w.ToString();
    }

    public static string Json(Report r)
    {
        ArgumentNullException.ThrowIfNull(r);
        return JsonOutput.Write(w =>
        {
            w.WriteString("host", r.Host);
            w.WriteNumber("port", r.Port);
            w.WriteString("banner", r.ServerVersion);
            w.WriteString("client", r.ClientVersion);
            w.WriteBoolean("strictKex", r.StrictKex);
            w.WriteStartObject("hostKey");
            w.WriteString("type", r.HostKeyType);
            w.WriteString("fingerprint", r.HostKeyFingerprint);
            w.WriteEndObject();
            var n = r.Negotiated;
            w.WriteStartObject("negotiated");
            w.WriteString("kex", n.KeyExchange);
            w.WriteString("hostKey", n.ServerHostKey);
            w.WriteString("cipherClientToServer", n.EncryptionClientToServer);
            w.WriteString("cipherServerToClient", n.EncryptionServerToClient);
            w.WriteString("macClientToServer", n.MacClientToServer);
            w.WriteString("macServerToClient", n.MacServerToClient);
            w.WriteString("compressionClientToServer", n.CompressionClientToServer);
            w.WriteString("compressionServerToClient", n.CompressionServerToClient);
            w.WriteEndObject();
            if (r.Offered is { } o)
            {
                w.WriteStartObject("offered");
                Array(w, "kex", o.KexAlgorithms);
                Array(w, "hostKey", o.ServerHostKeyAlgorithms);
                Array(w, "ciphersClientToServer", o.EncryptionClientToServer);
                Array(w, "ciphersServerToClient", o.EncryptionServerToClient);
                Array(w, "macsClientToServer", o.MacClientToServer);
                Array(w, "macsServerToClient", o.MacServerToClient);
                Array(w, "compressionClientToServer", o.CompressionClientToServer);
                Array(w, "compressionServerToClient", o.CompressionServerToClient);
                Array(w, "serverSigAlgs", r.ServerSignatureAlgorithms);
                w.WriteEndObject();
            }

            w.WriteNumber("sftpVersion", r.SftpVersion);
            w.WriteStartObject("sftpExtensions");
            foreach (var (name, data) in r.Extensions)
            {
                w.WriteString(name, data);
            }

            w.WriteEndObject();
            if (r.Limits is { } l)
            {
                w.WriteStartObject("sftpLimits");
                w.WriteNumber("maxPacketLength", l.MaxPacketLength);
                w.WriteNumber("maxReadLength", l.MaxReadLength);
                w.WriteNumber("maxWriteLength", l.MaxWriteLength);
                w.WriteNumber("maxOpenHandles", l.MaxOpenHandles);
                w.WriteEndObject();
            }
        });
    }

    private static void Array(Utf8JsonWriter w, string name, IReadOnlyList<string> items)
    {
        w.WriteStartArray(name);
        foreach (string item in items)
        {
            w.WriteStringValue(item);
        }

        w.WriteEndArray();
    }
}
