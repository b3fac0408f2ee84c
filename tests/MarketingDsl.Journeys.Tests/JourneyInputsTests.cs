using MarketingDsl.Core.Semantics;

namespace MarketingDsl.Journeys.Tests;

/// <summary>What a journey evaluates (JourneyInputs.Expressions) and the event types that reads, transitively.</summary>
public sealed class JourneyInputsTests
{
    private const string Main = """
        tag carts_7d = count(cart_add, within: 7d)
        tag views = count(view)
        segment viewer = views >= 3
        channel push { cost: 0.001 }
        journey nudge {
          trigger: every day at 10:00
          audience: carts_7d >= 1
          goal: order where amount > 20 within 2d
          steps {
            if viewer { send push "a" } else { wait 1d until order where amount > 10  send push "b" }
          }
        }
        """;

    [Fact]
    public void A_journey_reads_the_types_of_its_audience_and_conditions_not_those_its_predicates_match()
    {
        var journey = new JourneyScenario(Main).Model.Journeys.Single();
        var kinds = JourneyInputs.Expressions(journey).Select(e => (e.Kind, e.Event?.Name)).ToList();
        Assert.Equal(
            [(JourneyExpressionKind.Condition, null), (JourneyExpressionKind.Predicate, "order"),
             (JourneyExpressionKind.Condition, null), (JourneyExpressionKind.Predicate, "order")],
            kinds);
        // The predicates read the order being matched, not the user's stored orders: a batch of users needs carts and views only.
        Assert.Equal(["cart_add", "view"], JourneyInputs.EventTypesRead(journey)!.Select(t => t.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Of_the_types_read_those_the_audience_reads_no_field_of_are_read_for_their_times()
    {
        var times = JourneyInputs.EventTypesReadForTimeByAudience(new JourneyScenario(Main).Model.Journeys.Single());
        Assert.Equal(["cart_add", "view"], times.Select(t => t.Name).Order(StringComparer.Ordinal));

        // An aggregated field in the audience: the orders' fields are read. The views' category only a step reads: a fan-out
        // evaluates its audience over the views' times, and that step over the user's own history.
        var journey = new JourneyScenario("""
            tag spend_30d = sum(order.amount, within: 30d)
            tag last_cart = last(cart_add.ts)
            tag fan_views = count(view, where: category == "fans", within: 7d)
            channel push { cost: 0.001 }
            journey j {
              trigger: every day at 10:00
              audience: spend_30d > 100 and last_cart is not null
              steps { if fan_views >= 1 { send push "a" } }
            }
            """).Model.Journeys.Single();
        Assert.Equal(["cart_add", "order", "view"], JourneyInputs.EventTypesRead(journey)!.Select(t => t.Name).Order(StringComparer.Ordinal));
        Assert.Equal(["cart_add", "view"], JourneyInputs.EventTypesReadForTimeByAudience(journey).Select(t => t.Name).Order(StringComparer.Ordinal));
    }
}
