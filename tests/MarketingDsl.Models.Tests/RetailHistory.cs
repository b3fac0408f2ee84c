using MarketingDsl.Core;
using MarketingDsl.Engine.Data;

namespace MarketingDsl.Models.Tests;

/// <summary>A generated retail history with the generator's planted signals (3,000 users × 365 days), shared by the training tests.</summary>
public sealed class RetailHistory : IDisposable
{
    public static readonly DateTime End = new(2025, 10, 1, 0, 0, 0, DateTimeKind.Utc);

    public RetailHistory()
    {
        Directory = Path.Combine(Path.GetTempPath(), "mdsl-models-" + Guid.NewGuid().ToString("N"));
        RetailDataGenerator.Generate(Directory, users: 3000, days: 365, seed: 5, endUtc: End);
        SchemaText = File.ReadAllText(RepositoryRoot("examples", "retail", "schema.mdsl"));
        Data = DataImporter.Load(Compile("").Model.Schema, Directory);
        AsOf = new DateTime(Data.MaxTimestampTicks!.Value, DateTimeKind.Utc);
    }

    public string Directory { get; }
    public string SchemaText { get; }
    public DataSet Data { get; }
    public DateTime AsOf { get; }

    /// <summary>The retail schema, the feature tags below, and <paramref name="declarations"/>.</summary>
    public Compilation Compile(string declarations) => Compilation.Create(
        ("schema.mdsl", SchemaText),
        ("tags.mdsl", """
            tag last_login_days = days_since(last(login.ts))
            tag logins_30d = count(login, within: 30d)
            tag logins_90d = count(login, within: 90d)
            tag recency_days = days_since(last(order.ts))
            tag orders_90d = count(order, within: 90d)
            tag spend_90d = sum(order.amount, within: 90d)
            """),
        ("models.mdsl", declarations));

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);

    public static string RepositoryRoot(params string[] parts) => MarketingDsl.Testing.RepoRoot.Combine(parts);
}

/// <summary>Training tests share the history and the trainer's test seams, so they run one at a time.</summary>
[CollectionDefinition("Training", DisableParallelization = true)]
public sealed class TrainingCollection : ICollectionFixture<RetailHistory>;
