using System.Globalization;
using MarketingDsl.Core.Semantics;

namespace MarketingDsl.Journeys.Measurement;

/// <summary>A send's channel feedback as recorded: when it was delivered, failed, opened, clicked (UTC ticks; a later stage implies the
/// earlier ones).</summary>
public sealed record SendFeedback(string Key, long SentAt, long? DeliveredAt, long? FailedAt, long? OpenedAt, long? ClickedAt)
{
    /// <summary>The furthest stage reached: sent, delivered, opened, clicked (failed only while never delivered).</summary>
    public string State => ClickedAt is not null ? "clicked" : OpenedAt is not null ? "opened" : DeliveredAt is not null ? "delivered"
        : FailedAt is not null ? "failed" : "sent";
}

/// <summary>What one receipt did to a send's feedback.</summary>
public enum FeedbackOutcome { Accepted, Duplicate, Rejected }

/// <summary>
/// Channel feedback (LANGUAGE.md §15.8): the one rule of the live runtime (POST /api/feedback and
/// `message_*` events) and of replay (the history's `message_*` events), so both measure a send's
/// receipts alike. A send's state moves sent → delivered → opened → clicked; a later stage implies
/// the earlier ones at its instant, a late receipt of an earlier stage keeps the earliest instant,
/// `failed` counts only while the send was never delivered.
/// </summary>
public static class Feedback
{
    /// <summary>Feedback statuses, in the order a send moves through them (failed stands beside delivered).</summary>
    public static readonly IReadOnlyList<string> Statuses = ["delivered", "failed", "opened", "clicked"];
    /// <summary>Schema event types that carry feedback: `message_` + a status, with string fields `journey` and `step` (or `send_key`).</summary>
    public const string EventPrefix = "message_";
    public const int MaxKeyLength = 1000;

    /// <summary>A send's dedupe key: journey | user | entry instant | step path (outbox, feedback).</summary>
    public static string SendKey(string journey, string user, long entryAt, string path) => string.Join('|', journey, user, Iso(entryAt), path);

    private static string Iso(long ticks) => new DateTime(ticks, DateTimeKind.Utc).ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'",
        CultureInfo.InvariantCulture);

    /// <summary>The status an event of <paramref name="type"/> reports (`message_opened`: opened); null when it is no feedback event.</summary>
    public static string? StatusOf(EventTypeSymbol type) =>
        type.Name.StartsWith(EventPrefix, StringComparison.Ordinal) && Statuses.Contains(type.Name[EventPrefix.Length..])
            ? type.Name[EventPrefix.Length..] : null;

    /// <summary>
    /// The send a feedback event names: its `send_key` field, else its `journey` and `step` fields
    /// (the host finds the user's latest send at that step up to the event); strings only.
    /// </summary>
    public static (string? Key, string? Journey, string? Step) SendOf(EventTypeSymbol type, Func<int, object?> field)
    {
        string? Text(string name) => type.OrdinalOf(name) is >= 0 and var i ? field(i) as string : null;
        return Text("send_key") is { } key ? (key, null, null) : (null, Text("journey"), Text("step"));
    }

    /// <summary>One receipt of <paramref name="status"/> at <paramref name="at"/>: the outcome, the send's feedback after it, and a note or
    /// the reason of a refusal.</summary>
    public static (FeedbackOutcome Outcome, SendFeedback Feedback, string? Note) Apply(SendFeedback f, string status, long at)
    {
        if (at < f.SentAt)
            return (FeedbackOutcome.Rejected, f, $"'at' is before the send ({Iso(f.SentAt)})");
        if (status == "failed")
        {
            if (f.DeliveredAt is not null) return (FeedbackOutcome.Rejected, f, $"the send was already {f.State}: a failure cannot follow");
            return f.FailedAt is not null ? (FeedbackOutcome.Duplicate, f, null) : (FeedbackOutcome.Accepted, f with { FailedAt = at }, null);
        }
        var stage = status switch { "delivered" => 0, "opened" => 1, "clicked" => 2, _ => throw new ArgumentException($"unknown status '{status}'") };
        long?[] times = [f.DeliveredAt, f.OpenedAt, f.ClickedAt];
        if (times[stage] is { } known && known <= at) return (FeedbackOutcome.Duplicate, f, null);
        string? note = times[stage] is not null ? "earlier than the instant a later stage implied: kept" : null;
        // This stage and every earlier one happened no later than at.
        for (var s = 0; s <= stage; s++) times[s] = times[s] is { } x ? Math.Min(x, at) : at;
        if (f.FailedAt is not null) note = "engagement proves delivery: the earlier failure receipt no longer counts";
        return (FeedbackOutcome.Accepted, f with { DeliveredAt = times[0], OpenedAt = times[1], ClickedAt = times[2] }, note);
    }

    /// <summary>The measurement events of a send's feedback (delivered, failed while never delivered, opened, clicked) with
    /// from &lt; at ≤ to.</summary>
    public static void AddEvents(MeasureEvent send, SendFeedback f, long fromTicks, long toTicks, List<MeasureEvent> into)
    {
        Add(MeasureKind.Delivered, f.DeliveredAt);
        Add(MeasureKind.Failed, f.DeliveredAt is null ? f.FailedAt : null);
        Add(MeasureKind.Opened, f.OpenedAt);
        Add(MeasureKind.Clicked, f.ClickedAt);

        void Add(MeasureKind kind, long? at)
        {
            if (at is { } t && t > fromTicks && t <= toTicks) into.Add(send with { At = t, Kind = kind, Cost = 0 });
        }
    }

    /// <summary>The events and the feedback in one time-ordered list: a stable merge by time, feedback after the events of its
    /// instant.</summary>
    public static List<MeasureEvent> Merge(IReadOnlyList<MeasureEvent> events, IReadOnlyList<MeasureEvent> feedback) =>
        feedback.Count == 0 ? [.. events]
            : [.. events.Concat(feedback).Select((e, i) => (e, i)).OrderBy(x => x.e.At).ThenBy(x => x.i).Select(x => x.e)];
}

/// <summary>
/// The feedback of a replay's sends, from the history's `message_*` events by <see cref="Feedback"/>'s
/// rule, as the live runtime keeps it: a send owns its key unless an earlier send took it (the
/// outbox keeps the first); an event naming a journey and step reaches the user's latest send
/// there so far (none when that send has no key).
/// </summary>
public sealed class FeedbackLedger
{
    private readonly Dictionary<string, (MeasureEvent Send, SendFeedback Feedback)> _byKey = new(StringComparer.Ordinal);
    private readonly Dictionary<(string User, string Journey, string Step), string?> _latest = [];

    /// <summary>A send handed to its channel (a <see cref="MeasureKind.Sent"/> event).</summary>
    public void OnSent(MeasureEvent send)
    {
        var key = Feedback.SendKey(send.Journey, send.User, send.EntryAt, send.Step!);
        var owns = _byKey.TryAdd(key, (send, new SendFeedback(key, send.At, null, null, null, null)));
        _latest[(send.User, send.Journey, send.Step!)] = owns ? key : null;
    }

    /// <summary>An event of the history: feedback when its type is a `message_*` type naming a known send.</summary>
    public void OnEvent(EventTypeSymbol type, string user, long ts, Func<int, object?> field)
    {
        if (Feedback.StatusOf(type) is not { } status) return;
        var (key, journey, step) = Feedback.SendOf(type, field);
        if (key is null && journey is not null && step is not null) key = _latest.GetValueOrDefault((user, journey, step));
        if (key is null || key.Length > Feedback.MaxKeyLength || !_byKey.TryGetValue(key, out var entry)) return;
        var (outcome, next, _) = Feedback.Apply(entry.Feedback, status, ts);
        if (outcome == FeedbackOutcome.Accepted) _byKey[key] = (entry.Send, next);
    }

    /// <summary>The measurement events of every send's feedback with from &lt; at ≤ to, sends in the order they went.</summary>
    public List<MeasureEvent> Events(long fromTicks, long toTicks)
    {
        var events = new List<MeasureEvent>();
        foreach (var (send, feedback) in _byKey.Values) Feedback.AddEvents(send, feedback, fromTicks, toTicks, events);
        return events;
    }
}
