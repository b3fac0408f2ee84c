using System.Globalization;
using MarketingDsl.Core;
using MarketingDsl.Core.Diagnostics;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Data;
using MarketingDsl.Journeys.Replay;

namespace MarketingDsl.Journeys.Tests;

/// <summary>A hand-made workspace and history, replayed; the trace lists every action readably.</summary>
public sealed class JourneyScenario
{
    public const string Schema = """
        schema {
          profile {
            user_id: string key
            level: int?
            timezone: string?
          }
          event order { order_id: string unique, amount: decimal?, category: string? }
          event cart_add { price: decimal? }
          event login { platform: string? }
          event view { category: string? }
        }

        """;

    private readonly List<object?[]> _profiles = [];
    private readonly List<(EventTypeSymbol, object?[])> _events = [];
    private int _orders;

    public JourneyScenario(string declarations, string? settings = null)
    {
        Compilation = Compilation.Create(("schema.mdsl", (settings ?? "") + Schema), ("main.mdsl", declarations));
        var errors = Compilation.Diagnostics.Where(d => d.IsError).ToList();
        Assert.True(errors.Count == 0, DiagnosticWriter.ToText(errors, Compilation.Workspace.Files));
    }

    public Compilation Compilation { get; }
    public SemanticModel Model => Compilation.Model;
    public DataSet? Data { get; private set; }
    public List<JourneyAction> Actions { get; } = [];

    public JourneyScenario Profile(string id, int? level = null, string? timezone = null)
    {
        _profiles.Add([id, level is null ? null : (long)level, timezone]);
        return this;
    }

    public JourneyScenario Users(params string[] ids)
    {
        foreach (var id in ids) Profile(id);
        return this;
    }

    public JourneyScenario Event(string type, string user, string ts, params object?[] fields)
    {
        var symbol = Model.Schema.FindEvent(type) ?? throw new ArgumentException(type);
        var values = new object?[symbol.Fields.Length];
        values[0] = user;
        values[1] = Instant(ts);
        if (type == "order" && fields.Length == 0) fields = [$"o{++_orders}", 100m, "tv"];
        for (var i = 0; i < fields.Length; i++) values[2 + i] = fields[i];
        _events.Add((symbol, values));
        return this;
    }

    public static DateTime Instant(string text) =>
        DateTime.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);

    public ReplayStatistics Replay(string from, string to)
    {
        Data = InMemoryData.Build(Model.Schema, _profiles, _events);
        Actions.Clear();
        return JourneyReplay.Run(Model, Data, Instant(from), Instant(to), Actions.Add);
    }

    /// <summary>The actions as lines `yyyy-MM-dd HH:mm user journey what`, without wait bookkeeping.</summary>
    public List<string> Trace(string from, string to)
    {
        Replay(from, to);
        return [.. Actions.Select(Describe).OfType<string>()];
    }

    public static string? Describe(JourneyAction a)
    {
        var at = new DateTime(a.At, DateTimeKind.Utc).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
        string Line(UserRef u, string what) => $"{at} {u.Id} {a.Journey.Name} {what}";
        return a switch
        {
            EnteredAction e => Line(e.User, e.HeldOut ? "entered held-out" : "entered"),
            SuppressedAction s => Line(s.User, "suppressed " + s.Reason switch { SuppressionReason.AlreadyIn => "already_in",
                SuppressionReason.Reentry => "reentry", _ => "audience" }),
            ConvertedAction c => Line(c.User, "converted"),
            ExitedAction { Reason: ExitReason.Converted } => null,
            ExitedAction x => Line(x.User, x.Reason == ExitReason.EndOfSteps ? "done" : "exit"),
            SplitAssignedAction s => Line(s.User, $"split {s.Split.Name} → {s.Branch + 1}{(s.ByWinner ? " (winner)" : "")}"),
            SendAction s => Line(s.User, $"send {s.Send.Channel.Name} {s.Send.Template} " + s.Outcome switch
            {
                SendOutcome.Delivered => "delivered",
                SendOutcome.Deferred => "deferred until " + new DateTime(s.DeferredUntil!.Value,
                    DateTimeKind.Utc).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture),
                SendOutcome.Capped => "capped",
                _ => "held_out",
            }),
            WinnerChosenAction w => $"{at} {w.Journey.Name} winner {w.Split.Name} → {w.Branch + 1}",
            WinnerKeptSplitAction k => $"{at} {k.Journey.Name} no winner {k.Split.Name}: " +
                $"{MarketingDsl.Journeys.Measurement.ResultsJson.Reason(k.Decision.Reason)}",
            _ => null,
        };
    }
}
