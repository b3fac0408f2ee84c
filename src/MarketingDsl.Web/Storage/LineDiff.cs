namespace MarketingDsl.Web.Storage;

public enum DiffKind { Same, Added, Removed }

public sealed record DiffLine(DiffKind Kind, int? OldLine, int? NewLine, string Text);

/// <summary>A line diff by longest common subsequence, for the canvas's edit preview (files are small, hand-written
/// text; the common head and tail are cut first).</summary>
public static class LineDiff
{
    /// <summary>Beyond this many line pairs, lines outside the common head and tail are shown as removed then added.</summary>
    private const long MaxCells = 4_000_000;

    public static IReadOnlyList<DiffLine> Compute(string oldText, string newText)
    {
        var a = Split(oldText);
        var b = Split(newText);
        var head = 0;
        while (head < a.Length && head < b.Length && a[head] == b[head]) head++;
        var tail = 0;
        while (tail < a.Length - head && tail < b.Length - head && a[^(tail + 1)] == b[^(tail + 1)]) tail++;

        var result = new List<DiffLine>();
        for (var i = 0; i < head; i++) result.Add(new DiffLine(DiffKind.Same, i + 1, i + 1, a[i]));
        var n = a.Length - head - tail;
        var m = b.Length - head - tail;
        if ((long)n * m > MaxCells)
        {
            for (var i = 0; i < n; i++) result.Add(new DiffLine(DiffKind.Removed, head + i + 1, null, a[head + i]));
            for (var j = 0; j < m; j++) result.Add(new DiffLine(DiffKind.Added, null, head + j + 1, b[head + j]));
        }
        else
        {
            var lcs = new int[n + 1, m + 1];
            for (var i = n - 1; i >= 0; i--)
            for (var j = m - 1; j >= 0; j--)
                lcs[i, j] = a[head + i] == b[head + j] ? lcs[i + 1, j + 1] + 1 : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);
            int x = 0, y = 0;
            while (x < n || y < m)
            {
                if (x < n && y < m && a[head + x] == b[head + y])
                {
                    result.Add(new DiffLine(DiffKind.Same, head + x + 1, head + y + 1, a[head + x]));
                    x++;
                    y++;
                }
                else if (x < n && (y == m || lcs[x + 1, y] >= lcs[x, y + 1]))
                {
                    result.Add(new DiffLine(DiffKind.Removed, head + x + 1, null, a[head + x]));
                    x++;
                }
                else
                {
                    result.Add(new DiffLine(DiffKind.Added, null, head + y + 1, b[head + y]));
                    y++;
                }
            }
        }
        for (var i = tail; i > 0; i--) result.Add(new DiffLine(DiffKind.Same, a.Length - i + 1, b.Length - i + 1, a[^i]));
        return result;
    }

    private static string[] Split(string text)
    {
        if (text.Length == 0) return [];
        var lines = text.Replace("\r\n", "\n").Split('\n');
        return text.EndsWith('\n') ? lines[..^1] : lines;
    }
}
