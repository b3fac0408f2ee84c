using System.Diagnostics;

namespace MarketingDsl.Runtime;

/// <summary>
/// Where the committer's time goes, per ingest group: its size, the processing of its requests
/// (journeys, states, outbox lines) and the store's commit (SQLite's COMMIT with its fsync of
/// the write-ahead log) under the runtime's lock, the collector's pauses inside it; per request,
/// where its time on the server went (queued, in its group, waiting for its answer); the
/// checkpoints of the write-ahead log. The last <see cref="Capacity"/> groups and requests are
/// kept; the load benchmark prints their percentiles. Costs a few timestamps per group and request.
/// </summary>
public sealed class CommitTimings
{
    public const int Capacity = 1 << 16;
    private readonly Lock _gate = new();
    private readonly (int Size, long Process, long Commit, long CpuNanos, long GcPause)[] _groups = new (int, long, long, long, long)[Capacity];
    private readonly (long Queued, long InGroup, long Answer)[] _requests = new (long, long, long)[Capacity];
    private long _groupCount, _requestCount, _checkpoints, _checkpointTicks, _maxCheckpointTicks, _idleCheckpoints, _idleCheckpointTicks;
    private long _maxLogFrames, _events, _groupCpuNanos, _slices, _sliceCpuNanos, _sliceTicks;
    private long _groupTimerUnits, _sliceTimerUnits, _groupsWithTimerWork, _lateSlices, _since = Stopwatch.GetTimestamp();
    /// <summary>
    /// Bytes the transactions allocated, counted on their thread (GC.GetAllocatedBytesForCurrentThread): the process's count
    /// (GC.GetTotalAllocatedBytes) sums the server collector's active heaps only, and DATAS changes their number, so it went
    /// down or jumped between two readings (dotnet/runtime#131069).
    /// </summary>
    private long _allocatedBytes;

    /// <summary>A committed group: its events, processing and commit (Stopwatch ticks), the committer's CPU, its timer work (units, and
    /// the part of the processing they took), the collector's pause meanwhile (TimeSpan ticks), the bytes it allocated.</summary>
    internal void Group(int size, long processTicks, long commitTicks, long cpuNanos, int timerUnits, long gcPauseTicks, long allocatedBytes,
        long timerTicks)
    {
        lock (_gate)
        {
            KeepIfSlowest(new SlowGroup(size, timerUnits, timerTicks, processTicks, commitTicks, gcPauseTicks));
            _allocatedBytes += allocatedBytes;
            _groups[_groupCount++ % Capacity] = (size, processTicks, commitTicks, cpuNanos, gcPauseTicks);
            _events += size;
            _groupCpuNanos += Math.Max(0, cpuNanos);
            _groupTimerUnits += timerUnits;
            if (timerUnits > 0) _groupsWithTimerWork++;
        }
    }

    /// <summary>One of the slowest groups, by wall time: its events, its timer work (units, Stopwatch ticks), processing and commit,
    /// the collector's pause inside it (TimeSpan ticks).</summary>
    private readonly record struct SlowGroup(int Size, int TimerUnits, long TimerTicks, long ProcessTicks, long CommitTicks, long GcPause)
    {
        public long Wall => ProcessTicks + CommitTicks;
    }

    /// <summary>How many of the slowest groups <see cref="Summary"/> takes apart: a p99 is often one stall, and which part of a group
    /// it was in (timer work, the requests, the commit, the collector) says where to look.</summary>
    public const int SlowestKept = 5;
    private readonly List<SlowGroup> _slowest = [];

    private void KeepIfSlowest(SlowGroup group)
    {
        if (_slowest.Count == SlowestKept && group.Wall <= _slowest[^1].Wall) return;
        var at = _slowest.FindIndex(g => g.Wall < group.Wall);
        _slowest.Insert(at < 0 ? _slowest.Count : at, group);
        if (_slowest.Count > SlowestKept) _slowest.RemoveAt(SlowestKept);
    }

    /// <summary>A transaction of timer work alone (no request waited for it): its wall time, the committer's CPU, its units of timer work, the
    /// bytes it allocated.</summary>
    internal void Slice(long ticks, long cpuNanos, int timerUnits, long allocatedBytes)
    {
        lock (_gate)
        {
            _slices++;
            _sliceTicks += ticks;
            _sliceCpuNanos += Math.Max(0, cpuNanos);
            _sliceTimerUnits += timerUnits;
            _allocatedBytes += allocatedBytes;
        }
    }

    /// <summary>A timer-only transaction follows a group because the left-over work was late (not because ingest was idle).</summary>
    internal void LateSlice()
    {
        lock (_gate) _lateSlices++;
    }

    /// <summary>Commits of ingest groups since the start or the last <see cref="Reset"/>.</summary>
    public long GroupCommits { get { lock (_gate) return _groupCount; } }

    /// <summary>Commits of timer work alone (each its own fsync) since the start or the last <see cref="Reset"/>.</summary>
    public long TimerOnlyCommits { get { lock (_gate) return _slices; } }

    /// <summary>Units of timer work done in the transactions of ingest groups (riding on their commits).</summary>
    public long TimerUnitsInGroups { get { lock (_gate) return _groupTimerUnits; } }

    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out Timespec time);

    /// <summary>
    /// The CPU time the calling thread has used (Linux: CLOCK_THREAD_CPUTIME_ID), -1 elsewhere:
    /// against the wall time of a group it tells computing from waiting for a core, a lock or the disk.
    /// </summary>
    internal static long ThreadCpuNanos()
    {
        if (!OperatingSystem.IsLinux()) return -1;
        return ClockGetTime(3, out var time) == 0 ? time.Seconds * 1_000_000_000 + time.Nanoseconds : -1;
    }

    /// <summary>
    /// Answered requests (Stopwatch timestamps): queued at <c>Enqueued</c>, their group's
    /// transaction began at <c>GroupStart</c> and returned at <c>Committed</c>, answered at <paramref name="answered"/>.
    /// </summary>
    internal void Requests(IEnumerable<(long Enqueued, long GroupStart, long Committed)> requests, long answered)
    {
        lock (_gate)
            foreach (var (enqueued, groupStart, committed) in requests)
                _requests[_requestCount++ % Capacity] = (groupStart - enqueued, committed - groupStart, answered - committed);
    }

    /// <summary>A checkpoint of the write-ahead log beside the committer (its own connection): its wall time, the log's frames when it
    /// began.</summary>
    internal void Checkpoint(long ticks, long logFrames)
    {
        lock (_gate)
        {
            _checkpoints++;
            _checkpointTicks += ticks;
            _maxCheckpointTicks = Math.Max(_maxCheckpointTicks, ticks);
            _maxLogFrames = Math.Max(_maxLogFrames, logFrames);
        }
    }

    /// <summary>A checkpoint the committer ran itself once ingest paused (emptying the log's file).</summary>
    internal void IdleCheckpoint(long ticks)
    {
        lock (_gate) { _idleCheckpoints++; _idleCheckpointTicks += ticks; }
    }

    /// <summary>Checkpoints run beside the committer since the start or the last <see cref="Reset"/>.</summary>
    public long BackgroundCheckpoints { get { lock (_gate) return _checkpoints; } }

    /// <summary>Events of each committed group kept (the last <see cref="Capacity"/>), in commit order.</summary>
    public int[] GroupSizes()
    {
        lock (_gate)
        {
            var kept = (int)Math.Min(_groupCount, Capacity);
            return [.. Enumerable.Range(0, kept).Select(i => _groups[(_groupCount - kept + i) % Capacity].Size)];
        }
    }

    /// <summary>Forgets every sample (a benchmark's warm-up).</summary>
    public void Reset()
    {
        lock (_gate)
        {
            _groupCount = _requestCount = _checkpoints = _checkpointTicks = _maxCheckpointTicks = _idleCheckpoints = _idleCheckpointTicks = 0;
            _maxLogFrames = _events = _groupCpuNanos = _slices = _sliceCpuNanos = _sliceTicks = 0;
            _groupTimerUnits = _sliceTimerUnits = _groupsWithTimerWork = _lateSlices = _allocatedBytes = 0;
            _slowest.Clear();
            _since = Stopwatch.GetTimestamp();
        }
    }

    /// <summary>
    /// The headline figures of the kept samples since the start or the last <see cref="Reset"/>:
    /// what `GET /api/admin/timings` answers beside <see cref="Summary"/>.
    /// </summary>
    public CommitFigures Figures()
    {
        lock (_gate)
        {
            var groups = _groups.Take((int)Math.Min(_groupCount, Capacity)).ToArray();
            var requests = _requests.Take((int)Math.Min(_requestCount, Capacity)).ToArray();
            static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
            static double P(IEnumerable<double> values, double p)
            {
                var sorted = values.Order().ToArray();
                return sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
            }
            var server = requests.Select(r => Ms(r.Queued + r.InGroup + r.Answer)).ToArray();
            var walls = groups.Select(g => Ms(g.Process + g.Commit)).ToArray();
            return new CommitFigures(
                Seconds: Stopwatch.GetElapsedTime(_since).TotalSeconds, GroupCommits: _groupCount, TimerOnlyCommits: _slices, Events: _events,
                Requests: _requestCount, RequestP50Ms: P(server, 0.5), RequestP99Ms: P(server, 0.99), RequestMaxMs: P(server, 1),
                QueuedP99Ms: P(requests.Select(r => Ms(r.Queued)), 0.99), AnswerP99Ms: P(requests.Select(r => Ms(r.Answer)), 0.99),
                GroupWallP99Ms: P(walls, 0.99), GroupWallMaxMs: P(walls, 1),
                GroupsWithCollectorPause: groups.Count(g => g.GcPause > 0),
                CollectorPauseInGroupsMs: groups.Sum(g => g.GcPause / (double)TimeSpan.TicksPerMillisecond),
                CommitterCpuMicrosPerEvent: (_groupCpuNanos + _sliceCpuNanos) / 1e3 / Math.Max(1, _events));
        }
    }

    /// <summary>A line of percentiles (p50 / p99 / max) of the kept groups and requests.</summary>
    public string Summary()
    {
        lock (_gate)
        {
            var groups = _groups.Take((int)Math.Min(_groupCount, Capacity)).ToArray();
            var requests = _requests.Take((int)Math.Min(_requestCount, Capacity)).ToArray();
            var seconds = Math.Max(1e-9, Stopwatch.GetElapsedTime(_since).TotalSeconds);
            var invariant = System.Globalization.CultureInfo.InvariantCulture;
            static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
            static double GcMs(long ticks) => ticks / (double)TimeSpan.TicksPerMillisecond;
            static double At(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
            string P(IEnumerable<double> values, string format)
            {
                var sorted = values.Order().ToArray();
                if (sorted.Length == 0) return "-";
                return $"{At(sorted, 0.5).ToString(format, invariant)} / {At(sorted, 0.99).ToString(format, invariant)} / " +
                       sorted[^1].ToString(format, invariant);
            }
            var cpuShare = groups.Where(g => g.CpuNanos >= 0).Sum(g => g.CpuNanos / 1e6) / Math.Max(1e-9, groups.Sum(g => Ms(g.Process + g.Commit)));
            // The slowest groups (wall time at or over the p99): how many had a collector's pause inside.
            var walls = groups.Select(g => Ms(g.Process + g.Commit)).Order().ToArray();
            var slowWall = walls.Length == 0 ? double.PositiveInfinity : At(walls, 0.99);
            var slow = groups.Where(g => Ms(g.Process + g.Commit) >= slowWall).ToArray();
            var paused = groups.Where(g => g.GcPause > 0).ToArray();
            // The slowest requests (server time at or over its p99): where their time went, on average.
            var totals = requests.Select(r => Ms(r.Queued + r.InGroup + r.Answer)).Order().ToArray();
            var tailFrom = totals.Length == 0 ? double.PositiveInfinity : At(totals, 0.99);
            var tail = requests.Where(r => Ms(r.Queued + r.InGroup + r.Answer) >= tailFrom).ToArray();
            string Mean(Func<(long Queued, long InGroup, long Answer), long> part) =>
                tail.Length == 0 ? "-" : tail.Average(r => Ms(part(r))).ToString("0.0", invariant);
            return $"{groups.Length:N0} groups; events per group p50 / p99 / max {P(groups.Select(g => (double)g.Size), "0")}; " +
                   $"processing ms {P(groups.Select(g => Ms(g.Process)), "0.00")}; commit (with fsync) ms " +
                   $"{P(groups.Select(g => Ms(g.Commit)), "0.00")}; " +
                   $"committer CPU ms per group {P(groups.Where(g => g.CpuNanos >= 0).Select(g => g.CpuNanos / 1e6), "0.00")} " +
                   $"({cpuShare:P0} of its processing + commit wall time); " +
                   $"collector paused inside {paused.Length:N0} groups, {paused.Sum(g => GcMs(g.GcPause)):0} ms in all, at most " +
                   $"{(paused.Length == 0 ? 0 : paused.Max(g => GcMs(g.GcPause))):0.0} ms; of the {slow.Length:N0} groups at or over the p99 wall " +
                   $"time ({(walls.Length == 0 ? 0 : slowWall):0.0} ms), {slow.Count(g => g.GcPause > 0):N0} with a pause " +
                   $"({slow.Sum(g => GcMs(g.GcPause)):0} ms); " +
                   $"the slowest groups, ms (events: timer work, its units + the requests + commit; the collector inside): " +
                   string.Join(", ", _slowest.Select(g => string.Create(invariant,
                       $"{Ms(g.Wall):0.0} ({g.Size}: {Ms(g.TimerTicks):0.0}, {g.TimerUnits} + {Ms(g.ProcessTicks - g.TimerTicks):0.0} + " +
                       $"{Ms(g.CommitTicks):0.0}; {GcMs(g.GcPause):0.0})"))) + "; " +
                   $"requests {requests.Length:N0}: queued ms {P(requests.Select(r => Ms(r.Queued)), "0.0")}, in their group ms " +
                   $"{P(requests.Select(r => Ms(r.InGroup)), "0.0")}, commit → answered ms {P(requests.Select(r => Ms(r.Answer)), "0.0")}; " +
                   $"the {tail.Length:N0} at or over the p99 server time ({(totals.Length == 0 ? 0 : tailFrom):0.0} ms) averaged queued " +
                   $"{Mean(r => r.Queued)} + " +
                   $"in group {Mean(r => r.InGroup)} + answer {Mean(r => r.Answer)} ms; " +
                   $"checkpoints beside the committer {_checkpoints} taking {Ms(_checkpointTicks):0} ms in all (at most " +
                   $"{Ms(_maxCheckpointTicks):0.0} ms), " +
                   $"the log at most {_maxLogFrames * 4096 / 1048576.0:0.0} MB when one began; after a pause {_idleCheckpoints} taking " +
                   $"{Ms(_idleCheckpointTicks):0} ms; " +
                   $"timer-only transactions {_slices:N0} ({_lateSlices:N0} right after a group, the work being late) " +
                   $"taking {Ms(_sliceTicks):0} ms ({_sliceCpuNanos / 1e6:0} ms CPU); " +
                   $"commits (each one fsync) per second: groups {_groupCount / seconds:0.0}, timer-only {_slices / seconds:0.0}; " +
                   $"timer units {_groupTimerUnits:N0} riding in {_groupsWithTimerWork:N0} groups, {_sliceTimerUnits:N0} in timer-only commits; " +
                   $"committer CPU µs per event {(_groupCpuNanos + _sliceCpuNanos) / 1e3 / Math.Max(1, _events):0.0}, " +
                   $"KB its transactions allocated per event {_allocatedBytes / 1024.0 / Math.Max(1, _events):0.0}";
        }
    }
}

/// <summary>
/// <see cref="CommitTimings.Figures"/>: over the kept samples (the last <see cref="CommitTimings.Capacity"/> groups and requests) since
/// <paramref name="Seconds"/> ago; a request's server time runs from its queueing to its answer (queued + in its group + answer).
/// </summary>
public sealed record CommitFigures(double Seconds, long GroupCommits, long TimerOnlyCommits, long Events, long Requests,
    double RequestP50Ms, double RequestP99Ms, double RequestMaxMs, double QueuedP99Ms, double AnswerP99Ms, double GroupWallP99Ms,
    double GroupWallMaxMs, int GroupsWithCollectorPause, double CollectorPauseInGroupsMs, double CommitterCpuMicrosPerEvent);
