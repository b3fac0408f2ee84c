using System.Text.Json;
using MarketingDsl.Engine.Data;

namespace MarketingDsl.Runtime;

/// <summary>Ingest of events: validation before the queue, de-duplication and the size bound per item, one request per POST.</summary>
public sealed partial class LiveRuntime
{
    /// <summary>Ingests events and delivers what they caused before returning (tests, tools).</summary>
    public IReadOnlyList<IngestResult> IngestEvents(JsonElement array)
    {
        var results = IngestEventsAsync(array).GetAwaiter().GetResult();
        Deliver();
        return results;
    }

    /// <summary>
    /// Ingests events: completes when they and their consequences are committed (durable), without
    /// holding a thread meanwhile (the HTTP path); delivery of the sends they caused follows in the
    /// background. Requests that queue while a transaction runs share the next one (group commit).
    /// </summary>
    public Task<IReadOnlyList<IngestResult>> IngestEventsAsync(JsonElement array) => IngestEventsAsync(RequestItems.Of(array));

    /// <summary>
    /// Ingests events given as the UTF-8 bytes of each item (<see cref="RequestItems"/>): each is
    /// validated from its bytes and stored as those bytes. The memory must stay unchanged until the task completes.
    /// </summary>
    public Task<IReadOnlyList<IngestResult>> IngestEventsAsync(IReadOnlyList<ReadOnlyMemory<byte>> items)
    {
        // Validation needs only the schema: it runs before the queue, in parallel with other requests.
        var request = new IngestRequest(items);
        request.Validate(_version.Validation, LatestEventTicks());
        lock (_queue)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            request.Enqueued = System.Diagnostics.Stopwatch.GetTimestamp();
            _queue.Add(request);
            Volatile.Write(ref _queuedRequests, _queue.Count);
            if (_committerWaitsForRequest) Monitor.Pulse(_queue);
            if (_committing) return request.Completion.Task;
            _committing = true;
        }
        _commitWake.Set();   // already set: it stays set, one wake
        return request.Completion.Task;
    }

    /// <summary>The latest ts an event may have now (the wall clock plus <see cref="LiveOptions.MaxFutureSkew"/>).</summary>
    private long LatestEventTicks() => FutureEvents.Limit(_options.Clock.GetUtcNow(), _options.MaxFutureSkew);

    private void Process(IngestRequest request)
    {
        // Validated against a version a reload has replaced since: validate again (event types are the new version's symbols).
        if (!ReferenceEquals(request.ValidatedBy, _version.Validation)) request.Validate(_version.Validation, LatestEventTicks());
        var seenInBatch = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < request.Results.Length; i++)
        {
            var (parsed, json) = request.Events[i];
            if (parsed is null) { request.Results[i] = request.Rejected[i]!; continue; }
            if (json.Length > LiveStore.MaxEventBytes)
            {
                request.Results[i] = IngestResult.RejectedBy(i, Core.Diagnostics.Catalogues.RowRejects.EventTooLarge(LiveStore.MaxEventBytes));
                continue;
            }
            if (parsed.Id is { } id && (!seenInBatch.Add(parsed.Type.Name + "\u001F" + id) || _store.HasEvent(parsed.Type.Name, id)))
            { request.Results[i] = new IngestResult(i, IngestResult.Duplicate); continue; }
            request.Results[i] = Accept(parsed, json, i);
        }
    }

    /// <summary>
    /// Fires the timers due before the event (due &lt; ts: at one instant events go first, §15.7),
    /// stores the event (attributed to the user it belongs to) and its channel feedback, then hands
    /// it to the journeys (<see cref="JourneyExecutor.OnEvent"/>).
    /// </summary>
    private IngestResult Accept(ParsedEvent e, ReadOnlyMemory<byte> json, int index)
    {
        FireTimers(e.Ts - 1);
        string? attributed = null;
        if (ResolveUser(e) is (var owner, { } by))
        {
            var values = (object?[])e.Values.Clone();
            values[0] = owner;
            attributed = by == "merged"
                ? $"attributed to user '{owner}': '{e.User}' was merged into it"
                : $"attributed to user '{owner}' by identity key '{by}'";
            e = e with { User = owner, Values = values };
        }
        var seq = _store.AddEvent(e.Type.Name, e.Id, e.User, e.Ts, json);
        if (e.Ts > _store.Counter("clock")) _store.SetCounter("clock", e.Ts);
        FeedbackFromEvent(e);
        if (!_executor.OnEvent(e, seq))
            return new IngestResult(index, IngestResult.Accepted, "no profile for this user yet: stored, not given to journeys");
        return new IngestResult(index, IngestResult.Accepted, attributed);
    }

    /// <summary>One POST of events waiting for (or done with) its group's transaction.</summary>
    private sealed class IngestRequest(IReadOnlyList<ReadOnlyMemory<byte>> items)
    {
        public readonly IngestResult?[] Rejected = new IngestResult?[items.Count];
        public readonly (ParsedEvent? Event, ReadOnlyMemory<byte> Json)[] Events = new (ParsedEvent?, ReadOnlyMemory<byte>)[items.Count];
        public readonly IngestResult[] Results = new IngestResult[items.Count];
        public readonly TaskCompletionSource<IReadOnlyList<IngestResult>> Completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public Exception? Error;
        public Validation? ValidatedBy;
        /// <summary>Stopwatch timestamps: queued, its group's transaction began, that transaction returned (CommitTimings).</summary>
        public long Enqueued, GroupStart, Committed;

        public void Validate(Validation validation, long latestTs)
        {
            for (var i = 0; i < items.Count; i++)
            {
                var parsed = validation.ParseEvent(items[i].Span, out var reason);
                if (parsed is not null && FutureEvents.Reject(parsed.Ts, latestTs) is { } future) { parsed = null; reason = future; }
                Rejected[i] = parsed is null ? IngestResult.RejectedBy(i, reason!) : null;
                Events[i] = (parsed, parsed is null ? default : items[i]);
            }
            ValidatedBy = validation;
        }
    }
}
