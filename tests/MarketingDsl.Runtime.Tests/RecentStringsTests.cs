using System.Text;
using MarketingDsl.Core;

namespace MarketingDsl.Runtime.Tests;

/// <summary>
/// The live runtime's rows share their repeated string values (<see cref="RecentStrings"/>): the users it caches hold
/// one copy of a category or a city, not one per event, which is what a loaded user costs the collector.
/// </summary>
public sealed class RecentStringsTests
{
    private static readonly Validation Rows = new(Compilation.Create(Workspace.FromFiles(("schema.mdsl", """
        schema {
          profile { user_id: string key, city: string }
          event view { sku: string, note: string? }
        }
        """))).Model.Schema);

    private static object?[] View(string user, string sku, string note) =>
        Rows.ParseEvent(Encoding.UTF8.GetBytes(
            $$"""{"type":"view","user_id":"{{user}}","ts":"2025-03-01T10:00:00Z","sku":"{{sku}}","note":"{{note}}"}"""), out var reason)?.Values
        ?? throw new InvalidOperationException(reason?.Code);

    [Fact]
    public void A_repeated_value_is_one_string_across_events_users_and_profiles()
    {
        var a = View("u1", "sku_fan_12", "上海");
        var b = View("u2", "sku_fan_12", "上海");
        Assert.Equal("sku_fan_12", a[2]);
        Assert.Same(a[2], b[2]);
        Assert.Equal("上海", a[3]);
        Assert.Same(a[3], b[3]);
        var profile = Rows.ParseProfile("""{"user_id":"u3","city":"上海"}"""u8, out _, out _)!;
        Assert.Same(a[3], profile[1]);
    }

    [Fact]
    public void Long_and_escaped_values_are_read_whole()
    {
        var longSku = new string('s', RecentStrings.MaxBytes + 1);
        Assert.Equal(longSku, View("u1", longSku, "x")[2]);
        Assert.Equal("a\"b", View("u1", "a\\\"b", "x")[2]);
        // Two values of one slot in turn: each read is still its own text.
        var cache = new RecentStrings();
        for (var i = 0; i < 20_000; i++)
        {
            var text = "v" + (i % 5_000);
            Assert.Equal(text, cache.Get(Encoding.UTF8.GetBytes(text)));
        }
    }

    [Fact]
    public void Request_threads_reading_at_once_get_their_own_values()
    {
        var cache = new RecentStrings();
        Parallel.For(0, 8, t =>
        {
            for (var i = 0; i < 50_000; i++)
            {
                var text = "sku_" + ((i * 7 + t) % 9_000);
                if (cache.Get(Encoding.UTF8.GetBytes(text)) != text) throw new InvalidOperationException($"{text} read wrong");
            }
        });
    }
}
