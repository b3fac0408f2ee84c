using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Evaluation;
using MarketingDsl.Engine.Lowering;

namespace MarketingDsl.Engine.Simulation;

/// <summary>Writes tags.csv and summary.json in the format of the conformance suite.</summary>
public static class SimulationOutput
{
    public static void WriteTagsCsv(EvaluationResult result, TextWriter writer)
    {
        var outputs = result.Model.Outputs;
        var line = new StringBuilder();
        line.Append("user_id");
        foreach (var s in outputs) line.Append(',').Append(ValueFormatter.CsvField(s.Name));
        writer.Write(line.Append('\n'));
        // Rows are formatted in blocks of users on every core and written in user order (the same
        // text as one loop): formatting boxed values, not writing, is the cost.
        var users = result.Data.UserIds.Length;
        var blocks = (users + CsvBlockRows - 1) / CsvBlockRows;
        var window = Math.Max(1, Environment.ProcessorCount) * 2;
        var texts = new string[window];
        for (var first = 0; first < blocks; first += window)
        {
            var count = Math.Min(window, blocks - first);
            Parallel.For(0, count, i => texts[i] = FormatRows(result, (first + i) * CsvBlockRows, Math.Min(users, (first + i + 1) * CsvBlockRows)));
            for (var i = 0; i < count; i++) writer.Write(texts[i]);
        }
    }

    private const int CsvBlockRows = 2048;

    private static string FormatRows(EvaluationResult result, int from, int to)
    {
        var users = result.Data.UserIds;
        var text = new StringBuilder((to - from) * 64);
        for (var u = from; u < to; u++)
        {
            text.Append(ValueFormatter.CsvField(users[u]));
            foreach (var column in result.Columns) text.Append(',').Append(ValueFormatter.CsvField(ValueFormatter.Format(column.Get(u))));
            text.Append('\n');
        }
        return text.ToString();
    }

    public static JsonObject Summary(EvaluationResult result)
    {
        var data = result.Data;
        var report = data.Report;
        var asOfTicks = result.AsOfUtc.Ticks;
        var summary = new JsonObject
        {
            ["users"] = data.UserCount,
            ["as_of"] = ValueFormatter.FormatInstant(result.AsOfUtc),
            ["input"] = new JsonObject
            {
                // Conformance counts every event row read, before de-duplication (the cases show it).
                ["events"] = report.EventsBeforeDeduplication,
                ["order_duplicates_dropped"] = report.OrderDuplicatesDropped,
                ["events_after_as_of"] = data.CountEventsAfter(asOfTicks),
                ["orphan_events"] = report.OrphanEvents,
                ["unknown_type_events"] = report.UnknownTypeEvents,
                ["rejected_rows"] = report.RejectedCount,
                ["duplicates_dropped"] = new JsonObject(report.DuplicatesDropped.OrderBy(p => p.Key, StringComparer.Ordinal)
                    .Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value))),
            },
        };

        var segments = new JsonObject();
        foreach (var column in result.Columns)
        {
            if (column.Symbol is not SegmentationSymbol segmentation) continue;
            var counts = segmentation.Rules.ToDictionary(r => r.Name, _ => 0L, StringComparer.Ordinal);
            for (var u = 0; u < data.UserCount; u++)
                if (column.Get(u) is string group && counts.ContainsKey(group)) counts[group]++;
            segments[segmentation.Name] = new JsonObject(segmentation.Rules.Select(r => KeyValuePair.Create(r.Name, (JsonNode?)counts[r.Name])));
        }
        summary["segments"] = segments;

        var tags = new JsonObject();
        foreach (var column in result.Columns) tags[column.Symbol.Name] = TagStatistics(column, data.UserCount);
        summary["tags"] = tags;

        // Only for workspaces that call custom functions, so other summaries (and the conformance cases) keep their shape.
        var called = result.Model.Outputs.SelectMany(PlanCompiler.RootsOf).SelectMany(BoundTree.Descendants).OfType<BoundCustomCall>()
            .Select(c => c.Function.Name).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (called.Count > 0 || result.FunctionFailures.Count > 0)
        {
            var failed = result.FunctionFailures.ByFunction.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
            summary["functions"] = new JsonObject
            {
                ["failed_calls"] = result.FunctionFailures.Count,
                ["failed_calls_by_function"] = new JsonObject(called.Union(failed.Keys).Order(StringComparer.Ordinal)
                    .Select(name => KeyValuePair.Create(name, (JsonNode?)failed.GetValueOrDefault(name)))),
            };
        }
        return summary;
    }

    private static JsonObject TagStatistics(ResultColumn column, int users)
    {
        var type = column.Symbol.Type;
        if (type.IsList)
        {
            var nonEmpty = 0L;
            for (var u = 0; u < users; u++) if (column.Get(u) is IReadOnlyCollection<object?> { Count: > 0 }) nonEmpty++;
            return new JsonObject { ["non_empty"] = nonEmpty };
        }
        long nonNull = 0, trues = 0;
        decimal sum = 0;
        for (var u = 0; u < users; u++)
        {
            var value = column.Get(u);
            if (value is null) continue;
            nonNull++;
            switch (value)
            {
                case bool b when b: trues++; break;
                case long l: sum += l; break;
                case decimal d: sum += ValueFormatter.RoundForOutput(d); break;
            }
        }
        var stats = new JsonObject { ["non_null"] = nonNull };
        if (type.Kind == TypeKind.Bool) stats["true"] = trues;
        else if (type.Kind == TypeKind.Int) stats["sum"] = (long)sum;
        else if (type.Kind == TypeKind.Decimal) stats["sum"] = JsonValue.Create(decimal.Parse(sum.ToString("0.0000", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture));
        return stats;
    }

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string SummaryJson(EvaluationResult result) => Summary(result).ToJsonString(Indented);
}
