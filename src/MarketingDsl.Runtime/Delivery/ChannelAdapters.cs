namespace MarketingDsl.Runtime;

/// <summary>Delivers outbox actions of some channels to the outside world.</summary>
public interface IChannelAdapter
{
    /// <summary>One attempt (1-based <paramref name="attempt"/>) to deliver the action; never throws for a failed delivery.</summary>
    Task<DeliveryOutcome> DeliverAsync(OutboxEntry item, int attempt, CancellationToken cancellation);
}

/// <summary>What one delivery attempt achieved: delivered, worth retrying, or refused for good (parked at once).</summary>
public sealed record DeliveryOutcome(bool Ok, bool Permanent, string? Error)
{
    public static readonly DeliveryOutcome Delivered = new(true, false, null);
    public static DeliveryOutcome Retry(string error) => new(false, false, error);
    public static DeliveryOutcome Refused(string error) => new(false, true, error);
}

/// <summary>
/// Retry policy of the outbox: exponential backoff with jitter and a cap, and a maximum number of
/// attempts after which an action is parked as `failed` (never dropped).
/// </summary>
public sealed class DeliveryPolicy
{
    public int MaxAttempts { get; init; } = 8;
    /// <summary>The delay after the first failed attempt; it doubles after each further failure.</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromMinutes(5);
    /// <summary>How long one webhook request may take (connect, send, answer).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>A number in [0, 1) per retry; tests pin it. Default: <see cref="Random.Shared"/>.</summary>
    public Func<double> Jitter { get; init; } = Random.Shared.NextDouble;

    /// <summary>
    /// The delay after failed attempt <paramref name="attempt"/> (1-based): d = min(MaxDelay,
    /// BaseDelay·2^(attempt−1)), then "equal jitter": d/2 + jitter·d/2, so retries of many actions
    /// that failed together spread out, yet never come sooner than half the backoff.
    /// </summary>
    public TimeSpan DelayAfter(int attempt)
    {
        var exponent = Math.Min(attempt - 1, 30);
        var ticks = Math.Min((double)MaxDelay.Ticks, BaseDelay.Ticks * Math.Pow(2, exponent));
        var jitter = Math.Clamp(Jitter(), 0, 1);
        return TimeSpan.FromTicks((long)(ticks / 2 + jitter * ticks / 2));
    }
}
