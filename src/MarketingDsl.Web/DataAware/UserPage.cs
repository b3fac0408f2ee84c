using MarketingDsl.Core;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Data;
using MarketingDsl.Engine.Evaluation;
using MarketingDsl.Engine.Scoring;
using MarketingDsl.Engine.Simulation;
using MarketingDsl.Journeys;
using MarketingDsl.Journeys.Replay;
using MarketingDsl.Runtime;
using LS = MarketingDsl.LanguageService.LanguageService;

namespace MarketingDsl.Web.DataAware;

public sealed record UserField(string Name, string Type, string Value, bool IsNull);

/// <summary>A tag, segment or segmentation of the user: its value and where and how it is declared.</summary>
public sealed record UserOutput(string Name, string? Label, string Type, string Value, bool IsNull, string? Group, string? GroupLabel,
    LanguageService.DeclarationSource? Definition);

/// <summary>Where a journey has the user: in flight or ended, since when, at which step (its source line), waiting until when.</summary>
public sealed record UserJourney(string Journey, string? Label, bool InFlight, bool HeldOut, DateTime? EnteredUtc, DateTime? WaitUntilUtc,
    string? Step, string? StepPath, int? StepLine, string? Outcome);

public sealed record UserEvent(string Type, DateTime TsUtc, IReadOnlyList<UserField> Fields);

public sealed record UserPageResult(string UserId, string Folder, DateTime AsOfUtc, IReadOnlyList<UserField> Profile, IReadOnlyList<UserOutput> Tags,
    IReadOnlyList<UserOutput> Segments, IReadOnlyList<UserOutput> Groups, string JourneySource, IReadOnlyList<UserJourney> Journeys,
    IReadOnlyList<UserEvent> Events, int EventCount);

/// <summary>
/// One user of a data set as the working copy sees them (the editor's user page): the profile, every
/// tag, segment and segmentation evaluated on the whole data set (so `quantile_score` ranks among
/// every user, as `mdsl simulate` does), each with its declaration; the journeys in flight — from the
/// live runtime when this process runs one and the reader may see member data, else replayed for this
/// user alone over <see cref="ReplayDays"/> days before the as-of instant — and the latest events.
/// </summary>
public sealed class UserPages
{
    public const int RecentEvents = 50;
    public const int ReplayDays = 30;

    private readonly SemaphoreSlim _gate = new(1, 1);
    private (string Key, EvaluationResult Result)? _last;

    /// <summary>The evaluation of the working copy on the data set as of the instant, kept for the next user of the same run.</summary>
    public async Task<EvaluationResult> EvaluateAsync(Compilation compilation, EditorData data, DateTime asOfUtc, IModelScorer? scorer)
    {
        // The same text on the same loaded data set (a reload is another object) as of the same instant.
        var key = $"{compilation.ContentHash}\n{data.Name}\n{System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(data.Data)}\n{asOfUtc.Ticks}";
        await _gate.WaitAsync();
        try
        {
            if (_last is { } last && last.Key == key) return last.Result;
            var result = await Task.Run(() => CompiledEngine.Evaluate(CompiledEngine.PlanFor(compilation), data.Data, asOfUtc, null, scorer));
            _last = (key, result);
            return result;
        }
        finally
        {
            _gate.Release();
        }
    }

    public static UserPageResult Build(Compilation compilation, EditorData data, EvaluationResult result, int user,
        LiveUserView? live, IModelScorer? scorer)
    {
        var model = compilation.Model;
        var set = data.Data;
        var service = new LS(compilation);
        var profile = model.Schema.ProfileFields.Select((f, i) => Field(f.Name, f.Type, set.Profiles.Columns[i]?.GetBoxed(user))).ToList();
        var tags = new List<UserOutput>();
        var segments = new List<UserOutput>();
        var groups = new List<UserOutput>();
        foreach (var column in result.Columns)
        {
            var symbol = column.Symbol;
            var value = column.Get(user);
            var definition = service.DeclarationOf(symbol);
            switch (symbol)
            {
                case TagSymbol:
                    tags.Add(new UserOutput(symbol.Name, symbol.Label, symbol.Type.DisplayName, ValueFormatter.Format(value),
                        value is null, null, null, definition));
                    break;
                case SegmentSymbol:
                    segments.Add(new UserOutput(symbol.Name, symbol.Label, "bool", ValueFormatter.Format(value),
                        value is null, null, null, definition));
                    break;
                case SegmentationSymbol segmentation:
                    var group = value as string;
                    var rule = segmentation.Rules.FirstOrDefault(r => r.Name == group);
                    groups.Add(new UserOutput(symbol.Name, symbol.Label, "string", group ?? "", group is null, group, rule?.Label, definition));
                    break;
            }
        }
        var events = Events(set, user, result.AsOfUtc);
        var journeys = live is not null
            ? live.Journeys.Select(j => Journey(j.Journey, j.Active, j.HeldOut, j.EntryAtUtc, j.WaitUntilUtc, j.Step,
                j.Active ? null : "ended")).ToList()
            : Replay(model, set, user, result.AsOfUtc, scorer);
        return new UserPageResult(set.UserIds[user], data.Name, result.AsOfUtc, profile, tags, segments, groups,
            live is not null ? "live" : "replay", journeys,
            events.Take(RecentEvents).ToList(), events.Count);
    }

    private static UserField Field(string name, DslType type, object? value) =>
        new(name, type.DisplayName, ValueFormatter.Format(value), value is null);

    /// <summary>The user's events with ts ≤ as-of, newest first (at equal ts, the later input line first).</summary>
    private static List<UserEvent> Events(DataSet data, int user, DateTime asOfUtc)
    {
        var rows = new List<(long Ts, long Line, EventTable Table, int Row)>();
        foreach (var table in data.Events)
        {
            if (table is null) continue;
            for (var r = table.UserStart[user]; r < table.UserStart[user + 1]; r++)
                if (table.Ts[r] <= asOfUtc.Ticks) rows.Add((table.Ts[r], table.Line[r], table, r));
        }
        return [.. rows.OrderByDescending(r => r.Ts).ThenByDescending(r => r.Line)
            .Select(r => new UserEvent(r.Table.Type.Name, new DateTime(r.Ts, DateTimeKind.Utc),
            [.. r.Table.Type.Fields.Select((f, i) => (f, i)).Where(x => r.Table.Fields[x.i] is not null)
                .Select(x => Field(x.f.Name, x.f.Type, r.Table.Fields[x.i]!.GetBoxed(r.Row)))]))];
    }

    /// <summary>Every journey replayed for this user alone over the days before the as-of instant: where each one has the user at its end.</summary>
    private static List<UserJourney> Replay(SemanticModel model, DataSet data, int user, DateTime asOfUtc, IModelScorer? scorer)
    {
        var one = DataSetSubset.Of(data, [user]);
        var last = new Dictionary<JourneySymbol, (bool InFlight, bool HeldOut, long? Entered, long? WaitUntil, BoundStep? Step, string? Outcome)>();
        JourneyReplay.Run(model, one, asOfUtc.AddDays(-ReplayDays), asOfUtc, action =>
        {
            var state = last.GetValueOrDefault(action.Journey);
            last[action.Journey] = action switch
            {
                EnteredAction e => (true, e.HeldOut, e.At, null, null, null),
                StepReachedAction s => state with { Step = s.Step, WaitUntil = null },
                WaitStartedAction w => state with { WaitUntil = w.Until },
                ExitedAction x => state with { InFlight = false, WaitUntil = null, Outcome = x.Reason.ToString() },
                ConvertedAction => state with { Outcome = "Converted" },
                _ => state,
            };
        }, scorer);
        return [.. last.Where(j => j.Value.Entered is not null).Select(j => Journey(j.Key, j.Value.InFlight, j.Value.HeldOut, Utc(j.Value.Entered),
            Utc(j.Value.WaitUntil), j.Value.Step, j.Value.Outcome))];
    }

    private static UserJourney Journey(JourneySymbol journey, bool inFlight, bool heldOut, DateTime? entered,
        DateTime? waitUntil, BoundStep? step, string? outcome)
    {
        string? text = null, path = null;
        int? line = null;
        if (step?.Location is { } at)
        {
            var position = at.File.GetPosition(at.Span.Start);
            path = at.File.Path;
            line = position.Line;
            text = at.File.GetLineText(position.Line).Trim();
        }
        return new UserJourney(journey.Name, journey.Label, inFlight, heldOut, entered, waitUntil, text, path, line, outcome);
    }

    private static DateTime? Utc(long? ticks) => ticks is { } t ? new DateTime(t, DateTimeKind.Utc) : null;
}
