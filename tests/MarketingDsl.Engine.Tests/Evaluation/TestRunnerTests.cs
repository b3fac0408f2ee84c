using MarketingDsl.Core;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Data;
using MarketingDsl.Engine.Evaluation;
using MarketingDsl.Engine.Testing;

namespace MarketingDsl.Engine.Tests.Evaluation;

public class TestRunnerTests
{
    private const string Tags = """
        tag annual_spend = sum(order.amount, within: 365d)
        tag orders_365d = count(order, within: 365d)
        tag high_value = annual_spend > 5000
        segmentation core_groups {
          high_value_repeat when high_value and orders_365d >= 2
          else others
        }

        """;

    // A test block with two expectations (LANGUAGE.md §16): its second fails (only one order).
    private const string BigSpenderTest = """
        test "big spender is high value" {
          given profile { user_id: "u1", birthday: 1990-01-01 }
          given order { user_id: "u1", ts: 2025-05-01T10:00:00Z, amount: 6000, category: "tv" }
          as of 2025-06-01T00:00:00Z
          expect high_value == true
          expect core_groups == "high_value_repeat"    // fails: only one order
        }

        """;

    private static SemanticModel Compile(string tests)
    {
        var c = Compilation.Create(("schema.mdsl", Scenario.Schema.Replace("event login", "event login_unused")), ("tags.mdsl", Tags),
            ("tests.mdsl", tests));
        Assert.False(c.HasErrors, string.Join("\n", c.Diagnostics.Where(d => d.IsError).Select(d => d.ToString())));
        return c.Model;
    }

    [Fact]
    public void A_two_expect_test_fails_on_its_second_expect_with_location_and_values()
    {
        var result = Assert.Single(new TestRunner().RunAll(Compile(BigSpenderTest)));
        Assert.Equal("big spender is high value", result.Name);
        Assert.False(result.Passed);
        Assert.Equal(2, result.ExpectCount);
        Assert.Equal(new DateTime(2025, 6, 1, 0, 0, 0, DateTimeKind.Utc), result.AsOfUtc);
        var failure = Assert.Single(result.Failures);
        Assert.Equal("tests.mdsl:6:3", failure.Location);
        Assert.Equal(6, failure.Line);
        Assert.Equal("core_groups == \"high_value_repeat\"", failure.Expectation);
        Assert.Equal("core_groups is \"others\"", failure.Explanation);
    }

    [Fact]
    public void A_passing_test_passes_and_as_of_defaults_to_the_latest_given_event()
    {
        var results = new TestRunner().RunAll(Compile("""
            test "repeat big spender" {
              given profile { user_id: "u1" }
              given profile { user_id: "u2" }
              given order { user_id: "u2", order_id: "c", ts: 2024-01-01T00:00:00Z, amount: 9000 }
              given order { user_id: "u1", order_id: "a", ts: 2025-05-01T10:00:00Z, amount: 3000 }
              given order { user_id: "u1", order_id: "b", ts: 2025-05-03T10:00:00Z, amount: 3000 }
              expect core_groups == "high_value_repeat"
              expect annual_spend == 6000 and orders_365d == 2
            }

            test "subject without orders" {
              given profile { user_id: "u2" }
              given profile { user_id: "u1" }
              given order { user_id: "u1", order_id: "a", ts: 2025-05-01T10:00:00Z, amount: 3000 }
              expect orders_365d == 0
              expect not high_value
            }

            """));
        Assert.Equal(2, results.Length);
        Assert.All(results, r => Assert.True(r.Passed, string.Join("; ", r.Failures.Select(f => f.Location + " " + f.Explanation))));
        Assert.Equal(new DateTime(2025, 5, 3, 10, 0, 0, DateTimeKind.Utc), results[0].AsOfUtc);
        Assert.Empty(results[0].Notes);
    }

    [Fact]
    public void Expectations_are_about_the_first_given_profile_and_report_every_mentioned_tag()
    {
        var result = Assert.Single(new TestRunner().RunAll(Compile("""
            test "which user" {
              given profile { user_id: "poor" }
              given profile { user_id: "rich" }
              given order { user_id: "rich", ts: 2025-05-01T10:00:00Z, amount: 6000 }
              expect high_value or annual_spend > 100
            }

            """)));
        var failure = Assert.Single(result.Failures);
        Assert.Equal("tests.mdsl:5:3", failure.Location);
        Assert.Equal("high_value is false, annual_spend is 0", failure.Explanation);
    }

    [Fact]
    public void Without_events_and_as_of_the_run_is_as_of_1970_and_says_so()
    {
        var result = Assert.Single(new TestRunner().RunAll(Compile("""
            test "empty" {
              given profile { user_id: "u1" }
              expect orders_365d == 0
            }

            """)));
        Assert.True(result.Passed);
        Assert.Equal(TestRunner.FallbackAsOf, result.AsOfUtc);
        Assert.Contains(result.Notes, n => n.Contains("1970-01-01T00:00:00Z"));
    }

    [Fact]
    public void The_evaluator_passed_in_computes_the_tags()
    {
        var model = Compile(BigSpenderTest);
        var stub = new ConstantEvaluator(model.FindComputed("core_groups")!, "high_value_repeat");
        var result = Assert.Single(new TestRunner(stub).RunAll(model));
        Assert.True(result.Passed);
        Assert.Equal(1, stub.Calls);
    }

    /// <summary>The reference results, with one symbol overridden for every user.</summary>
    private sealed class ConstantEvaluator(ComputedSymbol symbol, object value) : ITagEvaluator
    {
        public int Calls { get; private set; }

        public EvaluationResult Evaluate(SemanticModel model, DataSet data, DateTime asOfUtc)
        {
            Calls++;
            var reference = new ReferenceInterpreter().Evaluate(model, data, asOfUtc);
            return new EvaluationResult(model, data, asOfUtc,
                [.. reference.Columns.Select(c => c.Symbol == symbol ? new BoxedResultColumn(symbol,
                    [.. Enumerable.Repeat(value, data.UserCount)]) : c)]);
        }
    }
}
