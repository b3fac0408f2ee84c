using System.Text;
using System.Text.Json;
using MarketingDsl.Core;
using MarketingDsl.Engine.Data;

namespace MarketingDsl.Runtime.Tests;

/// <summary>
/// One row-validation rule set for the batch import and the live runtime (Data README "One rule
/// set"): random event rows with nulls and missing values in nullable and non-nullable fields,
/// duplicate keys and broken strings are kept or rejected alike by the import (every JSON path)
/// and by the live runtime's validation.
/// </summary>
public sealed class RowRuleAgreementTests : IDisposable
{
    private const string Schema = """
        schema {
          profile { user_id: string key }
          event order { channel: string, amount: decimal, n: int, paid: bool, day: date, at: datetime, wait: duration, note: string? }
        }
        """;

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "mdsl-row-rules", Guid.NewGuid().ToString("N"));
    public void Dispose() { try { Directory.Delete(_dir, true); } catch (IOException) { } }

    private static readonly (string Name, string[] Values)[] Fields =
    [
        ("user_id", ["\"u1\"", "\"u2\""]),
        ("ts", ["\"2025-03-01T10:00:00Z\"", "\"2025-03-02T00:00:00+08:00\""]),
        ("channel", ["\"app\"", "\"\\u6e20\\u9053\"", "\"x\\ud800\"", "\"\\udc00y\""]),
        ("amount", ["12.5", "0", "-3"]),
        ("n", ["7", "-1"]),
        ("paid", ["true", "false"]),
        ("day", ["\"2025-01-31\""]),
        ("at", ["\"2025-03-01T10:00:00Z\""]),
        ("wait", ["\"1d 2h\"", "\"00:30:00\""]),
        ("note", ["\"n\"", "\"\\ud83d\\ude00\""]),
    ];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Import_and_live_keep_and_reject_the_same_rows(int seed)
    {
        var random = new Random(seed);
        var rows = new List<string>();
        for (var i = 0; i < 400; i++)
        {
            var members = new List<string> { "\"type\":\"order\"" };
            foreach (var (name, values) in Fields)
            {
                var pick = random.Next(10);
                if (pick == 0 && name is not ("user_id" or "ts")) continue;                 // missing
                members.Add($"\"{name}\":{(pick == 1 ? "null" : values[random.Next(values.Length)])}");
                if (pick == 2) members.Add($"\"{name}\":{values[random.Next(values.Length)]}");   // the key again
            }
            // Mostly the first order; sometimes shuffled, so rows take the shaped, scanner and general paths.
            if (random.Next(4) == 0) members = [.. members.OrderBy(_ => random.Next())];
            rows.Add("{" + string.Join(",", members) + "}");
        }

        var schema = Compilation.Create(Workspace.FromFiles(("schema.mdsl", Schema))).Model.Schema;
        var validation = new Validation(schema);
        var live = rows.Select(r => validation.ParseEvent(JsonDocument.Parse(r).RootElement, out _) is not null).ToList();

        Directory.CreateDirectory(_dir);
        File.WriteAllText(Path.Combine(_dir, "profiles.jsonl"), "{\"user_id\":\"u1\"}\n{\"user_id\":\"u2\"}\n");
        File.WriteAllText(Path.Combine(_dir, "events.jsonl"), string.Join("\n", rows) + "\n", new UTF8Encoding(false));
        foreach (var parallelism in new[] { 1, 2 })
        {
            var data = DataImporter.Load(schema, _dir, new ImportOptions { Parallelism = parallelism, BlockSize = 4096,
                MaxRejectsInMemory = 10_000 });
            var rejected = data.Report.Rejects.Where(r => r.File == "events.jsonl").Select(r => r.Line).ToHashSet();
            for (var i = 0; i < rows.Count; i++)
                Assert.True(live[i] == !rejected.Contains(i + 1),
                    $"row {i + 1} (parallelism {parallelism}): live {(live[i] ? "accepts" : "rejects")}, import " +
                        $"{(rejected.Contains(i + 1) ? "rejects" : "keeps")}: {rows[i]}");
            Assert.Contains(false, live);
            Assert.Contains(true, live);
        }
    }
}
