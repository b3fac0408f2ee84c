using System.Globalization;
using System.Text;

namespace MarketingDsl.LoadBenchmarks;

/// <summary>
/// The workspace under load and the events sent to it. `thanks` is the event-triggered journey
/// without a wait measured for latency (every order sends); `checkout_nudge` makes the runtime
/// evaluate conditions over user histories (a `where:` on every view, a tag audience on checkout
/// views). The baseline workspace has the same schema and tags and no journey: the same ingest
/// path (validation, dedupe, LiteDB commit) with nothing to run.
/// </summary>
public static class LoadWorkspace
{
    public const string Schema = """
        schema {
          profile {
            user_id: string key
            tier: string?
          }
          event view { page: string? }
          event order { order_id: string unique, amount: decimal? }
        }
        """;

    public const string Tags = """
        tag views_1d = count(view, within: 1d)
        tag spend_30d = sum(order.amount, within: 30d)
        segment engaged = views_1d >= 3
        """;

    public const string Journeys = """
        channel push { cost: 0.001 }

        journey thanks { trigger: order  steps { send push "thanks" } }
        journey checkout_nudge {
          trigger: view where page == "checkout"
          audience: engaged
          reentry: once per 1d
          steps { send push "nudge" }
        }
        """;

    private static readonly string[] Pages = ["home", "search", "product", "cart", "checkout"];

    /// <summary>Writes the workspace into <paramref name="dir"/>; <paramref name="withJourneys"/> false: the baseline.</summary>
    public static void Write(string dir, bool withJourneys)
    {
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "schema.mdsl"), Schema);
        File.WriteAllText(Path.Combine(dir, "main.mdsl"), withJourneys ? Tags + "\n" + Journeys : Tags);
    }

    public static string UserId(int i) => "u" + i.ToString(CultureInfo.InvariantCulture);

    /// <summary>Profiles u0 … u(n−1) as JSON arrays of at most 1,000.</summary>
    public static IEnumerable<byte[]> ProfileBatches(int users)
    {
        for (var start = 0; start < users; start += 1000)
        {
            var json = new StringBuilder("[");
            for (var i = start; i < Math.Min(users, start + 1000); i++)
            {
                if (i > start) json.Append(',');
                json.Append("{\"user_id\":\"").Append(UserId(i)).Append("\",\"tier\":\"").Append(i % 3 == 0 ? "gold" : "basic").Append("\"}");
            }
            yield return Encoding.UTF8.GetBytes(json.Append(']').ToString());
        }
    }

    /// <summary>The ts of event number <paramref name="n"/>: 1 ms apart from 2025-01-01, so every event has its own instant.</summary>
    public static DateTime TsOf(long n) => new DateTime(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddTicks(n * TimeSpan.TicksPerMillisecond);

    public static string Iso(DateTime t) => t.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>The dedupe key of the `thanks` send an order at <paramref name="ts"/> by <paramref name="user"/> causes
    /// (LiveRuntime's outbox key).</summary>
    public static string ThanksKey(string user, DateTime ts) =>
        "thanks|" + user + "|" + ts.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture) + "|0";

    /// <summary>One event as JSON: number <paramref name="n"/> (its ts and ids), a view 80% of the time, else an order.</summary>
    public static void AppendEvent(StringBuilder json, long n, string user, Random random, bool orderOnly = false)
    {
        var ts = Iso(TsOf(n));
        if (orderOnly || random.Next(5) == 0)
            json.Append("{\"type\":\"order\",\"user_id\":\"").Append(user).Append("\",\"ts\":\"").Append(ts)
                .Append("\",\"order_id\":\"o").Append(n.ToString(CultureInfo.InvariantCulture))
                .Append("\",\"amount\":").Append((random.Next(100, 50000) / 100m).ToString(CultureInfo.InvariantCulture)).Append('}');
        else
            json.Append("{\"type\":\"view\",\"user_id\":\"").Append(user).Append("\",\"ts\":\"").Append(ts)
                .Append("\",\"id\":\"v").Append(n.ToString(CultureInfo.InvariantCulture))
                .Append("\",\"page\":\"").Append(Pages[random.Next(Pages.Length)]).Append("\"}");
    }
}
