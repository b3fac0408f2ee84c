using LiteDB;

namespace MarketingDsl.Web.Storage;

/// <summary>A bar of a chart: a segment, a segmentation group or a histogram bucket, with its declared label.</summary>
public sealed class ChartBar
{
    public string Name { get; set; } = "";
    public string? Label { get; set; }
    public long Count { get; set; }
}

/// <summary>The group sizes of one segmentation (declaration order; the `else` group last).</summary>
public sealed class SegmentationChart
{
    public string Name { get; set; } = "";
    public string? Label { get; set; }
    public List<ChartBar> Groups { get; set; } = [];
}

/// <summary>
/// The distribution of one tag: numbers bucketed into ranges (`numeric`), bools as true/false,
/// everything else as its most common values (`values`; list tags count their elements). Users
/// without a value are counted in <see cref="Empty"/>, not in a bucket.
/// </summary>
public sealed class TagHistogram
{
    public string Name { get; set; } = "";
    public string? Label { get; set; }
    public string Type { get; set; } = "";
    public string Kind { get; set; } = "";
    public List<ChartBar> Buckets { get; set; } = [];
    public long Empty { get; set; }
    /// <summary>Distinct values not shown as a bar (`values` only).</summary>
    public long OtherValues { get; set; }
    /// <summary>The model this tag reads that was not scored (not trained, stale or unreadable): its empty values say so.</summary>
    public string? NotScoredModel { get; set; }
    /// <summary>untrained or stale, with <see cref="NotScoredModel"/>.</summary>
    public string? NotScoredState { get; set; }
    /// <summary>The workspace file that declares the tag (the page groups tags by file).</summary>
    public string File { get; set; } = "";
    /// <summary>How numeric ranges were cut: linear (equal widths), log (1-2-5 steps) or quantile (about a tenth of the users each).</summary>
    public string Scale { get; set; } = "";
    /// <summary>The models the tag reads, with their registry report (quality, training instant) at the time of the run.</summary>
    public List<TagModel> Models { get; set; } = [];
}

/// <summary>A model a tag reads, as the registry described it when the run scored it.</summary>
public sealed class TagModel
{
    public string Name { get; set; } = "";
    /// <summary>trained, stale or untrained.</summary>
    public string State { get; set; } = "";
    /// <summary>AUC, R² or silhouette (with <see cref="Value"/>); empty when never trained.</summary>
    public string Metric { get; set; } = "";
    public double? Value { get; set; }
    public DateTime? TrainedAtUtc { get; set; }
    public string? TrainedBy { get; set; }
}

/// <summary>Some users of one segment (or segmentation group), with every tag's value as tags.csv writes it.</summary>
public sealed class UserSample
{
    /// <summary>A segment name, or `segmentation=group`.</summary>
    public string Key { get; set; } = "";
    public string? Label { get; set; }
    public long Total { get; set; }
    public List<SampleUser> Users { get; set; } = [];
}

public sealed class SampleUser
{
    public string Id { get; set; } = "";
    /// <summary>In the order of <see cref="SimulationRecord.TagNames"/>.</summary>
    public List<string> Values { get; set; } = [];
}

/// <summary>A data-quality count of the import (rows read, rejects, duplicates, orphans, merges…).</summary>
public sealed class QualityCount
{
    public string Name { get; set; } = "";
    public long Value { get; set; }
}

/// <summary>One compile error that stopped a run, with its location.</summary>
public sealed class RunDiagnostic
{
    public string Path { get; set; } = "";
    public int Line { get; set; }
    public int Column { get; set; }
    public string Code { get; set; } = "";
    public string Message { get; set; } = "";
    /// <summary>The message in 简体中文 (the diagnostic catalogue's), for the Chinese UI.</summary>
    public string? MessageZh { get; set; }
}

/// <summary>The states of a background run: a simulation (stored) or a journey replay (in memory).</summary>
public static class RunStatus
{
    public const string Queued = "queued";
    public const string Running = "running";
    public const string Done = "done";
    public const string Failed = "failed";
    /// <summary>The server stopped while the run was queued or running.</summary>
    public const string Interrupted = "interrupted";
    /// <summary>A replay stopped at the user's request.</summary>
    public const string Cancelled = "cancelled";
}

/// <summary>A simulation run of the working copy, as shown on the simulation page and kept for reopening.</summary>
public sealed class SimulationRecord
{
    public int Id { get; set; }
    public string Folder { get; set; } = "";
    public string? AsOfRequested { get; set; }
    public DateTime? AsOfUtc { get; set; }
    public string Author { get; set; } = "";
    public DateTime StartedUtc { get; set; }
    public DateTime? FinishedUtc { get; set; }
    public string Status { get; set; } = RunStatus.Queued;
    public string? Error { get; set; }
    /// <summary>Workspace-relative paths of the unsaved buffers that replaced saved files.</summary>
    public List<string> Buffers { get; set; } = [];
    public string ContentHash { get; set; } = "";
    public int Users { get; set; }
    public List<QualityCount> Quality { get; set; } = [];
    public List<string> RejectSamples { get; set; } = [];
    /// <summary><see cref="RejectSamples"/> in 简体中文, one for one (the row rules' messages, <c>RowRejects</c>); empty in runs
    /// stored before they were kept.</summary>
    public List<string> RejectSamplesZh { get; set; } = [];
    public List<ChartBar> Segments { get; set; } = [];
    public List<SegmentationChart> Segmentations { get; set; } = [];
    public List<TagHistogram> Tags { get; set; } = [];
    public List<string> TagNames { get; set; } = [];
    public List<UserSample> Samples { get; set; } = [];
    public List<string> Warnings { get; set; } = [];
    /// <summary><see cref="Warnings"/> in 简体中文, one for one (the catalogue's messages; a message without a Chinese text stays English).</summary>
    public List<string> WarningsZh { get; set; } = [];
    /// <summary>The error in 简体中文 when it has a diagnostic code (a damaged snapshot); null when it has none.</summary>
    public string? ErrorZh { get; set; }
    public bool DataFromCache { get; set; }
    public double LoadMs { get; set; }
    public double EvaluateMs { get; set; }
    public double SummariseMs { get; set; }
}

public sealed partial class EditorStore
{
    private ILiteCollection<SimulationRecord> Simulations => _db.GetCollection<SimulationRecord>("simulations");

    public SimulationRecord AddSimulation(SimulationRecord record)
    {
        Simulations.Insert(record);
        return record;
    }

    public void UpdateSimulation(SimulationRecord record) => Simulations.Update(record);

    public SimulationRecord? FindSimulation(int id) => Simulations.FindById(id);

    /// <summary>Runs newest first.</summary>
    public IReadOnlyList<SimulationRecord> RecentSimulations(int limit = 50) =>
        Simulations.Query().OrderByDescending(r => r.Id).Limit(limit).ToList();

    /// <summary>Runs left queued or running by a previous process can never finish: marks them interrupted.</summary>
    public int MarkUnfinishedSimulationsInterrupted(DateTime nowUtc)
    {
        var unfinished = Simulations.Find(r => r.Status == RunStatus.Queued || r.Status == RunStatus.Running).ToList();
        foreach (var record in unfinished)
        {
            record.Status = RunStatus.Interrupted;
            record.Error = "The editor stopped before this run finished; run it again.";
            record.FinishedUtc = nowUtc;
            Simulations.Update(record);
        }
        return unfinished.Count;
    }
}
