using System.Security.Cryptography;
using NativeSftp.Transfer;

namespace NativeSftp.Tests.Transfer;

/// <summary>The hasher that follows a segmented download's whole prefix through the local file.</summary>
[TestFixture]
public class PrefixHasherTests
{
    private string _path = null!;

    [SetUp]
    public void SetUp() => _path = Path.Combine(Path.GetTempPath(), "prefix-hasher-" + Guid.NewGuid().ToString("N"));

    [TearDown]
    public void TearDown() => File.Delete(_path);

    /// <summary>The test file with <paramref name="bytes"/> zero bytes in it, open for reading.</summary>
    private Microsoft.Win32.SafeHandles.SafeFileHandle FileHolding(int bytes)
    {
        File.WriteAllBytes(_path, new byte[bytes]);
        return File.OpenHandle(_path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.Asynchronous);
    }

    /// <summary>
    /// Chunks land out of order, each one first as garbage (a write still under way) and only then as its real bytes,
    /// and only then is it completed: a hasher that read past the whole prefix would hash garbage. It also keeps up as
    /// the prefix grows instead of waiting for the end.
    /// </summary>
    [Test]
    public async Task FollowsThePrefixOnly_AsItGrows_AndGivesTheWholeFilesHash_WhenChunksArriveOutOfOrder()
    {
        const int Chunk = 256 * 1024;
        const long Size = (40L * Chunk) + 1234;
        byte[] data = RandomNumberGenerator.GetBytes((int)Size);
        var hasher = new PrefixHasher(0, Size);
        var tracker = new AckTracker(0, hasher.Advance);
        var cursor = new ChunkCursor(tracker, 0, Size, Chunk);
        var chunks = new List<(long Offset, int Length, object Token)>();
        while (cursor.TryTake(out long offset, out int length, out object token))
        {
            chunks.Add((offset, length, token));
        }

        using var file = File.OpenHandle(_path, FileMode.Create, FileAccess.ReadWrite, FileShare.Read, FileOptions.Asynchronous);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var running = hasher.RunAsync(file, hash, CancellationToken.None);
        byte[] garbage = new byte[Chunk];
        Array.Fill(garbage, (byte)0xEE);

        // In pairs, the later chunk of each pair first: the prefix moves only when the earlier one lands.
        for (int i = 0; i < chunks.Count; i += 2)
        {
            var pair = new[] { i + 1, i }.Where(j => j < chunks.Count).ToList();
            foreach (int j in pair)
            {
                RandomAccess.Write(file, garbage.AsSpan(0, chunks[j].Length), chunks[j].Offset);
            }

            foreach (int j in pair)
            {
                var (offset, length, token) = chunks[j];
                RandomAccess.Write(file, data.AsSpan((int)offset, length), offset);
                tracker.Complete(token);
            }

            if (i == 20)
            {
                // Half the file is whole: the hasher gets there without waiting for the rest (4 MiB steps).
                var sw = System.Diagnostics.Stopwatch.StartNew();
                while (hasher.Hashed < 4L * 1024 * 1024 && sw.Elapsed < TimeSpan.FromSeconds(10))
                {
                    await Task.Delay(10);
                }

                Assert.That(hasher.Hashed, Is.GreaterThanOrEqualTo(4L * 1024 * 1024).And.LessThanOrEqualTo(tracker.Acknowledged));
            }
        }

        await running.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.That(hasher.Hashed, Is.EqualTo(Size));
        Assert.That(hash.GetHashAndReset(), Is.EqualTo(SHA256.HashData(data)));
    }

    [Test]
    public async Task AResumedDownload_HashesFromWhereItResumed_OntoTheKeptPrefixsHash()
    {
        byte[] data = RandomNumberGenerator.GetBytes(3_000_000);
        const long Kept = 1_000_001;
        await File.WriteAllBytesAsync(_path, data.AsMemory(0, (int)Kept).ToArray());
        var hasher = new PrefixHasher(Kept, data.Length);
        var tracker = new AckTracker(Kept, hasher.Advance);
        var cursor = new ChunkCursor(tracker, Kept, data.Length, 100_000);

        using var file = File.OpenHandle(_path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read, FileOptions.Asynchronous);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(data, 0, (int)Kept); // what the caller hashed before the transfer
        var running = hasher.RunAsync(file, hash, CancellationToken.None);
        while (cursor.TryTake(out long offset, out int length, out object token))
        {
            RandomAccess.Write(file, data.AsSpan((int)offset, length), offset);
            tracker.Complete(token);
        }

        await running.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.That(hash.GetHashAndReset(), Is.EqualTo(SHA256.HashData(data)), "the kept prefix is in the hash exactly once");
    }

    [Test]
    public void ATransferThatStops_LeavesTheHasherWaiting_UntilItIsCanceled()
    {
        var hasher = new PrefixHasher(0, 10 << 20);
        hasher.Advance(5 << 20);
        using var file = FileHolding(5 << 20);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var cts = new CancellationTokenSource();
        var running = hasher.RunAsync(file, hash, cts.Token);
        Thread.Sleep(200);
        Assert.That(running.IsCompleted, Is.False, "half the file is whole: it waits for the rest");
        Assert.That(hasher.Hashed, Is.EqualTo(5 << 20), "having hashed the half that is");
        cts.Cancel();
        Assert.That(async () => await running.WaitAsync(TimeSpan.FromSeconds(10)), Throws.InstanceOf<OperationCanceledException>());
    }

    [Test]
    public void AFileShorterThanItsWrittenPrefix_FailsLoudly()
    {
        var hasher = new PrefixHasher(0, 8 << 20);
        hasher.Advance(8 << 20);
        using var file = FileHolding(1 << 20);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var ex = Assert.ThrowsAsync<TransferException>(() => hasher.RunAsync(file, hash, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.That(ex!.Message, Does.Contain("ended at 1048576"));
        Assert.That(ex.Phase, Is.EqualTo(TransferPhase.Transferring), "it happens while the download runs");
    }
}
