using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Evaluation;
using MarketingDsl.Engine.Lowering;
using System.Runtime.CompilerServices;

namespace MarketingDsl.Engine.Simulation;

/// <summary>Writes tags.csv and summary.json in the format of the conformance suite.</summary>
public static class SimulationOutput
{
    /// <summary>Writes `tags.csv` and `summary.json` of a result into <paramref name="outDirectory"/>; returns the summary.</summary>
    public static SimulationSummary WriteFiles(EvaluationResult result, string outDirectory)
    {
        using (var file = new FileStream(Path.Combine(outDirectory, "tags.csv"), FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
            WriteTagsCsv(result, file);
        var summary = SimulationSummary.Compute(result);
        WriteSummaryJson(summary, outDirectory);
        return summary;
    }

    /// <summary>Writes `summary.json` into <paramref name="outDirectory"/>.</summary>
    public static void WriteSummaryJson(SimulationSummary summary, string outDirectory) =>
        File.WriteAllText(Path.Combine(outDirectory, "summary.json"), SummaryJson(summary) + "\n", new UTF8Encoding(false));

    /// <summary>Writes tags.csv (UTF-8, no byte order mark): a header, then one row per user in user order.</summary>
    public static void WriteTagsCsv(EvaluationResult result, Stream stream)
    {
        WriteTagsCsvHeader(result.Model, stream);
        WriteTagsCsvRows(result, stream);
    }

    /// <summary>The header line of tags.csv.</summary>
    public static void WriteTagsCsvHeader(SemanticModel model, Stream stream)
    {
        using var header = new Utf8Text(256);
        header.Append("user_id"u8);
        foreach (var s in model.Outputs) header.Append((byte)',').Append(ValueFormatter.CsvField(s.Name));
        stream.Write(header.Append((byte)'\n').Written);
    }

    /// <summary>The rows of tags.csv for the users of <paramref name="result"/>, in user order (a partitioned run: one partition's).</summary>
    public static void WriteTagsCsvRows(EvaluationResult result, Stream stream)
    {
        // Rows are formatted in blocks of users on every core, straight into UTF-8, and written in
        // user order (the bytes of one loop): formatting values, not writing, is the cost.
        var cells = result.Columns.Select(ValueFormatter.CsvCellWriter).ToArray();
        var users = result.Data.UserIds.Length;
        var blocks = (users + CsvBlockRows - 1) / CsvBlockRows;
        var window = Math.Max(1, Environment.ProcessorCount) * 2;
        var texts = new Utf8Text[Math.Min(window, Math.Max(blocks, 1))];
        try
        {
            for (var i = 0; i < texts.Length; i++) texts[i] = new Utf8Text(CsvBlockRows * (16 + 8 * cells.Length));
            for (var first = 0; first < blocks; first += window)
            {
                var count = Math.Min(window, blocks - first);
                Parallel.For(0, count, i =>
                    FormatRows(result, cells, texts[i], (first + i) * CsvBlockRows, Math.Min(users, (first + i + 1) * CsvBlockRows)));
                for (var i = 0; i < count; i++) stream.Write(texts[i].Written);
            }
        }
        finally
        {
            foreach (var text in texts) text?.Dispose();
        }
    }

    private const int CsvBlockRows = 2048;

    // Optimized from the first call (AggressiveOptimization): a one-shot run spends its rows here long before tiering would.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FormatRows(EvaluationResult result, Action<Utf8Text, int>[] cells, Utf8Text text, int from, int to)
    {
        var users = result.Data.UserIds;
        text.Clear();
        for (var u = from; u < to; u++)
        {
            text.Append(ValueFormatter.CsvField(users[u]));
            foreach (var cell in cells) cell(text.Append((byte)','), u);
            text.Append((byte)'\n');
        }
    }

    public static JsonObject Summary(EvaluationResult result) => Summary(SimulationSummary.Compute(result));

    /// <summary>summary.json: the run's <see cref="SimulationSummary"/> in the conformance suite's shape.</summary>
    public static JsonObject Summary(SimulationSummary summary)
    {
        var quality = summary.Quality;
        var json = new JsonObject
        {
            ["users"] = summary.Users,
            ["as_of"] = ValueFormatter.FormatInstant(summary.AsOfUtc),
            ["input"] = new JsonObject
            {
                // Conformance counts every event row read, before de-duplication (the cases show it).
                ["events"] = quality.EventRows,
                ["order_duplicates_dropped"] = quality.OrderDuplicatesDropped,
                ["events_after_as_of"] = quality.EventsAfterAsOf,
                ["orphan_events"] = quality.OrphanEvents,
                ["unknown_type_events"] = quality.UnknownTypeEvents,
                ["rejected_rows"] = quality.RejectedRows,
                ["duplicates_dropped"] = new JsonObject(quality.DuplicatesDropped.Select(d => KeyValuePair.Create(d.Name, (JsonNode?)d.Count))),
            },
        };
        json["segments"] = new JsonObject(summary.Segmentations.Select(s =>
            KeyValuePair.Create(s.Name, (JsonNode?)new JsonObject(s.Groups.Select(g => KeyValuePair.Create(g.Name, (JsonNode?)g.Count))))));
        json["tags"] = new JsonObject(summary.Outputs.Select(o => KeyValuePair.Create(o.Symbol.Name, (JsonNode?)Statistics(o))));
        // Only for workspaces that call custom functions, so other summaries (and the conformance cases) keep their shape.
        if (summary.Functions is { } functions)
            json["functions"] = new JsonObject
            {
                ["failed_calls"] = functions.FailedCalls,
                ["failed_calls_by_function"] = new JsonObject(functions.FailedByFunction.Select(f => KeyValuePair.Create(f.Name,
                    (JsonNode?)f.Count))),
            };
        return json;
    }

    private static JsonObject Statistics(OutputStatistics output)
    {
        var type = output.Symbol.Type;
        if (type.IsList) return new JsonObject { ["non_empty"] = output.NonEmptyLists };
        var stats = new JsonObject { ["non_null"] = output.NonNull };
        if (type.Kind == TypeKind.Bool) stats["true"] = output.True;
        else if (output.Sum is not { } sum) stats["sum"] = null;   // the total overflows the type
        else if (type.Kind == TypeKind.Int) stats["sum"] = (long)sum;
        else if (type.Kind == TypeKind.Decimal) stats["sum"] = JsonValue.Create(decimal.Parse(sum.ToString("0.0000",
            CultureInfo.InvariantCulture), CultureInfo.InvariantCulture));
        return stats;
    }

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string SummaryJson(EvaluationResult result) => Summary(result).ToJsonString(Indented);

    public static string SummaryJson(SimulationSummary summary) => Summary(summary).ToJsonString(Indented);
}
