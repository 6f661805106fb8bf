using NativeSftp.Sftp.Protocol;
using NativeSftp.Sftp.Protocol.Extensions;
using NativeSftp.Wire;

namespace NativeSftp.Sftp;

// OpenSSH's extensions (PROTOCOL §4) and the filexfer-extensions draft's check-file; each fails clearly when absent.
public sealed partial class SftpClient
{
    private void RequireExtension(string name)
    {
        if (!Supports(name))
        {
            throw new NotSupportedException($"the server does not support the SFTP extension {name} (it announced: {string.Join(", ", Extensions.Keys)})");
        }
    }

    private Task<SftpReply> ExtendedAsync(string name, string? path, Action<PooledBufferWriter, uint> write, CancellationToken ct)
    {
        RequireExtension(name);
        return RequestAsync(SftpPacketType.Extended, path, write, ct);
    }

    private static void ExpectOk(SftpReply reply, string extension, string? path)
    {
        var status = SftpStatus.Read(reply.Body);
        if (!status.IsOk)
        {
            throw new SftpException(status.Code, status.Message, extension, path);
        }
    }

    private static byte[] ExpectExtendedReply(SftpReply reply, string extension, string? path)
    {
        if (reply.Type == SftpPacketType.ExtendedReply)
        {
            return reply.Body;
        }

        if (reply.Type != SftpPacketType.Status)
        {
            throw new SshProtocolException(DisconnectReason.ProtocolError, $"{extension} answered with {SftpPacketType.NameOf(reply.Type)}");
        }

        var status = SftpStatus.Read(reply.Body);
        throw status.IsOk
            ? new SshProtocolException(DisconnectReason.ProtocolError, $"{extension} answered with STATUS OK instead of a reply")
            : new SftpException(status.Code, status.Message, extension, path);
    }

    private static string ExpectSingleName(SftpReply reply, string extension, string? path)
    {
        if (reply.Type == SftpPacketType.Name)
        {
            return SftpName.ReadSingle(reply.Body).Name;
        }

        var status = SftpStatus.Read(reply.Body);
        throw status.IsOk
            ? new SshProtocolException(DisconnectReason.ProtocolError, $"{extension} answered with STATUS OK instead of a name")
            : new SftpException(status.Code, status.Message, extension, path);
    }

    public async Task<SftpServerLimits> GetLimitsAsync(CancellationToken cancellationToken)
    {
        var reply = await ExtendedAsync(SftpExtensionNames.Limits, null, (w, id) => SftpLimits.Write(w, id), cancellationToken).ConfigureAwait(false);
        return SftpLimits.ReadReply(ExpectExtendedReply(reply, SftpExtensionNames.Limits, null));
    }

    /// <summary>Renames, replacing <paramref name="newPath"/> atomically if it exists (posix-rename@openssh.com).</summary>
    public async Task PosixRenameAsync(string oldPath, string newPath, CancellationToken cancellationToken)
    {
        var reply = await ExtendedAsync(SftpExtensionNames.PosixRename, oldPath, (w, id) => SftpPosixRename.Write(w, id, oldPath, newPath), cancellationToken).ConfigureAwait(false);
        ExpectOk(reply, SftpExtensionNames.PosixRename, oldPath);
    }

    /// <summary>Asks the server to flush the file to stable storage (fsync@openssh.com); the status is checked.</summary>
    public async Task FsyncAsync(SftpFileHandle handle, CancellationToken cancellationToken)
    {
        var reply = await ExtendedAsync(SftpExtensionNames.Fsync, handle.Path, (w, id) => SftpFsync.Write(w, id, handle.Handle), cancellationToken).ConfigureAwait(false);
        ExpectOk(reply, SftpExtensionNames.Fsync, handle.Path);
    }

    public async Task<SftpFileSystemInfo> StatVfsAsync(string path, CancellationToken cancellationToken)
    {
        var reply = await ExtendedAsync(SftpExtensionNames.Statvfs, path, (w, id) => SftpStatvfs.Write(w, id, path), cancellationToken).ConfigureAwait(false);
        return SftpStatvfs.ReadReply(ExpectExtendedReply(reply, SftpExtensionNames.Statvfs, path));
    }

    public async Task<SftpFileSystemInfo> FstatVfsAsync(SftpFileHandle handle, CancellationToken cancellationToken)
    {
        var reply = await ExtendedAsync(SftpExtensionNames.Fstatvfs, handle.Path, (w, id) => SftpStatvfs.WriteForHandle(w, id, handle.Handle), cancellationToken).ConfigureAwait(false);
        return SftpStatvfs.ReadReply(ExpectExtendedReply(reply, SftpExtensionNames.Fstatvfs, handle.Path));
    }

    /// <summary>Sets attributes without following a final symbolic link (lsetstat@openssh.com).</summary>
    public async Task LsetStatAsync(string path, SftpAttributes attributes, CancellationToken cancellationToken)
    {
        var reply = await ExtendedAsync(SftpExtensionNames.Lsetstat, path, (w, id) => SftpLsetstat.Write(w, id, path, attributes), cancellationToken).ConfigureAwait(false);
        ExpectOk(reply, SftpExtensionNames.Lsetstat, path);
    }

    /// <summary>User and group names for numeric ids (users-groups-by-id@openssh.com); unknown ids give empty names.</summary>
    public async Task<(IReadOnlyList<string> Users, IReadOnlyList<string> Groups)> GetUserAndGroupNamesAsync(IReadOnlyList<uint> uids, IReadOnlyList<uint> gids, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(uids);
        ArgumentNullException.ThrowIfNull(gids);
        var reply = await ExtendedAsync(SftpExtensionNames.UsersGroupsById, null, (w, id) => SftpUsersGroupsById.Write(w, id, uids, gids), cancellationToken).ConfigureAwait(false);
        var (users, groups) = SftpUsersGroupsById.ReadReply(ExpectExtendedReply(reply, SftpExtensionNames.UsersGroupsById, null), uids.Count, gids.Count);
        return (users, groups);
    }

    public async Task CreateHardLinkAsync(string existingPath, string newPath, CancellationToken cancellationToken)
    {
        var reply = await ExtendedAsync(SftpExtensionNames.Hardlink, newPath, (w, id) => SftpHardlink.Write(w, id, existingPath, newPath), cancellationToken).ConfigureAwait(false);
        ExpectOk(reply, SftpExtensionNames.Hardlink, newPath);
    }

    /// <summary>Expands "~/x" and "~user/x" (expand-path@openssh.com).</summary>
    public async Task<string> ExpandPathAsync(string path, CancellationToken cancellationToken)
    {
        var reply = await ExtendedAsync(SftpExtensionNames.ExpandPath, path, (w, id) => SftpExpandPath.Write(w, id, path), cancellationToken).ConfigureAwait(false);
        return ExpectSingleName(reply, SftpExtensionNames.ExpandPath, path);
    }

    public async Task<string> GetHomeDirectoryAsync(string userName, CancellationToken cancellationToken)
    {
        var reply = await ExtendedAsync(SftpExtensionNames.HomeDirectory, userName, (w, id) => SftpHomeDirectory.Write(w, id, userName), cancellationToken).ConfigureAwait(false);
        return ExpectSingleName(reply, SftpExtensionNames.HomeDirectory, userName);
    }

    /// <summary>Copies a byte range between two open handles on the server (copy-data); length 0 means to end of file.</summary>
    public async Task CopyDataAsync(SftpFileHandle source, ulong sourceOffset, ulong length, SftpFileHandle destination, ulong destinationOffset, CancellationToken cancellationToken)
    {
        RequireExtension(SftpExtensionNames.CopyData);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        var reply = await ExtendedAsync(SftpExtensionNames.CopyData, destination.Path,
            (w, id) => SftpCopyData.Write(w, id, source.Handle, sourceOffset, length, destination.Handle, destinationOffset), cancellationToken).ConfigureAwait(false);
        ExpectOk(reply, SftpExtensionNames.CopyData, destination.Path);
    }

    /// <summary>The algorithms we ask check-file for, strongest first; the server picks the first it supports.</summary>
    public static readonly IReadOnlyList<string> CheckFileAlgorithms = ["sha256", "sha512", "sha384"];

    /// <summary>
    /// The server's hash of a range of an open file (check-file-handle, filexfer-extensions draft): one hash when
    /// <paramref name="blockSize"/> is 0, else one per block. <paramref name="length"/> 0 means to end of file.
    /// </summary>
    public async Task<SftpCheckFileResult> CheckFileAsync(SftpFileHandle handle, ulong startOffset, ulong length, uint blockSize, CancellationToken cancellationToken)
    {
        RequireExtension(SftpExtensionNames.CheckFileHandle);
        ArgumentNullException.ThrowIfNull(handle);
        var reply = await RequestAsync(SftpPacketType.Extended, handle.Path,
            (w, id) => SftpCheckFile.WriteForHandle(w, id, handle.Handle, CheckFileAlgorithms, startOffset, length, blockSize), cancellationToken).ConfigureAwait(false);
        return SftpCheckFile.ReadReply(ExpectExtendedReply(reply, SftpExtensionNames.CheckFileHandle, handle.Path), CheckFileAlgorithms);
    }

    /// <summary>Whether check-file-name works without being announced: null until a probe answered.</summary>
    private bool? _unannouncedCheckFile;

    /// <summary>A path no server holds: the probe needs an answer about the extension, not about a file.</summary>
    private const string CheckFileProbePath = "/.nsftp-check-file-probe/does-not-exist";

    /// <summary>
    /// Whether the server hashes whole files by check-file-name: announced, or answering a probe for it. ProFTPD's
    /// mod_sftp implements check-file but announces it only to SFTP v6 clients (in "supported2"), and ignores the
    /// length (it always hashes to the end of the file), so an unannounced check-file is used for whole files only.
    /// The probe asks for a file that does not exist: a server without the extension answers OP_UNSUPPORTED before
    /// looking at the path; one with it answers about the file. One round trip, once per session.
    /// </summary>
    internal async Task<bool> HashesWholeFilesAsync(CancellationToken cancellationToken)
    {
        if (Supports(SftpExtensionNames.CheckFileName))
        {
            return true;
        }

        if (_unannouncedCheckFile is bool known)
        {
            return known;
        }

        var reply = await CheckWholeFileRequestAsync(CheckFileProbePath, cancellationToken).ConfigureAwait(false);
        // Only an answer about the file counts: some servers refuse an unknown extension with FAILURE or BAD_MESSAGE
        // rather than OP_UNSUPPORTED, and a "yes" there would promise a hash the server cannot give.
        bool works = reply.Type == SftpPacketType.ExtendedReply
            || (reply.Type == SftpPacketType.Status && SftpStatus.Read(reply.Body).Code == SftpStatusCode.NoSuchFile);
        _unannouncedCheckFile = works;
        return works;
    }

    /// <summary>
    /// The whole file's hash by check-file-name (offset 0, length 0: to the end), announced or found by
    /// <see cref="HashesWholeFilesAsync"/>.
    /// </summary>
    internal async Task<SftpCheckFileResult> CheckWholeFileAsync(string path, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!await HashesWholeFilesAsync(cancellationToken).ConfigureAwait(false))
        {
            RequireExtension(SftpExtensionNames.CheckFileName);
        }

        var reply = await CheckWholeFileRequestAsync(path, cancellationToken).ConfigureAwait(false);
        return SftpCheckFile.ReadReply(ExpectExtendedReply(reply, SftpExtensionNames.CheckFileName, path), CheckFileAlgorithms);
    }

    /// <summary>check-file-name for the whole of <paramref name="path"/> (offset 0, length 0, one hash), announced or not.</summary>
    private Task<SftpReply> CheckWholeFileRequestAsync(string path, CancellationToken cancellationToken) =>
        RequestAsync(SftpPacketType.Extended, path, (w, id) => SftpCheckFile.WriteForName(w, id, path, CheckFileAlgorithms, 0, 0, 0), cancellationToken);

    /// <summary>As <see cref="CheckFileAsync(SftpFileHandle, ulong, ulong, uint, CancellationToken)"/>, by path (check-file-name).</summary>
    public async Task<SftpCheckFileResult> CheckFileAsync(string path, ulong startOffset, ulong length, uint blockSize, CancellationToken cancellationToken)
    {
        RequireExtension(SftpExtensionNames.CheckFileName);
        ArgumentNullException.ThrowIfNull(path);
        var reply = await RequestAsync(SftpPacketType.Extended, path,
            (w, id) => SftpCheckFile.WriteForName(w, id, path, CheckFileAlgorithms, startOffset, length, blockSize), cancellationToken).ConfigureAwait(false);
        return SftpCheckFile.ReadReply(ExpectExtendedReply(reply, SftpExtensionNames.CheckFileName, path), CheckFileAlgorithms);
    }
}
