using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using MarketingDsl.Core;
using MarketingDsl.Journeys.Measurement;
using MarketingDsl.Runtime;

// Usage: dotnet run -c Release -- [sends=1000000] [conversions=100000] [rounds=5] [feedback=20000]
// Ratios are measured in one run against a baseline of the same run (medians of the rounds).
var sends = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1_000_000;
var conversions = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 100_000;
var rounds = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 5;
var feedback = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 20_000;

const string Schema = """
    schema {
      profile { user_id: string key }
      event cart_add { price: decimal? }
      event order { order_id: string unique, amount: decimal }
      event login { }
    }
    """;
const string Main = """
    channel push { cost: 0.01 }
    channel sms { cost: 0.05 }
    journey cart {
      trigger: cart_add
      goal: order within 7d value amount
      holdout: 10%
      steps {
        send push "r"
        split "copy" { 50%: send sms "a"  50%: send push "b" }
      }
    }
    journey welcome { trigger: login  steps { send push "hello" } }
    """;

double Median(IEnumerable<double> values) { var s = values.Order().ToArray(); return s[s.Length / 2]; }
var compilation = Compilation.Create(("schema.mdsl", Schema), ("main.mdsl", Main));
if (compilation.HasErrors) throw new InvalidOperationException(string.Join("\n", compilation.Diagnostics));
var journeys = compilation.Model.Journeys;

// ---------------------------------------------------------------- the metrics engine
// Two sends per treated entry (push at step 0, then the branch's send at 1.0.0 or 1.1.0) over 30 days.
var random = new Random(16);
var start = new DateTime(2025, 6, 1, 0, 0, 0, DateTimeKind.Utc).Ticks;
var events = new List<MeasureEvent>(sends * 2);
var entries = (int)(sends / 1.8);   // two sends per treated entry, one in ten held out
var users = new string[entries];
for (var i = 0; i < entries; i++) users[i] = "u" + i.ToString("D7", CultureInfo.InvariantCulture);
for (var i = 0; i < entries; i++)
{
    var at = start + (long)(random.NextDouble() * 30 * TimeSpan.TicksPerDay);
    var heldOut = i % 10 == 0;
    var branch = random.Next(2);
    events.Add(new MeasureEvent("cart", users[i], at, MeasureKind.Entered) { HeldOut = heldOut, EntryAt = at });
    events.Add(new MeasureEvent("cart", users[i], at, MeasureKind.Assigned) { HeldOut = heldOut, EntryAt = at, Split = "copy", Branch = branch });
    if (heldOut)
    {
        events.Add(new MeasureEvent("cart", users[i], at, MeasureKind.HeldOutSend) { HeldOut = true, EntryAt = at, Channel = "push", Step = "0" });
        continue;
    }
    events.Add(new MeasureEvent("cart", users[i], at, MeasureKind.Sent) { EntryAt = at, Channel = "push", Step = "0", Cost = 0.01m });
    events.Add(new MeasureEvent("cart", users[i], at, MeasureKind.Sent)
    {
        EntryAt = at, Channel = branch == 0 ? "sms" : "push", Step = branch == 0 ? "1.0.0" : "1.1.0", Cost = branch == 0 ? 0.05m : 0.01m,
            Split = "copy", Branch = branch,
    });
}
for (var c = 0; c < conversions; c++)
{
    var i = random.Next(entries);
    var entry = start + (long)(random.NextDouble() * 30 * TimeSpan.TicksPerDay);
    events.Add(new MeasureEvent("cart", users[i], entry + TimeSpan.TicksPerHour * random.Next(1, 100), MeasureKind.Converted)
    {
        HeldOut = i % 10 == 0, EntryAt = entry, Revenue = random.Next(20, 500),
            Branches = "copy=" + random.Next(2).ToString(CultureInfo.InvariantCulture),
    });
}
events.Sort((a, b) => a.At.CompareTo(b.At));
var sentCount = events.Count(e => e.Kind == MeasureKind.Sent);
Console.WriteLine($"metrics engine: {events.Count:N0} measurement events ({sentCount:N0} sends, {conversions:N0} conversions), {rounds} rounds");

// Baseline: one pass counting sends and conversions per (channel, day) — the least any results must read.
double Baseline()
{
    var clock = Stopwatch.StartNew();
    var counts = new Dictionary<(string?, long), long>();
    foreach (var e in events)
        if (e.Kind is MeasureKind.Sent or MeasureKind.Converted)
        {
            var key = (e.Channel, e.At / TimeSpan.TicksPerDay);
            counts[key] = counts.GetValueOrDefault(key) + 1;
        }
    GC.KeepAlive(counts);
    return clock.Elapsed.TotalMilliseconds;
}
double Engine()
{
    var clock = Stopwatch.StartNew();
    var results = JourneyMetrics.Compute(journeys, events, TimeZoneInfo.Utc);
    var text = ResultsJson.Document(results["cart"], new DateTime(start, DateTimeKind.Utc), new DateTime(start, DateTimeKind.Utc).AddDays(40),
        TimeZoneInfo.Utc);
    GC.KeepAlive(text);
    return clock.Elapsed.TotalMilliseconds;
}
Baseline(); Engine();   // warm up
var baselineMs = Median(Enumerable.Range(0, rounds).Select(_ => Baseline()));
var engineMs = Median(Enumerable.Range(0, rounds).Select(_ => Engine()));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"  results (funnel, days, channels, steps, split tests, uplift, 5 attribution models, JSON): {engineMs:F0} ms (target < 1000 ms)"));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"  baseline (one counting pass): {baselineMs:F0} ms; ratio {engineMs / baselineMs:F1}×"));

// ---------------------------------------------------------------- feedback ingest
var root = Path.Combine(Path.GetTempPath(), "mdsl-results-bench-" + Guid.NewGuid().ToString("N"));
Directory.CreateDirectory(root);
try
{
    using var live = new LiveRuntime(compilation.Model, new LiveOptions { DbPath = Path.Combine(root, "live.db"),
        MaxFutureSkew = TimeSpan.MaxValue });
    var n = feedback;
    const int Batch = 500;
    JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();
    string Array(IEnumerable<string> items) => "[" + string.Join(",", items) + "]";
    for (var i = 0; i < n; i += Batch)
        live.IngestProfiles(Json(Array(Enumerable.Range(i, Math.Min(Batch, n - i)).Select(u => $$"""{"user_id":"f{{u:D7}}"}"""))));
    // Baseline: the same number of events, each making one send (welcome), in batches of the same size.
    var ingest = Stopwatch.StartNew();
    for (var i = 0; i < n; i += Batch)
        live.IngestEventsAsync(Json(Array(Enumerable.Range(i, Math.Min(Batch, n - i))
            .Select(u => $$"""{"type":"login","user_id":"f{{u:D7}}","ts":"2025-06-01T10:00:00Z","id":"l{{u}}"}""")))).GetAwaiter().GetResult();
    var eventsPerSecond = n / ingest.Elapsed.TotalSeconds;
    var statuses = new[] { "delivered", "opened", "clicked" };
    var sendFeedback = Stopwatch.StartNew();
    var accepted = 0;
    foreach (var status in statuses)
        for (var i = 0; i < n; i += Batch)
            accepted += live.IngestFeedback(Json(Array(Enumerable.Range(i, Math.Min(Batch, n - i))
                .Select(u => $$"""{"key":"welcome|f{{u:D7}}|2025-06-01T10:00:00Z|0","status":"{{status}}"}""")))).Count(r => r.Status == "accepted");
    var feedbackPerSecond = 3 * n / sendFeedback.Elapsed.TotalSeconds;
    var resultsClock = Stopwatch.StartNew();
    var welcome = live.Results("welcome", new DateTime(2025, 5, 1, 0, 0, 0, DateTimeKind.Utc), new DateTime(2025, 7, 1, 0, 0, 0, DateTimeKind.Utc))!;
    var liveResultsMs = resultsClock.Elapsed.TotalMilliseconds;
    Console.WriteLine($"feedback ingest: {n:N0} sends × 3 receipts in batches of {Batch} ({accepted:N0} accepted; " +
        $"funnel {welcome.Total.Sent:N0} sent → {welcome.Total.Clicked:N0} clicked)");
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"  feedback: {feedbackPerSecond:N0} receipts/s; baseline event ingest (one send each): {eventsPerSecond:N0} events/s; " +
        $"ratio {feedbackPerSecond / eventsPerSecond:F2}"));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"  live results query over the store ({n:N0} sends with feedback): {liveResultsMs:F0} ms"));
}
finally
{
    try { Directory.Delete(root, recursive: true); } catch (IOException) { }
}
