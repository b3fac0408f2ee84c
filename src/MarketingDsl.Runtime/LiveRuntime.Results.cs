using System.Globalization;
using System.Text.Json;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Data;
using MarketingDsl.Journeys;
using MarketingDsl.Journeys.Measurement;

namespace MarketingDsl.Runtime;

/// <summary>
/// Results of the live runtime: every journey action is logged as a <see cref="MeasureEvent"/>
/// in the transaction that made it; channel feedback (POST /api/feedback, or schema events
/// `message_delivered|failed|opened|clicked` naming a journey and step) moves a send's state
/// sent → delivered → opened → clicked; <see cref="Results"/> runs <see cref="JourneyMetrics"/>
/// over the log, as replay does over its actions.
/// </summary>
public sealed partial class LiveRuntime
{
    /// <summary>
    /// The results of a journey over from &lt; at ≤ to (null: unknown journey). Attribution looks
    /// back one attribution window before <paramref name="fromUtc"/> for the sends that credit
    /// conversions in the window.
    /// </summary>
    public JourneyResults? Results(string journey, DateTime fromUtc, DateTime toUtc, AttributionOptions? attribution = null)
    {
        attribution ??= AttributionOptions.Default;
        SemanticModel model;
        List<MeasureEvent> events;
        lock (_gate)
        {
            model = _version.Model;
            if (!_version.JourneyIndex.ContainsKey(journey)) return null;
            var from = fromUtc.Ticks;
            events = _store.Measures(Math.Max(0, from - attribution.Window.Ticks), toUtc.Ticks);
            // Sends before the window only credit conversions in it: every other fact outside the window goes.
            events.RemoveAll(e => e.At <= from && e.Kind != MeasureKind.Sent);
            var credit = Attribution.Compute(events, attribution);
            events.RemoveAll(e => e.At <= from);
            return JourneyMetrics.Compute(model.Journeys.Where(j => j.Trigger is not null), events, Zone(model), attribution, credit)[journey];
        }
    }

    /// <summary>The workspace zone (days in results, schedules, the daily segment check): the settings' zone, UTC without `settings`.</summary>
    public static TimeZoneInfo Zone(SemanticModel model) => model.Schema.TimeZone is { } z ? TimeZoneInfo.FindSystemTimeZoneById(z)
        : TimeZoneInfo.Utc;

    /// <summary>
    /// Channel feedback, one result per item: {"key", "status": delivered|failed|opened|clicked,
    /// "at"?: instant (default: the runtime's clock, at least the send's instant)}. Idempotent: the
    /// same item again is a duplicate; a later stage implies the earlier ones (out-of-order receipts
    /// keep the earliest instant of each stage); engagement after a failure receipt proves delivery;
    /// a failure after delivery is refused. One transaction for the whole batch.
    /// </summary>
    public IReadOnlyList<IngestResult> IngestFeedback(JsonElement array)
    {
        if (array.ValueKind != JsonValueKind.Array) throw new FormatException("the body must be a JSON array");
        var items = array.EnumerateArray().ToList();
        lock (_gate)
        {
            return TransactionValue(() =>
            {
                var results = new List<IngestResult>(items.Count);
                for (var i = 0; i < items.Count; i++)
                {
                    if (ParseFeedback(items[i], out var key, out var status, out var at) is { } problem) { results.Add(new IngestResult(i,
                        IngestResult.Rejected, problem)); continue; }
                    results.Add(ApplyFeedback(i, key!, status!, at));
                }
                return (IReadOnlyList<IngestResult>)results;
            });
        }
    }

    private static string? ParseFeedback(JsonElement item, out string? key, out string? status, out long? at)
    {
        key = status = null;
        at = null;
        if (item.ValueKind != JsonValueKind.Object) return "a feedback item must be a JSON object";
        foreach (var p in item.EnumerateObject())
            if (p.Name is not ("key" or "status" or "at")) return $"unknown field '{p.Name}' (expected key, status, at)";
        if (!item.TryGetProperty("key", out var k) || k.ValueKind != JsonValueKind.String || k.GetString() is not { Length: > 0 } keyText)
            return "missing 'key' (the send's dedupe key, a string)";
        if (keyText.Length > Feedback.MaxKeyLength) return $"'key' is longer than {Feedback.MaxKeyLength} characters";
        if (!item.TryGetProperty("status", out var s) || s.ValueKind != JsonValueKind.String || !Feedback.Statuses.Contains(s.GetString()))
            return "'status' must be one of delivered, failed, opened, clicked";
        if (item.TryGetProperty("at", out var a) && a.ValueKind != JsonValueKind.Null)
        {
            if (a.ValueKind != JsonValueKind.String || !ValueParsers.TryParseTimestamp(a.GetString().AsSpan(), out var ticks))
                return "'at' must be an instant such as 2025-06-01T10:00:00Z";
            at = ticks;
        }
        key = keyText;
        status = s.GetString();
        return null;
    }

    /// <summary>Moves one send's state by a receipt (<see cref="Feedback.Apply"/>); inside the feedback or ingest transaction.</summary>
    private IngestResult ApplyFeedback(int index, string key, string status, long? at)
    {
        if (_store.FeedbackOf(key) is not { } f) return new IngestResult(index, IngestResult.Rejected, $"no send with key '{key}'");
        var (outcome, next, note) = Feedback.Apply(f, status, at ?? Math.Max(f.SentAt, _store.Counter("clock")));
        switch (outcome)
        {
            case FeedbackOutcome.Rejected: return new IngestResult(index, IngestResult.Rejected, note);
            case FeedbackOutcome.Duplicate: return new IngestResult(index, IngestResult.Duplicate);
            default:
                _store.SetFeedback(next);
                return new IngestResult(index, IngestResult.Accepted, note);
        }
    }

    /// <summary>
    /// A schema event `message_STATUS` with string fields `journey` and `step` (the user's latest
    /// send at that step) or `send_key`: feedback for that send at the event's ts. Events that name
    /// no known send change nothing (they stay stored as events).
    /// </summary>
    private void FeedbackFromEvent(ParsedEvent e)
    {
        // Apart, so that the field reader's closure is made only for the feedback events, not for every event.
        if (Feedback.StatusOf(e.Type) is { } status) FeedbackFromEvent(e, status);
    }

    private void FeedbackFromEvent(ParsedEvent e, string status)
    {
        var (key, journey, step) = Feedback.SendOf(e.Type, i => i < e.Values.Length ? e.Values[i] : null);
        if (key is null && journey is not null && step is not null) key = _store.LatestSendKey(e.User, journey, step, e.Ts);
        if (key is not null && key.Length <= Feedback.MaxKeyLength) ApplyFeedback(0, key, status, e.Ts);
    }
}
