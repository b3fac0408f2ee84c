using MarketingDsl.Core.Diagnostics;

namespace MarketingDsl.Core.Diagnostics.Catalogues;

/// <summary>MD6030–MD6039: reading imported data from a snapshot or the import cache (the engine's data layer),
/// reported at the snapshot's directory.</summary>
[DiagnosticCatalogue("engine")]
public static class SnapshotErrors
{
    private static readonly DiagnosticDescriptor s_unreadable = new("MD6030", DiagnosticSeverity.Warning, "Import snapshot cannot be read");
    /// <param name="fallback">The data directory parsed instead, or null when there is none (then the snapshot's data cannot be read at all).</param>
    /// <param name="sourceKnown">Without a fallback: false when the snapshot does not say which data it was imported from (its
    /// manifest cannot be read), true when that data is gone.</param>
    public static DiagnosticMessage Unreadable(string snapshot, string reason, string? fallback, bool sourceKnown = true) => new(s_unreadable,
        fallback is not null
            ? $"The import snapshot '{snapshot}' cannot be read ({reason}): the data files in '{fallback}' were parsed instead."
            : $"The import snapshot '{snapshot}' cannot be read ({reason}), and " +
                (sourceKnown ? "the data it was imported from is not there" : "it does not say which data it was imported from") +
                ": import the data again (mdsl import DATA --out SNAPSHOT).",
        fallback is not null
            ? $"导入快照 '{snapshot}' 无法读取（{reason}）：已改为解析 '{fallback}' 中的数据文件。"
            : $"导入快照 '{snapshot}' 无法读取（{reason}），且" + (sourceKnown ? "其来源数据已不存在" : "无法得知其来源数据") +
                "：请重新导入（mdsl import DATA --out SNAPSHOT）。");

    private static readonly DiagnosticDescriptor s_outOfDate = new("MD6031", DiagnosticSeverity.Warning, "Import snapshot is out of date");
    public static DiagnosticMessage OutOfDate(string snapshot, string source, string change) => new(s_outOfDate,
        $"The import snapshot '{snapshot}' is older than its data ({change} in '{source}'): the data files were parsed instead; run mdsl " +
            $"import again to refresh it.",
        $"导入快照 '{snapshot}' 比其数据旧（'{source}' 中{change}）：已改为解析数据文件；请重新运行 mdsl import 以刷新快照。");

    private static readonly DiagnosticDescriptor s_cacheNotWritten = new("MD6032", DiagnosticSeverity.Warning, "Import cache cannot be written");
    public static DiagnosticMessage CacheNotWritten(string cache, string reason) => new(s_cacheNotWritten,
        $"The imported data could not be cached in '{cache}' ({reason}): the next run parses the files again.",
        $"导入的数据无法缓存到 '{cache}'（{reason}）：下次运行将再次解析文件。");
}
