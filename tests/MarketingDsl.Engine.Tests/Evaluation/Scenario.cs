using System.Globalization;
using MarketingDsl.Core;
using MarketingDsl.Core.Diagnostics;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Data;
using MarketingDsl.Engine.Evaluation;

namespace MarketingDsl.Engine.Tests.Evaluation;

/// <summary>A small hand-made workspace plus in-memory data, evaluated by the reference interpreter.</summary>
public sealed class Scenario
{
    public const string Schema = """
        schema {
          profile {
            user_id: string key
            birthday: date?
            child_birthday: date?
            registered_at: datetime?
            score: decimal?
            level: int?
            name: string?
          }
          event order {
            order_id: string unique
            amount: decimal?
            category: string?
            coupon_used: bool?
          }
          event login { platform: string? }
        }

        """;

    private readonly List<object?[]> _profiles = [];
    private readonly List<(EventTypeSymbol, object?[])> _events = [];

    public Scenario(string declarations, string? settings = null)
    {
        Compilation = Compilation.Create(("schema.mdsl", (settings ?? "") + Schema), ("tags.mdsl", declarations));
        var errors = Compilation.Diagnostics.Where(d => d.IsError).ToList();
        Assert.True(errors.Count == 0, DiagnosticWriter.ToText(errors, Compilation.Workspace.Files));
    }

    public Compilation Compilation { get; }
    public SemanticModel Model => Compilation.Model;
    public DataSet? Data { get; private set; }
    public EvaluationResult? Result { get; private set; }

    public Scenario Profile(string id, params (string Field, object? Value)[] fields)
    {
        var values = new object?[Model.Schema.ProfileFields.Length];
        values[Model.Schema.ProfileOrdinalOf("user_id")] = id;
        foreach (var (field, value) in fields)
        {
            var at = Model.Schema.ProfileOrdinalOf(field);
            Assert.True(at >= 0, $"no profile field {field}");
            values[at] = value;
        }
        _profiles.Add(values);
        return this;
    }

    public Scenario Event(string type, string user, string ts, params (string Field, object? Value)[] fields)
    {
        var ev = Model.Schema.FindEvent(type) ?? throw new ArgumentException(type);
        var values = new object?[ev.Fields.Length];
        values[0] = user;
        values[1] = Time(ts);
        foreach (var (field, value) in fields)
        {
            var at = ev.OrdinalOf(field);
            Assert.True(at >= 0, $"no field {field} in {type}");
            values[at] = value;
        }
        _events.Add((ev, values));
        return this;
    }

    /// <summary>An order with a fresh order_id.</summary>
    public Scenario Order(string user, string ts, decimal? amount = null, string? category = null, bool? coupon = null, string? id = null) =>
        Event("order", user, ts, ("order_id", id ?? $"o{_events.Count + 1}"), ("amount", amount), ("category", category), ("coupon_used", coupon));

    public Scenario Login(string user, string ts, string? platform = null) => Event("login", user, ts, ("platform", platform));

    public Scenario Evaluate(string asOf)
    {
        Data = InMemoryData.Build(Model.Schema, _profiles, _events);
        Result = new ReferenceInterpreter().Evaluate(Model, Data, Time(asOf));
        return this;
    }

    public object? this[string tag, string user]
    {
        get
        {
            Assert.NotNull(Result);
            var index = Data!.IndexOfUser(user);
            Assert.True(index >= 0, $"no user {user}");
            return Result.Column(tag).Get(index);
        }
    }

    public static DateTime Time(string iso) =>
        DateTime.Parse(iso, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);

    public static DateOnly Date(string iso) => DateOnly.ParseExact(iso, "yyyy-MM-dd", CultureInfo.InvariantCulture);
}
