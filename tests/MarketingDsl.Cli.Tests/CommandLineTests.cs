using System.Text.Json;

namespace MarketingDsl.Cli.Tests;

/// <summary>Exit codes and output of `mdsl check`, `simulate`, `test` and `generate-data`, and their usage errors.</summary>
public sealed class CommandLineTests : IDisposable
{
    private const string Schema = """
        schema {
          profile { user_id: string key, city: string }
          event order { order_id: string unique, amount: decimal }
        }

        """;

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "mdsl-cli-" + Guid.NewGuid().ToString("N"));

    public CommandLineTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private string Workspace(string name, string text)
    {
        var dir = Path.Combine(_dir, name);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "main.mdsl"), Schema + text);
        return dir;
    }

    private static (int Exit, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = CommandLine.RunAsync(args, stdout, stderr).GetAwaiter().GetResult();
        return (exit, stdout.ToString(), stderr.ToString());
    }

    /// <summary>`@PATH` is a word (a folder may be named `@shop`), not a response file: the parser replaced it with the
    /// file's lines (here a workspace that checks clean), or threw reading a folder.</summary>
    [Fact]
    public void An_argument_starting_with_at_is_a_word_not_a_response_file()
    {
        var arguments = Path.Combine(_dir, "arguments.txt");
        File.WriteAllText(arguments, Workspace("clean", "tag spend = sum(order.amount, within: 30d)\n") + "\n");
        var (exit, _, error) = Run("check", "@" + arguments);
        Assert.Equal(2, exit);
        Assert.Contains($"'@{arguments}' does not exist", error);
    }

    [Fact]
    public void Check_of_a_clean_workspace_exits_0()
    {
        var (exit, output, _) = Run("check", Workspace("clean", "tag spend = sum(order.amount, within: 30d)\n"));
        Assert.Equal(0, exit);
        Assert.Contains("0 error(s)", output);
    }

    [Fact]
    public void Check_prints_location_code_source_line_and_caret_and_exits_1()
    {
        var (exit, output, _) = Run("check", Workspace("typo", "tag spend = sum(order.amount, within: 30d)\ntag big = spend > \"a\"\n"));
        Assert.Equal(1, exit);
        var lines = output.Split('\n');
        var at = Array.FindIndex(lines, l => l.StartsWith("main.mdsl:6:11: error MD3001:", StringComparison.Ordinal));
        Assert.True(at >= 0, output);
        Assert.Equal("  tag big = spend > \"a\"", lines[at + 1]);
        Assert.Equal("            ^~~~~~~~~~~", lines[at + 2]);
    }

    [Fact]
    public void Check_json_and_sarif_are_valid_json_with_the_diagnostic()
    {
        var ws = Workspace("json", "tag big = spnd > 1\n");
        var (exit, json, _) = Run("check", ws, "--format", "json");
        Assert.Equal(1, exit);
        var first = JsonDocument.Parse(json).RootElement[0];
        Assert.Equal("MD2001", first.GetProperty("code").GetString());
        Assert.Equal(5, first.GetProperty("start").GetProperty("line").GetInt32());

        var (_, sarif, _) = Run("check", ws, "--format", "sarif");
        var result = JsonDocument.Parse(sarif).RootElement.GetProperty("runs")[0].GetProperty("results")[0];
        Assert.Equal("MD2001", result.GetProperty("ruleId").GetString());
    }

    [Theory]
    [InlineData("check")]
    [InlineData("check", "a", "b")]
    [InlineData("check", "ws", "--format", "xml")]
    [InlineData("check", "ws", "--bogus", "1")]
    [InlineData("simulate", "ws", "--out", "o")]
    [InlineData("simulate", "ws", "--data", "d", "--out", "o", "--as-of", "yesterday")]
    [InlineData("simulate", "ws", "--data", "d", "--out", "o", "--from", "2025-06-01T00:00:00Z")]
    [InlineData("simulate", "ws", "--data", "d", "--out", "o", "--from", "2025-06-02T00:00:00Z", "--to", "2025-06-01T00:00:00Z")]
    [InlineData("generate-data", "--users", "-5", "--days", "1", "--seed", "1", "--out", "o")]
    [InlineData("generate-data", "--users", "10")]
    [InlineData("frobnicate")]
    public void Usage_mistakes_exit_2_with_a_message(params string[] args)
    {
        var (exit, _, error) = Run(args);
        Assert.Equal(2, exit);
        Assert.StartsWith("mdsl: ", error);
    }

    [Fact]
    public void Missing_workspace_folder_exits_2()
    {
        var (exit, _, error) = Run("check", Path.Combine(_dir, "nowhere"));
        Assert.Equal(2, exit);
        Assert.Contains("does not exist", error);
    }

    [Fact]
    public void Simulate_refuses_a_workspace_with_errors_and_a_missing_data_folder()
    {
        var broken = Workspace("broken", "tag x = nope\n");
        Assert.Equal(1, Run("simulate", broken, "--data", _dir, "--out", Path.Combine(_dir, "out")).Exit);

        var clean = Workspace("ok", "tag n = count(order)\n");
        var (exit, _, error) = Run("simulate", clean, "--data", Path.Combine(_dir, "no-data"), "--out", Path.Combine(_dir, "out"));
        Assert.Equal(2, exit);
        Assert.Contains("no-data", error);
    }

    [Fact]
    public void Generate_data_writes_events_in_time_order_by_default_and_grouped_by_user_on_request()
    {
        var byTime = Path.Combine(_dir, "time");
        var byUser = Path.Combine(_dir, "user");
        Assert.Equal(0, Run("generate-data", "--users", "30", "--days", "10", "--seed", "5", "--out", byTime).Exit);
        Assert.Equal(0, Run("generate-data", "--users", "30", "--days", "10", "--seed", "5", "--out", byUser, "--order", "user").Exit);
        static bool InTimeOrder(string[] lines) => lines.Select(Ts).Zip(lines.Select(Ts).Skip(1)).All(p => string.CompareOrdinal(p.First,
            p.Second) <= 0);
        var time = File.ReadAllLines(Path.Combine(byTime, "events.jsonl"));
        var user = File.ReadAllLines(Path.Combine(byUser, "events.jsonl"));
        Assert.Equal(user.Order(StringComparer.Ordinal), time.Order(StringComparer.Ordinal));
        Assert.True(InTimeOrder(time));
        Assert.False(InTimeOrder(user));
        // Ties keep their line order; runs merged from disk give the same file as one run in memory.
        var copy = Path.Combine(_dir, "copy.jsonl");
        File.Copy(Path.Combine(byUser, "events.jsonl"), copy);
        MarketingDsl.Engine.Data.EventFileOrder.SortByTime(copy, runLines: 7);
        Assert.Equal(time, File.ReadAllLines(copy));
        Assert.Equal(2, Run("generate-data", "--users", "3", "--days", "1", "--seed", "1", "--out", byUser, "--order", "random").Exit);
    }

    private static string Ts(string line) => JsonDocument.Parse(line).RootElement.GetProperty("ts").GetString()!;

    [Fact]
    public void Generate_then_simulate_writes_tags_and_summary_and_reports_bad_rows()
    {
        var data = Path.Combine(_dir, "data");
        Assert.Equal(0, Run("generate-data", "--users", "50", "--days", "10", "--seed", "3", "--out", data).Exit);
        File.AppendAllText(Path.Combine(data, "events.jsonl"), "{not json\n");
        var ws = Workspace("sim", "tag n = count(order)\ntag spend = sum(order.amount)\n");
        var outDir = Path.Combine(_dir, "out");
        var (exit, output, _) = Run("simulate", ws, "--data", data, "--out", outDir);
        Assert.Equal(0, exit);
        Assert.Equal("user_id,n,spend", File.ReadLines(Path.Combine(outDir, "tags.csv")).First());
        Assert.Equal(51, File.ReadLines(Path.Combine(outDir, "tags.csv")).Count());
        var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "summary.json"))).RootElement;
        Assert.Equal(50, summary.GetProperty("users").GetInt32());
        Assert.Equal(1, summary.GetProperty("input").GetProperty("rejected_rows").GetInt32());
        Assert.Contains("rejected events.jsonl:", output);
        Assert.Single(File.ReadLines(Path.Combine(outDir, "rejects.jsonl")));
    }

    /// <summary>
    /// A run that fails (here: no events, so no default as-of) leaves the output folder's rejects.jsonl as it was: it does not
    /// write an empty one that reads as "nothing was rejected", with either engine.
    /// </summary>
    [Fact]
    public void A_failed_simulation_leaves_no_rejects_file_of_its_own()
    {
        var ws = Workspace("fails", "tag n = count(order)\n");
        var data = Path.Combine(_dir, "no-events");
        Directory.CreateDirectory(data);
        File.WriteAllText(Path.Combine(data, "profiles.jsonl"), "{\"user_id\":\"u1\"}\n");
        foreach (var engine in new[] { "inprocess", "duckdb" })
        {
            var outDir = Path.Combine(_dir, "out-" + engine);
            var (exit, _, error) = Run("simulate", ws, "--data", data, "--out", outDir, "--engine", engine);
            Assert.Equal(2, exit);
            Assert.Contains("holds no events", error);
            Assert.False(File.Exists(Path.Combine(outDir, "rejects.jsonl")), engine);

            // An earlier run's rejects stay as that run wrote them.
            File.WriteAllText(Path.Combine(outDir, "rejects.jsonl"), "{\"earlier\":true}\n");
            Assert.Equal(2, Run("simulate", ws, "--data", data, "--out", outDir, "--engine", engine).Exit);
            Assert.Equal("{\"earlier\":true}\n", File.ReadAllText(Path.Combine(outDir, "rejects.jsonl")));
            Assert.Equal(["rejects.jsonl"], Directory.GetFiles(outDir).Select(Path.GetFileName));
        }
    }

    [Fact]
    public void Simulate_prints_each_tags_distribution()
    {
        // 11 users: u01–u10 with one order of 1–10, u11 with none; cities 6 sh, 3 bj, 2 gz.
        var data = Path.Combine(_dir, "dist");
        Directory.CreateDirectory(data);
        var cities = new[] { "sh", "bj", "sh", "gz", "sh", "bj", "sh", "gz", "sh", "bj", "sh" };
        File.WriteAllLines(Path.Combine(data, "profiles.jsonl"),
            cities.Select((c, i) => $$"""{"user_id":"u{{i + 1:00}}","city":"{{c}}"}"""));
        File.WriteAllLines(Path.Combine(data, "events.jsonl"), Enumerable.Range(1, 10).Select(i =>
            $$"""{"type":"order","user_id":"u{{i:00}}","ts":"2025-01-0{{1 + i % 9}}T00:00:00Z","order_id":"o{{i}}","amount":{{i}}}"""));
        var ws = Workspace("dist", """
            tag spend = sum(order.amount)
            tag last_amount = last(order.amount)
            tag big = spend > 5
            tag home = city

            """);
        var (exit, output, _) = Run("simulate", ws, "--data", data, "--out", Path.Combine(_dir, "out"));
        Assert.Equal(0, exit);
        string Line(string tag) => output.Split('\n').Single(l => l.StartsWith("  " + tag + " ", StringComparison.Ordinal))[31..];
        // Sorted spend is 0, 1, …, 10: the median is the 6th of 11 values (index ⌊0.5·11⌋), p90 the 10th (⌊0.9·11⌋).
        Assert.Equal("min 0, median 5, p90 9, max 10, empty 0", Line("spend"));
        Assert.Equal("min 1, median 6, p90 10, max 10, empty 1", Line("last_amount"));
        Assert.Equal("true 5, false 6, empty 0", Line("big"));
        Assert.Equal("sh 6, bj 3, gz 2, empty 0", Line("home"));
    }

    [Fact]
    public void Simulate_with_from_and_to_replays_journeys_and_writes_journeys_json()
    {
        var data = Path.Combine(_dir, "data");
        Assert.Equal(0, Run("generate-data", "--users", "60", "--days", "20", "--seed", "3", "--out", data).Exit);
        var ws = Workspace("journeys", """
            channel push { cost: 0.5  cap: 1 per 1d }
            journey welcome { trigger: order  reentry: once  goal: order within 7d  steps { send push "hello" } }

            """);
        var outDir = Path.Combine(_dir, "out");
        var (exit, output, error) = Run("simulate", ws, "--data", data, "--out", outDir, "--from", "2025-09-20T00:00:00Z", "--to",
            "2025-10-01T00:00:00Z");
        Assert.True(exit == 0, error);
        Assert.True(File.Exists(Path.Combine(outDir, "tags.csv")));
        var journeys = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "journeys.json"))).RootElement;
        var welcome = journeys.GetProperty("journeys").GetProperty("welcome");
        var entered = welcome.GetProperty("entered").GetInt32();
        Assert.InRange(entered, 1, 60);
        Assert.Equal(entered, welcome.GetProperty("sends").GetProperty("push").GetProperty("total").GetProperty("delivered").GetInt32());
        Assert.Equal(entered * 0.5m, welcome.GetProperty("cost").GetDecimal());
        Assert.Contains("journeys replayed on history: 2025-09-20T00:00:00Z < ts ≤ 2025-10-01T00:00:00Z", output);
        Assert.Contains($"entered {entered:N0}", output);
    }

    [Fact]
    public void Test_command_reports_failures_with_location_and_exits_1()
    {
        var ws = Workspace("tests", """
            tag spend = sum(order.amount)
            test "passes" {
              given profile { user_id: "u1" }
              given order { user_id: "u1", order_id: "o1", ts: 2025-05-01T00:00:00Z, amount: 10 }
              expect spend == 10
            }
            test "fails" {
              given profile { user_id: "u1" }
              expect spend == 99
            }

            """);
        var (exit, output, _) = Run("test", ws);
        Assert.Equal(1, exit);
        Assert.Contains("PASS passes", output);
        Assert.Contains("FAIL fails", output);
        Assert.Contains("main.mdsl:13:3", output);
        Assert.Contains("1 passed, 1 failed", output);
    }
}
