using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using MarketingDsl.Engine.Data;

using MarketingDsl.Testing;

namespace MarketingDsl.Cli.Tests;

/// <summary>`mdsl train` on examples/retail and a generated history, then `simulate` with the registry (fresh, then stale).</summary>
public sealed class TrainCommandTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "mdsl-train-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private static (int Exit, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = CommandLine.RunAsync(args, stdout, stderr).GetAwaiter().GetResult();
        return (exit, stdout.ToString(), stderr.ToString());
    }

    private static void Copy(string from, string to)
    {
        // The language files and the custom functions they call (functions/*.csx).
        foreach (var file in Directory.EnumerateFiles(from, "*.*", SearchOption.AllDirectories).Where(f => f.EndsWith(".mdsl") || f.EndsWith(".csx")))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    private static string[] Column(string tagsCsv, string name)
    {
        var lines = File.ReadAllLines(tagsCsv);
        var index = Array.IndexOf(lines[0].Split(','), name);
        Assert.True(index >= 0, $"{name} not in tags.csv");
        // The model columns come before any quoted list column, so a plain split finds them.
        return [.. lines.Skip(1).Select(l => l.Split(',')[index])];
    }

    [Fact]
    public void Demo_trains_the_retail_models_and_fills_their_tags()
    {
        var outDir = Path.Combine(_dir, "demo");
        var (exit, output, error) = Run("demo", "--users", "2500", "--out", outDir, "--workspace", RepoRoot.Combine("examples", "retail"));
        Assert.True(exit == 0, output + error);
        // The report's headline figures, then the simulation with every model tag filled for most users.
        Assert.Matches(@"churn_risk \(fasttree.* AUC 0\.\d{3}", output);
        Assert.Matches(@"ltv_60d \(fasttree.* R² ", output);
        // The recommender's report lines: itself and both baselines on the same time split.
        Assert.Matches(@"picks hit_rate@10 0\.\d{3} precision@10 0\.\d{3} recall@10 0\.\d{3} ndcg@10 0\.\d{3} coverage", output);
        Assert.Matches(@"popularity hit_rate@10 0\.\d{3}", output);
        Assert.Matches(@"category_bestsellers hit_rate@10 0\.\d{3}", output);
        // The demo's data plants co-purchase pairs, which global popularity cannot find.
        double HitRate(string name) =>
            double.Parse(Regex.Match(output, name + @" hit_rate@10 (0\.\d{3})").Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.True(HitRate("picks") >= 1.5 * HitRate("popularity"), output);
        Assert.DoesNotContain("MD6007", output + error);   // no model is left untrained
        var tags = Path.Combine(outDir, "simulation", "tags.csv");
        foreach (var tag in new[] { "churn_prob", "ltv_60d_value", "value_cluster" }.Where(t => File.ReadLines(tags).First().Split(',').Contains(t)))
        {
            var values = Column(tags, tag);
            Assert.True(values.Count(v => v.Length > 0) > values.Length / 2, $"{tag}: {values.Count(v => v.Length == 0)} of {values.Length} empty");
        }
        Assert.True(Column(tags, "churn_prob").Count(v => v.Length > 0) > 1000);
        Assert.False(File.Exists(RepoRoot.Combine("examples", "retail", ".mdsl", "models.db")), "the demo trains into its own folder");
    }

    [Fact]
    public void Train_fills_the_registry_and_simulate_scores_until_a_declaration_changes()
    {
        var workspace = Path.Combine(_dir, "retail");
        Copy(RepoRoot.Combine("examples", "retail"), workspace);
        var data = Path.Combine(_dir, "data");
        RetailDataGenerator.Generate(data, users: 2500, days: 200, seed: 9);
        var reportPath = Path.Combine(_dir, "report.json");

        var (exit, output, error) = Run("train", workspace, "--data", data, "--report", reportPath);
        Assert.True(exit == 0, output + error);
        Assert.Matches(@"churn_risk \(fasttree.* AUC 0\.\d{3}", output);
        Assert.Matches(@"ltv_60d \(fasttree.* R² ", output);
        Assert.Contains("value_clusters (k-means++", output);
        Assert.True(File.Exists(Path.Combine(workspace, ".mdsl", "models.db")));
        using (var report = JsonDocument.Parse(File.ReadAllText(reportPath)))
        {
            Assert.Equal(5, report.RootElement.GetArrayLength());
            var churn = report.RootElement.EnumerateArray().Single(r => r.GetProperty("name").GetString() == "churn_risk");
            Assert.InRange(churn.GetProperty("classifier").GetProperty("auc").GetDouble(), 0.8, 1.0);
            Assert.Equal(10, churn.GetProperty("classifier").GetProperty("calibration").GetArrayLength());
        }

        var outDir = Path.Combine(_dir, "out");
        (exit, _, error) = Run("simulate", workspace, "--data", data, "--out", outDir, "--quiet");
        Assert.Equal(0, exit);
        Assert.DoesNotContain("MD600", error);
        var tags = Path.Combine(outDir, "tags.csv");
        Assert.All(Column(tags, "churn_prob"), v => Assert.NotEqual("", v));
        Assert.All(Column(tags, "churn_percentile"), v => Assert.InRange(int.Parse(v), 1, 100));
        Assert.All(Column(tags, "ltv_60d_value"), v => Assert.True(decimal.Parse(v, System.Globalization.CultureInfo.InvariantCulture) >= 0));
        // The recommender's segment splits the users once `picks` is trained (neither nobody nor everybody).
        var fans = Column(tags, "fan_prospects");
        Assert.InRange(fans.Count(v => v == "true"), 1, fans.Length - 1);

        // Under a memory limit the model tags are scored per partition and `percentile` ranks over every user:
        // the same bytes as the run in memory.
        var limited = Path.Combine(_dir, "limited");
        (exit, _, error) = Run("simulate", workspace, "--data", data, "--out", limited, "--memory-limit", "8m");
        Assert.True(exit == 0, error);
        // Many partitions: model outputs and population scores wait in each partition's file between phases.
        Assert.InRange(int.Parse(Regex.Match(error, @"importing and evaluating in (\d+) partitions").Groups[1].Value), 10, 256);
        foreach (var file in new[] { "tags.csv", "summary.json" })
            Assert.True(File.ReadAllBytes(Path.Combine(outDir, file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(limited, file))),
                $"{file} differs under --memory-limit");

        // A changed declaration makes the model stale: empty tags and a warning naming it.
        var models = Path.Combine(workspace, "models.mdsl");
        File.WriteAllText(models, File.ReadAllText(models).Replace("seed: 42", "seed: 43"));
        (exit, _, error) = Run("simulate", workspace, "--data", data, "--out", outDir, "--quiet");
        Assert.Equal(0, exit);
        Assert.Contains("MD6008: 'churn_risk'", error);
        Assert.All(Column(tags, "churn_prob"), v => Assert.Equal("", v));
        Assert.DoesNotContain("", Column(tags, "ltv_60d_value"));

        // A damaged registry is a clear error, not a crash.
        var random = new Random(3);
        var garbage = new byte[20_000];
        random.NextBytes(garbage);
        File.WriteAllBytes(Path.Combine(workspace, ".mdsl", "models.db"), garbage);
        (exit, _, error) = Run("simulate", workspace, "--data", data, "--out", outDir, "--quiet");
        Assert.Equal(2, exit);
        Assert.Contains("the model registry", error);
        Assert.Contains("cannot be read", error);
    }

    [Fact]
    public void Train_usage_mistakes_exit_2()
    {
        Assert.Equal(2, Run("train", Path.Combine(_dir, "missing"), "--data", _dir).Exit);
        Assert.Equal(2, Run("train").Exit);
    }
}
