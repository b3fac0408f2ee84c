using MarketingDsl.Core.Semantics;

namespace MarketingDsl.Journeys.Tests;

/// <summary>The machine on its own, as the live runtime will drive it: no data set, inputs one by one.</summary>
public sealed class MachineTests
{
    private sealed class Conditions(bool audience) : IJourneyConditions
    {
        public int Calls { get; private set; }
        public bool Evaluate(BoundExpression condition, UserRef user, long atTicks) { Calls++; return audience; }
        public bool Matches(BoundExpression where, UserRef user, JourneyEvent e) => true;
    }

    private static JourneySymbol Journey(string text) =>
        new JourneyScenario(text).Model.Journeys.Single();

    [Fact]
    public void Transitions_are_driven_by_inputs_and_stale_timers_are_ignored()
    {
        var journey = Journey("""
            channel push { cost: 0 }
            journey j { trigger: login  audience: level >= 1  goal: order within 1d  steps { wait 1h  send push "a"  wait 2h  send push "b" } }
            """);
        var machine = new JourneyMachine(journey);
        var conditions = new Conditions(audience: true);
        var env = new JourneyEnvironment(conditions, new ChannelLedger(), _ => TimeZoneInfo.Utc);
        var user = new UserRef(0, "u1");
        var state = new UserJourneyState();
        var actions = new List<JourneyAction>();
        var t0 = JourneyScenario.Instant("2025-06-01T10:00:00Z").Ticks;

        machine.OnTrigger(state, user, t0, env, actions);
        var wait = Assert.IsType<WaitStartedAction>(actions[^1]);
        Assert.Equal(t0 + TimeSpan.TicksPerHour, wait.Until);
        Assert.Equal(1, conditions.Calls);

        actions.Clear();
        machine.OnWaitTimeout(state, user, wait.Until, wait.Token + 1, env, actions); // stale token
        Assert.Empty(actions);
        machine.OnWaitTimeout(state, user, wait.Until, wait.Token, env, actions);
        Assert.Equal(SendOutcome.Delivered, Assert.IsType<SendAction>(actions[0]).Outcome);
        var second = Assert.IsType<WaitStartedAction>(actions[^1]);

        actions.Clear();
        var order = new JourneyEvent(journey.Goal!.Event, t0 + 2 * TimeSpan.TicksPerHour, 0);
        machine.OnEvent(state, user, order, env, actions);
        Assert.IsType<ConvertedAction>(actions[0]);
        Assert.False(state.Active);

        actions.Clear();
        machine.OnWaitTimeout(state, user, second.Until, second.Token, env, actions); // the user left: nothing happens
        Assert.Empty(actions);
    }

    [Fact]
    public void Audience_is_not_evaluated_when_an_earlier_rule_suppresses()
    {
        var journey = Journey("""
            journey j { trigger: login  audience: level >= 1  reentry: once  steps { wait 1h } }
            """);
        var machine = new JourneyMachine(journey);
        var conditions = new Conditions(audience: true);
        var env = new JourneyEnvironment(conditions, new ChannelLedger(), _ => TimeZoneInfo.Utc);
        var state = new UserJourneyState();
        var actions = new List<JourneyAction>();
        var user = new UserRef(0, "u1");
        machine.OnTrigger(state, user, 1_000, env, actions);
        machine.OnTrigger(state, user, 2_000, env, actions);                   // already in
        machine.OnWaitTimeout(state, user, 1_000 + TimeSpan.TicksPerHour, state.Token, env, actions);
        machine.OnTrigger(state, user, 3 * TimeSpan.TicksPerHour, env, actions); // once: re-entry refused
        Assert.Equal(1, conditions.Calls);
        Assert.Equal([SuppressionReason.AlreadyIn, SuppressionReason.Reentry], actions.OfType<SuppressedAction>().Select(a => a.Reason));
    }
}
