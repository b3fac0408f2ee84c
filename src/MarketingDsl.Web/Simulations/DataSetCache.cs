using System.Text;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Data;
using MarketingDsl.Engine.Simulation;

namespace MarketingDsl.Web.Simulations;

/// <summary>
/// Loaded data sets kept in memory per (data folder, schema), so a run after an edit of tags or
/// segments only evaluates again. The key also holds the folder's file names, sizes and write
/// times (a regenerated folder is loaded again) and the schema's shape (fields, types, event
/// types, identity keys, time zone: what the importer reads by). Least recently used first out.
/// </summary>
public sealed class DataSetCache(int capacity)
{
    private readonly Lock _lock = new();
    private readonly LinkedList<(string Key, DataSet Data)> _entries = new();

    /// <summary>The data set of the folder under this schema, loaded now or kept from before.</summary>
    /// <exception cref="DataImportException">The folder cannot be read as data.</exception>
    public (DataSet Data, bool FromCache) Get(SchemaModel schema, string folder, IProgress<ImportProgress>? progress = null)
    {
        var key = Key(schema, folder);
        // Loads are serialised: two loads of a large folder at once would only compete for memory.
        lock (_lock)
        {
            for (var node = _entries.First; node is not null; node = node.Next)
            {
                if (node.Value.Key != key) continue;
                _entries.Remove(node);
                _entries.AddFirst(node);
                return (node.Value.Data, true);
            }
            var data = SimulationRunner.LoadData(schema, folder, rejectsPath: null, progress);
            _entries.AddFirst((key, data));
            while (_entries.Count > Math.Max(1, capacity)) _entries.RemoveLast();
            return (data, false);
        }
    }

    public int Count
    {
        get { lock (_lock) return _entries.Count; }
    }

    internal static string Key(SchemaModel schema, string folder)
    {
        var key = new StringBuilder(folder).Append('\n').Append(DataFingerprint.SchemaShape(schema));
        foreach (var file in new DirectoryInfo(folder).EnumerateFiles().OrderBy(f => f.Name, StringComparer.Ordinal))
            key.Append("f ").Append(file.Name).Append(' ').Append(file.Length).Append(' ').Append(file.LastWriteTimeUtc.Ticks).Append('\n');
        return key.ToString();
    }
}
