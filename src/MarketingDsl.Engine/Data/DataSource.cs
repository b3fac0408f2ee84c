using MarketingDsl.Core.Diagnostics;
using MarketingDsl.Core.Diagnostics.Catalogues;
using MarketingDsl.Core.Semantics;

namespace MarketingDsl.Engine.Data;

/// <summary>
/// Where imports are kept between runs: one snapshot per (data directory, schema shape, input
/// fingerprints), so that a repeated simulation, test or editor run over unchanged files reads
/// columns instead of parsing. Only inputs of at least <see cref="MinInputBytes"/> are cached
/// (small ones parse faster than a snapshot is written); at most <see cref="MaxEntries"/> entries
/// are kept, the least recently used removed first.
/// </summary>
public sealed class SnapshotCache(string directory, long minInputBytes = SnapshotCache.DefaultMinInputBytes, int maxEntries = 4)
{
    public const long DefaultMinInputBytes = 64L << 20;

    /// <summary>The environment variable naming the cache directory (<c>off</c>: no cache).</summary>
    public const string DirectoryVariable = "MDSL_IMPORT_CACHE";

    public string Directory { get; } = directory;
    public long MinInputBytes { get; } = minInputBytes;
    public int MaxEntries { get; } = maxEntries;

    /// <summary>
    /// The cache of this machine's user: <c>$MDSL_IMPORT_CACHE</c> (<c>off</c> for none), else
    /// <c>$XDG_CACHE_HOME/mdsl/imports</c>, else <c>~/.cache/mdsl/imports</c>.
    /// </summary>
    public static SnapshotCache? Default
    {
        get
        {
            var named = Environment.GetEnvironmentVariable(DirectoryVariable);
            if (string.Equals(named, "off", StringComparison.OrdinalIgnoreCase)) return null;
            if (!string.IsNullOrEmpty(named)) return new SnapshotCache(named);
            var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            var root = !string.IsNullOrEmpty(xdg) ? xdg : string.IsNullOrEmpty(home) ? null : Path.Combine(home, ".cache");
            return root is null ? null : new SnapshotCache(Path.Combine(root, "mdsl", "imports"));
        }
    }

    /// <summary>The entry of a data directory under a schema shape with these inputs.</summary>
    internal string EntryFor(string source, string schemaShape, IReadOnlyList<InputFile> inputs)
    {
        var key = new System.Text.StringBuilder(source).Append('\n').Append(schemaShape);
        foreach (var f in inputs)
            key.Append(f.File).Append(' ').Append(f.Size).Append(' ').Append(f.LastWriteTicks).Append(' ').Append(f.Sample).Append('\n');
        return Path.Combine(Directory, DataFingerprint.Hash(key.ToString())[..32]);
    }

    /// <summary>Removes the least recently used entries beyond <see cref="MaxEntries"/> (best effort: another process
    /// may be using the cache).</summary>
    internal void Evict()
    {
        try
        {
            var entries = new DirectoryInfo(Directory).EnumerateDirectories().Where(d => !d.Name.StartsWith('.'))
                .OrderByDescending(d => d.LastWriteTimeUtc).Skip(MaxEntries).ToList();
            foreach (var d in entries) d.Delete(recursive: true);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}

/// <summary>
/// The one way commands read data: a data directory (parsed, or read from the import cache when
/// its files are unchanged) or an import snapshot (<c>mdsl import</c>). A snapshot that cannot be
/// read, or whose data files have changed since, is not used: the files are parsed instead and
/// <see cref="ImportReport.Warnings"/> says why (MD6030, MD6031). Either way the data set, the
/// report and the rejects file are those of parsing the files.
/// </summary>
public static class DataSource
{
    /// <param name="columns">The columns the caller reads (null: every column): a snapshot and the parsers skip the others
    /// (<see cref="DataImporter.Load"/>), except when the parse writes the import cache, which keeps every column.</param>
    public static DataSet Load(SchemaModel schema, string path, ImportOptions options, IProgress<ImportProgress>? progress = null,
        SnapshotCache? cache = null, DataColumns? columns = null)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(options);
        if (Directory.Exists(path) && ImportSnapshot.IsSnapshot(path)) return FromSnapshot(schema, path, options, progress, columns);
        if (cache is null || !Directory.Exists(path)) return DataImporter.Load(schema, path, options, progress, columns);

        var source = Path.GetFullPath(path);
        var inputs = DataFingerprint.Inputs(source);
        if (inputs.Sum(f => f.Size) < cache.MinInputBytes) return DataImporter.Load(schema, path, options, progress, columns);
        var entry = cache.EntryFor(source, DataFingerprint.SchemaShape(schema), inputs);
        var warnings = new List<Diagnostic>();
        // An entry an earlier mdsl wrote in another format is simply rebuilt: nothing is wrong with it or the data.
        if (ImportSnapshot.IsSnapshot(entry) && ImportSnapshot.IsOtherVersion(entry)) TryDelete(entry);
        if (ImportSnapshot.IsSnapshot(entry))
        {
            try
            {
                var data = ImportSnapshot.Read(schema, entry, columns: columns);
                data.Report.FromSnapshot = entry;
                Directory.SetLastWriteTimeUtc(entry, DateTime.UtcNow);   // most recently used
                CopyRejects(entry, options.RejectsPath);
                return data;
            }
            catch (SnapshotException e)
            {
                warnings.Add(Diagnostic.AtFile(SnapshotErrors.Unreadable(entry, e.Message, path), entry));
                TryDelete(entry);
            }
        }
        return ParseAndCache(schema, path, source, inputs, options, progress, cache, entry, warnings);
    }

    /// <summary>
    /// As <see cref="Load"/> for a run under a memory limit (<see cref="ImportOptions.Spill"/>): a data directory is imported in
    /// partitions (<see cref="DataImporter.LoadPartitioned"/>), an import snapshot read a partition at a time
    /// (<see cref="PartitionedData.FromSnapshot"/>); a snapshot whose data files changed since (MD6031) or that cannot be read
    /// (MD6030) is not used: its data directory is imported in partitions instead, with the warning.
    /// </summary>
    /// <param name="columns">The columns the caller reads from a snapshot (null: every column).</param>
    public static PartitionedData LoadPartitioned(SchemaModel schema, string path, ImportOptions options, IProgress<ImportProgress>? progress = null,
        DataColumns? columns = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Spill is null) throw new ArgumentException("LoadPartitioned needs ImportOptions.Spill", nameof(options));
        if (!Directory.Exists(path) || !ImportSnapshot.IsSnapshot(path)) return DataImporter.LoadPartitioned(schema, path, options, progress);
        SnapshotManifest manifest;
        try { manifest = ImportSnapshot.ReadManifest(path); }
        catch (SnapshotException e)
        {
            var from = ImportSnapshot.SourceOf(path);
            return ReparsePartitioned(schema, from, options, progress, Reparsed(path, from, e));
        }
        var source = manifest.Source;
        if (source.Length > 0 && Directory.Exists(source) && Changed(manifest.Inputs, DataFingerprint.Inputs(source)) is { } change)
            return ReparsePartitioned(schema, source, options, progress, Diagnostic.AtFile(SnapshotErrors.OutOfDate(path, source, change), path));
        try
        {
            var parts = PartitionedData.FromSnapshot(schema, options.Spill, path, columns, options.SpillDirectory);
            parts.Users.Report.FromSnapshot = Path.GetFullPath(path);
            CopyRejects(path, options.RejectsPath);
            return parts;
        }
        catch (SnapshotException e)
        {
            return ReparsePartitioned(schema, source, options, progress, Reparsed(path, source, e));
        }
    }

    /// <summary>The warning of a snapshot that cannot be read and is parsed from its data directory (MD6030); an error without one.</summary>
    private static Diagnostic Reparsed(string path, string? source, SnapshotException e) =>
        string.IsNullOrEmpty(source) || !Directory.Exists(source) || ImportSnapshot.IsSnapshot(source)
            ? throw NotReparsed(path, source, e)
            : Diagnostic.AtFile(SnapshotErrors.Unreadable(path, e.Message, source), path);

    /// <summary>The error of a snapshot that cannot be read and has no data directory to parse instead: gone, or not known.</summary>
    private static DataImportException NotReparsed(string path, string? source, SnapshotException e) =>
        new(SnapshotErrors.Unreadable(path, e.Message, null, sourceKnown: !string.IsNullOrEmpty(source)), e);

    /// <summary>A snapshot's data directory imported in partitions, sized for its files under the same limit.</summary>
    private static PartitionedData ReparsePartitioned(SchemaModel schema, string? source, ImportOptions options,
        IProgress<ImportProgress>? progress, Diagnostic warning)
    {
        var given = options.Spill!;
        var input = new DirectoryInfo(source!).EnumerateFiles().Sum(f => f.Length);
        var plan = given.MemoryLimitBytes is { } limit
            ? (SpillPlan.For(limit, input, schema.Events.Length, source!) ?? given) with { KeptBytesPerUser = given.KeptBytesPerUser }
            : given;
        var parts = DataImporter.LoadPartitioned(schema, source!, Copy(options, options.RejectsPath, plan), progress);
        parts.Users.Report.Warnings.Add(warning);
        return parts;
    }

    /// <summary>Parses the files and writes the cache entry (when no row was rejected only for the wall clock).</summary>
    private static DataSet ParseAndCache(SchemaModel schema, string path, string source, IReadOnlyList<InputFile> inputs, ImportOptions options,
        IProgress<ImportProgress>? progress, SnapshotCache cache, string entry, List<Diagnostic> warnings)
    {
        // The snapshot keeps the import's rejects (simulate copies them into its output), so they are always written.
        var rejects = options.RejectsPath ?? Path.Combine(Path.GetTempPath(), $"mdsl-rejects-{Guid.NewGuid():N}.jsonl");
        try
        {
            var data = DataImporter.Load(schema, path, WithRejects(options, rejects), progress);
            data.Report.Warnings.AddRange(warnings);
            if (data.Report.FutureRejects == 0)
            {
                try
                {
                    System.IO.Directory.CreateDirectory(cache.Directory);
                    ImportSnapshot.Write(data, entry, source, inputs, rejects);
                    cache.Evict();
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or SnapshotException)
                {
                    data.Report.Warnings.Add(Diagnostic.AtFile(SnapshotErrors.CacheNotWritten(cache.Directory, e.Message), cache.Directory));
                }
            }
            return data;
        }
        finally
        {
            if (options.RejectsPath is null) TryDeleteFile(rejects);
        }
    }

    private static DataSet FromSnapshot(SchemaModel schema, string path, ImportOptions options, IProgress<ImportProgress>? progress,
        DataColumns? columns)
    {
        SnapshotManifest? manifest = null;
        try { manifest = ImportSnapshot.ReadManifest(path); }
        catch (SnapshotException e)
        {
            return Reparse(schema, path, ImportSnapshot.SourceOf(path), e, options, progress);
        }
        var source = manifest.Source;
        if (source.Length > 0 && Directory.Exists(source) && Changed(manifest.Inputs, DataFingerprint.Inputs(source)) is { } change)
        {
            var data = DataImporter.Load(schema, source, options, progress);
            data.Report.Warnings.Add(Diagnostic.AtFile(SnapshotErrors.OutOfDate(path, source, change), path));
            return data;
        }
        try
        {
            var data = ImportSnapshot.Read(schema, path, columns: columns);
            data.Report.FromSnapshot = Path.GetFullPath(path);
            CopyRejects(path, options.RejectsPath);
            return data;
        }
        catch (SnapshotException e)
        {
            return Reparse(schema, path, source, e, options, progress);
        }
    }

    /// <summary>A snapshot that cannot be read: its data directory parsed instead (MD6030), or an error without one.</summary>
    private static DataSet Reparse(SchemaModel schema, string path, string? source, SnapshotException e, ImportOptions options,
        IProgress<ImportProgress>? progress)
    {
        if (string.IsNullOrEmpty(source) || !Directory.Exists(source) || ImportSnapshot.IsSnapshot(source)) throw NotReparsed(path, source, e);
        var data = DataImporter.Load(schema, source, options, progress);
        data.Report.Warnings.Add(Diagnostic.AtFile(SnapshotErrors.Unreadable(path, e.Message, source), path));
        return data;
    }

    /// <summary>What differs between the inputs a snapshot recorded and the files now, or null.</summary>
    internal static string? Changed(IReadOnlyList<InputFile> then, IReadOnlyList<InputFile> now)
    {
        var before = then.ToDictionary(f => f.File, StringComparer.Ordinal);
        foreach (var f in now)
        {
            if (!before.Remove(f.File, out var old)) return $"'{f.File}' is new";
            if (old != f) return $"'{f.File}' changed";
        }
        return before.Count > 0 ? $"'{before.Keys.Order(StringComparer.Ordinal).First()}' is gone" : null;
    }

    /// <summary>Imports a data directory and writes its snapshot (<c>mdsl import</c>).</summary>
    public static DataSet Import(SchemaModel schema, string dataDirectory, string snapshotDirectory, ImportOptions options,
        IProgress<ImportProgress>? progress = null)
    {
        if (!Directory.Exists(dataDirectory)) throw new DataImportException($"data directory '{dataDirectory}' does not exist");
        if (ImportSnapshot.IsSnapshot(dataDirectory)) throw new DataImportException($"'{dataDirectory}' is an import snapshot, not a data directory");
        // Before the parse, which takes minutes on a long history; Write checks again, as the directory may appear meanwhile.
        try { ImportSnapshot.CheckTarget(snapshotDirectory); }
        catch (SnapshotException e) { throw new DataImportException(e.Message, e); }
        var source = Path.GetFullPath(dataDirectory);
        var inputs = DataFingerprint.Inputs(source);
        var rejects = options.RejectsPath ?? Path.Combine(Path.GetTempPath(), $"mdsl-rejects-{Guid.NewGuid():N}.jsonl");
        try
        {
            var data = DataImporter.Load(schema, source, WithRejects(options, rejects), progress);
            try { ImportSnapshot.Write(data, snapshotDirectory, source, inputs, rejects); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new DataImportException($"the snapshot cannot be written to '{snapshotDirectory}': {e.Message}", e);
            }
            catch (SnapshotException e) { throw new DataImportException(e.Message, e); }
            return data;
        }
        finally
        {
            if (options.RejectsPath is null) TryDeleteFile(rejects);
        }
    }

    private static ImportOptions WithRejects(ImportOptions o, string rejects) => Copy(o, rejects, o.Spill);

    private static ImportOptions Copy(ImportOptions o, string? rejects, SpillPlan? spill) => new()
    {
        RejectsPath = rejects, MaxRejectsInMemory = o.MaxRejectsInMemory, Parallelism = o.Parallelism, BlockSize = o.BlockSize,
        ProgressInterval = o.ProgressInterval, LatestEventTicks = o.LatestEventTicks, GeneralJsonReaderOnly = o.GeneralJsonReaderOnly,
        Spill = spill, SpillDirectory = o.SpillDirectory,
    };

    /// <summary>The rejects file of a run from a snapshot is the one its import wrote (empty when it wrote none).</summary>
    private static void CopyRejects(string snapshot, string? rejectsPath)
    {
        if (rejectsPath is null) return;
        var dir = Path.GetDirectoryName(Path.GetFullPath(rejectsPath));
        if (dir is not null) Directory.CreateDirectory(dir);
        var stored = Path.Combine(snapshot, ImportSnapshot.RejectsFile);
        if (File.Exists(stored)) File.Copy(stored, rejectsPath, overwrite: true);
        else File.WriteAllBytes(rejectsPath, []);
    }

    private static void TryDelete(string directory)
    {
        try { Directory.Delete(directory, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    private static void TryDeleteFile(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
