using System.CommandLine;
using NativeSftp.Cli.CommandLine;
using NativeSftp.Cli.Connect;
using NativeSftp.Cli.Output;
using NativeSftp.Sftp.Protocol;

namespace NativeSftp.Cli.Commands;

/// <summary>ls, stat, rm, mkdir, rmdir, mv: one request (or a listing) each on one SFTP session.</summary>
public static class FileCommands
{
    public static void Register(RootCommand root, CommandRunner runner)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(runner);
        root.Add(Single(runner, "ls", "List a directory like ls -l (sorted by name), or show one file.", ListAsync));
        root.Add(Single(runner, "stat", "Show a file's attributes.", StatAsync));
        root.Add(Single(runner, "rm", "Remove a file.", (s, p, _, ct) => SimpleAsync(s.Sftp.RemoveAsync(p, ct))));
        root.Add(Single(runner, "mkdir", "Create a directory.", (s, p, _, ct) => SimpleAsync(s.Sftp.CreateDirectoryAsync(p, null, ct))));
        root.Add(Single(runner, "rmdir", "Remove an empty directory.", (s, p, _, ct) => SimpleAsync(s.Sftp.RemoveDirectoryAsync(p, ct))));

        var url = new Argument<string>("url") { Description = "sftp://[user@]host[:port]/path of the file to move" };
        var target = new Argument<string>("new-path") { Description = "The new path on the same server (absolute, or relative to the login directory)" };
        var mv = new Command("mv", "Rename or move a file on the server (replaces an existing target where the server supports posix-rename).") { url, target };
        runner.Bind(mv, async (parse, args, context, ct) =>
        {
            var remote = RemoteUrl.Parse(parse.GetRequiredValue(url));
            string newPath = NewPath(remote, parse.GetRequiredValue(target));
            await using var session = await CliSession.OpenAsync(remote, args, context, ct).ConfigureAwait(false);
            string from = await session.ResolveAsync(remote.Path, ct).ConfigureAwait(false);
            string to = await session.ResolveAsync(newPath, ct).ConfigureAwait(false);
            if (session.Sftp.Supports("posix-rename@openssh.com"))
            {
                await session.Sftp.PosixRenameAsync(from, to, ct).ConfigureAwait(false);
            }
            else
            {
                await session.Sftp.RenameAsync(from, to, ct).ConfigureAwait(false);
            }

            return ExitCodes.Success;
        });
        root.Add(mv);
    }

    private delegate Task<int> PathOperation(CliSession session, string path, CliContext context, CancellationToken cancellationToken);

    private static Command Single(CommandRunner runner, string name, string description, PathOperation operation)
    {
        var url = new Argument<string>("url") { Description = "sftp://[user@]host[:port]/path" };
        var command = new Command(name, description) { url };
        runner.Bind(command, async (parse, args, context, ct) =>
        {
            var remote = RemoteUrl.Parse(parse.GetRequiredValue(url));
            await using var session = await CliSession.OpenAsync(remote, args, context, ct).ConfigureAwait(false);
            string path = await session.ResolveAsync(remote.Path, ct).ConfigureAwait(false);
            context.Verbose($"{name} {path}");
            return await operation(session, path, context, ct).ConfigureAwait(false);
        });
        return command;
    }

    private static async Task<int> SimpleAsync(Task operation)
    {
        await operation.ConfigureAwait(false);
        return ExitCodes.Success;
    }

    /// <summary>mv's target: a path, or an sftp URL naming the same server (a rename cannot cross servers).</summary>
    private static string NewPath(RemoteUrl source, string target)
    {
        if (!target.StartsWith(RemoteUrl.Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return target;
        }

        var t = RemoteUrl.Parse(target);
        if (!string.Equals(t.Host, source.Host, StringComparison.OrdinalIgnoreCase) || t.Port != source.Port || (t.User is not null && t.User != source.User))
        {
            throw new UsageException($"mv renames on one server; '{target}' is not on {source}");
        }

        return t.Path;
    }

    private static async Task<int> StatAsync(CliSession session, string path, CliContext context, CancellationToken ct)
    {
        SftpAttributes a = await session.Sftp.StatAsync(path, ct).ConfigureAwait(false);
        if (context.Json)
        {
            await context.Output.WriteLineAsync(JsonOutput.Write(w =>
            {
                w.WriteString("path", path);
                AttributeOutput.WriteJsonFields(w, a);
            })).ConfigureAwait(false);
        }
        else
        {
            foreach (string line in AttributeOutput.StatLines(path, a))
            {
                await context.Output.WriteLineAsync(line).ConfigureAwait(false);
            }
        }

        return ExitCodes.Success;
    }

    private static async Task<int> ListAsync(CliSession session, string path, CliContext context, CancellationToken ct)
    {
        SftpAttributes self = await session.Sftp.StatAsync(path, ct).ConfigureAwait(false);
        var entries = new List<(string Name, SftpAttributes Attributes)>();
        if (self.IsDirectory)
        {
            await foreach (var entry in session.Sftp.ListDirectoryAsync(path, ct).ConfigureAwait(false))
            {
                if (entry.Name is not ("." or ".."))
                {
                    entries.Add((entry.Name, entry.Attributes));
                }
            }

            entries.Sort((x, y) => string.CompareOrdinal(x.Name, y.Name));
        }
        else
        {
            entries.Add((path, self));
        }

        if (context.Json)
        {
            await context.Output.WriteLineAsync(JsonOutput.Write(w =>
            {
                w.WriteString("path", path);
                w.WriteStartArray("entries");
                foreach (var (name, attributes) in entries)
                {
                    w.WriteStartObject();
                    w.WriteString("name", name);
                    AttributeOutput.WriteJsonFields(w, attributes);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
            })).ConfigureAwait(false);
            return ExitCodes.Success;
        }

        int width = 1;
        foreach (var (_, attributes) in entries)
        {
            width = Math.Max(width, AttributeOutput.SizeWidth(attributes));
        }

        foreach (var (name, attributes) in entries)
        {
            await context.Output.WriteLineAsync(AttributeOutput.LsLine(name, attributes, width)).ConfigureAwait(false);
        }

        return ExitCodes.Success;
    }
}
