using System.Text;

namespace MarketingDsl.Benchmarks;

/// <summary>
/// A synthetic workspace of N varied tags over the retail schema: windowed aggregates with
/// where:, arithmetic, case, references to earlier tags, then segments and a segmentation.
/// Deterministic for a given N, so runs compare.
/// </summary>
public static class WorkspaceGenerator
{
    private static readonly string[] Categories = ["tv", "fan", "formula", "diapers", "phone", "air_conditioner", "snacks", "shoes"];

    public static (string Path, string Text)[] Generate(int tagCount, string schemaText)
    {
        var sb = new StringBuilder();
        var numeric = new List<string>();
        var boolean = new List<string>();
        for (var i = 0; i < tagCount; i++)
        {
            var window = 7 * (1 + i % 52);
            var category = Categories[i % Categories.Length];
            string name;
            switch (i % 8)
            {
                case 0:
                    name = $"spend_{i}";
                    sb.Append($"/// Spend on {category} over {window} days\n");
                    sb.Append($"tag {name} = sum(order.amount, where: category == \"{category}\" and not coupon_used, within: {window}d)\n");
                    numeric.Add(name);
                    break;
                case 1:
                    name = $"orders_{i}";
                    sb.Append($"tag {name} = count(order, where: amount > {i % 500} and channel in [\"app\", \"pos\"], within: {window}d)\n");
                    numeric.Add(name);
                    break;
                case 2:
                    name = $"avg_view_{i}";
                    sb.Append($"tag {name} = avg(view.duration_s, where: category == \"{category}\", within: {window}d) ?? 0\n");
                    numeric.Add(name);
                    break;
                case 3:
                    name = $"ratio_{i}";
                    var a = numeric[^1];
                    var b = numeric[Math.Max(0, numeric.Count - 3)];
                    sb.Append($"tag {name} = ({a} + 1) * 2 / ({b} + 1) - {i % 7}\n");
                    numeric.Add(name);
                    break;
                case 4:
                    name = $"active_{i}";
                    sb.Append($"tag {name} = exists(login, within: {1 + i % 30}d) and days_since(last(order.ts)) <= {30 + i % 60}\n");
                    boolean.Add(name);
                    break;
                case 5:
                    name = $"tier_{i}";
                    var x = numeric[^1];
                    sb.Append($"tag {name} = case when {x} > {1000 + i} then \"high\" when {x} > {100 + i % 100} then \"mid\" else \"low\" end\n");
                    break;
                case 6:
                    name = $"flag_{i}";
                    sb.Append($"tag {name} = {boolean[^1]} or ({numeric[^2]} between {i % 10} and {100 + i % 50} and member_level >= {i % 5})\n");
                    boolean.Add(name);
                    break;
                default:
                    name = $"last_cat_{i}";
                    sb.Append($"tag {name} = last(order.category, where: amount >= {i % 300}, within: {window}d) ?? \"none\"\n");
                    break;
            }
        }
        var segments = new StringBuilder();
        for (var s = 0; s < Math.Max(1, tagCount / 20); s++)
            segments.Append($"segment seg_{s} = {boolean[s % boolean.Count]} and {numeric[(s * 7) % numeric.Count]} > {s}\n");
        segments.Append("segmentation groups {\n");
        for (var g = 0; g < 8; g++) segments.Append($"  group_{g} when seg_{g % Math.Max(1, tagCount / 20)} and member_level >= {g}\n");
        segments.Append("  else others\n}\n");
        return [("schema.mdsl", schemaText), ("segments.mdsl", segments.ToString()), ("tags.mdsl", sb.ToString())];
    }
}
