using MarketingDsl.Testing;

namespace MarketingDsl.Core.Tests.HouseRules;

/// <summary>
/// No line of code over 150 characters in src/, tests/ and benchmarks/ (C#, JavaScript, Razor, CSS), except in the files
/// of <c>long-lines-allowed.txt</c>. That list only shrinks: a listed file with no long line left fails the test
/// until it is taken off. Vendored scripts (wwwroot/lib) and build output are not ours to wrap.
/// </summary>
public sealed class LineLengthTests
{
    private const int Limit = 150;
    private static readonly string[] Roots = ["src", "tests", "benchmarks"];
    private static readonly string[] Extensions = [".cs", ".js", ".cshtml", ".css"];
    private static readonly string[] Skipped = ["bin", "obj", "node_modules", "lib"];

    private static IEnumerable<string> Files() =>
        from root in Roots
        from file in Directory.EnumerateFiles(RepoRoot.Combine(root), "*", SearchOption.AllDirectories)
        let relative = Path.GetRelativePath(RepoRoot.FullPath, file).Replace('\\', '/')
        where Extensions.Contains(Path.GetExtension(file)) && !relative.Split('/').Any(Skipped.Contains)
        orderby relative
        select relative;

    private static IReadOnlyList<int> LongLines(string relative) =>
        [.. File.ReadLines(RepoRoot.Combine(relative)).Select((line, i) => (line, i))
            .Where(l => l.line.Length > Limit).Select(l => l.i + 1)];

    private static HashSet<string> Allowed() =>
        [.. File.ReadLines(RepoRoot.Combine("tests", "MarketingDsl.Core.Tests", "HouseRules", "long-lines-allowed.txt"))
            .Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#'))];

    [Fact]
    public void No_line_is_over_150_characters_outside_the_allow_list()
    {
        var allowed = Allowed();
        var offending = Files().Where(f => !allowed.Contains(f))
            .Select(f => (File: f, Lines: LongLines(f))).Where(f => f.Lines.Count > 0)
            .Select(f => $"{f.File}: line(s) {string.Join(", ", f.Lines.Take(10))}").ToList();
        Assert.True(offending.Count == 0, $"lines over {Limit} characters (wrap them):\n" + string.Join("\n", offending));
    }

    [Fact]
    public void The_allow_list_names_only_files_that_still_have_long_lines()
    {
        var files = Files().ToHashSet(StringComparer.Ordinal);
        var stale = Allowed().Where(f => !files.Contains(f) || LongLines(f).Count == 0).Order(StringComparer.Ordinal).ToList();
        Assert.True(stale.Count == 0, "take these off HouseRules/long-lines-allowed.txt:\n" + string.Join("\n", stale));
    }
}
