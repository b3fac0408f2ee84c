using System.Collections.Frozen;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Data;
using MarketingDsl.Engine.Evaluation;
using MarketingDsl.Engine.Simulation;
using MarketingDsl.LanguageService;
using MarketingDsl.LanguageService.DataAware;
using MarketingDsl.Web.Simulations;

namespace MarketingDsl.Web.DataAware;

/// <summary>
/// A data set as the editor reads it while one types: the whole import (from the simulation
/// page's <see cref="DataSetCache"/>), the sample the audience sizes are evaluated on, the
/// default as-of instant (its latest event) and the values of its string fields.
/// </summary>
public sealed class EditorData(string name, DataSet data, DataSet sample, DateTime asOfUtc, DataValueIndex values)
{
    /// <summary>The data folder, relative to the data root (what the page shows).</summary>
    public string Name { get; } = name;
    public DataSet Data { get; } = data;
    /// <summary>The users the audience sizes count: every user, or a stable sample when there are more than
    /// <see cref="EditorDataSets.SampleAbove"/>.</summary>
    public DataSet Sample { get; } = sample;
    public bool Sampled => Sample.UserCount < Data.UserCount;
    public DateTime AsOfUtc { get; } = asOfUtc;
    public DataValueIndex Values { get; } = values;

    /// <summary>Evaluates the audience sizes on the sample, keeping the columns of declarations an edit did not touch.</summary>
    public IncrementalEvaluator Sizes { get; } = new(sample, asOfUtc);

    private readonly Lock _warningsLock = new();
    private readonly LinkedList<(string Key, ImmutableArray<FileMarkers> Files)> _warnings = new();

    /// <summary>Working copies whose data warnings are kept (the Problems panel asks after every pause, often for the same text).</summary>
    private const int KeptWarnings = 8;

    /// <summary>
    /// The data-aware warnings (MD5050) of every file of a working copy against this data set, in a UI
    /// language: computed once per workspace version (its content hash) and language, then kept.
    /// </summary>
    public ImmutableArray<FileMarkers> WarningsOf(LanguageService.LanguageService service, string? language)
    {
        var key = service.Compilation.ContentHash + "\n" + language;
        lock (_warningsLock)
        {
            for (var node = _warnings.First; node is not null; node = node.Next)
                if (node.Value.Key == key)
                {
                    _warnings.Remove(node);
                    _warnings.AddFirst(node);
                    return node.Value.Files;
                }
        }
        var files = service.AllDataDiagnostics(Values, language);
        lock (_warningsLock)
        {
            _warnings.AddFirst((key, files));
            while (_warnings.Count > KeptWarnings) _warnings.RemoveLast();
        }
        return files;
    }
}

/// <summary>Where a data set is: loading in the background, failed (with the reason), or ready.</summary>
public sealed record EditorDataState(string Status, EditorData? Data, string? Error)
{
    public const string Loading = "loading";
    public const string Ready = "ready";
    public const string Failed = "failed";
}

/// <summary>
/// The data sets the editor's data-aware features read (audience sizes, value completion, MD5050),
/// loaded in the background on first use so no keystroke waits for an import, then kept: the import
/// itself in the shared <see cref="DataSetCache"/> (a simulation of the same folder reuses it), and what
/// is derived from it (the sample, the field values) once per loaded data set. A regenerated folder or
/// a changed schema shape is another key, so it loads again.
/// </summary>
public sealed class EditorDataSets(DataFolders folders, DataSetCache cache, ILogger<EditorDataSets> log)
{
    /// <summary>
    /// Data sets with more users than this are sampled for audience sizes (README says so): evaluating
    /// the retail workspace takes time in proportion to the users, and a refresh must follow typing.
    /// </summary>
    public const int SampleAbove = 5_000;

    /// <summary>The users of the sample: a stable hash sample (<see cref="DataSetSubset.Sample"/>); a share's standard error is at most 0.7
    /// points.</summary>
    public const int SampleUsers = 5_000;

    /// <summary>Loads remembered (done or under way); more are forgotten oldest first (the imports stay in the cache).</summary>
    private const int MaxLoads = 4;

    private readonly Lock _lock = new();
    private readonly LinkedList<(string Key, Task<EditorData> Load)> _loads = new();
    private readonly ConditionalWeakTable<DataSet, EditorData> _derived = new();

    /// <summary>The data set of a folder under a schema: ready, or loading (started now if it was not), or failed.</summary>
    /// <exception cref="Storage.UnsafePathException">The folder name is not a folder of the data root.</exception>
    public EditorDataState Get(string? folder, SchemaModel schema)
    {
        var path = folders.Resolve(folder);
        var key = DataSetCache.Key(schema, path);
        Task<EditorData> load;
        lock (_lock)
        {
            var node = _loads.First;
            while (node is not null && node.Value.Key != key) node = node.Next;
            if (node is null)
            {
                node = _loads.AddFirst((key, Task.Run(() => Load(folder!, path, schema))));
                while (_loads.Count > MaxLoads) _loads.RemoveLast();
            }
            load = node.Value.Load;
        }
        if (!load.IsCompleted) return new EditorDataState(EditorDataState.Loading, null, null);
        if (load.IsCompletedSuccessfully) return new EditorDataState(EditorDataState.Ready, load.Result, null);
        var error = load.Exception?.InnerException;
        lock (_lock)
        {
            // A failed load is said once and tried again at the next request (the folder may have been fixed).
            for (var node = _loads.First; node is not null; node = node.Next)
                if (node.Value.Key == key) { _loads.Remove(node); break; }
        }
        return new EditorDataState(EditorDataState.Failed, null,
            error is DataImportException ? error.Message : $"The data set could not be loaded: {error?.Message}");
    }

    /// <summary>Waits for a load (tests and benchmarks; the API never waits).</summary>
    public async Task<EditorData> LoadAsync(string folder, SchemaModel schema)
    {
        while (true)
        {
            var state = Get(folder, schema);
            if (state.Data is { } data) return data;
            if (state.Error is { } error) throw new DataImportException(error);
            await Task.Delay(50);
        }
    }

    private EditorData Load(string name, string path, SchemaModel schema)
    {
        var (data, _) = cache.Get(schema, path);
        return _derived.GetValue(data, d =>
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var asOf = SimulationRunner.ResolveAsOf(d, null, name);
            var sample = d.UserCount > SampleAbove ? DataSetSubset.Of(d, DataSetSubset.Sample(d, SampleUsers)) : d;
            var values = new DataValueIndex(name, asOf, FieldValueCounts.Of(d));
            log.LogInformation("Data set {Name} ready for the editor: {Users} users, sample {Sample}, values in {Ms} ms",
                name, d.UserCount, sample.UserCount,
                clock.ElapsedMilliseconds);
            return new EditorData(name, d, sample, asOf, values);
        });
    }
}

/// <summary>Counts the values of every string field (and the items of every list&lt;string&gt; field) of a data set.</summary>
public static class FieldValueCounts
{
    public static IEnumerable<FieldValues> Of(DataSet data)
    {
        var schema = data.Schema;
        for (var f = 0; f < schema.ProfileFields.Length; f++)
            if (data.Profiles.Columns[f] is { } column && Count(null, schema.ProfileFields[f].Name, column, data.UserCount) is { } values)
                yield return values;
        for (var e = 0; e < schema.Events.Length && e < data.Events.Length; e++)
        {
            if (data.Events[e] is not { } table) continue;
            for (var f = 0; f < table.Fields.Length; f++)
                if (table.Fields[f] is { } column && Count(table.Type.Name, table.Type.Fields[f].Name, column, table.RowCount) is { } values)
                    yield return values;
        }
    }

    private static FieldValues? Count(string? eventType, string field, Column column, int rows)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        var complete = true;
        long withValue = 0;
        void Add(string value)
        {
            if (counts.TryGetValue(value, out var n)) counts[value] = n + 1;
            else if (counts.Count < DataValueIndex.MaxDistinct) counts[value] = 1;
            else complete = false; // beyond the bound only the values already seen are counted
        }
        switch (column)
        {
            case StringColumn s:
                for (var r = 0; r < rows; r++)
                    if (s.Values[r] is { } v) { withValue++; Add(v); }
                break;
            case ListColumn { Type.Element.Kind: TypeKind.String } l:
                for (var r = 0; r < rows; r++)
                    if (l.Values[r] is { } items)
                        foreach (var item in items)
                            if (item is string v) { withValue++; Add(v); }
                break;
            default:
                return null;
        }
        var top = counts.OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal)
            .Take(DataValueIndex.TopValues).Select(c => new DataValueCount(c.Key, c.Value)).ToList();
        return new FieldValues(eventType, field, withValue, top, complete ? counts.Keys.ToFrozenSet(StringComparer.Ordinal) : null);
    }
}
