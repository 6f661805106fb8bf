using System.Globalization;
using System.Text.Json;
using NativeSftp.Sftp.Protocol;

namespace NativeSftp.Cli.Output;

/// <summary>Text and JSON forms of file attributes, for ls and stat.</summary>
public static class AttributeOutput
{
    /// <summary>One ls -l style line: mode, size (right-aligned to <paramref name="sizeWidth"/>), mtime (UTC), name.</summary>
    public static string LsLine(string name, SftpAttributes a, int sizeWidth)
    {
        ArgumentNullException.ThrowIfNull(a);
        string size = a.Size is ulong s ? s.ToString(CultureInfo.InvariantCulture) : "?";
        string mtime = a.LastWriteTime is { } t ? t.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) : "????-??-?? ??:??";
        return $"{FileMode.ToText(a.Permissions)} {size.PadLeft(sizeWidth)} {mtime} {Printable(name)}";
    }

    public static int SizeWidth(SftpAttributes a)
    {
        ArgumentNullException.ThrowIfNull(a);
        return a.Size is ulong s ? s.ToString(CultureInfo.InvariantCulture).Length : 1;
    }

    /// <summary>stat's "key: value" lines.</summary>
    public static IEnumerable<string> StatLines(string path, SftpAttributes a)
    {
        ArgumentNullException.ThrowIfNull(a);
        yield return "path: " + Printable(path);
        yield return "type: " + FileMode.Type(a);
        yield return "size: " + (a.Size is ulong s ? s.ToString(CultureInfo.InvariantCulture) : "unknown");
        yield return $"permissions: {FileMode.ToOctal(a.Permissions)} ({FileMode.ToText(a.Permissions)})";
        yield return "uid: " + (a.Uid is uint u ? u.ToString(CultureInfo.InvariantCulture) : "unknown");
        yield return "gid: " + (a.Gid is uint g ? g.ToString(CultureInfo.InvariantCulture) : "unknown");
        yield return "atime: " + FileMode.Iso(a.LastAccessTime);
        yield return "mtime: " + FileMode.Iso(a.LastWriteTime);
    }

    /// <summary>Writes the attributes' fields into the current JSON object (absent fields are left out).</summary>
    public static void WriteJsonFields(Utf8JsonWriter w, SftpAttributes a)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(a);
        w.WriteString("type", FileMode.Type(a));
        if (a.Size is ulong size)
        {
            w.WriteNumber("size", size);
        }

        if (a.Permissions is uint mode)
        {
            w.WriteString("permissions", FileMode.ToOctal(mode));
            w.WriteString("mode", FileMode.ToText(mode));
        }

        if (a.Uid is uint uid)
        {
            w.WriteNumber("uid", uid);
        }

        if (a.Gid is uint gid)
        {
            w.WriteNumber("gid", gid);
        }

        if (a.LastAccessTime is not null)
        {
            w.WriteString("atime", FileMode.Iso(a.LastAccessTime));
        }

        if (a.LastWriteTime is not null)
        {
            w.WriteString("mtime", FileMode.Iso(a.LastWriteTime));
        }
    }

    /// <summary>File names come from the server: control characters would move a terminal's cursor or change its
    /// state, so they are shown as '?', as ls does on a terminal.</summary>
    public static string Printable(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!name.AsSpan().ContainsAnyInRange('\0', '\u001f') && !name.Contains('\u007f', StringComparison.Ordinal))
        {
            return name;
        }

        return string.Create(name.Length, name, (span, n) =>
        {
            for (int i = 0; i < n.Length; i++)
            {
                span[i] = char.IsControl(n[i]) ? '?' : n[i];
            }
        });
    }
}
