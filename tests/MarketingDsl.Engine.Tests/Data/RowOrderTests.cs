using System.Text;
using MarketingDsl.Core;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Data;
using MarketingDsl.Engine.Simulation;
using MarketingDsl.Engine.Tests.Conformance;

namespace MarketingDsl.Engine.Tests.Data;

/// <summary>
/// The cost and the result of an import must not depend on how the export orders its rows: the
/// same history written grouped by user, in time order (as POS, app and order exports are) or in
/// any other interleaving that keeps each user's rows in their order (the order that breaks ties
/// of equal timestamps and picks the first of duplicates) gives the same tags.csv and summary.json.
/// </summary>
public sealed class RowOrderTests
{
    /// <summary>Rows of the two-pass gather and of the direct gather agree, for every column kind the builders store.</summary>
    [Theory]
    [InlineData(RowOrder.PartitionFrom - 1)]
    [InlineData(RowOrder.PartitionFrom)]
    [InlineData(200_003)]
    public void Partitioned_gather_equals_the_direct_gather(int n)
    {
        var rnd = new Random(n);
        var perm = Enumerable.Range(0, n).ToArray();
        rnd.Shuffle(perm);
        var partitioned = RowOrder.Of(perm, parallelism: 2);
        Assert.Equal(n >= RowOrder.PartitionFrom, partitioned.BucketSlot is not null);
        var direct = RowOrder.Direct((int[])perm.Clone());

        using var longs = new NativeList<long>(small: true);
        using var ints = new NativeList<int>(small: true);
        var strings = new StringChunkList();
        for (var i = 0; i < n; i++)
        {
            longs.Add(i * 7L - 3);
            ints.Add(i ^ 0x5555);
            strings.Add(i % 5 == 0 ? null : "s" + i);
        }
        long[] a = new long[n], b = new long[n];
        longs.Gather(a, partitioned);
        longs.Gather(b, direct);
        Assert.Equal(b, a);
        for (var j = 0; j < n; j += 997) Assert.Equal(perm[j] * 7L - 3, a[j]);
        ints.GatherWiden(a, partitioned);
        ints.GatherWiden(b, direct);
        Assert.Equal(b, a);
        string?[] sa = new string?[n], sb = new string?[n];
        strings.Gather(sa, partitioned);
        strings.Gather(sb, direct);
        Assert.Equal(sb, sa);
    }

    /// <summary>A plan made without its permutation (the importer's, for time-ordered rows) derives the same one when asked (list
    /// columns gather through it).</summary>
    [Fact]
    public void A_plan_without_its_permutation_derives_it()
    {
        var n = RowOrder.PartitionFrom * 3 + 11;
        var perm = Enumerable.Range(0, n).ToArray();
        new Random(3).Shuffle(perm);
        var full = RowOrder.Of(perm, parallelism: 2);
        var plan = RowOrder.Planned(full.BucketSlot!, full.Local!, full.BucketShift);
        Assert.Equal(n, plan.Count);
        Assert.Equal(perm, plan.Perm);
    }

    /// <summary>
    /// Rows grouped by user but out of time order within a user (a user's history written stream by stream) move no further
    /// than a bucket: gathered directly, without the two passes; a single row from far away brings the passes back.
    /// </summary>
    [Fact]
    public void A_permutation_within_small_windows_is_gathered_directly()
    {
        const int n = 200_000;
        var rnd = new Random(3);
        var perm = Enumerable.Range(0, n).ToArray();
        for (var lo = 0; lo < n; lo += 300) rnd.Shuffle(perm.AsSpan(lo, Math.Min(300, n - lo)));
        Assert.Null(RowOrder.Of((int[])perm.Clone(), parallelism: 2).BucketSlot);
        (perm[10], perm[n - 10]) = (perm[n - 10], perm[10]);
        Assert.NotNull(RowOrder.Of(perm, parallelism: 2).BucketSlot);
    }

    /// <summary>Generated history (grouped by user, as the generator writes it) against the same rows in time order and
    /// randomly interleaved.</summary>
    [Fact]
    public void Generated_history_in_every_row_order_gives_the_same_output()
    {
        using var grouped = new TempDir();
        RetailDataGenerator.Generate(grouped.Path, users: 800, days: 120, seed: 3);
        var workspace = RepositoryPaths.Of("tests", "conformance", "retail-core", "workspace");
        var lines = File.ReadAllLines(Path.Combine(grouped.Path, "events.jsonl"));
        // The partitioned gather only runs for a type with enough rows.
        Assert.True(lines.Count(l => l.StartsWith("{\"type\":\"view\"", StringComparison.Ordinal)) >= RowOrder.PartitionFrom);
        AssertSameOutputInEveryOrder(workspace, grouped.Path, lines, asOf: null, timeOrder: true);
    }

    public static TheoryData<string> ConformanceCases() => ConformanceTests.Cases();

    /// <summary>
    /// Not in time order here: the cases re-send orders with a later or earlier ts, and the first
    /// row of an order id in the file wins, so a time order of these rows is another history.
    /// </summary>
    [Theory]
    [MemberData(nameof(ConformanceCases))]
    public void Conformance_data_in_every_row_order_gives_the_expected_output(string name)
    {
        var dir = RepositoryPaths.Of("tests", "conformance", name);
        var lines = File.ReadAllLines(Path.Combine(dir, "data", "events.jsonl"));
        var asOf = File.Exists(Path.Combine(dir, "args"))
            ? DateTimeOffset.Parse(File.ReadAllText(Path.Combine(dir, "args")).Split("--as-of ")[1].Split((char[]?)null, 2)[0],
                System.Globalization.CultureInfo.InvariantCulture).UtcDateTime
            : (DateTime?)null;
        var outputs = AssertSameOutputInEveryOrder(Path.Combine(dir, "workspace"), Path.Combine(dir, "data"), lines, asOf, timeOrder: false);
        Assert.Equal(File.ReadAllText(Path.Combine(dir, "expected", "tags.csv")), outputs.Tags);
    }

    /// <summary>Runs the workspace on the rows as given, in time order and interleaved at random; asserts one output and returns it.</summary>
    private static (string Tags, string Summary) AssertSameOutputInEveryOrder(string workspace, string dataDir, string[] lines,
        DateTime? asOf, bool timeOrder)
    {
        var compilation = Compilation.Create(Workspace.Load(workspace));
        Assert.False(compilation.HasErrors, string.Join("\n", compilation.Diagnostics));
        var profiles = File.ReadAllText(Path.Combine(dataDir, "profiles.jsonl"));
        var orders = new (string Name, IEnumerable<string> Lines)[]
        {
            ("as given", lines),
            ("interleaved", Interleave(lines, new Random(11))),
            ("interleaved again", Interleave(lines, new Random(12))),
        };
        if (timeOrder) orders = [.. orders, ("time order", TimeOrder(lines))];
        (string Tags, string Summary)? first = null;
        foreach (var (name, rows) in orders)
        {
            using var data = new TempDir();
            using var output = new TempDir();
            File.WriteAllText(Path.Combine(data.Path, "profiles.jsonl"), profiles, new UTF8Encoding(false));
            File.WriteAllLines(Path.Combine(data.Path, "events.jsonl"), rows, new UTF8Encoding(false));
            SimulationRunner.Run(compilation, data.Path, output.Path, asOf);
            var result = (File.ReadAllText(Path.Combine(output.Path, "tags.csv")), File.ReadAllText(Path.Combine(output.Path, "summary.json")));
            if (first is null) first = result;
            else
            {
                Assert.True(first.Value.Tags == result.Item1, $"tags.csv differs for the rows in {name}");
                Assert.True(first.Value.Summary == result.Item2, $"summary.json differs for the rows in {name}");
            }
        }
        return first!.Value;
    }

    /// <summary>The rows sorted by their ts text, stably (as an export in time order writes them; generated ts are all alike in form).</summary>
    private static IEnumerable<string> TimeOrder(string[] lines) =>
        lines.Select((line, i) => (Ts: TsText(line), Line: line, I: i)).OrderBy(r => r.Ts, StringComparer.Ordinal).ThenBy(r =>
            r.I).Select(r => r.Line);

    /// <summary>A random interleaving of the users' row sequences (each user's rows keep their order).</summary>
    private static IEnumerable<string> Interleave(string[] lines, Random rnd)
    {
        var queues = lines.GroupBy(UserText).Select(g => new Queue<string>(g)).ToList();
        var result = new List<string>(lines.Length);
        while (queues.Count > 0)
        {
            var k = rnd.Next(queues.Count);
            result.Add(queues[k].Dequeue());
            if (queues[k].Count == 0)
            {
                queues[k] = queues[^1];
                queues.RemoveAt(queues.Count - 1);
            }
        }
        return result;
    }

    private static string TsText(string line) => Member(line, "\"ts\":\"");
    private static string UserText(string line) => Member(line, "\"user_id\":\"");

    private static string Member(string line, string prefix)
    {
        var at = line.IndexOf(prefix, StringComparison.Ordinal);
        if (at < 0) return "";
        at += prefix.Length;
        var end = line.IndexOf('"', at);
        return end < 0 ? "" : line[at..end];
    }
}
