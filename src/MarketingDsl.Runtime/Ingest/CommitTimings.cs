using System.Diagnostics;

namespace MarketingDsl.Runtime;

/// <summary>
/// Where the committer's time goes, per ingest group: its size, the processing of its requests
/// (journeys, states, outbox lines) and the store's commit (SQLite's COMMIT with its fsync of
/// the write-ahead log) under the runtime's lock. The last <see cref="Capacity"/> groups are
/// kept; the load benchmark prints their percentiles. Costs two timestamps per phase and group.
/// </summary>
public sealed class CommitTimings
{
    public const int Capacity = 1 << 16;
    private readonly Lock _gate = new();
    private readonly (int Size, long Process, long Commit, long CpuNanos)[] _groups = new (int, long, long, long)[Capacity];
    private long _groupCount, _checkpoints, _checkpointTicks, _events, _groupCpuNanos, _slices, _sliceCpuNanos, _sliceTicks;
    private long _groupTimerUnits, _sliceTimerUnits, _groupsWithTimerWork, _lateSlices, _since = Stopwatch.GetTimestamp();

    internal void Group(int size, long processTicks, long commitTicks, long cpuNanos, int timerUnits)
    {
        lock (_gate)
        {
            _groups[_groupCount++ % Capacity] = (size, processTicks, commitTicks, cpuNanos);
            _events += size;
            _groupCpuNanos += Math.Max(0, cpuNanos);
            _groupTimerUnits += timerUnits;
            if (timerUnits > 0) _groupsWithTimerWork++;
        }
    }

    /// <summary>A transaction of timer work alone (no request waited for it): its wall time, the committer's CPU, its units of timer work.</summary>
    internal void Slice(long ticks, long cpuNanos, int timerUnits)
    {
        lock (_gate) { _slices++; _sliceTicks += ticks; _sliceCpuNanos += Math.Max(0, cpuNanos); _sliceTimerUnits += timerUnits; }
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

    internal void Checkpoint(long ticks)
    {
        lock (_gate) { _checkpoints++; _checkpointTicks += ticks; }
    }

    /// <summary>Forgets every sample (a benchmark's warm-up).</summary>
    public void Reset()
    {
        lock (_gate)
        {
            _groupCount = _checkpoints = _checkpointTicks = _events = _groupCpuNanos = _slices = _sliceCpuNanos = _sliceTicks = 0;
            _groupTimerUnits = _sliceTimerUnits = _groupsWithTimerWork = _lateSlices = 0;
            _since = Stopwatch.GetTimestamp();
        }
    }

    /// <summary>A line of percentiles (p50 / p99 / max) of the kept groups.</summary>
    public string Summary()
    {
        lock (_gate)
        {
            var groups = _groups.Take((int)Math.Min(_groupCount, Capacity)).ToArray();
            var seconds = Math.Max(1e-9, Stopwatch.GetElapsedTime(_since).TotalSeconds);
            static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
            static string P(IEnumerable<double> values, string format)
            {
                var sorted = values.Order().ToArray();
                if (sorted.Length == 0) return "-";
                double At(double p) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
                var invariant = System.Globalization.CultureInfo.InvariantCulture;
                return $"{At(0.5).ToString(format, invariant)} / {At(0.99).ToString(format, invariant)} / {sorted[^1].ToString(format, invariant)}";
            }
            return $"{groups.Length:N0} groups; events per group p50 / p99 / max {P(groups.Select(g => (double)g.Size), "0")}; " +
                   $"processing ms {P(groups.Select(g => Ms(g.Process)), "0.00")}; commit (with fsync) ms " +
                       $"{P(groups.Select(g => Ms(g.Commit)), "0.00")}; " +
                   $"committer CPU ms per group {P(groups.Where(g => g.CpuNanos >= 0).Select(g => g.CpuNanos / 1e6), "0.00")} " +
                   $"({groups.Where(g => g.CpuNanos >= 0).Sum(g => g.CpuNanos / 1e6)
                        / Math.Max(1e-9, groups.Sum(g => Ms(g.Process + g.Commit))):P0} of its processing + commit wall time); " +
                   $"checkpoints {_checkpoints} taking {Ms(_checkpointTicks):0} ms in all; " +
                   $"timer-only transactions {_slices:N0} ({_lateSlices:N0} right after a group, the work being late) " +
                   $"taking {Ms(_sliceTicks):0} ms ({_sliceCpuNanos / 1e6:0} ms CPU); " +
                   $"commits (each one fsync) per second: groups {_groupCount / seconds:0.0}, timer-only {_slices / seconds:0.0}, " +
                   $"checkpoints {_checkpoints / seconds:0.0}; timer units {_groupTimerUnits:N0} riding in {_groupsWithTimerWork:N0} groups, " +
                   $"{_sliceTimerUnits:N0} in timer-only commits; " +
                   $"committer CPU µs per event {(_groupCpuNanos + _sliceCpuNanos) / 1e3 / Math.Max(1, _events):0.0}";
        }
    }
}
