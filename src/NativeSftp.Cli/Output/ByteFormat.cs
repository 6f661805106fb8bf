using System.Globalization;

namespace NativeSftp.Cli.Output;

/// <summary>Human-readable sizes, rates and durations in IEC binary units (KiB = 1024 bytes), invariant culture.</summary>
public static class ByteFormat
{
    private static readonly string[] Units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];

    /// <summary>The step between units: 2^10 bytes (IEC 80000-13).</summary>
    private const double UnitStep = 1024;

    /// <summary>"512 B", "1.0 KiB", "128.0 MiB".</summary>
    public static string Size(double bytes)
    {
        if (double.IsNaN(bytes) || bytes < 0)
        {
            return "? B";
        }

        if (bytes < UnitStep)
        {
            return ((long)bytes).ToString(CultureInfo.InvariantCulture) + " B";
        }

        int unit = 0;
        while (bytes >= UnitStep && unit < Units.Length - 1)
        {
            bytes /= UnitStep;
            unit++;
        }

        return bytes.ToString("0.0", CultureInfo.InvariantCulture) + " " + Units[unit];
    }

    public static string Rate(double bytesPerSecond) => Size(bytesPerSecond) + "/s";

    /// <summary>"0:09", "12:34", "1:02:03"; "--:--" when unknown.</summary>
    public static string Eta(TimeSpan? remaining)
    {
        if (remaining is not { } r || r < TimeSpan.Zero || r.TotalDays >= 100)
        {
            return "--:--";
        }

        return r.TotalHours >= 1
            ? string.Create(CultureInfo.InvariantCulture, $"{(int)r.TotalHours}:{r.Minutes:00}:{r.Seconds:00}")
            : string.Create(CultureInfo.InvariantCulture, $"{r.Minutes}:{r.Seconds:00}");
    }
}
