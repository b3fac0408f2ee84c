using System.Globalization;
using System.Text;
using System.Text.Json;
using MarketingDsl.Runtime;

namespace MarketingDsl.Cli.Tests;

/// <summary>
/// The live store under a real `mdsl serve`: a SIGKILL in the middle of a large batch and of its
/// resend, batches and histories past LiteDB's old 16 MB document limit, an oversize event, a
/// large resend (the dedupe of ingest is an index lookup per event).
/// </summary>
public sealed partial class ServeCrashTests
{
    private const string NoteSchema = """
        schema {
          profile { user_id: string key }
          event login { note: string? }
          event cart_add { price: decimal? }
        }
        """;

    private async Task<(string Workspace, string Db, string Outbox)> NoteWorkspace()
    {
        var workspace = Path.Combine(Root, "ws");
        Directory.CreateDirectory(workspace);
        await File.WriteAllTextAsync(Path.Combine(workspace, "schema.mdsl"), NoteSchema);
        await File.WriteAllTextAsync(Path.Combine(workspace, "main.mdsl"), Main);
        return (workspace, Path.Combine(Root, "live.db"), Path.Combine(Root, "outbox"));
    }

    /// <summary>Login i: user u(i mod 10), one second after login i-1, id L{i}; each enters `welcome` and sends one push.</summary>
    private static string Login(int i, string note = "")
    {
        var noteField = note.Length > 0 ? ",\"note\":\"" + note + "\"" : "";
        return $$"""{"type":"login","user_id":"u{{i % Users}}","ts":"{{Iso(Start.AddSeconds(i))}}","id":"L{{i}}"{{noteField}}}""";
    }

    private static string Batch(IEnumerable<int> events, string note = "") => "[" + string.Join(",", events.Select(i => Login(i, note))) + "]";

    private static string HelloKey(int i) => $"welcome|u{i % Users}|{Iso(Start.AddSeconds(i))}|0";

    private static async Task<List<string>> Statuses(HttpResponseMessage response)
    {
        Assert.Equal(200, (int)response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return [.. doc.RootElement.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("status").GetString()!)];
    }

    private static StringContent Profiles() =>
        Json("[" + string.Join(",", Enumerable.Range(0, Users).Select(u => $$"""{"user_id":"u{{u}}"}""")) + "]");

    /// <summary>
    /// What the store holds for logins 0 … <paramref name="count"/>-1 after a kill: which are
    /// stored; and that each stored one is there once, with its journey entry and its outbox
    /// action, and that no outbox action or entry is there without its event.
    /// </summary>
    private static HashSet<int> CheckStored(string db, int count)
    {
        using var store = new LiveStore(db);
        var stored = Enumerable.Range(0, count).Where(i => store.HasEvent("login", "L" + i)).ToHashSet();
        for (var u = 0; u < Users; u++)
        {
            var ids = store.EventsOf("u" + u).Select(e => JsonDocument.Parse(e.Json).RootElement.GetProperty("id").GetString()!).ToList();
            Assert.Equal(ids.Count, ids.Distinct().Count());
            var mine = stored.Count(i => i % Users == u);
            Assert.Equal(mine, ids.Count);
            Assert.Equal(mine, store.State("welcome", "u" + u)?.Entries ?? 0);
        }
        var keys = store.OutboxEntries(null, int.MaxValue).Select(e => e.Key).ToList();
        Assert.Equal(keys.Count, keys.Distinct().Count());
        Assert.Equal(stored.Select(HelloKey).Order(StringComparer.Ordinal), keys.Order(StringComparer.Ordinal));
        return stored;
    }

    /// <summary>
    /// Each kill lands inside a request: after the server has the request's whole body and before
    /// it answers (asserted). The resend that is killed holds events already acknowledged (the
    /// duplicate path) beside new ones; the new ones are stored all or none, the acknowledged ones
    /// once, each with its journey entry and outbox key.
    /// </summary>
    [Fact]
    public async Task A_sigkill_during_a_large_batch_and_during_its_resend_leaves_each_acknowledged_event_once_with_its_state_and_outbox_key()
    {
        const int Small = 40, Large = LiveOptions.DefaultMaxRequestItems, Half = Large / 2;
        var (workspace, db, outbox) = await NoteWorkspace();
        await using var receiver = await DedupingReceiver.StartAsync();
        var large = Batch(Enumerable.Range(Small, Large));

        // 1. Small batches, each acknowledged; then the large one, killed inside the request.
        var (server, url) = await StartServe(workspace, db, outbox, receiver.Url);
        using (var http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(60) })
        {
            Assert.Equal(200, (int)(await http.PostAsync("/api/profiles", Profiles())).StatusCode);
            for (var i = 0; i < Small; i += 10)
                Assert.All(await Statuses(await http.PostAsync("/api/events", Json(Batch(Enumerable.Range(i, 10))))), s =>
                    Assert.Equal("accepted", s));
            await KillInsideRequest(server, http, large, "the large batch");
        }
        var stored = CheckStored(db, Small + Large);
        Assert.True(Enumerable.Range(0, Small).All(stored.Contains), "an acknowledged event was lost");
        var largeStored = Enumerable.Range(Small, Large).Count(stored.Contains);
        Assert.True(largeStored is 0 or Large, $"{largeStored} of the large batch's {Large} events are stored: half a request");

        // 2. The batch's first half acknowledged; then the whole batch resent (that half duplicates), killed inside the request.
        (server, url) = await StartServe(workspace, db, outbox, receiver.Url);
        using (var http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(60) })
        {
            var firstHalf = await Statuses(await http.PostAsync("/api/events", Json(Batch(Enumerable.Range(Small, Half)))));
            Assert.All(firstHalf, s => Assert.Equal(largeStored == Large ? "duplicate" : "accepted", s));
            await KillInsideRequest(server, http, large, "the resend");
        }
        stored = CheckStored(db, Small + Large);
        Assert.True(Enumerable.Range(Small, Half).All(stored.Contains), "an acknowledged event of the first half was lost");
        var secondStored = Enumerable.Range(Small + Half, Large - Half).Count(stored.Contains);
        Assert.True(secondStored is 0 || secondStored == Large - Half,
            $"{secondStored} of the resend's {Large - Half} new events are stored after its kill: half a request");

        // 3. Resend everything to completion: each event once, its push written to the channel file once.
        (server, url) = await StartServe(workspace, db, outbox, receiver.Url);
        using (var http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(120) })
        {
            var small = await Statuses(await http.PostAsync("/api/events", Json(Batch(Enumerable.Range(0, Small)))));
            Assert.All(small, s => Assert.Equal("duplicate", s));
            var again = await Statuses(await http.PostAsync("/api/events", Json(large)));
            Assert.All(again.Take(Half), s => Assert.Equal("duplicate", s));
            Assert.All(again.Skip(Half), s => Assert.Equal(secondStored == 0 ? "accepted" : "duplicate", s));
            for (var tries = 0; tries < 600; tries++)
            {
                using var health = JsonDocument.Parse(await http.GetStringAsync("/api/health"));
                if (health.RootElement.GetProperty("outbox").GetProperty("pending").GetInt32() == 0) break;
                await Task.Delay(100);
            }
        }
        server.Kill();
        await server.WaitForExitAsync();
        Assert.Equal(Small + Large, CheckStored(db, Small + Large).Count);
        var fileKeys = File.ReadAllLines(Path.Combine(outbox, "push.jsonl")).Select(l =>
            JsonDocument.Parse(l).RootElement.GetProperty("key").GetString()!).ToList();
        Assert.Equal(Enumerable.Range(0, Small + Large).Select(HelloKey).Order(StringComparer.Ordinal), fileKeys.Order(StringComparer.Ordinal));
    }

    /// <summary>
    /// One `mdsl serve` per store, across processes: a second one on the same store exits 2 with an
    /// error naming the store, the first keeps serving; once the first is killed, a new one opens it.
    /// </summary>
    [Fact]
    public async Task A_second_serve_on_a_store_in_use_exits_naming_it_and_the_first_keeps_serving()
    {
        var (workspace, db, outbox) = await NoteWorkspace();
        await using var receiver = await DedupingReceiver.StartAsync();
        var (first, url) = await StartServe(workspace, db, outbox, receiver.Url);
        var info = new System.Diagnostics.ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "mdsl.dll"), "serve", workspace, "--urls", "http://127.0.0.1:0",
            "--db", db, "--outbox-dir", outbox, "--editor-db", Path.Combine(Root, "editor2.db") })
            info.ArgumentList.Add(a);
        using var second = System.Diagnostics.Process.Start(info)!;
        _serve.Track(second);
        var stdout = second.StandardOutput.ReadToEndAsync();
        var stderr = second.StandardError.ReadToEndAsync();
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60))) await second.WaitForExitAsync(timeout.Token);
        var said = await stderr + await stdout;
        Assert.True(second.ExitCode == 2, $"exit {second.ExitCode}: {said}");
        Assert.Contains("another process has this live store open", said);
        Assert.Contains(db, said);

        using (var http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(60) })
        {
            Assert.Equal(200, (int)(await http.PostAsync("/api/profiles", Profiles())).StatusCode);
            Assert.Equal(["accepted"], await Statuses(await http.PostAsync("/api/events", Json(Batch([0])))));
        }
        first.Kill();
        await first.WaitForExitAsync();
        (first, url) = await StartServe(workspace, db, outbox, receiver.Url);
        using (var http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(60) })
            Assert.Equal(["duplicate"], await Statuses(await http.PostAsync("/api/events", Json(Batch([0])))));
    }

    /// <summary>
    /// Posts <paramref name="events"/> and kills the server once the request's body has been sent
    /// and a moment more (it is parsing or committing), then asserts the request was not answered
    /// first: a kill after the answer would make the test a plain resend.
    /// </summary>
    private async Task KillInsideRequest(System.Diagnostics.Process server, HttpClient http, string events, string what)
    {
        var bodySent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var inFlight = http.PostAsync("/api/events", new BodySentContent(events, bodySent));
        await bodySent.Task.WaitAsync(TimeSpan.FromSeconds(60));
        await Task.Delay(50);
        var answeredFirst = inFlight.IsCompleted;
        server.Kill();
        await server.WaitForExitAsync();
        _ = await Task.WhenAny(inFlight, Task.Delay(TimeSpan.FromSeconds(5)));
        output.WriteLine($"{what}: killed {(answeredFirst ? "after" : "before")} its answer");
        Assert.False(answeredFirst, $"{what} was answered before the kill: the kill did not land inside the request");
    }

    /// <summary>A JSON body that signals once it has been written to the connection.</summary>
    private sealed class BodySentContent : HttpContent
    {
        private readonly byte[] _bytes;
        private readonly TaskCompletionSource _sent;

        public BodySentContent(string json, TaskCompletionSource sent)
        {
            _bytes = Encoding.UTF8.GetBytes(json);
            _sent = sent;
            Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        }

        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
        {
            await stream.WriteAsync(_bytes);
            await stream.FlushAsync();
            _sent.TrySetResult();
        }

        protected override bool TryComputeLength(out long length)
        {
            length = _bytes.Length;
            return true;
        }
    }

    /// <summary>
    /// LiteDB's 16 MB document limit answered 500 for a 25 MB batch of valid 10 KB events, and for
    /// every batch of a user after 20 accepted 1 MB events; an event over the store's per-event
    /// limit is now rejected alone, the rest of its batch accepted.
    /// </summary>
    [Fact]
    public async Task Batches_and_histories_past_16_MB_are_accepted_and_an_oversize_event_is_rejected_alone()
    {
        var (workspace, db, outbox) = await NoteWorkspace();
        await using var receiver = await DedupingReceiver.StartAsync();
        var (server, url) = await StartServe(workspace, db, outbox, receiver.Url);
        using var http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(120) };
        Assert.Equal(200, (int)(await http.PostAsync("/api/profiles", Profiles())).StatusCode);

        var tenKb = new string('a', 10_000);
        var big = await Statuses(await http.PostAsync("/api/events", Json(Batch(Enumerable.Range(0, 2_500), tenKb))));   // ≈ 25 MB
        Assert.Equal(2_500, big.Count(s => s == "accepted"));

        var oneMb = new string('b', 1_000_000);
        for (var i = 0; i < 22; i++)   // one user (u0): its history passes 16 MB
            Assert.Equal(["accepted"], await Statuses(await http.PostAsync("/api/events", Json(Batch([10_000 + 10 * i], oneMb)))));
        Assert.Equal(["accepted"], await Statuses(await http.PostAsync("/api/events", Json(Batch([20_000])))));

        var tooLarge = new string('c', LiveStore.MaxEventBytes);
        var mixed = await http.PostAsync("/api/events", Json("[" + Login(30_000, tooLarge) + "," + Login(30_010) + "]"));
        using (var doc = JsonDocument.Parse(await mixed.Content.ReadAsStringAsync()))
        {
            Assert.Equal(200, (int)mixed.StatusCode);
            var results = doc.RootElement.GetProperty("results");
            Assert.Equal("rejected", results[0].GetProperty("status").GetString());
            Assert.Contains("larger than", results[0].GetProperty("reason").GetString());
            Assert.Equal("accepted", results[1].GetProperty("status").GetString());
        }
        server.Kill();
        await server.WaitForExitAsync();
        using var store = new LiveStore(db);
        Assert.Equal(250 + 22 + 1 + 1, store.EventCount("u0"));
        Assert.False(store.HasEvent("login", "L30000"));
    }

    /// <summary>Resending 10,000 events (each check re-read a commit record: more than 120 s before) answers every one
    /// as a duplicate, and /api/health answers meanwhile.</summary>
    [Fact]
    public async Task A_resent_batch_of_ten_thousand_events_is_answered_as_duplicates_while_health_answers()
    {
        var (workspace, db, outbox) = await NoteWorkspace();
        await using var receiver = await DedupingReceiver.StartAsync();
        var (server, url) = await StartServe(workspace, db, outbox, receiver.Url);
        // Timeouts only guard against a hang: the test asserts answers, not speed.
        using var http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(90) };
        using var probe = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(30) };
        Assert.Equal(200, (int)(await http.PostAsync("/api/profiles", Profiles())).StatusCode);
        var batch = Batch(Enumerable.Range(0, 10_000));
        Assert.All(await Statuses(await http.PostAsync("/api/events", Json(batch))), s => Assert.Equal("accepted", s));
        var resend = http.PostAsync("/api/events", Json(batch));
        Assert.True((await probe.GetAsync("/api/health")).IsSuccessStatusCode);
        var statuses = await Statuses(await resend);
        Assert.Equal(10_000, statuses.Count(s => s == "duplicate"));
        server.Kill();
        await server.WaitForExitAsync();
    }
}
