namespace MarketingDsl.Runtime;

/// <summary>Group commit: one committer thread commits the queued requests group by group; one answering thread completes them once
/// durable.</summary>
public sealed partial class LiveRuntime
{
    // The committer is a thread of its own, not a thread-pool work item: a commit blocks (SQLite's
    // writes, the fsync), and a blocked pool thread would starve the requests' continuations until
    // the pool added threads. It sleeps on an event, not a SemaphoreSlim: that one spins (sched_yield)
    // before it blocks, and on a small machine those spins take the cores the requests need.
    private readonly AutoResetEvent _commitWake = new(false);
    /// <summary>How many ingest requests wait for the committer (read without the queue's lock: timer work alone yields to them).</summary>
    private int _queuedRequests;
    private Thread? _committer;
    private volatile bool _stopCommitter;

    private void StartCommitter()
    {
        _store.StartBackgroundCheckpoints(c => Timings.Checkpoint((long)(c.Took.TotalSeconds * System.Diagnostics.Stopwatch.Frequency), c.LogFrames));
        _committer = new Thread(() =>
        {
            while (true)
            {
                // No group for IdleCheckpointAfter: ingest has paused (not merely "the queue is empty
                // right after a commit", which under closed-loop clients is always true: they wait
                // for the answers of the group just committed), so a small checkpoint costs no one.
                if (!_commitWake.WaitOne(IdleCheckpointAfter))
                {
                    if (_stopCommitter) return;
                    // A reader that held the log (a tags query, the background checkpoint) is waited
                    // out: tried again each interval of the pause, a bounded number of times.
                    var woken = false;
                    for (var attempt = 1; !TruncateLogWhileIdle() && attempt < IdleCheckpointAttempts && !woken; attempt++)
                    {
                        woken = _commitWake.WaitOne(IdleCheckpointAfter);
                        if (_stopCommitter) return;
                    }
                    if (!woken) _commitWake.WaitOne();
                }
                if (_stopCommitter) return;
                CommitLoop();
            }
        }) { IsBackground = true, Name = "mdsl committer" };
        _committer.Start();
        _answerer = new Thread(AnswerLoop) { IsBackground = true, Name = "mdsl answerer" };
        _answerer.Start();
    }

    /// <summary>
    /// One committer at a time: commits the queued requests group by group until the queue is empty
    /// and no due timer work is left.
    /// </summary>
    /// <remarks>
    /// Timer work a transaction left over (<see cref="LiveOptions.TimerSliceWithRequests"/> per group)
    /// rides in the next group's commit while requests flow: a commit of timer work alone costs an
    /// fsync that every request arriving meanwhile waits for. The committer waits up to
    /// <see cref="LiveOptions.TimerRideWait"/> for that next request; timer work commits alone
    /// when none comes (ingest is idle) or when the left-over work has been waiting longer than
    /// <see cref="LiveOptions.TimerLateAfter"/> (it then alternates with the groups, each timer-only
    /// transaction yielding to a queued request), so it is never starved.
    /// </remarks>
    private void CommitLoop()
    {
        var requestsFlowing = false;
        while (true)
        {
            List<IngestRequest> group;
            var late = false;
            lock (_queue)
            {
                if (_queue.Count == 0 && requestsFlowing && _timerBacklog && !_disposed && !(late = TimerBacklogLate()))
                {
                    _committerWaitsForRequest = true;
                    Monitor.Wait(_queue, _options.TimerRideWait);
                    _committerWaitsForRequest = false;
                }
                if (_queue.Count == 0)
                {
                    if (!_timerBacklog || _disposed) { _committing = false; return; }
                    group = [];
                }
                else group = TakeGroup();
            }
            // No request came: one slice of the due timer work alone, then look at the queue again.
            if (group.Count == 0)
            {
                if (late) Timings.LateSlice();
                requestsFlowing = false;
                FireBacklogSlice();
                NoteTimerBacklog();
                continue;
            }
            requestsFlowing = true;
            lock (_gate) CommitGroup(group);
            NoteTimerBacklog();
            // The group is committed and on disk: the answering thread completes its requests
            // while this thread already takes the next group (the store's checkpoint thread copies
            // the log beside it).
            _answerQueue.Add(group);
        }
    }

    /// <summary>
    /// Under the queue's lock: the queued requests in arrival order, as many as fit in
    /// <see cref="LiveOptions.MaxGroupEvents"/> events (at least one); the rest wait for the next
    /// group, first in line. Every request of a group waits for the whole group, so a bound on
    /// its events is a bound on that wait, whatever backlog a stall left.
    /// </summary>
    private List<IngestRequest> TakeGroup()
    {
        var count = 0;
        for (var events = 0; count < _queue.Count; count++)
        {
            events += _queue[count].Results.Length;
            if (count > 0 && events > _options.MaxGroupEvents) break;
        }
        var group = _queue.GetRange(0, count);
        _queue.RemoveRange(0, count);
        Volatile.Write(ref _queuedRequests, _queue.Count);
        return group;
    }

    /// <summary>The committer waits (on the queue's monitor) for a request to carry left-over timer work; ingest pulses it.</summary>
    private bool _committerWaitsForRequest;
    /// <summary>Since when (a Stopwatch timestamp) due timer work has been left over without a pause; 0: none is.</summary>
    private long _timerBacklogSince;

    private void NoteTimerBacklog()
    {
        if (!_timerBacklog) _timerBacklogSince = 0;
        else if (_timerBacklogSince == 0) _timerBacklogSince = System.Diagnostics.Stopwatch.GetTimestamp();
    }

    private bool TimerBacklogLate() =>
        _timerBacklogSince != 0 && System.Diagnostics.Stopwatch.GetElapsedTime(_timerBacklogSince) > _options.TimerLateAfter;

    private readonly System.Collections.Concurrent.BlockingCollection<List<IngestRequest>> _answerQueue = [];
    private Thread? _answerer;

    /// <summary>
    /// Answers the requests of committed groups (their commit returned: they are on disk), in
    /// commit order, off the committer's thread.
    /// </summary>
    private void AnswerLoop()
    {
        var groups = new List<List<IngestRequest>>();
        foreach (var first in _answerQueue.GetConsumingEnumerable())
        {
            groups.Add(first);
            while (_answerQueue.TryTake(out var more)) groups.Add(more);
            Volatile.Write(ref _lastIngestCommit, Environment.TickCount64);
            foreach (var request in groups.SelectMany(g => g))
            {
                if (request.Error is { } error) request.Completion.TrySetException(error);
                else request.Completion.TrySetResult(request.Results);
            }
            Timings.Requests(groups.SelectMany(g => g).Select(r => (r.Enqueued, r.GroupStart, r.Committed)),
                System.Diagnostics.Stopwatch.GetTimestamp());
            groups.Clear();
            // Delivery runs outside ingest: wake the delivery loop (the sync IngestEvents delivers itself).
            _wakeDelivery?.Invoke();
        }
    }

    /// <summary>How long the committer has had no group before it empties the write-ahead log's file.</summary>
    public static readonly TimeSpan IdleCheckpointAfter = TimeSpan.FromMilliseconds(100);

    /// <summary>How many times, one <see cref="IdleCheckpointAfter"/> apart, a pause tries to empty a log that readers held.</summary>
    private const int IdleCheckpointAttempts = 100;

    /// <summary>
    /// After ingest has paused: the log's file is emptied (LiveStore.TruncateLogIfDue) on the
    /// writer's connection; a request arriving meanwhile queues for the next group as during a commit.
    /// Returns whether nothing is left to do (emptied, or under the size worth emptying).
    /// </summary>
    private bool TruncateLogWhileIdle()
    {
        try
        {
            lock (_gate)
            {
                var start = System.Diagnostics.Stopwatch.GetTimestamp();
                if (_store.TruncateLogIfDue())
                {
                    Timings.IdleCheckpoint(System.Diagnostics.Stopwatch.GetTimestamp() - start);
                    return true;
                }
                return _store.LogBytes < LiveStore.IdleCheckpointBytes;
            }
        }
        // A failed checkpoint loses nothing (the log still holds every commit; it is tried again);
        // it must not stop the committer.
        catch (Exception ex) when (ex is IOException or Microsoft.Data.Sqlite.SqliteException)
        {
            return false;
        }
    }

    /// <summary>
    /// Group commit: every request of the group in one transaction. When it fails, each request runs
    /// again in a transaction of its own, so one failing request fails no other.
    /// </summary>
    /// <remarks>
    /// Groups are not pipelined (processing group N+1 while group N's COMMIT and fsync run): with
    /// journeys the processing, not the commit wait, takes most of the committer's time
    /// (<see cref="CommitTimings"/> shows both per group), so the overlap would gain little, while
    /// N+1 would have to read N's writes before they are committed — on one SQLite connection
    /// that means a second connection reading uncommitted data or a copy of every write in memory.
    /// Group sizes adapt instead: a slow group lets more requests queue for the next, up to
    /// <see cref="LiveOptions.MaxGroupEvents"/> (<see cref="TakeGroup"/>).
    /// </remarks>
    private void CommitGroup(List<IngestRequest> group)
    {
        try
        {
            var start = System.Diagnostics.Stopwatch.GetTimestamp();
            var cpu = CommitTimings.ThreadCpuNanos();
            var gcPaused = GC.GetTotalPauseDuration();
            var allocated = GC.GetAllocatedBytesForCurrentThread();
            foreach (var request in group) request.GroupStart = start;
            var timersEnded = start;
            Transaction(() =>
            {
                LimitTimerSliceBeforeRequests();
                FireLeftOverTimers();
                timersEnded = System.Diagnostics.Stopwatch.GetTimestamp();
                foreach (var request in group) Process(request);
            });
            var committed = System.Diagnostics.Stopwatch.GetTimestamp();
            foreach (var request in group) request.Committed = committed;
            Timings.Group(group.Sum(r => r.Results.Length), _bodyEnded - start, committed - _bodyEnded,
                cpu < 0 ? -1 : CommitTimings.ThreadCpuNanos() - cpu, _timerWorkTaken, (GC.GetTotalPauseDuration() - gcPaused).Ticks,
                GC.GetAllocatedBytesForCurrentThread() - allocated, timersEnded - start);
        }
        catch (Exception) when (group.Count > 1)
        {
            foreach (var request in group)
            {
                try
                {
                    Transaction(() =>
                    {
                        LimitTimerSliceBeforeRequests();
                        FireLeftOverTimers();
                        Process(request);
                    });
                }
                catch (Exception ex) { request.Error = ex; }
                request.Committed = System.Diagnostics.Stopwatch.GetTimestamp();
            }
        }
        catch (Exception ex)
        {
            group[0].Error = ex;
        }
    }

    /// <summary>
    /// A group's transaction first takes its share of the timer work left over (due before the
    /// latest event, so before this group's events in time), whatever its events are: duplicates,
    /// rejected or late events fire no timers of their own, and riding work must still move.
    /// </summary>
    private void FireLeftOverTimers()
    {
        if (_timerBacklog) FireTimers(_store.Counter("clock") - 1);
    }
}
