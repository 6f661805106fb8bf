namespace NativeSftp.Sftp;

/// <summary>An open remote file or directory (the server's opaque handle). Close it with <see cref="SftpClient.CloseAsync"/>: its status is checked.</summary>
public sealed class SftpFileHandle
{
    internal SftpFileHandle(byte[] handle, string path)
    {
        Handle = handle;
        Path = path;
    }

    internal byte[] Handle { get; }

    /// <summary>The path it was opened with.</summary>
    public string Path { get; }

    public bool IsClosed { get; internal set; }

    public override string ToString() => Path;
}
