using System.Text.Json;
using MarketingDsl.Engine.Data;
using MarketingDsl.Journeys.Measurement;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace MarketingDsl.Runtime;

/// <summary>
/// The results endpoints of `mdsl serve`: GET /api/journeys/{name}/results?from&amp;to (the journey's
/// results over from &lt; at ≤ to, the same JSON as a replay's; default: everything up to the
/// runtime's clock) and POST /api/feedback (channel receipts and engagement by send key, an admin
/// call: `Authorization: Bearer TOKEN`; a JSON array, one result per item).
/// </summary>
public static class RuntimeResultsEndpoints
{
    public static IEndpointRouteBuilder MapLiveResults(this IEndpointRouteBuilder app, LiveOptions options)
    {
        app.MapGet("/api/journeys/{name}/results", (string name, string? from, string? to, string? attribution_window, string? half_life,
            LiveRuntime runtime) =>
        {
            long fromTicks = 0, toTicks = runtime.Clock is > 0 and var clock ? clock : runtime.WallClock.GetUtcNow().UtcTicks;
            if (from is not null && !ValueParsers.TryParseTimestamp(from.AsSpan(), out fromTicks))
                return Results.Json(new { error = $"invalid 'from' {from} (an instant such as 2025-06-01T00:00:00Z)" }, statusCode: 400);
            if (to is not null && !ValueParsers.TryParseTimestamp(to.AsSpan(), out toTicks))
                return Results.Json(new { error = $"invalid 'to' {to} (an instant such as 2025-07-01T00:00:00Z)" }, statusCode: 400);
            if (toTicks < fromTicks) return Results.Json(new { error = "'to' is before 'from'" }, statusCode: 400);
            var options = AttributionOptions.Default;
            if (attribution_window is not null)
            {
                if (!DurationOf(attribution_window, out var window))
                    return Results.Json(new { error = $"invalid 'attribution_window' {attribution_window} (a duration such as 7d)" },
                        statusCode: 400);
                options = options with { Window = window };
            }
            if (half_life is not null)
            {
                if (!DurationOf(half_life,
                    out var halfLife)) return Results.Json(new { error = $"invalid 'half_life' {half_life} (a duration such as 7d)" },
                    statusCode: 400);
                options = options with { HalfLife = halfLife };
            }
            var fromUtc = new DateTime(fromTicks, DateTimeKind.Utc);
            var toUtc = new DateTime(toTicks, DateTimeKind.Utc);
            if (runtime.Results(name, fromUtc, toUtc, options) is not { } results)
                return Results.Json(new { error = $"no journey '{name}' in the running workspace" }, statusCode: 404);
            return Results.Text(ResultsJson.Document(results, fromUtc, toUtc, LiveRuntime.Zone(runtime.Model)), "application/json; charset=utf-8");
        });
        app.MapPost("/api/feedback", async (HttpContext http, LiveRuntime runtime) =>
        {
            if (RuntimeSecurity.AdminDenied(http, options) is { } denied) return denied;
            JsonDocument body;
            try { body = await JsonDocument.ParseAsync(http.Request.Body); }
            catch (JsonException ex) { return Results.Json(new { error = "the body is not JSON: " + ex.Message }, statusCode: 400); }
            using (body)
            {
                if (body.RootElement.ValueKind != JsonValueKind.Array) return Results.Json(new { error = "the body must be a JSON array" },
                    statusCode: 400);
                var results = runtime.IngestFeedback(body.RootElement);
                return Results.Json(new
                {
                    results = results.Select(r => r.Reason is null
                        ? (object)new { index = r.Index, status = r.Status }
                        : new { index = r.Index, status = r.Status, reason = r.Reason }),
                });
            }
        });
        return app;
    }

    /// <summary>A duration in the DSL's own syntax (`7d`, `1d 12h`), through the one duration parser.</summary>
    private static bool DurationOf(string text, out TimeSpan duration)
    {
        duration = default;
        if (!MarketingDsl.Core.Text.DurationText.TryParse(text.AsSpan(), out var ticks) || ticks <= 0) return false;
        duration = new TimeSpan(ticks);
        return true;
    }
}
