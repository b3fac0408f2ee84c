using MarketingDsl.Core;
using MarketingDsl.Functions.Loading;
using MarketingDsl.Sql.Dialects;

namespace MarketingDsl.Sql.Tests;

/// <summary>What SQL cannot compute is a diagnostic at its span, never left out silently.</summary>
public sealed class TargetDiagnosticsTests
{
    [Fact]
    public void Custom_functions_and_model_outputs_are_errors_at_their_spans()
    {
        var compilation = FunctionCompilation.Create(Workspace.Load(SqlTestData.Example("retail")));
        var sql = SqlCompilation.Create(compilation, SqlTarget.SparkSql);
        Assert.Null(sql.Query);
        var custom = Assert.Single(sql.Diagnostics, d => d.Code == "MD8001");
        Assert.Contains("SkuLine()", custom.Message, StringComparison.Ordinal);
        Assert.Equal("SkuLine(last(order.sku))", compilation.Workspace.AllFiles.First(f => f.Path == custom.FilePath).ToString(custom.Span));
        Assert.Contains(sql.Diagnostics, d => d.Code == "MD8002" && d.Message.StartsWith("churn_risk.probability", StringComparison.Ordinal));
    }

    [Fact]
    public void Excluding_unsupported_outputs_names_each_one_and_its_dependents()
    {
        var compilation = FunctionCompilation.Create(Workspace.Load(SqlTestData.Example("retail")));
        var sql = SqlCompilation.Create(compilation, SqlTarget.DuckDb, excludeUnsupported: true);
        Assert.NotNull(sql.Query);
        var leftOut = sql.Diagnostics.Where(d => d.Code == "MD8010").Select(d => d.Message).ToList();
        Assert.Contains(leftOut, m => m.StartsWith("'last_order_line'", StringComparison.Ordinal));
        Assert.Contains(leftOut, m => m.StartsWith("'churn_risk_top20'", StringComparison.Ordinal)); // a segment reading churn_percentile
        Assert.DoesNotContain(sql.Outputs, o => o.Name == "churn_risk_top20");
        // The reason reads in Chinese too (it was English pasted into both).
        var line = Assert.Single(sql.Diagnostics, d => d.Code == "MD8010" && d.Message.StartsWith("'last_order_line'", StringComparison.Ordinal));
        Assert.Equal("'last_order_line' is left out of the SQL: the C# function SkuLine().", line.Message);
        Assert.Equal("'last_order_line' 未包含在 SQL 中：使用了 C# 函数 SkuLine()。", line.ChineseMessage);
        var dependent = Assert.Single(sql.Diagnostics,
            d => d.Code == "MD8010" && d.Message.StartsWith("'churn_risk_top20'", StringComparison.Ordinal));
        Assert.EndsWith(", which is left out.", dependent.Message);
        Assert.Matches("^'churn_risk_top20' 未包含在 SQL 中：依赖的 '[a-z_0-9]+' 也未包含在内。$", dependent.ChineseMessage);
    }

    [Fact]
    public void Names_that_differ_only_in_case_are_an_error()
    {
        var compilation = Compilation.Create(
            ("schema.mdsl", "schema { profile { user_id: string key } event login { platform: string } }"),
            ("tags.mdsl", "tag Logins = count(login)\ntag logins = count(login, within: 7d)"));
        Assert.False(compilation.HasErrors, string.Join("\n", compilation.Diagnostics));
        var sql = SqlCompilation.Create(compilation, SqlTarget.DuckDb);
        var error = Assert.Single(sql.Diagnostics);
        Assert.Equal("MD8003", error.Code);
        Assert.Null(sql.Query);
    }
}
