namespace NativeSftp.Tests.Connection;

/// <summary>
/// A clock that moves only when a test says so. Timestamps are TimeSpan ticks, so elapsed times are exact.
/// (Microsoft.Extensions.TimeProvider.Testing is not a dependency of this repository.)
/// </summary>
internal sealed class ManualTimeProvider : TimeProvider
{
    private long _ticks = TimeSpan.FromDays(1).Ticks;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => Interlocked.Read(ref _ticks);

    public override DateTimeOffset GetUtcNow() => new DateTime(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddTicks(GetTimestamp());

    public void Advance(TimeSpan by)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(by, TimeSpan.Zero);
        Interlocked.Add(ref _ticks, by.Ticks);
    }
}
