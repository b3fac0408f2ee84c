using System.Text.Json;
using MarketingDsl.Core;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Data;
using MarketingDsl.Engine.Evaluation;
using MarketingDsl.Functions.Loading;
using MarketingDsl.Journeys.Replay;

namespace MarketingDsl.Journeys.Tests;

/// <summary>examples/retail on a small generated history: compiled conditions agree with the interpreter; the replay runs.</summary>
public sealed class RetailReplayTests : IClassFixture<RetailReplayTests.Retail>
{
    public sealed class Retail : IDisposable
    {
        public Retail()
        {
            Directory = Path.Combine(Path.GetTempPath(), "mdsl-journeys-" + Guid.NewGuid().ToString("N"));
            Compilation = FunctionCompilation.Create(Workspace.Load(RepositoryRoot("examples", "retail")));
            Assert.False(Compilation.HasErrors);
            RetailDataGenerator.Generate(Directory, 300, 60, 1, new DateTime(2025, 7, 1, 0, 0, 0, DateTimeKind.Utc));
            Data = DataImporter.Load(Compilation.Model.Schema, Directory);
        }

        public string Directory { get; }
        public Compilation Compilation { get; }
        public DataSet Data { get; }
        public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
    }

    private readonly Retail _retail;
    public RetailReplayTests(Retail retail) => _retail = retail;

    internal static string RepositoryRoot(params string[] parts) => MarketingDsl.Testing.RepoRoot.Combine(parts);

    private static IEnumerable<BoundExpression> Conditions(SemanticModel model)
    {
        foreach (var j in model.Journeys)
        {
            if (j.Audience is { } a) yield return a;
            if (j.Trigger is BoundSegmentTrigger t) yield return new BoundSymbolReference(t.Segment);
            foreach (var i in Ifs(j.Steps)) yield return i.Condition;
        }
        static IEnumerable<BoundIf> Ifs(IEnumerable<BoundStep> steps)
        {
            foreach (var step in steps)
            {
                if (step is BoundIf i) { yield return i; foreach (var x in Ifs(i.Then).Concat(Ifs(i.Else))) yield return x; }
                if (step is BoundSplit s) foreach (var x in s.Branches.SelectMany(b => Ifs(b.Steps))) yield return x;
            }
        }
    }

    /// <summary>A schedule's fan-out reads only what its journey reads: win_back_gift's audience reads logins and orders; a send's
    /// recommendation (related_items) reads what the recommender was trained on, so any type.</summary>
    [Fact]
    public void Retail_journeys_read_the_event_types_of_their_tags_and_any_type_through_a_model()
    {
        string[]? Read(string name) =>
            JourneyInputs.EventTypesRead(_retail.Compilation.Model.Journeys.Single(j => j.Name == name)) is { } types
                ? [.. types.Select(t => t.Name).Order(StringComparer.Ordinal)] : null;
        Assert.Equal(["login", "order"], Read("win_back_gift") ?? ["any type"]);
        Assert.Null(Read("related_items"));
    }

    [Fact]
    public void Compiled_journey_conditions_agree_with_the_reference_interpreter()
    {
        var model = _retail.Compilation.Model;
        var evaluator = new ConditionEvaluator(model, _retail.Data);
        var reference = new ReferenceInterpreter();
        var conditions = Conditions(model).ToList();
        Assert.True(conditions.Count >= 8);
        var instants = new[] { "2025-05-01T00:00:00Z", "2025-06-10T13:30:00Z", "2025-07-01T00:00:00Z" }.Select(JourneyScenario.Instant).ToList();
        int trues = 0, checks = 0;
        foreach (var condition in conditions)
        foreach (var at in instants)
        for (var u = 0; u < _retail.Data.UserCount; u += 7)
        {
            var expected = reference.EvaluateExpression(model, _retail.Data, at, u, condition) is true;
            Assert.True(expected == evaluator.Evaluate(condition, u, at.Ticks), $"{condition.Syntax} for {_retail.Data.UserIds[u]} at {at:o}");
            checks++;
            if (expected) trues++;
        }
        Assert.InRange(trues, 1, checks - 1); // both outcomes occur
    }

    [Fact]
    public void Compiled_where_predicates_agree_with_event_fields()
    {
        var model = _retail.Compilation.Model;
        var evaluator = new ConditionEvaluator(model, _retail.Data);
        var view = model.Schema.FindEvent("view")!;
        var where = ((BoundEventTrigger)model.Journeys.Single(j => j.Name == "summer_cooling").Trigger!).Where!;
        var table = _retail.Data.Events[model.Schema.Events.IndexOf(view)]!;
        var category = (StringColumn)table.Fields[view.OrdinalOf("category")]!;
        for (var u = 0; u < _retail.Data.UserCount; u += 5)
            for (var r = table.UserStart[u]; r < table.UserStart[u + 1]; r++)
                Assert.Equal(category.Values[r] is "air_conditioner" or "fan", evaluator.Matches(view, where, u, r, table.Ts[r]));
    }

    [Fact]
    public void Replay_of_the_retail_workspace_writes_the_expected_structure_deterministically()
    {
        var model = _retail.Compilation.Model;
        var from = new DateTime(2025, 6, 1, 0, 0, 0, DateTimeKind.Utc);
        var to = new DateTime(2025, 7, 1, 0, 0, 0, DateTimeKind.Utc);
        var json = JourneyReplay.Run(model, _retail.Data, from, to).ToJson();
        Assert.Equal(json, JourneyReplay.Run(model, _retail.Data, from, to).ToJson());

        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        Assert.Equal("2025-06-01T00:00:00Z", root.GetProperty("from").GetString());
        Assert.Equal(300, root.GetProperty("users").GetInt32());
        var journeys = root.GetProperty("journeys");
        Assert.Equal(model.Journeys.Select(j => j.Name), journeys.EnumerateObject().Select(p => p.Name));
        var totalEntered = 0;
        foreach (var j in journeys.EnumerateObject())
        {
            var v = j.Value;
            var entered = v.GetProperty("entered").GetInt32();
            totalEntered += entered;
            Assert.Equal(entered, v.GetProperty("entered_treated").GetInt32() + v.GetProperty("held_out").GetInt32());
            foreach (var key in new[] { "audience", "reentry",
                "already_in" }) Assert.True(v.GetProperty("suppressed").GetProperty(key).GetInt32() >= 0);
            Assert.True(v.GetProperty("converted").GetProperty("treated").GetInt32() <= v.GetProperty("entered_treated").GetInt32());
            Assert.True(v.GetProperty("goal_rate").TryGetProperty("held_out", out _));
            foreach (var channel in v.GetProperty("sends").EnumerateObject())
            {
                var total = channel.Value.GetProperty("total");
                foreach (var column in new[] { "delivered", "deferred", "capped", "held_out" })
                    Assert.Equal(total.GetProperty(column).GetInt32(), channel.Value.GetProperty("by_day").EnumerateObject().Sum(d =>
                        d.Value.GetProperty(column).GetInt32()));
            }
            Assert.True(v.GetProperty("cost").GetDecimal() >= 0);
        }
        Assert.True(totalEntered > 0);
        var summer = journeys.GetProperty("summer_cooling").GetProperty("splits").GetProperty("summer_offer");
        Assert.Equal("7d", summer.GetProperty("winner_after").GetString());
        Assert.Equal(2, summer.GetProperty("branches").GetArrayLength());
        Assert.True(journeys.GetProperty("cart_recovery").GetProperty("splits").TryGetProperty("copy_test", out _));
        var overlap = root.GetProperty("overlap");
        Assert.True(overlap.GetProperty("user_days").GetInt32() >= overlap.GetProperty("users").GetInt32());
        Assert.True(overlap.GetProperty("examples").GetArrayLength() <= 5);
    }

    [Fact]
    public void Per_step_counts_agree_with_the_journey_counts_and_with_each_other()
    {
        var model = _retail.Compilation.Model;
        var statistics = JourneyReplay.Run(model, _retail.Data, new DateTime(2025, 6, 1, 0, 0, 0, DateTimeKind.Utc),
            new DateTime(2025, 7, 1, 0, 0, 0, DateTimeKind.Utc));
        using var doc = JsonDocument.Parse(statistics.ToJson());
        var reachedSomewhere = 0;
        foreach (var j in statistics.Journeys)
        {
            var json = doc.RootElement.GetProperty("journeys").GetProperty(j.Journey.Name).GetProperty("steps");
            Assert.Equal(StepPath.Walk(j.Journey.Steps).Select(p => p.Path), json.EnumerateObject().Select(p => p.Name));
            var byStep = j.Steps.ToDictionary(s => s.Step, ReferenceEqualityComparer.Instance as IEqualityComparer<BoundStep>);
            // Every entry reaches the first step, at the instant it enters.
            if (j.Journey.Steps.Length > 0) Assert.Equal(j.Entered, byStep[j.Journey.Steps[0]].Reached);
            foreach (var s in j.Steps)
            {
                reachedSomewhere += s.Reached;
                Assert.InRange(s.ReachedHeldOut, 0, s.Reached);
                switch (s.Step)
                {
                    case BoundSend:
                        // Each arrival sends once (delivered, deferred, capped or held out); a deferred send counts again when it goes.
                        Assert.True(s.Sends.Sum() >= s.Reached);
                        Assert.Equal(s.ReachedHeldOut, s.Sends[(int)SendColumn.HeldOut]);
                        break;
                    case BoundWait:
                        Assert.True(s.WaitEnds.Sum() <= s.Reached);
                        break;
                    case BoundIf i:
                        Assert.Equal(s.Reached, s.Branches.Sum());
                        if (i.Then.Length > 0) Assert.Equal(s.Branches[0], byStep[i.Then[0]].Reached);
                        if (i.Else.Length > 0) Assert.Equal(s.Branches[1], byStep[i.Else[0]].Reached);
                        break;
                    case BoundSplit split:
                        Assert.Equal(s.Reached, s.Branches.Sum());
                        var named = j.Splits.Single(x => x.Split.Name == split.Name);
                        for (var b = 0; b < split.Branches.Length; b++)
                        {
                            Assert.Equal(named.Entered[b] + named.HeldOutEntered[b], s.Branches[b]);
                            if (split.Branches[b].Steps.Length > 0) Assert.Equal(s.Branches[b], byStep[split.Branches[b].Steps[0]].Reached);
                        }
                        break;
                    case BoundExit:
                        break;
                }
            }
            Assert.Equal(j.Exited[ExitReason.ExitStep], j.Steps.Where(s => s.Step is BoundExit).Sum(s => s.Reached));
            // The goal converting a user inside a wait is one of the journey's conversions.
            Assert.True(j.Steps.Sum(s => s.WaitEnds.Length > 0 ? s.WaitEnds[(int)WaitEnd.Converted] : 0) <= j.Exited[ExitReason.Converted]);
        }
        Assert.True(reachedSomewhere > 0);
    }
}
