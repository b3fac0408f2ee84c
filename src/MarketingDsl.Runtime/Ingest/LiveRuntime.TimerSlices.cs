namespace MarketingDsl.Runtime;

public sealed partial class LiveOptions
{
    /// <summary>
    /// How much timer work one transaction does at most: timers fired, and users reached by a
    /// schedule's or the daily segment check's fan-out. What is due beyond it continues in the
    /// next transactions (the committer runs them between requests' groups), so no burst of due
    /// work, whatever the clock does, holds the lock that every request needs for longer than one slice.
    /// </summary>
    public int TimerSlice { get; init; } = DefaultTimerSlice;
    public const int DefaultTimerSlice = 2_000;
    /// <summary>A slice also ends after this much time (units differ in cost: a user read from the store costs more than a cached one).</summary>
    public TimeSpan TimerSliceTime { get; init; } = TimeSpan.FromMilliseconds(DefaultTimerSliceMilliseconds);
    public const int DefaultTimerSliceMilliseconds = 25;
    /// <summary>
    /// How much timer work a transaction that commits ingest requests does at most before them
    /// (never more than <see cref="TimerSlice"/>; in time, a tenth of <see cref="TimerSliceTime"/>):
    /// the requests' answers wait for it, so a backlog goes on in small steps between groups and,
    /// while no request waits, in whole slices of its own.
    /// </summary>
    public int TimerSliceWithRequests { get; init; } = DefaultTimerSliceWithRequests;
    public const int DefaultTimerSliceWithRequests = 200;
}

/// <summary>
/// Timer work in slices: each transaction may do at most <see cref="LiveOptions.TimerSlice"/> units
/// of it (timers fired, users reached by a fan-out), fewer before a group of requests; what is due
/// beyond continues in the next transactions. The executor takes the units (<see cref="ITimerBudget"/>);
/// the committer (LiveRuntime.GroupCommit.cs) reads whether work is left over.
/// </summary>
public sealed partial class LiveRuntime : ITimerBudget
{
    private int _timerWork;
    // Read by the committer outside the lock to decide whether to run another slice.
    private volatile bool _timerBacklog;
    private long _timerWorkDone;

    /// <summary>Whether the last transaction left due timer work for the next ones (its slice was used up).</summary>
    public bool TimerBacklog { get { lock (_gate) return _timerBacklog; } }

    /// <summary>Timer work done since the start: timers fired and users reached by fan-outs (tests and the load benchmark read it).</summary>
    public long TimerWorkDone { get { lock (_gate) return _timerWorkDone; } }

    /// <summary>How many segment memberships were evaluated since the start (tests show the incremental path by it).</summary>
    public long SegmentEvaluations { get { lock (_gate) return _executor.SegmentEvaluations; } }

    /// <summary>A transaction begins: a fresh slice of timer work.</summary>
    private void StartTimerSlice()
    {
        _timerWork = Math.Max(1, _options.TimerSlice);
        _sliceTime = _options.TimerSliceTime;
        _timerWorkTaken = 0;
        _yieldToRequests = false;
        _sliceStarted = System.Diagnostics.Stopwatch.GetTimestamp();
    }

    /// <summary>The transaction commits ingest requests: its slice shrinks to <see cref="LiveOptions.TimerSliceWithRequests"/>.</summary>
    private void LimitTimerSliceBeforeRequests()
    {
        _timerWork = Math.Min(_timerWork, Math.Max(1, _options.TimerSliceWithRequests));
        if (_sliceTime != Timeout.InfiniteTimeSpan) _sliceTime /= 10;
    }

    /// <summary>
    /// The transaction does timer work alone: once an ingest request is queued, it ends as soon as it
    /// has done what a transaction with requests may do before them (so its commit is worth its cost),
    /// and the request's group goes next.
    /// </summary>
    private void YieldTimerSliceToRequests() => _yieldToRequests = true;

    private long _sliceStarted;
    private TimeSpan _sliceTime;
    private int _timerWorkTaken;
    private bool _yieldToRequests;

    /// <summary>Whether the transaction that just ended used up its slice (more may be due).</summary>
    private bool SliceUsedUp => _timerWork <= 0;

    /// <summary>Takes one unit of the slice; false once it is used up (the caller leaves the rest for later).</summary>
    private bool TakeTimerWork()
    {
        // The clock is read every 16 units: a unit costs microseconds, reading the clock a good part of one.
        if (_timerWork > 0 && (_timerWork & 15) == 0 && _sliceTime != Timeout.InfiniteTimeSpan
            && System.Diagnostics.Stopwatch.GetElapsedTime(_sliceStarted) > _sliceTime) _timerWork = 0;
        // Timer work alone yields to a queued request once it has done as much as a transaction with
        // requests may do before them: every transaction's commit pays for a useful share of work.
        if (_yieldToRequests && Volatile.Read(ref _queuedRequests) > 0
            && (_timerWorkTaken >= Math.Max(1, _options.TimerSliceWithRequests) || _sliceTime != Timeout.InfiniteTimeSpan
                && System.Diagnostics.Stopwatch.GetElapsedTime(_sliceStarted) > _sliceTime / 10)) _timerWork = 0;
        if (_timerWork <= 0) { _timerBacklog = true; return false; }
        _timerWork--;
        _timerWorkTaken++;
        _timerWorkDone++;
        TimerUnitTaken?.Invoke(_timerWorkDone);
        return true;
    }

    /// <summary>
    /// Tests: called with <see cref="TimerWorkDone"/> as each unit of timer work is taken (on the
    /// committer's thread, under the lock).
    /// </summary>
    internal Action<long>? TimerUnitTaken { get; set; }

    /// <summary>
    /// One slice of the due timer work a used-up slice left (timers due before the latest event),
    /// in a transaction of its own: the committer runs it when no request is waiting, and it ends
    /// early when one arrives.
    /// </summary>
    private void FireBacklogSlice()
    {
        try
        {
            lock (_gate)
            {
                if (!_timerBacklog) return;
                var start = System.Diagnostics.Stopwatch.GetTimestamp();
                var cpu = CommitTimings.ThreadCpuNanos();
                var allocated = GC.GetAllocatedBytesForCurrentThread();
                Transaction(() =>
                {
                    YieldTimerSliceToRequests();
                    FireTimers(_store.Counter("clock") - 1);
                });
                Timings.Slice(System.Diagnostics.Stopwatch.GetTimestamp() - start, cpu < 0 ? -1 : CommitTimings.ThreadCpuNanos() - cpu,
                    _timerWorkTaken, GC.GetAllocatedBytesForCurrentThread() - allocated);
            }
        }
        // The transaction rolled back (caches rebuilt, backlog flag cleared); whatever failed, the
        // committer thread must go on serving requests: the next event tries the due work again.
        catch (Exception) { }
        _wakeDelivery?.Invoke();
    }

    bool ITimerBudget.Take() => TakeTimerWork();

    int ITimerBudget.Left => _timerWork;

    void ITimerBudget.CaughtUp() => _timerBacklog = false;

    /// <summary>The timer loop's round: fires every timer with now ≥ due + grace, in due order, slice by slice. Returns how many
    /// fired.</summary>
    public int FireDueTimers()
    {
        var limit = _options.Clock.GetUtcNow().UtcTicks - _options.Grace.Ticks;
        var fired = 0;
        while (true)
        {
            bool more;
            lock (_gate)
            {
                fired += TransactionValue(() => FireTimers(limit));
                more = SliceUsedUp && !_disposed;
            }
            if (!more) break;
            Thread.Yield();   // between slices, requests waiting for the lock go first
        }
        Deliver();
        return fired;
    }

    /// <summary>Fires the timers due up to <paramref name="maxDue"/> while the transaction's slice lasts (the executor's round).</summary>
    private int FireTimers(long maxDue) => _executor.FireTimers(maxDue);
}
