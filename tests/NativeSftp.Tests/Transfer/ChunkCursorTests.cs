using System.Collections.Concurrent;
using NativeSftp.Transfer;

namespace NativeSftp.Tests.Transfer;

/// <summary>The shared cursor several upload sessions take chunks from.</summary>
[TestFixture]
public class ChunkCursorTests
{
    [Test]
    public async Task ManyTakers_GetEveryChunkExactlyOnce_AndThePrefixGrowsOnlyOverAnsweredChunks()
    {
        const long End = 10_000_123;
        const int Chunk = 4096;
        var advances = new List<long>();
        var tracker = new AckTracker(0, advances.Add); // told under the tracker's lock
        var cursor = new ChunkCursor(tracker, 0, End, Chunk);
        var taken = new ConcurrentBag<(long Offset, int Length, object Token)>();

        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            while (cursor.TryTake(out long offset, out int length, out object token))
            {
                taken.Add((offset, length, token));
            }
        })));

        var chunks = taken.OrderBy(c => c.Offset).ToList();
        Assert.That(chunks, Has.Count.EqualTo((int)((End + Chunk - 1) / Chunk)));
        long expected = 0;
        foreach (var c in chunks)
        {
            Assert.That(c.Offset, Is.EqualTo(expected), "no gap, no overlap");
            expected += c.Length;
        }

        Assert.That(expected, Is.EqualTo(End));
        Assert.That(cursor.TryTake(out _, out _, out _), Is.False, "nothing after the end");

        // Answered out of order: the prefix stops at the first chunk still unanswered.
        var rng = new Random(7);
        var order = chunks.Where((_, i) => i != 10).OrderBy(_ => rng.Next()).ToList();
        foreach (var c in order)
        {
            tracker.Complete(c.Token);
        }

        Assert.That(tracker.Acknowledged, Is.EqualTo(10L * Chunk));
        tracker.Complete(chunks[10].Token);
        Assert.That(tracker.Acknowledged, Is.EqualTo(End));
        Assert.That(advances, Is.Ordered.Ascending);
        Assert.That(advances[^1], Is.EqualTo(End));
    }

    [Test]
    public void AnEmptyRange_HasNothingToTake() =>
        Assert.That(new ChunkCursor(new AckTracker(5), 5, 5, 100).TryTake(out _, out _, out _), Is.False);
}
