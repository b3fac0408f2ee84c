using MarketingDsl.Journeys.Measurement;

namespace MarketingDsl.Journeys.Tests.Measurement;

/// <summary>`goal: … value FIELD`: bound to a number field of the goal event; conversions carry its value as revenue.</summary>
public sealed class GoalValueTests
{
    private static MarketingDsl.Core.Compilation Compile(string goal) => MarketingDsl.Core.Compilation.Create(
        ("schema.mdsl", JourneyScenario.Schema), ("main.mdsl", $$"""
        channel push { cost: 0.5 }
        journey j { trigger: cart_add  goal: {{goal}}  steps { send push "a" } }
        """));

    [Fact]
    public void Value_must_be_a_number_field_of_the_goal_event()
    {
        var ok = Compile("order within 2d value amount");
        Assert.DoesNotContain(ok.Diagnostics, d => d.IsError);
        Assert.Equal("amount", ok.Model.Journeys.Single().Goal!.ValueField!.Name);

        var notNumber = Assert.Single(Compile("order within 2d value category").Diagnostics, d => d.IsError);
        Assert.Equal("MD3050", notNumber.Code);
        Assert.Contains("'category'", notNumber.Message);

        var unknown = Assert.Single(Compile("order within 2d value amont").Diagnostics, d => d.IsError);
        Assert.Contains("amount", unknown.Message);   // did you mean
        Assert.StartsWith("MD2", unknown.Code);
    }

    [Fact]
    public void Conversions_carry_the_goal_value_into_uplift_and_attribution()
    {
        var s = new JourneyScenario("""
            channel push { cost: 0.5 }
            journey j { trigger: cart_add  goal: order within 2d value amount  steps { send push "a" } }
            """);
        s.Users("u1", "u2");
        s.Event("cart_add", "u1", "2025-06-01T10:00:00Z", 1m).Event("order", "u1", "2025-06-01T12:00:00Z", "o1", 120.5m, "tv");
        // u2's order comes after the goal window.
        s.Event("cart_add", "u2", "2025-06-01T10:00:00Z", 1m).Event("order", "u2", "2025-06-05T12:00:00Z", "o2", 99m, "tv");
        var stats = s.Replay("2025-06-01T00:00:00Z", "2025-06-10T00:00:00Z");
        var r = stats.Results["j"];
        Assert.Equal((1L, 120.5m, 1.0m), (r.Total.Converted, r.Total.Revenue, r.Total.Cost));
        Assert.Equal(119.5, r.Total.Roi!.Value, 10);
        Assert.Equal(120.5m, r.Attribution[AttributionModel.LastTouch].ByJourney["j"].Revenue);
        Assert.Contains("\"incremental_revenue\"", stats.ToJson());
    }
}
