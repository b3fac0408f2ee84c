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
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var wait = MaxIdle;
            try
            {
                // A full round may leave more due actions: go again at once.
                if (await runtime.Dispatcher.RunOnceAsync(stoppingToken) > 0) wait = TimeSpan.Zero;
                else if (runtime.Dispatcher.NextDue() is { } next)
                {
                    var untilNext = next - runtime.WallClock.GetUtcNow();
                    if (untilNext < wait) wait = untilNext < TimeSpan.Zero ? TimeSpan.FromMilliseconds(50) : untilNext;
                }
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
