using System.Text;
using MarketingDsl.Core;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Data;
using MarketingDsl.Engine.Evaluation;
using MarketingDsl.Engine.Simulation;

namespace MarketingDsl.Engine.Tests.Evaluation;

/// <summary>
/// tags.csv and the summary read the compiled engine's typed columns without boxing: their bytes and
/// statistics equal those of the boxed values through <see cref="ValueFormatter.Format"/> and
/// <see cref="ValueFormatter.CsvField"/> (the definition of a cell), on values chosen to break a formatter.
/// </summary>
public sealed class SimulationOutputTests
{
    private static readonly Compilation Typed = Compilation.Create(("main.mdsl", """
        schema { profile { user_id: string key, city: string } }
        tag n = 1
        tag d = 1.5
        tag b = true
        tag s = city
        tag l = [city]
        """));

    private static readonly string[] Texts =
        ["plain", "a,b", "say \"hi\"", "two\nlines", "cr\rhere", "上海", "😀 emoji", "", "a|b", "back\\slash", " spaced "];

    private static readonly decimal[] Decimals =
        [0m, -0.00004m, 0.00005m, -0.00005m, 1.23455m, -1.5m, 10.50m, 7922816251426433759354395.0335m, -79228162514264.3375935m, 0.1m,
            -0.0m, 0.99995m, -0.99995m, 12345.678951m, 922337203685476.99994m, 922337203685476.99995m, -922337203685477m,
            922337203685477.0001m, 1e-28m, decimal.MaxValue, decimal.MinValue, 100m, -7m, 922337203685476.9999m, -922337203685476.9999m,
            922337203685477m, 1844674407370955.1615m, 4294967296.5m, 123.4m, 0.0001m, -0.0001m, -0.00m, new decimal(0, 0, 0, true, 4)];

    private static readonly long[] Integers = [0, -1, 1, 9, 10, -9, -10, long.MaxValue, long.MinValue, 42, -1000000];

    private static (EvaluationResult Result, object?[][] Boxed) Result(int users, int seed)
    {
        var random = new Random(seed);
        var model = Typed.Model;
        var ids = Enumerable.Range(0, users).Select(u => u % 7 == 3 ? $"id,\"{u}\"" : $"u{u:D5}").ToArray();
        var data = InMemoryData.Build(model.Schema, ids.Select(id => new object?[] { id, null }), []);
        var n = new long?[users];
        var d = new decimal?[users];
        var b = new bool?[users];
        var s = new string?[users];
        var l = new object?[]?[users];
        for (var u = 0; u < users; u++)
        {
            bool Null() => random.Next(5) == 0;
            n[u] = Null() ? null : Integers[random.Next(Integers.Length)];
            d[u] = Null() ? null : Decimals[random.Next(Decimals.Length)];
            b[u] = Null() ? null : random.Next(2) == 0;
            s[u] = Null() ? null : Texts[random.Next(Texts.Length)];
            l[u] = Null() ? null : [.. Enumerable.Range(0, random.Next(3)).Select(_ => Null() ? null : (object?)Texts[random.Next(Texts.Length)])];
        }
        ComputedSymbol Tag(string name) => model.Outputs.Single(o => o.Name == name);
        var columns = model.Outputs.Select(o => (ResultColumn)(o.Name switch
        {
            "n" => new TypedResultColumn<long?>(Tag("n"), n),
            "d" => new TypedResultColumn<decimal?>(Tag("d"), d),
            "b" => new TypedResultColumn<bool?>(Tag("b"), b),
            "s" => new TypedResultColumn<string?>(Tag("s"), s),
            _ => new TypedResultColumn<object?[]?>(Tag("l"), l),
        })).ToArray();
        var boxed = columns.Select(c => Enumerable.Range(0, users).Select(c.Get).ToArray()).ToArray();
        return (new EvaluationResult(model, data, DateTime.UnixEpoch, [.. columns]), boxed);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(5000)]   // several blocks of rows, formatted in parallel
    public void Tags_csv_is_the_text_of_every_cell_as_utf8(int users)
    {
        var (result, _) = Result(users, seed: users);
        var expected = new StringBuilder("user_id");
        foreach (var o in result.Model.Outputs) expected.Append(',').Append(ValueFormatter.CsvField(o.Name));
        expected.Append('\n');
        for (var u = 0; u < users; u++)
        {
            expected.Append(ValueFormatter.CsvField(result.Data.UserIds[u]));
            foreach (var c in result.Columns) expected.Append(',').Append(ValueFormatter.CsvField(ValueFormatter.Format(c.Get(u))));
            expected.Append('\n');
        }
        using var written = new MemoryStream();
        SimulationOutput.WriteTagsCsv(result, written);
        Assert.Equal(expected.ToString(), new UTF8Encoding(false, true).GetString(written.ToArray()));
    }

    [Fact]
    public void Statistics_of_typed_columns_equal_those_of_their_boxed_values()
    {
        var (result, boxed) = Result(3000, seed: 11);
        for (var i = 0; i < result.Columns.Length; i++)
        {
            var typed = OutputStatistics.Compute(result.Columns[i], 3000);
            var plain = OutputStatistics.Compute(new BoxedResultColumn(result.Columns[i].Symbol, boxed[i]), 3000);
            Assert.Equal((plain.NonNull, plain.Empty, plain.NonEmptyLists, plain.True, plain.False), (typed.NonNull, typed.Empty,
                typed.NonEmptyLists, typed.True, typed.False));
            Assert.Equal((plain.Sum, plain.Min, plain.Max, plain.Median, plain.P90), (typed.Sum, typed.Min, typed.Max, typed.Median, typed.P90));
            Assert.Equal(plain.Numbers, typed.Numbers);
            Assert.Equal(plain.Values, typed.Values);
        }
    }

    [Fact]
    public void A_sum_that_overflows_its_type_is_null_in_the_summary_not_an_exception()
    {
        var model = Typed.Model;
        var data = InMemoryData.Build(model.Schema, new[] { "a", "b", "c" }.Select(id => new object?[] { id, null }), []);
        ComputedSymbol Tag(string name) => model.Outputs.Single(o => o.Name == name);
        var columns = model.Outputs.Select(o => (ResultColumn)(o.Name switch
        {
            "n" => new TypedResultColumn<long?>(Tag("n"), [long.MaxValue, long.MaxValue, null]),
            "d" => new TypedResultColumn<decimal?>(Tag("d"), [decimal.MaxValue, 1m, null]),
            "b" => new TypedResultColumn<bool?>(Tag("b"), [true, null, false]),
            "s" => new TypedResultColumn<string?>(Tag("s"), ["x", null, "y"]),
            _ => new TypedResultColumn<object?[]?>(Tag("l"), [null, null, null]),
        })).ToArray();
        var result = new EvaluationResult(model, data, DateTime.UnixEpoch, [.. columns]);
        foreach (var column in columns.Take(2))
        {
            var boxed = new BoxedResultColumn(column.Symbol, [.. Enumerable.Range(0, 3).Select(column.Get)]);
            Assert.Null(OutputStatistics.Compute(column, 3).Sum);
            Assert.Null(OutputStatistics.Compute(boxed, 3).Sum);
        }
        var json = SimulationOutput.SummaryJson(result);
        Assert.Contains("\"n\": {\n      \"non_null\": 2,\n      \"sum\": null", json.ReplaceLineEndings("\n"));
        Assert.Contains("\"d\": {\n      \"non_null\": 2,\n      \"sum\": null", json.ReplaceLineEndings("\n"));
    }
}
