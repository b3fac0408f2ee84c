using System.Text;
using MarketingDsl.Core.Semantics;

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
            new EventTypeSymbol("view", [new FieldSymbol("sku", DslType.String), new FieldSymbol("category", DslType.String), new FieldSymbol("duration_s", DslType.Int)]),
            new EventTypeSymbol("cart_add", [new FieldSymbol("sku", DslType.String), new FieldSymbol("category", DslType.String), new FieldSymbol("price", DslType.Decimal)]),
            new EventTypeSymbol("login", [new FieldSymbol("platform", DslType.String)]),
            new EventTypeSymbol("message_opened", [new FieldSymbol("journey", DslType.String), new FieldSymbol("channel", DslType.String)]),
        ]);

    public static TempDir Dir(params (string Name, string Text)[] files)
    {
        var d = new TempDir();
        foreach (var (name, text) in files) File.WriteAllText(Path.Combine(d.Path, name), text, new UTF8Encoding(false));
        return d;
    }

    public static long Ticks(string iso) => DateTime.Parse(iso, null, System.Globalization.DateTimeStyles.AdjustToUniversal | System.Globalization.DateTimeStyles.AssumeUniversal).Ticks;
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
