using System.Text;
using MarketingDsl.Core;
using MarketingDsl.Engine.Data;
using MarketingDsl.Engine.Evaluation;
using MarketingDsl.Engine.Simulation;
using MarketingDsl.Engine.Tests.Conformance;
using MarketingDsl.Functions.Loading;

namespace MarketingDsl.Engine.Tests.Data;

/// <summary>
/// The parsers skip the columns a plan does not read (<see cref="DataColumns"/>): a field not read is
/// validated as a read one but its value is not kept. The run writes the bytes of the run that
/// keeps every column, and a damaged row is rejected with the same reason and line whether or
/// not its bad field is read.
/// </summary>
public sealed class UnreadColumnTests
{
    public static TheoryData<string> ConformanceCases() => ConformanceTests.Cases();

    [Theory]
    [MemberData(nameof(ConformanceCases))]
    public void Skipping_unread_columns_writes_the_same_bytes_on_the_conformance_cases(string name)
    {
        var dir = RepositoryPaths.Of("tests", "conformance", name);
        AssertSameOutput(Path.Combine(dir, "workspace"), Path.Combine(dir, "data"), ConformanceTests.AsOfArgument(dir));
    }

    /// <summary>examples/retail: custom functions, list tags, a recommender's signals; rows grouped by user and in time order.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Skipping_unread_columns_writes_the_same_bytes_on_the_retail_example(bool timeOrder)
    {
        using var data = new TempDir();
        RetailDataGenerator.Generate(data.Path, users: 300, days: 60, seed: 7);
        if (timeOrder) EventFileOrder.SortByTime(Path.Combine(data.Path, "events.jsonl"));
        AssertSameOutput(RepositoryPaths.Of("examples", "retail"), data.Path, asOf: null);
    }

    /// <summary>retail-core reads 2 of 7 profile fields, 3 of 5 tables and 4 of their 13 fields: the rest is not kept.</summary>
    [Fact]
    public void A_plan_reading_some_columns_gets_only_those_from_the_parser()
    {
        var compilation = Compilation.Create(Workspace.Load(RepositoryPaths.Of("tests", "conformance", "retail-core", "workspace")));
        var schema = compilation.Model.Schema;
        var columns = CompiledEngine.PlanFor(compilation).Columns;
        using var data = new TempDir();
        RetailDataGenerator.Generate(data.Path, users: 50, days: 30, seed: 3);
        foreach (var parallelism in new[] { 1, 3 })
        {
            var some = DataImporter.Load(schema, data.Path, new ImportOptions { Parallelism = parallelism, BlockSize = 4096 }, columns: columns);
            Assert.Same(columns, some.Columns);
            int Table(string name) => schema.Events.IndexOf(schema.FindEvent(name)!);
            Assert.Null(some.Events[Table("cart_add")]);
            Assert.Null(some.Events[Table("message_opened")]);
            var order = some.Events[Table("order")]!;
            Assert.Empty(order.Line);
            Assert.Null(order.Fields[schema.FindEvent("order")!.OrdinalOf("sku")]);
            Assert.NotNull(order.Fields[schema.FindEvent("order")!.OrdinalOf("amount")]);
            Assert.Null(some.Profiles.Columns[schema.ProfileOrdinalOf("city")]);
            Assert.NotNull(some.Profiles.Columns[schema.ProfileOrdinalOf("registered_at")]);
            var whole = DataImporter.Load(schema, data.Path, new ImportOptions { Parallelism = parallelism, BlockSize = 4096 });
            Assert.Null(whole.Columns);
            Assert.Equal(whole.Events[Table("order")]!.Ts, order.Ts);
            Assert.Equal(whole.Events[Table("order")]!.UserStart, order.UserStart);
            Assert.Equal(whole.Report.EventsKept, some.Report.EventsKept);
        }
    }

    /// <summary>
    /// Every kind of bad value in fields retail-core does not read (a table it does not read, a field of a table it reads, a
    /// profile field), and in fields it reads: the same rows are rejected with the same reasons and lines, sequentially and in
    /// parallel, on every JSON path, and the same rows are kept.
    /// </summary>
    [Fact]
    public void A_bad_value_rejects_its_row_alike_whether_or_not_the_field_is_read()
    {
        var compilation = Compilation.Create(Workspace.Load(RepositoryPaths.Of("tests", "conformance", "retail-core", "workspace")));
        var schema = compilation.Model.Schema;
        var columns = CompiledEngine.PlanFor(compilation).Columns;
        Assert.False(columns.ReadsTable(schema.Events.IndexOf(schema.FindEvent("cart_add")!)));
        using var data = DamagedRetailData();

        var reference = Load(data.Path, columns: null, parallelism: 1, generalOnly: true);
        Assert.True(reference.Data.Report.RejectedCount >= Damages.Length, $"{reference.Data.Report.RejectedCount} rejects");
        foreach (var parallelism in new[] { 1, 2, 5 })
            foreach (var generalOnly in new[] { false, true })
                foreach (var selection in new[] { null, columns })
                {
                    var (loaded, rejects) = Load(data.Path, selection, parallelism, generalOnly);
                    var what = $"parallelism {parallelism}, general reader only {generalOnly}, columns {(selection is null ? "all" : "read")}";
                    Assert.True(reference.Rejects == rejects, what + "\n" + FirstDifference(reference.Rejects, rejects));
                    var (a, b) = (reference.Data.Report, loaded.Report);
                    Assert.Equal((a.EventsRead, a.EventsKept, a.OrphanEvents, a.UnknownTypeEvents, a.ProfilesKept, a.RejectedCount),
                        (b.EventsRead, b.EventsKept, b.OrphanEvents, b.UnknownTypeEvents, b.ProfilesKept, b.RejectedCount));
                    Assert.Equal(a.DuplicatesDropped.OrderBy(d => d.Key), b.DuplicatesDropped.OrderBy(d => d.Key));
                    Assert.Equal(reference.Data.MaxTimestampTicks, loaded.MaxTimestampTicks);
                    Assert.Equal(reference.Data.UserIds, loaded.UserIds);
                }

        // And through simulate: the same bytes with and without skipping.
        AssertSameOutput(RepositoryPaths.Of("tests", "conformance", "retail-core", "workspace"), data.Path, asOf: null);
    }

    /// <summary>Replacements of a generated row's member (key, bad value) and whole extra rows; each damaged row is a reject.</summary>
    private static readonly (string Type, string Key, string Value)[] Damages =
    [
        ("login", "platform", "5"),                         // unread field: a number for a string
        ("login", "platform", "{\"os\":\"ios\"}"),          // an object (the general reader's path)
        ("login", "platform", "\"\\ud800\""),               // a lone surrogate
        ("login", "platform", "\"ios\",\"platform\":\"web\""),   // named twice
        ("view", "duration_s", "1.5"),                      // unread int: not an integer
        ("view", "duration_s", "\"12\""),                   // a string for an int
        ("view", "duration_s", "99999999999999999999"),     // out of a 64-bit range
        ("view", "sku", "true"),
        ("cart_add", "price", "\"9.90\""),                  // a table no tag reads
        ("cart_add", "price", "1e400"),
        ("cart_add", "sku", "null,\"sku\":\"x\""),
        ("message_opened", "journey", "[1]"),
        ("order", "sku", "12"),                             // unread field of a table read
        ("order", "channel", "\"app"),                      // malformed JSON
        ("order", "amount", "\"1\""),                       // read field
        ("view", "category", "7"),
    ];

    private static TempDir DamagedRetailData()
    {
        var data = new TempDir();
        RetailDataGenerator.Generate(data.Path, users: 120, days: 40, seed: 9);
        var events = Path.Combine(data.Path, "events.jsonl");
        var lines = File.ReadAllLines(events).ToList();
        var random = new Random(4);
        foreach (var (type, key, value) in Damages)
        {
            var candidates = Enumerable.Range(0, lines.Count).Where(i => lines[i].StartsWith($"{{\"type\":\"{type}\"", StringComparison.Ordinal)
                && lines[i].Contains($"\"{key}\":", StringComparison.Ordinal)).ToList();
            var at = candidates[random.Next(candidates.Count)];
            var row = lines[at];
            var from = row.IndexOf($"\"{key}\":", StringComparison.Ordinal) + key.Length + 3;
            var end = row[from] == '"' ? row.IndexOf('"', from + 1) + 1 : row.IndexOfAny([',', '}'], from);
            lines[at] = row[..from] + value + row[end..];
        }
        // Invalid UTF-8 in an unread string, and text that is no JSON at all.
        var bytes = new List<byte[]>();
        foreach (var line in lines) bytes.Add(Encoding.UTF8.GetBytes(line));
        var login = lines.FindIndex(l => l.Contains("\"platform\":\"", StringComparison.Ordinal));
        var platform = lines[login].IndexOf("\"platform\":\"", StringComparison.Ordinal) + 12;
        bytes[login] = [.. bytes[login].AsSpan(0, platform), 0xC3, 0x28, .. bytes[login].AsSpan(platform)];
        bytes.Insert(lines.Count / 2, "{\"type\":\"cart_add\",\"user_id\":\"u0000001\""u8.ToArray());
        using (var file = File.Create(events))
            foreach (var line in bytes)
            {
                file.Write(line);
                file.WriteByte((byte)'\n');
            }
        // Profiles: unread fields of the wrong type or not a date.
        var profiles = Path.Combine(data.Path, "profiles.jsonl");
        var rows = File.ReadAllLines(profiles);
        rows[3] = rows[3].Replace("\"city\":\"", "\"city\":1,\"x\":\"", StringComparison.Ordinal);
        rows[5] = System.Text.RegularExpressions.Regex.Replace(rows[5], "\"member_level\":[0-9]+", "\"member_level\":\"gold\"");
        File.WriteAllLines(profiles, rows);
        return data;
    }

    private static (DataSet Data, string Rejects) Load(string dir, DataColumns? columns, int parallelism, bool generalOnly)
    {
        var schema = Compilation.Create(Workspace.Load(RepositoryPaths.Of("tests", "conformance", "retail-core", "workspace"))).Model.Schema;
        var rejects = Path.Combine(dir, "out", $"rejects-{Guid.NewGuid():N}.jsonl");
        var data = DataImporter.Load(schema, dir, new ImportOptions { Parallelism = parallelism, BlockSize = 8192, RejectsPath = rejects,
            GeneralJsonReaderOnly = generalOnly }, columns: columns);
        return (data, File.ReadAllText(rejects));
    }

    private static string FirstDifference(string a, string b)
    {
        var (x, y) = (a.Split('\n'), b.Split('\n'));
        for (var i = 0; i < Math.Max(x.Length, y.Length); i++)
            if (i >= x.Length || i >= y.Length || x[i] != y[i])
                return $"line {i + 1}:\n  {(i < x.Length ? x[i] : "(none)")}\n  {(i < y.Length ? y[i] : "(none)")}";
        return "";
    }

    /// <summary>The run that skips what its plan does not read writes the bytes of the run that keeps every column.</summary>
    private static void AssertSameOutput(string workspace, string dataDir, DateTime? asOf)
    {
        var compilation = FunctionCompilation.Create(Workspace.Load(workspace));
        Assert.False(compilation.HasErrors, string.Join("\n", compilation.Diagnostics));
        using var skipping = new TempDir();
        using var everyColumn = new TempDir();
        var some = SimulationRunner.Run(compilation, dataDir, skipping.Path, asOf);
        var whole = SimulationRunner.Run(compilation, dataDir, everyColumn.Path, asOf, everyColumn: true);
        Assert.Null(some.Data.Report.FromSnapshot);
        Assert.NotNull(some.Data.Columns);
        Assert.Null(whole.Data.Columns);
        foreach (var file in new[] { "tags.csv", "summary.json", "rejects.jsonl" })
            Assert.True(File.ReadAllBytes(Path.Combine(everyColumn.Path, file)).AsSpan()
                .SequenceEqual(File.ReadAllBytes(Path.Combine(skipping.Path, file))), $"{file} differs when unread columns are skipped");
    }
}
