using System.Collections.Concurrent;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;

namespace MarketingDsl.Web.Security;

/// <summary>
/// Guessing passwords is slowed twice. Per account: after <see cref="FreeFailures"/> failed
/// sign-ins in a row the account is locked for 30 s, doubling with each further failure up to 15
/// minutes; while locked even the right password is refused (a guesser learns nothing), and a
/// success ends the series. Per client address: at most <see cref="AttemptsPerMinute"/> sign-in
/// posts a minute (ASP.NET Core's rate limiter, policy <see cref="Policy"/>), whatever the names.
/// State is in memory: a restart forgets it, which costs a guesser a restart of the server.
/// </summary>
public sealed class SignInThrottle(TimeProvider time)
{
    public const string Policy = "sign-in";
    public const int FreeFailures = 5;
    public const int AttemptsPerMinute = 20;
    private static readonly TimeSpan FirstLock = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan LongestLock = TimeSpan.FromMinutes(15);

    private readonly ConcurrentDictionary<string, (int Failures, DateTimeOffset LockedUntil)> _accounts = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>How long the account stays locked (zero: not locked).</summary>
    public TimeSpan LockedFor(string name) =>
        _accounts.TryGetValue(name, out var state) && state.LockedUntil > time.GetUtcNow() ? state.LockedUntil - time.GetUtcNow() : TimeSpan.Zero;

    public void Failed(string name) => _accounts.AddOrUpdate(name, _ => Next(0), (_, state) => Next(state.Failures));

    public void Succeeded(string name) => _accounts.TryRemove(name, out _);

    private (int, DateTimeOffset) Next(int failures)
    {
        failures++;
        if (failures < FreeFailures) return (failures, DateTimeOffset.MinValue);
        var ticks = Math.Min(LongestLock.Ticks, FirstLock.Ticks << Math.Min(failures - FreeFailures, 20));
        return (failures, time.GetUtcNow() + TimeSpan.FromTicks(ticks));
    }

    /// <summary>The per-address limit of sign-in posts (GETs of the page are free).</summary>
    public static void AddPolicy(IServiceCollection services) => services.AddRateLimiter(o =>
    {
        o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
        o.OnRejected = async (context, cancel) =>
        {
            context.HttpContext.Response.Headers.RetryAfter = "60";
            context.HttpContext.Response.ContentType = "text/plain; charset=utf-8";
            await context.HttpContext.Response.WriteAsync(
                $"Too many sign-in attempts from this address: at most {AttemptsPerMinute} a minute. Try again in a minute.\n" +
                $"登录尝试过于频繁：每分钟最多 {AttemptsPerMinute} 次，请一分钟后再试。\n", cancel);
        };
        // A request without an address comes from an in-process host (tests), not from a network client.
        o.AddPolicy(Policy, http => HttpMethods.IsPost(http.Request.Method) && http.Connection.RemoteIpAddress is not null
            ? RateLimitPartition.GetSlidingWindowLimiter(http.Connection.RemoteIpAddress!.ToString(), _ => new SlidingWindowRateLimiterOptions
            {
                PermitLimit = AttemptsPerMinute, Window = TimeSpan.FromMinutes(1), SegmentsPerWindow = 6, QueueLimit = 0,
            })
            : RateLimitPartition.GetNoLimiter(""));
    });
}
