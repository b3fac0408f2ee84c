using System.Text;
using MarketingDsl.Core;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Data;
using MarketingDsl.Engine.Evaluation;
using MarketingDsl.Engine.Lowering;
using MarketingDsl.Engine.Simulation;
using MarketingDsl.Engine.Tests.Conformance;
using MarketingDsl.Functions.Loading;

namespace MarketingDsl.Engine.Tests.Data;

/// <summary>
/// An import snapshot (Apache Arrow IPC) is the parsed data set, value for value: simulating from it
/// writes the bytes simulating from the files writes (tags.csv, summary.json, rejects.jsonl). A
/// changed input file invalidates it; a damaged one is reported and the files are parsed instead.
/// </summary>
public sealed class ImportSnapshotTests
{
    private static readonly DateTimeOffset Now = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Rows of every column kind: nulls, decimals whose scale shows, identity merges, duplicates, rejects, orphans, unknown types.</summary>
    private static TempDir EdgeData() => DataTestUtil.Dir(
        ("profiles.jsonl", """
            {"user_id":"u2","city":"Paris","member_id":"m1"}
            {"user_id":"u1","city":null,"member_id":"m1"}
            {"user_id":"é3"}
            {"user_id":"u4","city":"Lyon"}
            not json

            """),
        ("events.jsonl", """
            {"type":"e","user_id":"u1","ts":"2025-01-02T03:04:05.123456Z","s":"a","n":-7,"d":10.50,"b":true,"day":"1969-12-31","at":"1901-01-01T00:00:00Z","dur":"1d 2h"}
            {"type":"e","user_id":"u2","ts":"2025-01-02T03:04:05Z","s":null,"n":null,"d":null,"b":null,"day":null,"at":null,"dur":null}
            {"type":"e","user_id":"é3","ts":"2025-01-01T00:00:00Z","s":"\u00e9\ud83d\ude00","d":-0.000,"b":false,"day":"2025-03-01","at":"2025-01-01T00:00:00.000001Z","dur":90}
            {"type":"e","user_id":"u1","ts":"2024-12-31T23:59:59Z","s":"a","d":79228162514264337593543950335}
            {"type":"ee","user_id":"u4","ts":"2025-02-01T00:00:00Z"}
            {"type":"o","user_id":"u1","ts":"2025-01-03T00:00:00Z","oid":"o1","amount":1.0}
            {"type":"o","user_id":"u2","ts":"2025-01-04T00:00:00Z","oid":"o1","amount":2}
            {"type":"o","user_id":"nobody","ts":"2025-01-05T00:00:00Z","oid":"o2"}
            {"type":"mystery","user_id":"u1","ts":"2025-01-06T00:00:00Z"}
            {"type":"e","user_id":"u1","ts":"yesterday"}
            {"type":"e","user_id":"u1","ts":"2025-01-02T00:00:00Z","n":"x"}

            """));

    [Fact]
    public void A_snapshot_reads_back_the_data_set_it_was_written_from()
    {
        using var data = EdgeData();
        using var snapshot = new TempDir();
        var schema = DataTestUtil.JsonPathSchema();
        var parsed = DataImporter.Load(schema, data.Path, new ImportOptions());
        ImportSnapshot.Write(parsed, snapshot.Path, data.Path, DataFingerprint.Inputs(data.Path), rejectsPath: null);
        var read = ImportSnapshot.Read(schema, snapshot.Path);
        AssertSameData(parsed, read);
        Assert.True(parsed.Report.IdentityMerges.Count > 0 && parsed.Report.RejectedCount > 0 && parsed.Report.OrphanEvents > 0);
    }

    [Fact]
    public void An_empty_history_round_trips()
    {
        using var data = DataTestUtil.Dir(("profiles.jsonl", "{\"user_id\":\"a\"}\n"));
        using var snapshot = new TempDir();
        var schema = DataTestUtil.JsonPathSchema();
        var parsed = DataImporter.Load(schema, data.Path, new ImportOptions());
        ImportSnapshot.Write(parsed, snapshot.Path, data.Path, DataFingerprint.Inputs(data.Path), rejectsPath: null);
        AssertSameData(parsed, ImportSnapshot.Read(schema, snapshot.Path));
    }

    /// <summary>Tables cut into many batches and part files (tiny limits) read back value for value, across batch and part edges.</summary>
    [Fact]
    public void Tables_in_many_batches_and_parts_read_back_value_for_value()
    {
        using var data = new TempDir();
        RetailDataGenerator.Generate(data.Path, users: 60, days: 20, seed: 3);
        var schema = Compilation.Create(Workspace.Load(RepositoryPaths.Of("tests", "conformance", "retail-core", "workspace"))).Model.Schema;
        var parsed = DataImporter.Load(schema, data.Path, new ImportOptions());
        foreach (var (batchRows, partBytes) in new[] { (7, 1L), (100, 4096L), (1 << 18, 1L << 30) })
        {
            using var snapshot = new TempDir();
            ImportSnapshot.Write(parsed, snapshot.Path, data.Path, DataFingerprint.Inputs(data.Path), null, batchRows, partBytes);
            if (batchRows == 7) Assert.True(Directory.GetFiles(snapshot.Path, "events-1-view.*.arrows").Length > 10);
            AssertSameData(parsed, ImportSnapshot.Read(schema, snapshot.Path));
            AssertSameData(parsed, ImportSnapshot.Read(schema, snapshot.Path, parallelism: 1));
        }
        using var edges = EdgeData();
        using var edgeSnapshot = new TempDir();
        var edgeSchema = DataTestUtil.JsonPathSchema();
        var edgeParsed = DataImporter.Load(edgeSchema, edges.Path, new ImportOptions());
        ImportSnapshot.Write(edgeParsed, edgeSnapshot.Path, edges.Path, DataFingerprint.Inputs(edges.Path), null, batchRows: 1, partBytes: 1);
        AssertSameData(edgeParsed, ImportSnapshot.Read(edgeSchema, edgeSnapshot.Path));
    }

    /// <summary>A snapshot of an earlier format (version 1: one Arrow file per table) is refused with a clear reason, never misread.</summary>
    [Fact]
    public void A_snapshot_of_the_first_format_is_refused_and_its_files_are_parsed()
    {
        using var data = EdgeData();
        using var snapshot = new TempDir();
        var schema = DataTestUtil.JsonPathSchema();
        var parsed = DataSource.Import(schema, data.Path, snapshot.Path, new ImportOptions());
        var source = System.Text.Json.JsonSerializer.Serialize(data.Path);
        File.WriteAllText(Path.Combine(snapshot.Path, "snapshot.json"), $$"""
            {"format": "mdsl-import-snapshot", "version": 1, "source": {{source}},
             "eventFiles": ["events-0-e.arrow"]}
            """);
        var e = Assert.Throws<SnapshotException>(() => ImportSnapshot.ReadManifest(snapshot.Path));
        Assert.Contains("version 1", e.Message, StringComparison.Ordinal);
        Assert.Contains("mdsl import again", e.Message, StringComparison.Ordinal);
        var read = DataSource.Load(schema, snapshot.Path, new ImportOptions());
        Assert.Equal("MD6030", Assert.Single(read.Report.Warnings).Code);
        AssertSameData(parsed, read);
    }

    /// <summary>
    /// Every file of a snapshot cut short at many lengths, and with bytes flipped at many places:
    /// reading either gives a data set or a <see cref="SnapshotException"/> naming the file; never
    /// another exception, a crash or a hang. The damaged file's checksum is recorded as the import's, so that the reader's own
    /// checks are what is tested (the checksum alone would refuse every one).
    /// </summary>
    [Fact]
    public void Truncated_or_damaged_files_are_snapshot_errors_naming_the_file()
    {
        using var data = EdgeData();
        using var snapshot = new TempDir();
        var schema = DataTestUtil.JsonPathSchema();
        var parsed = DataImporter.Load(schema, data.Path, new ImportOptions());
        ImportSnapshot.Write(parsed, snapshot.Path, data.Path, DataFingerprint.Inputs(data.Path), null, batchRows: 2, partBytes: 1);
        var random = new Random(11);
        var errors = 0;
        foreach (var path in Directory.GetFiles(snapshot.Path, "*.arrows"))
        {
            var original = File.ReadAllBytes(path);
            var name = Path.GetFileName(path);
            var damaged = new List<byte[]>();
            for (var cut = 0; cut < original.Length; cut += Math.Max(1, original.Length / 23)) damaged.Add(original[..cut]);
            for (var k = 0; k < 40; k++)
            {
                var b = (byte[])original.Clone();
                var at = random.Next(b.Length);
                b[at] = k % 2 == 0 ? (byte)(b[at] ^ (1 << random.Next(8))) : (byte)random.Next(256);
                damaged.Add(b);
            }
            foreach (var bytes in damaged)
            {
                File.WriteAllBytes(path, bytes);
                RecordChecksum(snapshot.Path, name);
                try
                {
                    ImportSnapshot.Read(schema, snapshot.Path);
                }
                catch (SnapshotException e)
                {
                    errors++;
                    Assert.True(e.Message.Contains(name, StringComparison.Ordinal), $"{name}: {e.Message}");
                }
            }
            File.WriteAllBytes(path, original);
            RecordChecksum(snapshot.Path, name);
        }
        Assert.True(errors > 0);
        AssertSameData(parsed, ImportSnapshot.Read(schema, snapshot.Path));
    }

    [Fact]
    public void A_file_hashed_through_a_mapping_has_the_checksum_of_one_read_in_sequence()
    {
        using var dir = new TempDir();
        var random = new Random(7);
        foreach (var size in new[] { 0, 1, 240, 241, 1 << 16, (1 << 20) + 13, 3 << 20 })
        {
            var bytes = new byte[size];
            random.NextBytes(bytes);
            var path = Path.Combine(dir.Path, $"part-{size}.arrows");
            File.WriteAllBytes(path, bytes);
            var expected = Convert.ToHexStringLower(System.IO.Hashing.XxHash128.Hash(bytes));
            Assert.Equal(expected, SnapshotChecksums.Of(path));
            Assert.Equal(expected, SnapshotChecksums.Of(path, mappedBytes: 0));
        }
    }

    /// <summary>Records a part file's checksum in snapshot.json as it is now.</summary>
    private static void RecordChecksum(string snapshot, string file)
    {
        var path = Path.Combine(snapshot, "snapshot.json");
        var manifest = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path))!;
        foreach (var (_, table) in manifest["tables"]!.AsObject())
            foreach (var part in table!["files"]!.AsArray())
                if ((string?)part!["name"] == file) part["xxh128"] = SnapshotChecksums.Of(Path.Combine(snapshot, file));
        File.WriteAllText(path, manifest.ToJsonString());
    }

    public static TheoryData<string> ConformanceCases() => ConformanceTests.Cases();

    /// <summary>
    /// Lists of every item type (Arrow list columns): null and empty lists,
    /// null items, decimals whose scale shows, in profiles and events.
    /// </summary>
    [Fact]
    public void List_fields_of_every_item_type_read_back_item_for_item()
    {
        var schema = new SchemaModel(
            [new FieldSymbol("user_id", DslType.String, IsKey: true), new FieldSymbol("tags", DslType.ListOf(DslType.String))],
            [],
            [
                new EventTypeSymbol("e", [
                    new FieldSymbol("ints", DslType.ListOf(DslType.Int)),
                    new FieldSymbol("decs", DslType.ListOf(DslType.Decimal)),
                    new FieldSymbol("flags", DslType.ListOf(DslType.Bool)),
                    new FieldSymbol("days", DslType.ListOf(DslType.Date)),
                    new FieldSymbol("ats", DslType.ListOf(DslType.DateTime)),
                    new FieldSymbol("durs", DslType.ListOf(DslType.Duration)),
                ]),
            ]);
        using var data = DataTestUtil.Dir(
            ("profiles.jsonl", """
                {"user_id":"u1","tags":["a",null,"","上海","a|b"]}
                {"user_id":"u2","tags":[]}
                {"user_id":"u3"}

                """),
            ("events.jsonl", """
                {"type":"e","user_id":"u1","ts":"2025-01-02T00:00:00Z","ints":[1,null,-9223372036854775808],"decs":[10.50,-0.000,null],"flags":[true,false,null],"days":["1969-12-31",null],"ats":["2025-01-01T00:00:00.000001Z",null],"durs":["1d 2h",90,null]}
                {"type":"e","user_id":"u1","ts":"2025-01-01T00:00:00Z","ints":[],"decs":[],"flags":[],"days":[],"ats":[],"durs":[]}
                {"type":"e","user_id":"u2","ts":"2025-01-03T00:00:00Z"}

                """));
        using var snapshot = new TempDir();
        var parsed = DataImporter.Load(schema, data.Path, new ImportOptions());
        Assert.Equal(0, parsed.Report.RejectedCount);
        ImportSnapshot.Write(parsed, snapshot.Path, data.Path, DataFingerprint.Inputs(data.Path), rejectsPath: null);
        var read = ImportSnapshot.Read(schema, snapshot.Path);
        AssertSameData(parsed, read);
        Assert.Equal("list [string a, null, string , string 上海, string a|b]", Value(read.Profiles.Columns[1], 0));
        Assert.Equal("list [decimal 10.50, decimal 0.000, null]", Value(read.Events[0]!.Fields[3], 1));
        Assert.Null(Value(read.Profiles.Columns[1], 2));
    }

    /// <summary>tags.csv, summary.json and rejects.jsonl from a snapshot equal those from the files, on the conformance cases.</summary>
    [Theory]
    [MemberData(nameof(ConformanceCases))]
    public void Simulating_from_a_snapshot_writes_the_same_bytes_on_the_conformance_cases(string name)
    {
        var dir = RepositoryPaths.Of("tests", "conformance", name);
        AssertSameOutputFromSnapshot(Path.Combine(dir, "workspace"), Path.Combine(dir, "data"), ConformanceTests.AsOfArgument(dir));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Simulating_from_a_snapshot_writes_the_same_bytes_on_generated_data(bool asOfBeforeTheEnd)
    {
        using var data = new TempDir();
        RetailDataGenerator.Generate(data.Path, users: 400, days: 60, seed: 5);
        EventFileOrder.SortByTime(Path.Combine(data.Path, "events.jsonl"));
        // An instant before the latest event: events_after_as_of counts rows of tables no tag reads.
        AssertSameOutputFromSnapshot(RepositoryPaths.Of("tests", "conformance", "retail-core", "workspace"), data.Path, asOf: null,
            beforeTheEnd: asOfBeforeTheEnd ? TimeSpan.FromDays(20) : null);
    }

    /// <summary>examples/retail: custom functions, list tags, a recommender (untrained here), many tables and fields.</summary>
    [Fact]
    public void Simulating_from_a_snapshot_writes_the_same_bytes_on_the_retail_example()
    {
        using var data = new TempDir();
        RetailDataGenerator.Generate(data.Path, users: 300, days: 60, seed: 7);
        AssertSameOutputFromSnapshot(RepositoryPaths.Of("examples", "retail"), data.Path, asOf: null);
    }

    /// <summary>
    /// From a snapshot a run reads only the columns its plan reads (<see cref="CompiledPlan.Columns"/>), and writes the bytes of
    /// the run that reads every column and of the run that parses the files.
    /// </summary>
    private static void AssertSameOutputFromSnapshot(string workspace, string dataDir, DateTime? asOf, TimeSpan? beforeTheEnd = null)
    {
        var compilation = FunctionCompilation.Create(Workspace.Load(workspace));
        Assert.False(compilation.HasErrors, string.Join("\n", compilation.Diagnostics));
        if (beforeTheEnd is { } before)
            asOf = new DateTime(SimulationRunner.LoadData(compilation.Model.Schema, dataDir, null, useCache: false).MaxTimestampTicks!.Value,
                DateTimeKind.Utc) - before;
        using var snapshot = new TempDir();
        using var fromFiles = new TempDir();
        using var fromSnapshot = new TempDir();
        using var everyColumn = new TempDir();
        DataSource.Import(compilation.Model.Schema, dataDir, snapshot.Path, new ImportOptions());
        var parsed = SimulationRunner.Run(compilation, dataDir, fromFiles.Path, asOf, everyColumn: true);
        var read = SimulationRunner.Run(compilation, snapshot.Path, fromSnapshot.Path, asOf);
        var whole = SimulationRunner.Run(compilation, snapshot.Path, everyColumn.Path, asOf, everyColumn: true);
        Assert.Null(parsed.Data.Report.FromSnapshot);
        Assert.Equal(Path.GetFullPath(snapshot.Path), read.Data.Report.FromSnapshot);
        Assert.Empty(read.Data.Report.Warnings);
        Assert.Equal(0, whole.Data.Report.SnapshotColumns.Skipped);
        Assert.Null(whole.Data.Columns);
        if (asOf is null) Assert.Same(CompiledEngine.PlanFor(compilation).Columns, read.Data.Columns);
        else Assert.NotNull(read.Data.Columns);
        if (beforeTheEnd is not null) Assert.NotEqual(0, read.Summary.Quality.EventsAfterAsOf);
        foreach (var file in new[] { "tags.csv", "summary.json", "rejects.jsonl" })
        {
            var fromFilesBytes = File.ReadAllBytes(Path.Combine(fromFiles.Path, file));
            Assert.True(fromFilesBytes.AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(fromSnapshot.Path, file))),
                $"{file} differs from a snapshot read in the plan's columns");
            Assert.True(fromFilesBytes.AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(everyColumn.Path, file))),
                $"{file} differs from a snapshot read whole");
        }
        AssertSameData(parsed.Data, whole.Data);
    }

    /// <summary>retail-core reads 2 of 7 profile fields, 3 of 5 event tables and 4 of their 13 fields: the rest is never converted.</summary>
    [Fact]
    public void A_workspace_reading_some_columns_reads_only_those_of_a_snapshot()
    {
        var compilation = Compilation.Create(Workspace.Load(RepositoryPaths.Of("tests", "conformance", "retail-core", "workspace")));
        var schema = compilation.Model.Schema;
        var columns = CompiledEngine.PlanFor(compilation).Columns;
        Assert.Equal(["profile.registered_at", "profile.child_birthday", "order", "view", "login", "order.amount", "order.category",
            "order.coupon_used", "view.category"], columns.Names(schema));
        using var data = new TempDir();
        RetailDataGenerator.Generate(data.Path, users: 50, days: 30, seed: 3);
        using var snapshot = new TempDir();
        DataSource.Import(schema, data.Path, snapshot.Path, new ImportOptions());

        var whole = ImportSnapshot.Read(schema, snapshot.Path);
        var some = ImportSnapshot.Read(schema, snapshot.Path, columns: columns);
        // Users: id and 5 row counts; profiles: 7; events: ts, line and fields of 5 tables (6 + 3 + 3 + 1 + 2); loose: ts. Read: the
        // id and 3 row counts, 2 profile fields, order (ts, 3 fields), view (ts, category), login (ts), loose.
        Assert.Equal((39, 0), whole.Report.SnapshotColumns);
        Assert.Equal(((1 + 3) + 2 + (1 + 3) + (1 + 1) + 1 + 1, 25), some.Report.SnapshotColumns);
        int Table(string name) => schema.Events.IndexOf(schema.FindEvent(name)!);
        Assert.Null(some.Events[Table("cart_add")]);
        Assert.Null(some.Events[Table("message_opened")]);
        var orders = some.Events[Table("order")]!;
        Assert.Null(orders.Fields[schema.FindEvent("order")!.OrdinalOf("order_id")]);
        Assert.Empty(orders.Line);
        Assert.Equal(whole.Events[Table("order")]!.Ts, orders.Ts);
        Assert.Equal(whole.Events[Table("order")]!.UserStart, orders.UserStart);
        var amount = schema.FindEvent("order")!.OrdinalOf("amount");
        Assert.Equal(((DecimalColumn)whole.Events[Table("order")]!.Fields[amount]!).Values, ((DecimalColumn)orders.Fields[amount]!).Values);
        Assert.Null(some.Profiles.Columns[schema.ProfileFields.IndexOf(schema.ProfileFields.First(f => f.Name == "city"))]);
        Assert.Equal(whole.UserIds, some.UserIds);
    }

    /// <summary>
    /// A second read's dictionary columns refer to the first read's strings (the process's copies): a young collection then has no
    /// card to scan in columns of millions of rows that would otherwise refer to strings just allocated.
    /// </summary>
    [Fact]
    public void Reads_of_a_snapshot_share_their_dictionary_strings()
    {
        var schema = Compilation.Create(Workspace.Load(RepositoryPaths.Of("tests", "conformance", "retail-core", "workspace"))).Model.Schema;
        using var data = new TempDir();
        RetailDataGenerator.Generate(data.Path, users: 50, days: 30, seed: 3);
        using var snapshot = new TempDir();
        DataSource.Import(schema, data.Path, snapshot.Path, new ImportOptions());
        var view = schema.FindEvent("view")!;
        string?[] Categories(DataSet read) => ((StringColumn)read.Events[schema.Events.IndexOf(view)]!.Fields[view.OrdinalOf("category")]!).Values;

        var first = Categories(ImportSnapshot.Read(schema, snapshot.Path));
        var second = Categories(ImportSnapshot.Read(schema, snapshot.Path, parallelism: 1));
        Assert.NotEmpty(first);
        Assert.Equal(first, second);
        for (var i = 0; i < first.Length; i++) Assert.Same(first[i], second[i]);
    }

    /// <summary>A recommender reads its signals' item field from the data set itself, not through the plan's code.</summary>
    [Fact]
    public void The_columns_a_plan_reads_include_its_recommenders_signals()
    {
        var compilation = FunctionCompilation.Create(Workspace.Load(RepositoryPaths.Of("examples", "retail")));
        var names = CompiledEngine.PlanFor(compilation).Columns.Names(compilation.Model.Schema);
        // No tag reads cart_add.sku: only the recommender `picks` does (signals: view, cart_add, order).
        Assert.Contains("cart_add.sku", names);
    }

    [Fact]
    public void The_cache_is_used_while_the_files_are_unchanged_and_a_changed_file_invalidates_it()
    {
        using var data = EdgeData();
        using var cacheDir = new TempDir();
        var cache = new SnapshotCache(cacheDir.Path, minInputBytes: 0);
        var schema = DataTestUtil.JsonPathSchema();
        var first = Load(schema, data.Path, cache);
        Assert.Null(first.Report.FromSnapshot);
        Assert.Single(Directory.GetDirectories(cacheDir.Path));

        var second = Load(schema, data.Path, cache);
        Assert.NotNull(second.Report.FromSnapshot);
        AssertSameData(first, second);

        // A rewrite: another size and write time.
        File.AppendAllText(Path.Combine(data.Path, "events.jsonl"), "{\"type\":\"ee\",\"user_id\":\"u4\",\"ts\":\"2025-02-02T00:00:00Z\"}\n");
        var third = Load(schema, data.Path, cache);
        Assert.Null(third.Report.FromSnapshot);
        Assert.Equal(first.Report.EventsKept + 1, third.Report.EventsKept);
        Assert.NotNull(Load(schema, data.Path, cache).Report.FromSnapshot);

        // A copy of other bytes that kept size and write time: the sampled content tells.
        var events = Path.Combine(data.Path, "events.jsonl");
        var written = File.GetLastWriteTimeUtc(events);
        var text = File.ReadAllText(events).Replace("2025-02-02T00:00:00Z", "2025-02-03T00:00:00Z", StringComparison.Ordinal);
        File.WriteAllText(events, text, new UTF8Encoding(false));
        File.SetLastWriteTimeUtc(events, written);
        var fourth = Load(schema, data.Path, cache);
        Assert.Null(fourth.Report.FromSnapshot);
        Assert.Equal(new DateTime(2025, 2, 3, 0, 0, 0, DateTimeKind.Utc).Ticks, fourth.MaxTimestampTicks);

        // A schema of another shape is another entry.
        var other = new SchemaModel(schema.ProfileFields, schema.IdentityKeys, schema.Events.Take(2));
        Assert.Null(Load(other, data.Path, cache).Report.FromSnapshot);
        Assert.NotNull(Load(other, data.Path, cache).Report.FromSnapshot);
    }

    [Fact]
    public void Small_inputs_and_rows_rejected_for_the_wall_clock_are_not_cached()
    {
        using var data = EdgeData();
        using var cacheDir = new TempDir();
        var schema = DataTestUtil.JsonPathSchema();
        Load(schema, data.Path, new SnapshotCache(cacheDir.Path, minInputBytes: 1 << 30));
        Assert.Empty(Directory.GetDirectories(cacheDir.Path));

        // Now is before the events: they are rejected as future rows, which a later run may keep.
        var cache = new SnapshotCache(cacheDir.Path, minInputBytes: 0);
        var options = SimulationRunner.ImportOptionsAt(null, new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var early = DataSource.Load(schema, data.Path, options, null, cache);
        Assert.True(early.Report.FutureRejects > 0);
        Assert.Empty(Directory.GetDirectories(cacheDir.Path));
    }

    [Fact]
    public void A_damaged_cache_entry_is_reported_and_the_files_are_parsed_again()
    {
        using var data = EdgeData();
        using var cacheDir = new TempDir();
        var cache = new SnapshotCache(cacheDir.Path, minInputBytes: 0);
        var schema = DataTestUtil.JsonPathSchema();
        var parsed = Load(schema, data.Path, cache);
        var entry = Directory.GetDirectories(cacheDir.Path).Single();
        var arrow = Directory.GetFiles(entry, "events-0-*.arrows").Single();
        var bytes = File.ReadAllBytes(arrow);
        File.WriteAllBytes(arrow, bytes[..(bytes.Length / 2)]);

        var again = Load(schema, data.Path, cache);
        Assert.Null(again.Report.FromSnapshot);
        var warning = Assert.Single(again.Report.Warnings);
        Assert.Equal("MD6030", warning.Code);
        Assert.Contains("cannot be read", warning.Message, StringComparison.Ordinal);
        AssertSameData(parsed, again);
        // The entry was written again and is read from now on.
        Assert.NotNull(Load(schema, data.Path, cache).Report.FromSnapshot);
    }

    /// <summary>A cache entry an earlier mdsl wrote (another format version) is rebuilt silently: nothing is wrong with the data.</summary>
    [Fact]
    public void A_cache_entry_of_another_format_version_is_rebuilt_without_a_warning()
    {
        using var data = EdgeData();
        using var cacheDir = new TempDir();
        var cache = new SnapshotCache(cacheDir.Path, minInputBytes: 0);
        var schema = DataTestUtil.JsonPathSchema();
        var parsed = Load(schema, data.Path, cache);
        var entry = Directory.GetDirectories(cacheDir.Path).Single();
        var manifest = Path.Combine(entry, "snapshot.json");
        File.WriteAllText(manifest, File.ReadAllText(manifest).Replace($"\"version\": {SnapshotManifest.CurrentVersion}",
            $"\"version\": {SnapshotManifest.CurrentVersion - 1}", StringComparison.Ordinal));

        var again = Load(schema, data.Path, cache);
        Assert.Null(again.Report.FromSnapshot);
        Assert.Empty(again.Report.Warnings);
        AssertSameData(parsed, again);
        Assert.NotNull(Load(schema, data.Path, cache).Report.FromSnapshot);
    }

    public static TheoryData<string> Damages() =>
        ["manifest garbage", "manifest version", "profiles missing", "users truncated", "events bytes flipped", "loose empty"];

    /// <summary>
    /// A snapshot given as --data that is damaged: its data files are parsed instead,
    /// with MD6030; without them (or without a readable manifest), a clear error.
    /// </summary>
    [Theory]
    [MemberData(nameof(Damages))]
    public void A_damaged_snapshot_is_reported_and_its_files_are_parsed_instead(string damage)
    {
        using var data = EdgeData();
        using var snapshot = new TempDir();
        var schema = DataTestUtil.JsonPathSchema();
        var parsed = DataSource.Import(schema, data.Path, snapshot.Path, new ImportOptions());
        Damage(snapshot.Path, damage);
        if (damage == "manifest garbage")
        {
            // Nothing says where the data came from.
            var error = Assert.Throws<DataImportException>(() => DataSource.Load(schema, snapshot.Path, new ImportOptions()));
            Assert.Contains("snapshot.json is not JSON", error.Message, StringComparison.Ordinal);
            // The error keeps its code's message, so the web editor says it in 简体中文 too.
            Assert.Equal("MD6030", error.Diagnostic?.Code);
            Assert.Contains("snapshot.json", error.Diagnostic!.Chinese, StringComparison.Ordinal);
            Assert.NotEqual(error.Diagnostic.English, error.Diagnostic.Chinese);
            return;
        }

        var read = DataSource.Load(schema, snapshot.Path, new ImportOptions());
        var warning = Assert.Single(read.Report.Warnings);
        Assert.Equal("MD6030", warning.Code);
        Assert.Contains("cannot be read", warning.Message, StringComparison.Ordinal);
        Assert.Null(read.Report.FromSnapshot);
        AssertSameData(parsed, read);

        Directory.Delete(data.Path, recursive: true);
        var e = Assert.Throws<DataImportException>(() => DataSource.Load(schema, snapshot.Path, new ImportOptions()));
        Assert.Contains("cannot be read", e.Message, StringComparison.Ordinal);
        Assert.Contains("import the data again", e.Message, StringComparison.Ordinal);
    }

    private static void Damage(string snapshot, string damage)
    {
        string F(string pattern) => Directory.GetFiles(snapshot, pattern).Single();
        switch (damage)
        {
            case "manifest garbage": File.WriteAllText(F("snapshot.json"), "{ not json"); break;
            case "manifest version":
                File.WriteAllText(F("snapshot.json"),
                    File.ReadAllText(F("snapshot.json")).Replace($"\"version\": {SnapshotManifest.CurrentVersion}", "\"version\": 99"));
                break;
            case "profiles missing": File.Delete(F("profiles.0.arrows")); break;
            case "users truncated":
            {
                var b = File.ReadAllBytes(F("users.0.arrows"));
                File.WriteAllBytes(F("users.0.arrows"), b[..^40]);
                break;
            }
            case "events bytes flipped":
            {
                var path = F("events-0-*.arrows");
                var b = File.ReadAllBytes(path);
                for (var i = 8; i < b.Length - 8; i += 3) b[i] ^= 0x5A;
                File.WriteAllBytes(path, b);
                break;
            }
            case "loose empty": File.WriteAllBytes(F("loose.0.arrows"), []); break;
        }
    }

    /// <summary>
    /// A byte changed inside a data buffer, the framing intact: Arrow reads another value without complaint, so only the checksum the
    /// import recorded tells. The files are parsed instead with MD6030 naming the file, whole or in partitions (found before the
    /// first partition); without them, an error naming it.
    /// </summary>
    [Fact]
    public void A_value_changed_in_a_part_file_fails_its_checksum_and_the_files_are_parsed_instead()
    {
        const long Marker = 0x1122334455667788;
        using var data = DataTestUtil.Dir(
            ("profiles.jsonl", "{\"user_id\":\"u1\"}\n{\"user_id\":\"u2\"}\n"),
            ("events.jsonl", $"{{\"type\":\"e\",\"user_id\":\"u1\",\"ts\":\"2025-01-02T00:00:00Z\",\"n\":{Marker}}}\n" +
                "{\"type\":\"e\",\"user_id\":\"u2\",\"ts\":\"2025-01-03T00:00:00Z\",\"n\":5}\n"));
        using var snapshot = new TempDir();
        var schema = DataTestUtil.JsonPathSchema();
        var parsed = DataSource.Import(schema, data.Path, snapshot.Path, new ImportOptions());
        var file = Directory.GetFiles(snapshot.Path, "events-0-*.arrows").Single();
        var bytes = File.ReadAllBytes(file);
        var at = bytes.AsSpan().IndexOf(BitConverter.GetBytes(Marker));
        Assert.True(at > 0);
        bytes[at] ^= 1;
        File.WriteAllBytes(file, bytes);
        var damaged = $"{Path.GetFileName(file)} is damaged: its checksum differs from the one the import recorded";

        var read = DataSource.Load(schema, snapshot.Path, new ImportOptions());
        var warning = Assert.Single(read.Report.Warnings);
        Assert.Equal("MD6030", warning.Code);
        Assert.Contains(damaged, warning.Message, StringComparison.Ordinal);
        Assert.Null(read.Report.FromSnapshot);
        AssertSameData(parsed, read);

        using var spill = new TempDir();
        var partitioned = new ImportOptions { Spill = new SpillPlan(2, 100), SpillDirectory = spill.Path };
        using (var parts = DataSource.LoadPartitioned(schema, snapshot.Path, partitioned))
        {
            Assert.Null(parts.Users.Report.FromSnapshot);
            Assert.Contains(damaged, Assert.Single(parts.Users.Report.Warnings).Message, StringComparison.Ordinal);
        }

        Directory.Delete(data.Path, recursive: true);
        var e = Assert.Throws<DataImportException>(() => DataSource.Load(schema, snapshot.Path, new ImportOptions()));
        Assert.Contains(damaged, e.Message, StringComparison.Ordinal);
    }

    private static readonly string Current = $"\"format\":\"mdsl-import-snapshot\",\"version\":{SnapshotManifest.CurrentVersion}";

    public static TheoryData<string, string> GarbageManifests() => new()
    {
        { "{{{", "snapshot.json is not JSON" },
        { "\u0013\u00ff\u0000garbage", "snapshot.json is not JSON" },
        { "", "snapshot.json is not JSON" },
        { "[]", "snapshot.json is not an import snapshot manifest" },
        { "{\"format\":\"other\"}", "snapshot.json is not an import snapshot manifest" },
        { "{\"format\":\"mdsl-import-snapshot\"}", "snapshot.json is incomplete: it has no \"version\"" },
        { "{\"format\":\"mdsl-import-snapshot\",\"version\":\"1\"}", "snapshot format version \"1\", this mdsl reads" },
        { $"{{{Current}}}", "snapshot.json is incomplete: it has no \"schema\"" },
        { $"{{{Current},\"schema\":\"x\",\"source\":\"\",\"inputs\":[],\"users\":\"many\",\"report\":{{}},\"tables\":{{}}}}",
            "snapshot.json is damaged: \"users\" does not hold" },
    };

    /// <summary>
    /// A snapshot.json that is not JSON, not a manifest or incomplete says which, names the file, and says to import again, without
    /// claiming the data is gone (a manifest that cannot be read does not say where the data is); importing again over it works.
    /// </summary>
    [Theory]
    [MemberData(nameof(GarbageManifests))]
    public void A_garbage_manifest_says_what_is_wrong_with_it_and_import_replaces_it(string manifest, string reason)
    {
        using var data = EdgeData();
        using var snapshot = new TempDir();
        var schema = DataTestUtil.JsonPathSchema();
        var parsed = DataSource.Import(schema, data.Path, snapshot.Path, new ImportOptions());
        File.WriteAllText(Path.Combine(snapshot.Path, "snapshot.json"), manifest, new UTF8Encoding(false));
        var refused = Assert.Throws<SnapshotException>(() => ImportSnapshot.ReadManifest(snapshot.Path));
        Assert.StartsWith(reason, refused.Message, StringComparison.Ordinal);

        var e = Assert.Throws<DataImportException>(() => DataSource.Load(schema, snapshot.Path, new ImportOptions()));
        Assert.Equal("MD6030", e.Diagnostic?.Code);
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
        Assert.Contains("import the data again", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("is not there", e.Message, StringComparison.Ordinal);

        DataSource.Import(schema, data.Path, snapshot.Path, new ImportOptions());
        AssertSameData(parsed, DataSource.Load(schema, snapshot.Path, new ImportOptions()));
    }

    /// <summary>An output directory that import would refuse is refused before a row is parsed (a big history takes minutes).</summary>
    [Fact]
    public void Import_refuses_an_output_directory_that_is_not_a_snapshot_before_parsing()
    {
        using var data = EdgeData();
        using var target = DataTestUtil.Dir(("keep.txt", "mine"));
        var progress = new Reports();
        var e = Assert.Throws<DataImportException>(() =>
            DataSource.Import(DataTestUtil.JsonPathSchema(), data.Path, target.Path, new ImportOptions { ProgressInterval = 1 }, progress));
        Assert.Contains("not an import snapshot", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, progress.Count);
        // A file is no directory to write into either.
        var file = Path.Combine(target.Path, "keep.txt");
        e = Assert.Throws<DataImportException>(() =>
            DataSource.Import(DataTestUtil.JsonPathSchema(), data.Path, file, new ImportOptions { ProgressInterval = 1 }, progress));
        Assert.Contains("not an import snapshot", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, progress.Count);
        Assert.Equal("mine", File.ReadAllText(file));
    }

    /// <summary>Counts progress reports as they come (<see cref="Progress{T}"/> would post them later).</summary>
    private sealed class Reports : IProgress<ImportProgress>
    {
        public int Count;
        public void Report(ImportProgress value) => Interlocked.Increment(ref Count);
    }

    [Fact]
    public void A_snapshot_whose_files_changed_is_out_of_date_and_the_files_are_parsed()
    {
        using var data = EdgeData();
        using var snapshot = new TempDir();
        var schema = DataTestUtil.JsonPathSchema();
        DataSource.Import(schema, data.Path, snapshot.Path, new ImportOptions());
        File.AppendAllText(Path.Combine(data.Path, "events.jsonl"), "{\"type\":\"ee\",\"user_id\":\"u4\",\"ts\":\"2025-02-02T00:00:00Z\"}\n");
        var read = DataSource.Load(schema, snapshot.Path, new ImportOptions());
        var warning = Assert.Single(read.Report.Warnings);
        Assert.Equal("MD6031", warning.Code);
        Assert.Contains("'events.jsonl' changed", warning.Message, StringComparison.Ordinal);
        Assert.Null(read.Report.FromSnapshot);
        Assert.Equal(new DateTime(2025, 2, 2, 0, 0, 0, DateTimeKind.Utc).Ticks, read.MaxTimestampTicks);

        // Moved elsewhere without its files, a snapshot stands on its own.
        Directory.Delete(data.Path, recursive: true);
        Assert.NotNull(DataSource.Load(schema, snapshot.Path, new ImportOptions()).Report.FromSnapshot);
    }

    [Fact]
    public void A_snapshot_of_another_schema_shape_is_not_read_as_this_one()
    {
        using var data = EdgeData();
        using var snapshot = new TempDir();
        var schema = DataTestUtil.JsonPathSchema();
        DataSource.Import(schema, data.Path, snapshot.Path, new ImportOptions());
        var other = new SchemaModel(schema.ProfileFields, schema.IdentityKeys, schema.Events.Take(2));
        var e = Assert.Throws<SnapshotException>(() => ImportSnapshot.Read(other, snapshot.Path));
        Assert.Contains("schema of another shape", e.Message, StringComparison.Ordinal);
        // Through the data source, the files are parsed for that schema.
        var read = DataSource.Load(other, snapshot.Path, new ImportOptions());
        Assert.Equal("MD6030", Assert.Single(read.Report.Warnings).Code);
        Assert.Equal(2, read.Events.Length);
    }

    [Fact]
    public void Import_refuses_to_replace_a_directory_that_is_not_a_snapshot()
    {
        using var data = EdgeData();
        using var target = DataTestUtil.Dir(("keep.txt", "mine"));
        var e = Assert.Throws<DataImportException>(() =>
            DataSource.Import(DataTestUtil.JsonPathSchema(), data.Path, target.Path, new ImportOptions()));
        Assert.Contains("not an import snapshot", e.Message, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(target.Path, "keep.txt")));
    }

    private static DataSet Load(SchemaModel schema, string dir, SnapshotCache cache) =>
        DataSource.Load(schema, dir, new ImportOptions(), null, cache);

    /// <summary>Every user, profile value, event row (ts, line, fields), count and the rows in no table.</summary>
    internal static void AssertSameData(DataSet expected, DataSet actual)
    {
        Assert.Equal(expected.UserIds, actual.UserIds);
        Assert.Equal(expected.MaxTimestampTicks, actual.MaxTimestampTicks);
        Assert.Equal(expected.LooseTsSorted, actual.LooseTsSorted);
        for (var c = 0; c < expected.Profiles.Columns.Length; c++)
            for (var u = 0; u < expected.UserCount; u++)
                Assert.Equal(Value(expected.Profiles.Columns[c], u), Value(actual.Profiles.Columns[c], u));
        for (var e = 0; e < expected.Events.Length; e++)
        {
            var (x, y) = (expected.Events[e]!, actual.Events[e]!);
            Assert.Equal(x.UserStart, y.UserStart);
            Assert.Equal(x.Ts, y.Ts);
            Assert.Equal(x.Line, y.Line);
            for (var f = 2; f < x.Fields.Length; f++)
                for (var r = 0; r < x.RowCount; r++)
                    Assert.Equal(Value(x.Fields[f], r), Value(y.Fields[f], r));
        }
        var (a, b) = (expected.Report, actual.Report);
        Assert.Equal((a.ProfilesRead, a.ProfilesKept, a.EventsRead, a.EventsKept, a.OrphanEvents, a.UnknownTypeEvents, a.RejectedCount),
            (b.ProfilesRead, b.ProfilesKept, b.EventsRead, b.EventsKept, b.OrphanEvents, b.UnknownTypeEvents, b.RejectedCount));
        Assert.Equal(a.DuplicatesDropped, b.DuplicatesDropped);
        Assert.Equal(a.Rejects, b.Rejects);
        Assert.Equal(a.IdentityMerges, b.IdentityMerges);
        Assert.Equal(a.Files, b.Files);
    }

    /// <summary>The boxed value with its exact text (a decimal's scale shows: 10.50 is not 10.5; a list shows its items).</summary>
    private static string? Value(Column? c, int row) => Text(c?.GetBoxed(row));

    private static string? Text(object? value) => value switch
    {
        null => null,
        object?[] list => "list [" + string.Join(", ", list.Select(item => Text(item) ?? "null")) + "]",
        decimal d => "decimal " + d.ToString(System.Globalization.CultureInfo.InvariantCulture),
        var v => $"{v.GetType().Name.ToLowerInvariant()} {Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture)}",
    };
}
