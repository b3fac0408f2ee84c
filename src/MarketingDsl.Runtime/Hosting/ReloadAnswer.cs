using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace MarketingDsl.Runtime;

/// <summary>
/// What a reload did (or, as <see cref="ReloadPreviewAnswer"/>, would do), as JSON: one type for the runtime's
/// <c>POST /api/workspace/reload</c> and the editor's publish API. Each API writes it with its own naming policy — the
/// runtime's in snake_case (<see cref="SnakeCase"/>: <c>in_flight</c>, <c>steps_changed</c>, <c>user_id</c>, as
/// LANGUAGE.md §15.7 documents), the editor's in camelCase like every editor answer — so the fields and their meaning
/// are written once.
/// </summary>
public record ReloadAnswer
{
    /// <summary>The runtime's own answers say whether they installed the version (the editor's say it by their status).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? Reloaded { get; init; }
    public int Journeys { get; init; }
    public int Continued { get; init; }
    /// <summary>Of <see cref="Continued"/>, the users who continue at the equivalent wait at another step path.</summary>
    public int Moved { get; init; }
    /// <summary>The ends, at most the number the API lists.</summary>
    public IReadOnlyList<JourneyEndAnswer> Ended { get; init; } = [];

    /// <summary>The runtime API's names: <c>steps_changed</c>, <c>in_flight</c>, <c>user_id</c>.</summary>
    public static readonly JsonSerializerOptions SnakeCase =
        new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static ReloadAnswer From(ReloadReport report, int maxEnds = int.MaxValue) => new()
    {
        Journeys = report.Journeys, Continued = report.Continued, Moved = report.Moved, Ended = JourneyEndAnswer.List(report.Ended, maxEnds),
    };
}

/// <summary>A dry run's answer (<see cref="LiveRuntime.Preview"/>): the reload's counts and ends, and what changes.</summary>
public record ReloadPreviewAnswer : ReloadAnswer
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? DryRun { get; init; }
    public IReadOnlyList<string> Added { get; init; } = [];
    public IReadOnlyList<string> Removed { get; init; } = [];
    /// <summary>Journeys whose waits or sends changed.</summary>
    public IReadOnlyList<string> StepsChanged { get; init; } = [];
    /// <summary>Users in flight per journey of the running version, before the reload.</summary>
    public IReadOnlyDictionary<string, int> InFlight { get; init; } = new Dictionary<string, int>();

    public static ReloadPreviewAnswer From(ReloadPreview preview, int maxEnds = int.MaxValue) => new()
    {
        Journeys = preview.Journeys, Continued = preview.Continued, Moved = preview.Moved, Ended = JourneyEndAnswer.List(preview.Ended, maxEnds),
        Added = preview.Added, Removed = preview.Removed, StepsChanged = preview.StepsChanged, InFlight = preview.InFlight,
    };
}

/// <summary>One journey state ended by a reload: the runtime's clock as ISO 8601 UTC (null before its first event).</summary>
public sealed record JourneyEndAnswer(string Journey, string UserId, string? At, string Reason, string Detail)
{
    public static JourneyEndAnswer From(JourneyEnd end) => new(end.Journey, end.User,
        end.At == 0 ? null : new DateTime(end.At, DateTimeKind.Utc).ToString("O", CultureInfo.InvariantCulture), end.Reason, end.Detail);

    public static IReadOnlyList<JourneyEndAnswer> List(IEnumerable<JourneyEnd> ends, int max = int.MaxValue) => [.. ends.Take(max).Select(From)];
}
