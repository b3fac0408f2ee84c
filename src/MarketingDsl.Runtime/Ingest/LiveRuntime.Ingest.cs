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
        request.Validate(_validation, LatestEventTicks());
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
        try { _commitWake.Release(); }
        catch (SemaphoreFullException) { }   // already woken
        return request.Completion.Task;
    }

    /// <summary>The latest ts an event may have now (the wall clock plus <see cref="LiveOptions.MaxFutureSkew"/>).</summary>
    private long LatestEventTicks() => FutureEvents.Limit(_options.Clock.GetUtcNow(), _options.MaxFutureSkew);

    private void Process(IngestRequest request)
    {
        // Validated against a version a reload has replaced since: validate again (event types are the new version's symbols).
        if (!ReferenceEquals(request.ValidatedBy, _validation)) request.Validate(_validation, LatestEventTicks());
        var seenInBatch = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < request.Results.Length; i++)
        {
            var (parsed, json) = request.Events[i];
            if (parsed is null) { request.Results[i] = request.Rejected[i]!; continue; }
            if (json.Length > LiveStore.MaxEventBytes)
            {
                request.Results[i] = new IngestResult(i, IngestResult.Rejected,
                    $"the event is larger than {LiveStore.MaxEventBytes:N0} bytes, the largest one event may be");
                continue;
            }
            if (parsed.Id is { } id && (!seenInBatch.Add(parsed.Type.Name + "\u001F" + id) || _store.HasEvent(parsed.Type.Name, id)))
            { request.Results[i] = new IngestResult(i, IngestResult.Duplicate); continue; }
            request.Results[i] = Accept(parsed, json, i);
        }
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
                if (parsed is not null && FutureEvents.Reason(parsed.Ts, latestTs) is { } future) { parsed = null; reason = future; }
                Rejected[i] = parsed is null ? new IngestResult(i, IngestResult.Rejected, reason) : null;
                Events[i] = (parsed, parsed is null ? default : items[i]);
            }
            ValidatedBy = validation;
        }
    }
}
