using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MarketingDsl.Runtime;

/// <summary>
/// Delivers the outbox in the background: woken by each committed ingest or timer round, and
/// otherwise at the next pending retry (at most <see cref="MaxIdle"/> apart). Ingest only wakes it.
/// </summary>
public sealed class DeliveryLoop(LiveRuntime runtime, ILogger<DeliveryLoop> logger) : BackgroundService
{
    public static readonly TimeSpan MaxIdle = TimeSpan.FromSeconds(1);
    /// <summary>
    /// Rounds come at most this often: each commit wakes the loop, so a round already takes what
    /// the commits since the last one queued; the bound only limits the appends and fsyncs when
    /// commits are tiny, and is kept short because a send waits for the next round.
    /// </summary>
    public static readonly TimeSpan MinRoundInterval = TimeSpan.FromMilliseconds(1);
    private readonly SemaphoreSlim _wake = new(0, 1);

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        runtime.UseBackgroundDelivery(Wake);
        return base.StartAsync(cancellationToken);
    }

    private void Wake()
    {
        try { if (_wake.CurrentCount == 0) _wake.Release(); }
        catch (SemaphoreFullException) { }   // already woken
        // The host disposes this loop before the runtime, whose answering thread may still answer a
        // last group and wake it: nothing is left to wake (an exception there ended the process).
        catch (ObjectDisposedException) { }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var lastRound = 0L;
        while (!stoppingToken.IsCancellationRequested)
        {
            var wait = MaxIdle;
            try
            {
                // Rounds at most every MinRoundInterval: under load a round takes what several commits
                // queued, with one append and fsync per channel file.
                var sinceLast = Stopwatch.GetElapsedTime(lastRound);
                if (lastRound != 0 && sinceLast < MinRoundInterval) await Task.Delay(MinRoundInterval - sinceLast, stoppingToken);
                lastRound = Stopwatch.GetTimestamp();
                // A full round may leave more due actions: go again at once.
                if (await runtime.Dispatcher.RunOnceAsync(stoppingToken) > 0) wait = TimeSpan.Zero;
                else if (runtime.Dispatcher.NextDue() is { } next)
                {
                    var untilNext = next - runtime.WallClock.GetUtcNow();
                    if (untilNext < wait) wait = untilNext < TimeSpan.Zero ? TimeSpan.FromMilliseconds(50) : untilNext;
                }
                // Delivery marks wait for a commit: come back when ingest may have paused long enough.
                if (runtime.Store.HasQueuedMarks && wait > LiveRuntime.IdleBeforeMarks) wait = LiveRuntime.IdleBeforeMarks;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { break; }
            catch (Exception ex)
            {
                logger.LogError(ex, "delivery round failed; retrying");
            }
            try { await _wake.WaitAsync(wait, stoppingToken); }
            catch (OperationCanceledException) { break; }
        }
    }

    public override void Dispose()
    {
        _wake.Dispose();
        base.Dispose();
    }
}
