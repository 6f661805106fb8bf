using System.Buffers;
using System.IO.Pipelines;
using NativeSftp.Connection;

namespace NativeSftp.Sftp;

/// <summary>The byte stream an SFTP session runs over: an SSH channel, or an in-memory pipe in tests.</summary>
internal interface ISftpChannel : IAsyncDisposable
{
    /// <summary>Sends bytes; one caller at a time (the session serializes).</summary>
    ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken);

    ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken);

    /// <summary>Marks input consumed; <paramref name="consumedBytes"/> lets an SSH channel re-open its window.</summary>
    void AdvanceTo(SequencePosition consumed, SequencePosition examined, int consumedBytes);
}

/// <summary>An SFTP session over an SSH channel running the "sftp" subsystem.</summary>
internal sealed class SshChannelSftpChannel : ISftpChannel
{
    private readonly SshChannel _channel;

    public SshChannelSftpChannel(SshChannel channel) => _channel = channel;

    public SshChannel Channel => _channel;

    public ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) => _channel.WriteAsync(data, cancellationToken);

    public ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken) => _channel.ReadInputAsync(cancellationToken);

    public void AdvanceTo(SequencePosition consumed, SequencePosition examined, int consumedBytes) =>
        _channel.AdvanceInput(consumed, examined, consumedBytes);

    public ValueTask DisposeAsync() => _channel.DisposeAsync();
}

/// <summary>An SFTP session over any duplex stream (a scripted peer in tests).</summary>
internal sealed class StreamSftpChannel : ISftpChannel
{
    private readonly Stream _stream;
    private readonly PipeReader _reader;

    public StreamSftpChannel(Stream stream)
    {
        _stream = stream;
        _reader = PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true));
    }

    public async ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        await _stream.WriteAsync(data, cancellationToken).ConfigureAwait(false);
        await _stream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    public ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken) => _reader.ReadAsync(cancellationToken);

    public void AdvanceTo(SequencePosition consumed, SequencePosition examined, int consumedBytes) => _reader.AdvanceTo(consumed, examined);

    public async ValueTask DisposeAsync()
    {
        await _reader.CompleteAsync().ConfigureAwait(false);
        await _stream.DisposeAsync().ConfigureAwait(false);
    }
}
