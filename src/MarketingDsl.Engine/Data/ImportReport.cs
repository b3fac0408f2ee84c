namespace MarketingDsl.Engine.Data;

/// <summary>
/// One rejected input row: file (path as found in the data directory), 1-based line, the reason in English and, from
/// the row rule it broke (<see cref="MarketingDsl.Core.Diagnostics.Catalogues.RowRejects"/>), its code, the field at
/// fault and the reason in 简体中文. A report read from a snapshot written before codes were kept has no code
/// (<see cref="Code"/> empty, <see cref="ReasonZh"/> null).
/// </summary>
public sealed record RejectedRow(string File, int Line, string Reason)
{
    public string Code { get; init; } = "";
    public string? Field { get; init; }
    public string? ReasonZh { get; init; }

    public static RejectedRow Of(string file, int line, MarketingDsl.Core.Diagnostics.RowReject reject) =>
        new(file, line, reject.Reason) { Code = reject.Code, Field = reject.Field, ReasonZh = reject.Message.Chinese };

    /// <summary>The reason in a UI language (<c>zh</c>/<c>zh-CN</c> → 简体中文 where there is one).</summary>
    public string ReasonIn(string? language) =>
        language is not null && language.StartsWith("zh", StringComparison.OrdinalIgnoreCase) && ReasonZh is not null ? ReasonZh : Reason;

    /// <summary><c>file:line: MDxxxx: reason</c> (no code: <c>file:line: reason</c>), in a UI language.</summary>
    public string ToText(string? language = null) => $"{File}:{Line}: {(Code.Length > 0 ? Code + ": " : "")}{ReasonIn(language)}";
}

/// <summary>Two profiles that share an identity value became one user: <paramref name="MergedUserId"/> was folded into
/// <paramref name="KeptUserId"/>.</summary>
public sealed record IdentityMerge(string KeptUserId, string MergedUserId, string Key, string Value);

/// <summary>Options for <see cref="DataImporter.Load"/>.</summary>
public sealed class ImportOptions
{
    /// <summary>When set, every rejected row is written there as JSON Lines: <c>{"file","line","code","field"?,"reason","raw"}</c>
    /// (<c>field</c> when the reject names one).</summary>
    public string? RejectsPath { get; init; }

    /// <summary>How many rejects are kept in <see cref="ImportReport.Rejects"/> (the total is always counted).</summary>
    public int MaxRejectsInMemory { get; init; } = 1000;

    /// <summary>
    /// Threads parsing JSON Lines event files (line-aligned blocks, committed in file order, so the
    /// result is identical to sequential reading); 1 = parse on the calling thread, row by row.
    /// </summary>
    public int Parallelism { get; init; } = Environment.ProcessorCount;

    /// <summary>Bytes per block of a JSON Lines event file when <see cref="Parallelism"/> &gt; 1 (a longer line grows its block).</summary>
    public int BlockSize { get; init; } = 4 << 20;

    /// <summary>Report progress every this many rows.</summary>
    public int ProgressInterval { get; init; } = 100_000;

    /// <summary>
    /// The latest event instant kept (UTC ticks, see <see cref="FutureEvents"/>): a later row is
    /// rejected with its line, so it can neither be kept nor become the default as-of instant.
    /// Null: no limit (data sets built in memory, tests).
    /// </summary>
    public long? LatestEventTicks { get; init; }

    /// <summary>
    /// Split the users into partitions and keep event rows in spill files while importing
    /// (<see cref="DataImporter.LoadPartitioned"/>); null: everything in memory.
    /// </summary>
    public SpillPlan? Spill { get; init; }

    /// <summary>Where spill files go (a new directory below it per import); default the system's temporary directory.</summary>
    public string? SpillDirectory { get; init; }

    /// <summary>Tests only: every JSON Lines row through the general reader (no <see cref="JsonLineScanner"/> fast
    /// path), to compare the two.</summary>
    internal bool GeneralJsonReaderOnly { get; init; }
}

/// <summary>Progress of an import: the file being read, rows read so far in all files, bytes of that file read and its size.</summary>
public readonly record struct ImportProgress(string File, long RowsRead, long FileBytesRead, long FileBytes);

/// <summary>The data directory itself is unusable (missing, no profiles file, unsupported schema type).</summary>
public sealed class DataImportException(string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>An error that has a diagnostic code (a damaged snapshot, MD6030) carries its message, so a host can show it in the
    /// UI's language.</summary>
    public DataImportException(MarketingDsl.Core.Diagnostics.DiagnosticMessage diagnostic, Exception? inner = null)
        : this(diagnostic.English, inner) => Diagnostic = diagnostic;

    public MarketingDsl.Core.Diagnostics.DiagnosticMessage? Diagnostic { get; }
}

/// <summary>Counts and problems of one import.</summary>
public sealed class ImportReport
{
    public long ProfilesRead { get; internal set; }
    /// <summary>Profile rows kept (not rejected, not duplicates); identity merges happen after this count.</summary>
    public long ProfilesKept { get; internal set; }
    public long EventsRead { get; internal set; }
    /// <summary>Event rows kept after rejects and de-duplication, all types incl. unknown types and orphans.</summary>
    public long EventsKept { get; internal set; }
    /// <summary>
    /// Valid event rows before de-duplication (<see cref="EventsKept"/> + all duplicates). Note: the
    /// conformance cases' <c>summary.json</c> <c>input.events</c> equals this number (e.g. retail-core:
    /// 67,562 = every line of events.jsonl, 31 of them duplicate orders), although their README words it
    /// as "after de-duplication".
    /// </summary>
    public long EventsBeforeDeduplication => EventsKept + DuplicatesDropped.Values.Sum();
    /// <summary>Event type name → rows dropped as duplicates of the type's <c>unique</c> field.</summary>
    public Dictionary<string, long> DuplicatesDropped { get; } = new(StringComparer.Ordinal);
    /// <summary>Kept events of a known type whose user matches no profile (neither by id nor by identity).</summary>
    public long OrphanEvents { get; internal set; }
    /// <summary>Kept events whose <c>type</c> is null or not declared in the schema.</summary>
    public long UnknownTypeEvents { get; internal set; }
    public long RejectedCount { get; internal set; }
    /// <summary>The first rejects (see <see cref="ImportOptions.MaxRejectsInMemory"/>).</summary>
    public List<RejectedRow> Rejects { get; } = [];
    public List<IdentityMerge> IdentityMerges { get; } = [];
    /// <summary>Files read, in order.</summary>
    public List<string> Files { get; } = [];

    /// <summary>Rejects for a ts later than the import's limit (<see cref="ImportOptions.LatestEventTicks"/>): rows a
    /// later import may keep.</summary>
    public long FutureRejects { get; internal set; }

    /// <summary>The snapshot (given, or an entry of the import cache) the data was read from; null when the files were parsed.</summary>
    public string? FromSnapshot { get; internal set; }

    /// <summary>Of a data set read from a snapshot: the columns converted, and those skipped because the reader's
    /// <see cref="DataColumns"/> does not read them (whole tables included).</summary>
    public (int Read, int Skipped) SnapshotColumns { get; internal set; }

    /// <summary>What was found about where the data was read from: a snapshot that could not be read or was out of date
    /// (then the files were parsed).</summary>
    public List<MarketingDsl.Core.Diagnostics.Diagnostic> Warnings { get; } = [];

    /// <summary>Tests only: JSON Lines event rows parsed by the shaped path (the importer's predicted member sequence held).</summary>
    internal long ShapedJsonRows { get; set; }

    /// <summary>Tests only: JSON Lines profile rows parsed by the scanner path (not the general reader).</summary>
    internal long ScannedJsonProfiles { get; set; }

    /// <summary>Duplicates dropped for the event type <c>order</c> (the summary's <c>order_duplicates_dropped</c>).</summary>
    public long OrderDuplicatesDropped => DuplicatesDropped.TryGetValue("order", out var n) ? n : 0;
}
