namespace NativeSftp.Auth.KnownHosts;

/// <summary>
/// The host-pattern language of known_hosts (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT", OpenSSH match.c): a comma
/// separated list of patterns where <c>*</c> matches any run of characters, <c>?</c> exactly one, and a leading
/// <c>!</c> negates. A negated pattern that matches rejects the whole list even when another pattern matched.
/// Matching ignores ASCII case, as OpenSSH lowercases both the name and the patterns.
/// </summary>
internal static class HostPatternMatcher
{
    /// <summary>
    /// OpenSSH copies each pattern into <c>char sub[1024]</c> and gives up (no match for the whole list) when a
    /// pattern reaches 1024 - 1 = 1023 characters, leaving room for the NUL; so 1022 is the longest usable pattern.
    /// We refuse the same lists so a file means the same to both.
    /// </summary>
    public const int MaxPatternLength = 1024 - 2;

    /// <summary>The result of matching a name against a pattern list (OpenSSH's match_pattern_list: 1, 0, -1).</summary>
    public enum ListMatch
    {
        NoMatch,
        Match,
        NegatedMatch,
    }

    /// <summary>Matches <paramref name="lowerName"/> (already ASCII-lowercased) against a comma-separated list.</summary>
    public static ListMatch MatchList(string lowerName, ReadOnlySpan<char> patterns)
    {
        bool positive = false;
        int i = 0;
        while (i < patterns.Length)
        {
            bool negated = patterns[i] == '!';
            if (negated)
            {
                i++;
            }

            int comma = patterns[i..].IndexOf(',');
            int end = comma < 0 ? patterns.Length : i + comma;
            var pattern = patterns[i..end];
            if (pattern.Length > MaxPatternLength)
            {
                return ListMatch.NoMatch;
            }

            if (Glob(lowerName, pattern))
            {
                if (negated)
                {
                    return ListMatch.NegatedMatch;
                }

                positive = true;
            }

            i = comma < 0 ? patterns.Length : end + 1;
        }

        return positive ? ListMatch.Match : ListMatch.NoMatch;
    }

    /// <summary>
    /// Glob match with <c>*</c> and <c>?</c>, pattern characters compared after ASCII lowercasing. Iterative with
    /// one back-track point (the last star), so the cost is O(name × pattern) at worst: OpenSSH's recursive form
    /// can go exponential on patterns like <c>*a*a*a*a*b</c>, and a hostile file should not stall a connect.
    /// </summary>
    public static bool Glob(ReadOnlySpan<char> name, ReadOnlySpan<char> pattern)
    {
        int n = 0;
        int p = 0;
        int starP = -1;
        int starN = 0;
        while (n < name.Length)
        {
            if (p < pattern.Length && pattern[p] == '*')
            {
                starP = p++;
                starN = n;
            }
            else if (p < pattern.Length && (pattern[p] == '?' || AsciiLower(pattern[p]) == name[n]))
            {
                p++;
                n++;
            }
            else if (starP >= 0)
            {
                p = starP + 1;
                n = ++starN;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }

        return p == pattern.Length;
    }

    /// <summary>
    /// OpenSSH lowercases with C <c>tolower</c> in the C locale, i.e. ASCII only; <see cref="string.ToLowerInvariant"/>
    /// would also fold non-ASCII letters and make names match that OpenSSH keeps apart.
    /// </summary>
    public static string AsciiLower(string s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return string.Create(s.Length, s, static (dst, src) =>
        {
            for (int i = 0; i < src.Length; i++)
            {
                dst[i] = AsciiLower(src[i]);
            }
        });
    }

    private static char AsciiLower(char c) => c is >= 'A' and <= 'Z' ? (char)(c + ('a' - 'A')) : c;
}
