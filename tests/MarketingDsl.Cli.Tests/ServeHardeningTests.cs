using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace MarketingDsl.Cli.Tests;

/// <summary>
/// One bad start or request never takes `mdsl serve` down: a second serve reaching the store through
/// a symbolic link is refused; a store that cannot be opened, or a start that fails, is one `mdsl:`
/// line naming the problem (exit 2); a request of more items than the cap is refused whole (413)
/// while a maximal one is processed and health answers.
/// </summary>
public sealed partial class ServeCrashTests
{
    /// <summary>Runs `mdsl serve` expecting it to stop by itself: its exit code and what it wrote (the workspace's warnings left out).</summary>
    private async Task<(int Exit, string[] Lines)> ServeToExit(string workspace, string db, params string[] more)
    {
        var info = new System.Diagnostics.ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "mdsl.dll"), "serve", workspace, "--db", db,
            "--outbox-dir", Path.Combine(Root, "outbox"), "--editor-db", Path.Combine(Root, "editor-" + Guid.NewGuid().ToString("N") + ".db") }
            .Concat(more.Length > 0 ? more : ["--urls", "http://127.0.0.1:0"]))
            info.ArgumentList.Add(a);
        using var process = System.Diagnostics.Process.Start(info)!;
        _serve.Track(process);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60))) await process.WaitForExitAsync(timeout.Token);
        var lines = (await stderr + await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return (process.ExitCode, [.. lines.Where(l => !l.StartsWith("warning:", StringComparison.Ordinal))]);
    }

    [Fact]
    public async Task A_second_serve_through_a_symbolic_link_to_the_store_or_its_folder_exits_and_the_first_keeps_accepting()
    {
        var (workspace, db, outbox) = await NoteWorkspace();
        await using var receiver = await DedupingReceiver.StartAsync();
        var (_, url) = await StartServe(workspace, db, outbox, receiver.Url);
        var links = Directory.CreateDirectory(Path.Combine(Root, "links")).FullName;
        var fileLink = Path.Combine(links, "live.db");
        File.CreateSymbolicLink(fileLink, db);
        var folderLink = Path.Combine(links, "folder");
        Directory.CreateSymbolicLink(folderLink, Path.GetDirectoryName(db)!);
        foreach (var second in new[] { fileLink, Path.Combine(folderLink, "live.db"), Path.Combine(Root, "links", "..", "live.db") })
        {
            var (exit, lines) = await ServeToExit(workspace, second);
            Assert.True(exit == 2, $"{second}: exit {exit}: {string.Join("\n", lines)}");
            Assert.Equal($"mdsl: {Path.GetFullPath(second)}: another process has this live store open (one `mdsl serve` per store file)",
                Assert.Single(lines));
        }
        using var http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(60) };
        Assert.Equal(200, (int)(await http.PostAsync("/api/profiles", Profiles())).StatusCode);
        Assert.Equal(["accepted", "accepted"], await Statuses(await http.PostAsync("/api/events", Json(Batch([0, 1])))));
    }

    [Fact]
    public async Task A_store_that_cannot_be_opened_or_a_start_that_fails_is_one_line_naming_the_file_and_the_problem()
    {
        var (workspace, _, _) = await NoteWorkspace();
        var folder = Directory.CreateDirectory(Path.Combine(Root, "a-folder")).FullName;
        var damaged = Path.Combine(Root, "damaged.db");
        File.WriteAllBytes(damaged, [.. "SQLite format 3\0"u8, .. Enumerable.Repeat((byte)'g', 5000)]);
        var random = Path.Combine(Root, "random.db");
        File.WriteAllBytes(random, [.. Enumerable.Range(0, 5000).Select(i => (byte)(i * 7919 % 251))]);
        var older = Path.Combine(Root, "older.db");
        var page = new byte[8192];
        "** This is a LiteDB file **"u8.CopyTo(page.AsSpan(32));
        File.WriteAllBytes(older, page);
        var lockedByFolder = Path.Combine(Root, "locked.db");
        Directory.CreateDirectory(lockedByFolder + ".lock");
        var cases = new (string Db, string Says)[]
        {
            (folder, "is a folder, not a live store file"),
            (damaged, "not a live store: it starts as an SQLite database but is damaged or is not one"),
            (random, "not a live store (neither an SQLite database nor an older mdsl store)"),
            (older, "written by an older version of mdsl (format 2 or older"),
            (lockedByFolder, $"its lock file {lockedByFolder}.lock is a folder"),
        };
        foreach (var (db, says) in cases)
        {
            var (exit, lines) = await ServeToExit(workspace, db);
            Assert.True(exit == 2, $"{db}: exit {exit}: {string.Join("\n", lines)}");
            var line = Assert.Single(lines);
            Assert.StartsWith($"mdsl: {db}: ", line);
            Assert.Contains(says, line);
        }
        Assert.Equal(5000, new FileInfo(random).Length);   // refused files are left as they were

        // A start that fails after the store opened (the address is taken): one line too, not the host's logged trace.
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var (bindExit, bindLines) = await ServeToExit(workspace, Path.Combine(Root, "fresh.db"), "--urls", $"http://127.0.0.1:{port}");
        Assert.True(bindExit == 2, $"exit {bindExit}: {string.Join("\n", bindLines)}");
        // The editor's first start may warn about its new keys; the failure itself is one line, no trace.
        Assert.Contains("address already in use", Assert.Single(bindLines, l => l.StartsWith("mdsl:", StringComparison.Ordinal)));
        Assert.DoesNotContain(bindLines,
            l => l.Contains("Hosting failed", StringComparison.Ordinal) || l.StartsWith("at ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_request_past_the_item_cap_is_refused_whole_with_413_and_health_answers_while_a_maximal_one_is_processed()
    {
        var (workspace, db, outbox) = await NoteWorkspace();
        await using var receiver = await DedupingReceiver.StartAsync();
        var (server, url) = await StartServe(workspace, db, outbox, receiver.Url);
        // Timeouts only guard against a hang: the test asserts answers, not speed.
        using var http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(120) };
        using var probe = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(60) };
        Assert.Equal(200, (int)(await http.PostAsync("/api/profiles", Profiles())).StatusCode);
        const int Cap = Runtime.LiveOptions.DefaultMaxRequestItems;

        foreach (var (path, body) in new[]
        {
            ("/api/events", Batch(Enumerable.Range(0, Cap + 1))),
            ("/api/profiles", "[" + string.Join(",", Enumerable.Range(0, Cap + 1).Select(u => $$"""{"user_id":"p{{u}}"}""")) + "]"),
            ("/api/events", "[" + string.Join(",", Enumerable.Repeat("{}", 3_000_000)) + "]"),
        })
        {
            var refused = await http.PostAsync(path, Json(body));
            Assert.Equal(413, (int)refused.StatusCode);
            using var error = JsonDocument.Parse(await refused.Content.ReadAsStringAsync());
            Assert.Contains("more than 10,000 items", error.RootElement.GetProperty("error").GetString());
            Assert.Equal(Cap, error.RootElement.GetProperty("max_items").GetInt32());
        }
        using (var health = JsonDocument.Parse(await probe.GetStringAsync("/api/health")))
            Assert.Equal(0, health.RootElement.GetProperty("outbox").GetProperty("pending").GetInt32());   // nothing of them stored

        // A maximal request in flight: health and a small request are answered.
        var sent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var maximal = http.PostAsync("/api/events", new BodySentContent(Batch(Enumerable.Range(0, Cap)), sent));
        await sent.Task.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True((await probe.GetAsync("/api/health")).IsSuccessStatusCode);
        output.WriteLine($"health answered {(maximal.IsCompleted ? "after" : "before")} the maximal request");
        Assert.Equal(["accepted"], await Statuses(await probe.PostAsync("/api/events", Json(Batch([Cap + 5])))));
        Assert.All(await Statuses(await maximal), s => Assert.Equal("accepted", s));
        server.Kill();
        await server.WaitForExitAsync();
    }
}
