using System.Collections.Immutable;
using System.Globalization;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Data;
using MarketingDsl.Engine.Evaluation;

namespace MarketingDsl.Engine.Testing;

/// <summary>An expectation that did not hold: where it is, what it says, and the values of the tags it mentions.</summary>
public sealed record ExpectFailure(string File, int Line, int Column, string Expectation, ImmutableArray<(string Name,
    object? Value)> Actual, string? Error = null)
{
    public string Location => $"{File}:{Line}:{Column}";

    /// <summary>e.g. <c>core_groups is "others"</c>, or the error that stopped the evaluation.</summary>
    public string Explanation => Error ?? (Actual.IsEmpty ? "it is false"
        : string.Join(", ", Actual.Select(a => $"{a.Name} is {TestRunner.Format(a.Value)}")));
}

/// <summary>The outcome of one `test` block.</summary>
public sealed record TestResult(string Name, SymbolLocation? Location, DateTime AsOfUtc, int ExpectCount,
    ImmutableArray<ExpectFailure> Failures, ImmutableArray<string> Notes, string? Error = null)
{
    public bool Passed => Error is null && Failures.IsEmpty;
}

/// <summary>
/// Runs the `test` blocks of a checked workspace. Each test gets its own data: exactly its
/// `given` profiles and events (built like imported data: de-duplication, orphans, code point
/// order). T is the `as of` instant, else the latest given event ts, else 1970-01-01T00:00:00Z
/// (with a note). Tags are computed by the evaluator passed in (the reference interpreter by
/// default); each `expect` is then evaluated for the user of the `given profile` above it over
/// those values and holds when it is true.
/// </summary>
public sealed class TestRunner(ITagEvaluator? evaluator = null)
{
    private readonly ITagEvaluator _evaluator = evaluator ?? new ReferenceInterpreter();
    private readonly ReferenceInterpreter _expressions = new();

    public static readonly DateTime FallbackAsOf = new(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    public ImmutableArray<TestResult> RunAll(SemanticModel model) => [.. model.Tests.Select(t => Run(model, t))];

    public TestResult Run(SemanticModel model, TestSymbol test)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(test);
        var notes = ImmutableArray.CreateBuilder<string>();
        var givens = test.Statements.OfType<BoundGiven>().ToList();
        var profiles = givens.Where(g => g.Event is null).ToList();
        var data = InMemoryData.Build(model.Schema,
            profiles.Select(g => g.Values.ToArray()),
            givens.Where(g => g.Event is not null).Select(g => (g.Event!, g.Values.ToArray())));
        foreach (var reject in data.Report.Rejects)
            notes.Add($"a given {(reject.File == InMemoryData.ProfilesSource ? "profile" : "event")} (#{reject.Line}) is ignored: {reject.Reason}");

        DateTime asOf;
        if (test.Statements.OfType<BoundAsOf>().FirstOrDefault() is { } explicitAsOf) asOf = explicitAsOf.Instant;
        else if (data.MaxTimestampTicks is { } max) asOf = new DateTime(max, DateTimeKind.Utc);
        else
        {
            asOf = FallbackAsOf;
            notes.Add("no `as of` and no given event: evaluated as of 1970-01-01T00:00:00Z");
        }

        var expects = test.Statements.OfType<BoundExpect>().ToList();
        EvaluationResult result;
        try
        {
            result = _evaluator.Evaluate(model, data, asOf);
        }
        catch (Exception e) when (e is NotSupportedException or InvalidOperationException or OverflowException)
        {
            return new TestResult(test.Name, test.Location, asOf, expects.Count, [], notes.ToImmutable(), $"evaluation failed: {e.Message}");
        }

        // A custom function that failed left a null (LANGUAGE.md §17): say which and why, next to the expectations it breaks.
        foreach (var failure in result.FunctionFailures.Samples) notes.Add(failure.Message);

        var keyOrdinal = model.Schema.ProfileOrdinalOf(model.Schema.KeyField);
        var failures = ImmutableArray.CreateBuilder<ExpectFailure>();
        foreach (var expect in expects)
        {
            var position = expect.Location.Start;
            var file = expect.Location.File.Path;
            var userId = keyOrdinal >= 0 && expect.ProfileIndex < profiles.Count ? profiles[expect.ProfileIndex].Values[keyOrdinal] as string : null;
            var user = userId is null ? -1 : data.IndexOfUser(userId);
            if (user < 0)
            {
                failures.Add(new ExpectFailure(file, position.Line, position.Column, expect.Text, [],
                    $"the given profile '{userId}' is not in the data"));
                continue;
            }
            try
            {
                if (_expressions.EvaluateExpression(result, user, expect.Condition) is true) continue;
                failures.Add(new ExpectFailure(file, position.Line, position.Column, expect.Text, Mentioned(expect.Condition, result, user)));
            }
            catch (Exception e) when (e is NotSupportedException or InvalidOperationException or OverflowException)
            {
                failures.Add(new ExpectFailure(file, position.Line, position.Column, expect.Text, [], $"evaluation failed: {e.Message}"));
            }
        }
        return new TestResult(test.Name, test.Location, asOf, expects.Count, failures.ToImmutable(), notes.ToImmutable());
    }

    /// <summary>The tags, segments and segmentations an expectation mentions, in order of first mention, with their values for the user.</summary>
    private static ImmutableArray<(string Name, object? Value)> Mentioned(BoundExpression condition, EvaluationResult result, int user) =>
    [
        .. BoundTree.Descendants(condition).OfType<BoundSymbolReference>().Select(r => r.Symbol).Distinct()
            .Select(s => (s.Name, result.Columns.First(c => c.Symbol == s).Get(user))),
    ];

    /// <summary>A value as a DSL literal: <c>"text"</c>, <c>12</c>, <c>3.5</c>, <c>true</c>, <c>null</c>,
    /// <c>2025-06-01</c>, <c>["a", "b"]</c>.</summary>
    public static string Format(object? value) => value switch
    {
        null => "null",
        string s => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"",
        bool b => b ? "true" : "false",
        long l => l.ToString(CultureInfo.InvariantCulture),
        decimal d => d.ToString(CultureInfo.InvariantCulture),
        DateOnly d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        DateTime t => t.ToString(t.Ticks % TimeSpan.TicksPerSecond == 0 ? "yyyy-MM-dd'T'HH:mm:ss'Z'" : "yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'",
            CultureInfo.InvariantCulture),
        TimeSpan span => Core.Text.DurationText.Format(span.Ticks),
        IEnumerable<object?> list => "[" + string.Join(", ", list.Select(Format)) + "]",
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };

}
