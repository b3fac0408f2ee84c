using System.Text;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Data;

namespace MarketingDsl.Engine.Tests.Data;

public static class DataTestUtil
{
    public static SchemaModel RetailSchema() => new(
        [
            new FieldSymbol("user_id", DslType.String, IsKey: true),
            new FieldSymbol("gender", DslType.String),
            new FieldSymbol("birthday", DslType.Date.WithNullable(true)),
            new FieldSymbol("city", DslType.String),
            new FieldSymbol("member_level", DslType.Int),
            new FieldSymbol("registered_at", DslType.DateTime),
            new FieldSymbol("child_birthday", DslType.Date.WithNullable(true)),
        ],
        ["member_id", "open_id", "phone"],
        [
            new EventTypeSymbol("order", [
                new FieldSymbol("order_id", DslType.String, IsUnique: true),
                new FieldSymbol("channel", DslType.String),
                new FieldSymbol("amount", DslType.Decimal),
                new FieldSymbol("category", DslType.String),
                new FieldSymbol("sku", DslType.String),
                new FieldSymbol("coupon_used", DslType.Bool),
            ]),
            new EventTypeSymbol("view", [new FieldSymbol("sku", DslType.String), new FieldSymbol("category", DslType.String),
                new FieldSymbol("duration_s", DslType.Int)]),
            new EventTypeSymbol("cart_add", [new FieldSymbol("sku", DslType.String), new FieldSymbol("category", DslType.String),
                new FieldSymbol("price", DslType.Decimal)]),
            new EventTypeSymbol("login", [new FieldSymbol("platform", DslType.String)]),
            new EventTypeSymbol("message_opened", [new FieldSymbol("journey", DslType.String), new FieldSymbol("channel", DslType.String)]),
        ]);

    public static TempDir Dir(params (string Name, string Text)[] files)
    {
        var d = new TempDir();
        foreach (var (name, text) in files) File.WriteAllText(Path.Combine(d.Path, name), text, new UTF8Encoding(false));
        return d;
    }

    public static long Ticks(string iso) => DateTime.Parse(iso, null,
        System.Globalization.DateTimeStyles.AdjustToUniversal | System.Globalization.DateTimeStyles.AssumeUniversal).Ticks;

    /// <summary>
    /// The schema of the JSON path tests (FastJsonPathTests, ShapedJsonPathTests): one event type
    /// with a field of every scalar type, a second type whose name extends the first's, and one
    /// with a unique field.
    /// </summary>
    public static SchemaModel JsonPathSchema() => new(
        [new FieldSymbol("user_id", DslType.String, IsKey: true), new FieldSymbol("city", DslType.String.WithNullable(true))],
        ["member_id"],
        [
            new EventTypeSymbol("e", [
                new FieldSymbol("s", DslType.String.WithNullable(true)),
                new FieldSymbol("n", DslType.Int.WithNullable(true)),
                new FieldSymbol("d", DslType.Decimal.WithNullable(true)),
                new FieldSymbol("b", DslType.Bool.WithNullable(true)),
                new FieldSymbol("day", DslType.Date.WithNullable(true)),
                new FieldSymbol("at", DslType.DateTime.WithNullable(true)),
                new FieldSymbol("dur", DslType.Duration.WithNullable(true)),
            ]),
            new EventTypeSymbol("ee", [new FieldSymbol("s", DslType.String.WithNullable(true))]),
            new EventTypeSymbol("o", [new FieldSymbol("oid", DslType.String, IsUnique: true), new FieldSymbol("amount",
                DslType.Decimal.WithNullable(true))]),
        ]);

    /// <summary>
    /// Damage of kind 0–3 to a compact JSON row: a byte cut, a JSON-ish byte inserted, a member
    /// appended (a key of <paramref name="keys"/> with one of <paramref name="values"/>), or the value
    /// of one of the keys [<paramref name="retypeFrom"/>, <paramref name="retypeFrom"/> +
    /// <paramref name="retypeCount"/>) replaced (the row must have that key). Null for another kind.
    /// </summary>
    public static string? Damage(int kind, string row, Random random, string[] keys, string[] values, int retypeFrom, int retypeCount)
    {
        switch (kind)
        {
            case 0:
            {
                var cut = random.Next(row.Length);
                return row[..cut] + row[(cut + 1)..];
            }
            case 1:
            {
                var at = random.Next(row.Length);
                return row[..at] + " ,\":{}\\x1"[random.Next(9)] + row[at..];
            }
            case 2:
                return row[..^1] + $",\"{keys[random.Next(keys.Length)]}\":{values[random.Next(values.Length)]}}}";
            case 3:
            {
                var key = keys[retypeFrom + random.Next(retypeCount)];
                var at = row.IndexOf($"\"{key}\":", StringComparison.Ordinal) + key.Length + 3;
                var end = row.IndexOfAny([',', '}'], at);
                return row[..at] + values[random.Next(values.Length)] + row[end..];
            }
            default:
                return null;
        }
    }

    /// <summary>Loads a data folder and returns the data with the text of its rejects file.</summary>
    public static (DataSet Data, string Rejects) LoadWithRejects(SchemaModel schema, string dir, int parallelism, int blockSize, bool generalOnly)
    {
        var rejects = Path.Combine(dir, "out", $"rejects-{parallelism}-{blockSize}-{generalOnly}.jsonl");
        var ds = DataImporter.Load(schema, dir, new ImportOptions { Parallelism = parallelism, BlockSize = blockSize,
            RejectsPath = rejects, GeneralJsonReaderOnly = generalOnly });
        return (ds, File.ReadAllText(rejects));
    }
}

public sealed class TempDir : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "mdsl-data-" + Guid.NewGuid().ToString("N"));
    public TempDir() => Directory.CreateDirectory(Path);
    public void Dispose()
    {
        try { Directory.Delete(Path, true); } catch (IOException) { }
    }
}
