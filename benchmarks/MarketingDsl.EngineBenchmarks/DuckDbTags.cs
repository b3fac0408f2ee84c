using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using DuckDB.NET.Data;

namespace MarketingDsl.EngineBenchmarks;

/// <summary>Wall time of one DuckDB run: loading the JSON into tables, then tags → tags.csv.</summary>
public sealed record DuckDbTimings(TimeSpan Load, TimeSpan Compute)
{
    public TimeSpan Total => Load + Compute;
}

/// <summary>
/// Runs <c>RetailTags.sql</c> (the retail-core tags as hand-written DuckDB SQL) over a data
/// directory's <c>profiles.jsonl</c>/<c>events.jsonl</c> in a fresh in-memory database.
/// </summary>
public static class DuckDbTags
{
    /// <summary>The line that separates the load phase from the compute phase.</summary>
    private const string ComputeMarker = "\n-- @compute\n";

    private static readonly Lazy<string> Script = new(() =>
    {
        using var stream = typeof(DuckDbTags).Assembly.GetManifestResourceStream("RetailTags.sql")
            ?? throw new InvalidOperationException("RetailTags.sql is not embedded");
        return new StreamReader(stream).ReadToEnd();
    });

    public static DuckDbTimings Run(string dataDirectory, string outCsv, DateTime? asOfUtc, string spillDirectory)
    {
        var script = Script.Value
            .Replace("{profiles}", Literal(Path.Combine(dataDirectory, "profiles.jsonl")))
            .Replace("{events}", Literal(Path.Combine(dataDirectory, "events.jsonl")))
            .Replace("{out}", Literal(outCsv))
            .Replace("{as_of_us}", asOfUtc is { } t ? ((t.Ticks - DateTime.UnixEpoch.Ticks) / 10).ToString(CultureInfo.InvariantCulture)
                + "::BIGINT" : "NULL::BIGINT");
        var split = script.IndexOf(ComputeMarker, StringComparison.Ordinal);
        if (split < 0) throw new InvalidOperationException("RetailTags.sql has no '-- @compute' line");

        using var connection = new DuckDBConnection("DataSource=:memory:");
        connection.Open();
        // An in-memory database spills to a relative ".tmp" by default: keep that out of the repo.
        Execute(connection, $"SET temp_directory = {Literal(spillDirectory)};");

        var clock = Stopwatch.StartNew();
        Execute(connection, script[..split]);
        var load = clock.Elapsed;
        clock.Restart();
        Execute(connection, script[split..]);
        return new DuckDbTimings(load, clock.Elapsed);
    }

    /// <summary>
    /// The compute phase on DuckDB's own storage: the JSON is loaded once into a database file
    /// (not timed here; its time is returned once as <c>LoadOnce</c>), then each run opens the file
    /// and computes the tags into tags.csv.
    /// </summary>
    public static (TimeSpan? LoadOnce, TimeSpan Compute) RunNative(string dataDirectory, string databaseFile, string outCsv, string spillDirectory)
    {
        var script = Script.Value
            .Replace("{profiles}", Literal(Path.Combine(dataDirectory, "profiles.jsonl")))
            .Replace("{events}", Literal(Path.Combine(dataDirectory, "events.jsonl")))
            .Replace("{out}", Literal(outCsv))
            .Replace("{as_of_us}", "NULL::BIGINT");
        var split = script.IndexOf(ComputeMarker, StringComparison.Ordinal);
        TimeSpan? loadOnce = null;
        if (!File.Exists(databaseFile))
        {
            var partial = databaseFile + ".partial";
            File.Delete(partial);
            var once = Stopwatch.StartNew();
            using (var load = new DuckDBConnection($"DataSource={partial}"))
            {
                load.Open();
                Execute(load, $"SET temp_directory = {Literal(spillDirectory)};");
                Execute(load, script[..split]);
                Execute(load, "CHECKPOINT;\n");
            }
            File.Move(partial, databaseFile);
            loadOnce = once.Elapsed;
        }
        var clock = Stopwatch.StartNew();
        using var connection = new DuckDBConnection($"DataSource={databaseFile}");
        connection.Open();
        Execute(connection, $"SET temp_directory = {Literal(spillDirectory)};");
        Execute(connection, "SET preserve_insertion_order = true;\n" + script[split..]);
        return (loadOnce, clock.Elapsed);
    }

    /// <summary>
    /// Runs the statements one by one (each ends with ';' at the end of a line): DuckDB.NET's
    /// multi-statement path fails on this script without saying which statement.
    /// </summary>
    private static void Execute(DuckDBConnection connection, string sql)
    {
        foreach (var statement in Regex.Split(sql, @";[ \t]*\r?\n"))
        {
            var code = string.Join('\n', statement.Split('\n').Where(line => !line.TrimStart().StartsWith("--", StringComparison.Ordinal)));
            if (string.IsNullOrWhiteSpace(code)) continue;
            using var command = connection.CreateCommand();
            command.CommandText = statement;
            try
            {
                command.ExecuteNonQuery();
            }
            catch (DuckDBException ex)
            {
                throw new InvalidOperationException($"DuckDB failed ({ex.Message}) on:\n{statement.Trim()}", ex);
            }
        }
    }

    private static string Literal(string text) => "'" + text.Replace("'", "''") + "'";
}
