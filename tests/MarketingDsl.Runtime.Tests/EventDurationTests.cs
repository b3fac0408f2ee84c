using System.Text.Json;
using MarketingDsl.Core;

namespace MarketingDsl.Runtime.Tests;

/// <summary>A live event's duration field reads the language's grammar: `2w` is valid in the language, so it is in an event.</summary>
public sealed class EventDurationTests
{
    [Theory]
    [InlineData("2w", 14 * TimeSpan.TicksPerDay)]
    [InlineData("1w 3d", 10 * TimeSpan.TicksPerDay)]
    [InlineData("45m", 45 * TimeSpan.TicksPerMinute)]
    public void An_events_duration_field_takes_the_languages_durations(string written, long expected)
    {
        var compilation = Compilation.Create(("schema.mdsl", "schema { profile { user_id: string key } event visit { stay: duration } }\n"));
        Assert.DoesNotContain(compilation.Diagnostics, d => d.IsError);
        var validation = new Validation(compilation.Model.Schema);
        using var json = JsonDocument.Parse($$"""{"type":"visit","user_id":"u1","ts":"2025-06-01T10:00:00Z","stay":"{{written}}"}""");
        var parsed = validation.ParseEvent(json.RootElement, out var reason);
        Assert.True(parsed is not null, reason?.Reason);
        Assert.Equal(expected, parsed.Values[parsed.Type.OrdinalOf("stay")]);
    }
}
