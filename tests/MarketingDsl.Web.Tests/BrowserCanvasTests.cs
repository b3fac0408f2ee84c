using MarketingDsl.Engine.Data;
using MarketingDsl.Functions.Loading;
using MarketingDsl.Journeys.Replay;
using MarketingDsl.Web.Security;
using Microsoft.Playwright;

namespace MarketingDsl.Web.Tests;

/// <summary>
/// The journey canvas in Debian chromium: drag a step and see the text change (and undo it), a split
/// edited to 60/30 shows the compiler's diagnostic on its node, cart-recovery built from an empty file
/// on the canvas alone equals the hand-written example, viewers read only, and the canvas with the
/// counts of a replay in English and 简体中文 (screenshots in tests/MarketingDsl.Web.Tests/artifacts/).
/// </summary>
public sealed class BrowserCanvasTests
{
    private const string Cart = "journeys/cart_recovery.mdsl";

    [Fact]
    public async Task Dragging_a_step_onto_an_arrow_moves_it_in_the_text_and_undo_puts_it_back()
    {
        var workspace = TestPaths.CopyRetail();
        var original = File.ReadAllText(Path.Combine(workspace, Cart));
        var (app, baseUrl) = await KestrelEditor.StartAsync(workspace, [("marketer", Roles.Editor)]);
        await using var _ = app;
        // Tall enough that the whole journey shows without scrolling while the mouse drags.
        await using var browser = await BrowserSession.OpenAsync(1400, 1400);
        var page = await OpenCanvas(browser, baseUrl, "marketer", Cart, "cart_recovery");

        // The push (step 1) goes after the SMS in the if's then block.
        await DragAsync(page, "#node-1", ".drop-zone[data-block='3.0'][data-index='1']");
        await page.WaitForFunctionAsync($"() => {CanvasText}.includes('send sms \"vip_cart_reminder\"\\n      send app_push')");
        var moved = await Text(page);
        Assert.DoesNotContain("    send app_push \"cart_reminder\" offer \"coupon_5_off\"\n    wait 1d", moved);
        // The preview (Monaco's diff editor, unchanged lines folded) shows the push taken out and put in.
        Assert.True(await DiffChanges(page) > 0);
        Assert.Contains("send app_push \"cart_reminder\" offer \"coupon_5_off\"", await DiffText(page));
        // The push left the top level, so the if is step 2 now and the push its then block's second step.
        await page.WaitForSelectorAsync("#node-2-0-1.kind-send");
        Assert.False(await page.IsDisabledAsync("#canvas-save"));

        await page.ClickAsync("#canvas-undo");
        await page.WaitForFunctionAsync($"t => {CanvasText} === t", original);
        await page.WaitForSelectorAsync("#node-3-0-0");
        Assert.Null(await page.QuerySelectorAsync("#node-2-0-1"));
        Assert.True(await DiffChanges(page) > 0);
        Assert.Contains("send app_push \"cart_reminder\" offer \"coupon_5_off\"", await DiffText(page));
        Assert.Empty(browser.ConsoleErrors);
    }

    [Fact]
    public async Task A_split_edited_to_60_30_shows_the_compilers_diagnostic_on_the_node_and_a_text_edit_redraws()
    {
        var workspace = TestPaths.CopyRetail();
        var (app, baseUrl) = await KestrelEditor.StartAsync(workspace, [("marketer", Roles.Editor)]);
        await using var _ = app;
        await using var browser = await BrowserSession.OpenAsync(1400, 1000);
        foreach (var (language, expected) in new[] { ("en", "100%"), ("zh-CN", "100%") })
        {
            var page = await OpenCanvas(browser, baseUrl, "marketer", Cart, "cart_recovery", language);
            await page.ClickAsync("#node-3-1-0");
            await page.FillAsync("#canvas-inspector input[name=shares]", "60%, 30%");
            await page.ClickAsync("#canvas-inspector button.apply");
            await page.WaitForSelectorAsync("#node-3-1-0.has-error .node-diagnostic");
            var diagnostic = await page.InnerTextAsync("#node-3-1-0 .node-diagnostic");
            Assert.Contains("MD4005", diagnostic);
            Assert.Contains(expected, diagnostic);
            Assert.Contains("60%: send wechat \"reminder_a\"", await Text(page));
            await Screenshots.ShootAsync(page, "canvas-split-error", language);
        }

        // Typing in the text redraws the canvas: a new step appears as a node.
        var text = await Text(browser.Page);
        var edited = text.Replace("    wait 1d until order\n", "    wait 1d until order\n    exit\n", StringComparison.Ordinal);
        await browser.Page.EvaluateAsync("t => monaco.editor.getModels().find(m => m.getValue().startsWith('journey cart_recovery')).setValue(t)",
            edited);
        await browser.Page.WaitForSelectorAsync("#node-3.kind-exit");
        Assert.Empty(browser.ConsoleErrors);
    }

    [Fact]
    public async Task Cart_recovery_built_on_the_canvas_alone_equals_the_hand_written_example()
    {
        var workspace = TestPaths.CopyRetail();
        var example = File.ReadAllText(Path.Combine(workspace, Cart));
        File.WriteAllText(Path.Combine(workspace, Cart), "");
        var (app, baseUrl) = await KestrelEditor.StartAsync(workspace, [("marketer", Roles.Editor)]);
        await using var _ = app;
        await using var browser = await BrowserSession.OpenAsync(1400, 1100);
        var page = await OpenCanvas(browser, baseUrl, "marketer", Cart, null);

        await page.ClickAsync("#canvas-new");
        await page.FillAsync("#canvas-inspector input[name=name]", "cart_recovery");
        await page.FillAsync("#canvas-inspector input[name=label]", "加购未支付提醒");
        await TypeInMini(page, "trigger", "cart_add");
        await Apply(page, "#node-trigger");

        await AddHeader(page, "audience", ("condition", "not churned"));
        await AddHeader(page, "reentry", ("rule", "once per 7d"));
        await AddHeader(page, "goal", ("event", "order"), ("within", "2d"), ("value", "amount"));
        await AddHeader(page, "holdout", ("percent", "10%"));

        await AddStep(page, "wait", ".drop-zone[data-block=''][data-index='0']", "#node-0", ("duration", "30m"), ("until", "order"));
        await AddStep(page, "send", ".drop-zone[data-from='0'][data-kind='timeout']", "#node-1",
            ("channel", "app_push"), ("template", "cart_reminder"), ("offer", "coupon_5_off"));
        await AddStep(page, "wait", ".drop-zone[data-from='1']", "#node-2", ("duration", "1d"), ("until", "order"));
        await AddStep(page, "if", ".drop-zone[data-from='2'][data-kind='timeout']", "#node-3", ("condition", "high_value"));
        await AddStep(page, "send", ".drop-zone[data-from='3'][data-kind='then']", "#node-3-0-0", ("channel", "sms"),
            ("template", "vip_cart_reminder"));
        await page.ClickAsync("#node-3");
        await page.ClickAsync("#canvas-inspector .branch-actions button.add-branch");
        await page.WaitForSelectorAsync(".drop-zone[data-block='3.1']");
        await AddStep(page, "split", ".drop-zone[data-block='3.1']", "#node-3-1-0", ("name", "copy_test"));
        foreach (var (template, node) in new[] { ("reminder_a", "#node-3-1-0-0-0"), ("reminder_b", "#node-3-1-0-1-0") })
        {
            await page.ClickAsync("#node-3-1-0");
            await page.FillAsync("#canvas-inspector input[name=arm-percent]", "50%");
            var arms = await page.Locator(".drop-zone[data-from='3.1.0'][data-kind='branch']").CountAsync();
            await page.ClickAsync("#canvas-inspector .branch-actions button.add-branch");
            await page.WaitForFunctionAsync("n => document.querySelectorAll(\".drop-zone[data-from='3.1.0'][data-kind='branch']\").length === n",
                arms + 1);
            await AddStep(page, "send", $".drop-zone[data-block='3.1.0.{arms}']", node, ("channel", "wechat"), ("template", template));
        }

        var built = await Text(page);
        Assert.Equal(WithoutComments(example), built);
        Assert.Empty(await page.QuerySelectorAllAsync(".node.has-error"));
        // With no node chosen the side panel lists what the compiler says of the journey as a whole: no error.
        await page.Locator("#canvas-scroll").ClickAsync(new LocatorClickOptions { Position = new Position { X = 4, Y = 4 } });
        await page.WaitForSelectorAsync("#canvas-inspector > p.hint");
        Assert.Empty(await page.QuerySelectorAllAsync("#canvas-inspector .node-diagnostic.error"));
        await page.ClickAsync("#canvas-save");
        await page.WaitForFunctionAsync("() => document.querySelector('#canvas-save').disabled");
        Assert.Equal(built, File.ReadAllText(Path.Combine(workspace, Cart)));
        await Screenshots.ShootAsync(page, "canvas-built", Screenshots.English);
        // The built journey is saved: the canvas reopened in 简体中文 draws it as it was.
        page = await OpenCanvas(browser, baseUrl, "marketer", Cart, "cart_recovery", Screenshots.Chinese);
        await page.Locator("#canvas-scroll").ClickAsync(new LocatorClickOptions { Position = new Position { X = 4, Y = 4 } });
        await page.WaitForSelectorAsync("#canvas-inspector > p.hint");
        Assert.Equal(built, await Text(page));
        await Screenshots.ShootAsync(page, "canvas-built", Screenshots.Chinese);
        Assert.Empty(browser.ConsoleErrors);
    }

    [Fact]
    public async Task The_canvas_shows_the_counts_of_a_replay_in_both_languages_and_viewers_only_read()
    {
        var workspace = TestPaths.CopyRetail();
        var dataRoot = Path.Combine(Path.GetDirectoryName(workspace)!, "data");
        WriteReplay(workspace, Path.Combine(dataRoot, "replay-june"));
        var (app, baseUrl) = await KestrelEditor.StartAsync(workspace, [("marketer", Roles.Editor), ("viewer", Roles.Viewer)], "--Editor:DataRoot",
            dataRoot);
        await using var _ = app;
        await using var browser = await BrowserSession.OpenAsync(1500, 1750);
        foreach (var (language, reached) in new[] { ("en", "reached"), ("zh-CN", "到达") })
        {
            var page = await OpenCanvas(browser, baseUrl, "marketer", Cart, "cart_recovery", language);
            await page.SelectOptionAsync("#canvas-replay", "replay-june");
            await page.WaitForSelectorAsync("#node-1 .node-counts .count-sent");
            Assert.Contains(reached, await page.InnerTextAsync("#node-0 .node-counts"));
            Assert.Contains("加购未支付提醒", await page.InnerTextAsync("#canvas-journey") + await page.TitleAsync() + await Text(page));
            Assert.NotNull(await page.QuerySelectorAsync("#node-0 .count-left_share"));
            Assert.NotNull(await page.QuerySelectorAsync("#node-3-1-0 .count-branches"));
            Assert.NotNull(await page.QuerySelectorAsync("#node-trigger .count-fired"));
            await page.ClickAsync("#node-0");
            await Screenshots.ShootAsync(page, "canvas-counts", language, fullPage: true);
        }

        await using var viewer = await BrowserSession.OpenAsync(1400, 1000);
        var v = await OpenCanvas(viewer, baseUrl, "viewer", Cart, "cart_recovery");
        Assert.NotNull(await v.QuerySelectorAsync("#canvas-readonly"));
        Assert.Null(await v.QuerySelectorAsync("#canvas-palette"));
        Assert.Null(await v.QuerySelectorAsync(".drop-zone"));
        await v.ClickAsync("#node-1");
        Assert.True(await v.Locator("#canvas-inspector input[name=channel]").IsEditableAsync() is false);
        Assert.Null(await v.QuerySelectorAsync("#canvas-inspector button.apply"));
        Assert.Empty(browser.ConsoleErrors);
        Assert.Empty(viewer.ConsoleErrors);
    }

    /// <summary>
    /// Text → canvas → text in the browser: in every example journey, a node of each kind applied from its
    /// side panel as shown leaves the text byte-identical to the file, and a step dragged away and undone too.
    /// </summary>
    [Fact]
    public async Task Every_example_journey_round_trips_through_the_canvas_byte_identical()
    {
        var workspace = TestPaths.CopyRetail();
        var (app, baseUrl) = await KestrelEditor.StartAsync(workspace, [("marketer", Roles.Editor)]);
        await using var _ = app;
        await using var browser = await BrowserSession.OpenAsync(1400, 1400);
        var journeys = Directory.GetFiles(Path.Combine(workspace, "journeys"), "*.mdsl").Order(StringComparer.Ordinal)
            .SelectMany(f => Core.Syntax.SyntaxTree.Parse(f, File.ReadAllText(f)).Root.Declarations.OfType<Core.Syntax.JourneyDeclarationSyntax>()
                .Select(j => (File: "journeys/" + Path.GetFileName(f), Journey: j.Name.Text)))
            .ToList();
        Assert.True(journeys.Count >= 5);
        var applied = 0;
        var page = await OpenCanvas(browser, baseUrl, "marketer", journeys[0].File, journeys[0].Journey);
        foreach (var (file, journey) in journeys)
        {
            var original = File.ReadAllText(Path.Combine(workspace, file));
            // Another journey through the page's own pickers (no reload).
            if (await page.InputValueAsync("#canvas-file") != file)
            {
                await page.SelectOptionAsync("#canvas-file", file);
                await page.WaitForFunctionAsync($"t => {Settled} && {CanvasText} === t", original);
            }
            try
            {
                await page.WaitForFunctionAsync("j => [...document.querySelectorAll('#canvas-journey option')].some(o => o.value === j)", journey,
                    new PageWaitForFunctionOptions { Timeout = 60_000 });
            }
            catch (TimeoutException)
            {
                // Say what the page showed: the picker stayed without the journey (seen once under the whole suite's load).
                Assert.Fail($"{file}: no '{journey}' in the journey picker; status '{await page.InnerTextAsync("#canvas-status")}', " +
                    $"failed requests: {string.Join(", ", browser.FailedRequests)}; console: {string.Join(" / ", browser.ConsoleErrors)}");
            }
            await page.SelectOptionAsync("#canvas-journey", journey);
            await page.WaitForSelectorAsync($"#canvas-surface[aria-busy=false][data-journey='{journey}']");
            // One node of each kind, applied from the side panel as shown.
            var nodes = await page.EvaluateAsync<string[]>("""
                () => [...new Map([...document.querySelectorAll('#canvas-surface .node')]
                    .filter(n => !['end', 'converted', 'exit'].includes(n.dataset.kind))
                    .map(n => [n.dataset.kind, n.dataset.id]).reverse()).values()]
                """);
            foreach (var node in nodes)
            {
                await page.ClickAsync("#node-" + node.Replace('.', '-'));
                await page.ClickAsync("#canvas-inspector button.apply");
                await page.WaitForFunctionAsync($"() => {Settled} && !document.querySelector('#canvas-undo').disabled");
                Assert.True(original == await Text(page), $"{journey}: applying node {node} as shown changed the text:\n{await Text(page)}");
                applied++;
            }
            Assert.Equal(0, await DiffChanges(page));
            Assert.False(await page.Locator("#canvas-status.error").IsVisibleAsync(), await page.InnerTextAsync("#canvas-status"));
            // The first step dragged after the second, and back by undo.
            const string AfterSecond = ".drop-zone[data-block=''][data-index='2'] >> nth=0";
            if (await page.Locator(AfterSecond).CountAsync() > 0)
            {
                await page.Locator(AfterSecond).ScrollIntoViewIfNeededAsync();
                await DragAsync(page, "#node-0", AfterSecond);
                await page.WaitForFunctionAsync($"t => {Settled} && {CanvasText} !== t", original);
                await page.ClickAsync("#canvas-undo");
                await page.WaitForFunctionAsync($"t => {CanvasText} === t", original);
            }
            Assert.True(await page.IsDisabledAsync("#canvas-save"));
            Assert.Equal(original, File.ReadAllText(Path.Combine(workspace, file)));
        }
        Assert.True(applied > 20, applied.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Empty(browser.ConsoleErrors);
    }

    /// <summary>
    /// A file switch while answers for the file before are still on their way: the late graph of the old
    /// text must not make the old journey the new file's (the page then asked the new file for the old
    /// journey and kept the old file's journeys in the picker), and of two quick switches the last wins
    /// whatever order the reads are answered in. The server's answers are delayed by routes in the browser.
    /// </summary>
    [Fact]
    public async Task A_file_switch_while_answers_for_the_file_before_are_on_their_way_shows_the_new_file()
    {
        const string Vip = "journeys/vip.mdsl", WinBack = "journeys/win_back.mdsl";
        var workspace = TestPaths.CopyRetail();
        var (app, baseUrl) = await KestrelEditor.StartAsync(workspace, [("marketer", Roles.Editor)]);
        await using var _ = app;
        await using var browser = await BrowserSession.OpenAsync(1400, 1000);
        var page = await OpenCanvas(browser, baseUrl, "marketer", Cart, "cart_recovery");
        await page.RouteAsync("**/api/canvas/graph", async route =>
        {
            if (route.Request.PostData?.Contains("cart_recovery", StringComparison.Ordinal) == true) await Task.Delay(1500);
            await route.ContinueAsync();
        });
        await page.RouteAsync("**/api/files/read?*", async route =>
        {
            if (route.Request.Url.Contains("vip.mdsl", StringComparison.Ordinal)) await Task.Delay(3000);
            await route.ContinueAsync();
        });

        // A keystroke in cart_recovery's text asks for its graph (answered late); then vip.mdsl is chosen.
        await page.RunAndWaitForRequestAsync(async () =>
        {
            await page.ClickAsync("#canvas-text .view-line >> nth=0");
            await page.Keyboard.PressAsync("End");
            await page.Keyboard.TypeAsync(" ");
        }, "**/api/canvas/graph");
        await page.SelectOptionAsync("#canvas-file", Vip);
        await ExpectFile(page, workspace, Vip, "vip_exclusive", ["vip_exclusive", "vip_downgrade_save", "new_member_weekly"]);

        // vip.mdsl chosen (its read answered late), then at once win_back.mdsl: win_back stays.
        await page.SelectOptionAsync("#canvas-file", Cart);
        await ExpectFile(page, workspace, Cart, "cart_recovery", ["cart_recovery"]);
        var lateRead = page.WaitForResponseAsync(r => r.Url.Contains("vip.mdsl", StringComparison.Ordinal));
        var order = new List<string>();
        page.Response += (_, r) => { if (r.Url.Contains("/api/files/read", StringComparison.Ordinal)) lock (order) order.Add(r.Url); };
        await page.SelectOptionAsync("#canvas-file", Vip);
        await page.SelectOptionAsync("#canvas-file", WinBack);
        await lateRead;
        lock (order) Assert.Contains("win_back", order[0], StringComparison.Ordinal); // the race happened: the later read came first
        await ExpectFile(page, workspace, WinBack, "win_back_gift", ["win_back_gift"]);
        Assert.Equal(WinBack, await page.InputValueAsync("#canvas-file"));
        Assert.Empty(browser.ConsoleErrors);
    }

    /// <summary>The canvas settled on a file: its text, its journeys in the picker, one drawn, no error.</summary>
    private static async Task ExpectFile(IPage page, string workspace, string file, string drawn, string[] journeys)
    {
        try
        {
            await page.WaitForFunctionAsync($"j => {Settled} && document.getElementById('canvas-surface').dataset.journey === j", drawn,
                new PageWaitForFunctionOptions { Timeout = 20_000 });
        }
        catch (TimeoutException)
        {
            Assert.Fail($"{file}: '{drawn}' never drawn; status '{await page.InnerTextAsync("#canvas-status")}', drawn " +
                $"'{await page.GetAttributeAsync("#canvas-surface", "data-journey")}'");
        }
        Assert.Equal(File.ReadAllText(Path.Combine(workspace, file)), await Text(page));
        Assert.Equal(journeys, await page.Locator("#canvas-journey option").EvaluateAllAsync<string[]>("os => os.map(o => o.value)"));
        Assert.False(await page.Locator("#canvas-status.error").IsVisibleAsync(), await page.InnerTextAsync("#canvas-status"));
    }

    /// <summary>
    /// Under `mdsl serve` (the editor and the runtime in one process) the canvas shows the running
    /// journeys' counts, says they are live, and follows new events at the next poll; screenshots in
    /// English and 简体中文.
    /// </summary>
    [Fact]
    public async Task Under_serve_the_canvas_shows_live_counts_that_follow_new_events_in_both_languages()
    {
        await using var host = await LiveEditorHost.StartAsync(kestrel: true, schema: LiveSchema, main: LiveMain);
        var events = new List<string>();
        var users = Enumerable.Range(0, 40).Select(i => "u" + i.ToString("00", System.Globalization.CultureInfo.InvariantCulture)).ToList();
        for (var i = 0; i < users.Count; i++)
        {
            var at = new DateTime(2025, 6, 1, 10, 0, 0, DateTimeKind.Utc).AddMinutes(i);
            events.Add($$"""{"type":"cart_add","user_id":"{{users[i]}}","ts":"{{At(at)}}","price":{{100 + 10 * i}}}""");
            if (i % 4 == 0)
                events.Add($$"""{"type":"order","user_id":"{{users[i]}}","ts":"{{At(at.AddMinutes(20))}}","order_id":"o{{i}}","amount":90}""");
        }
        events.Add($$"""{"type":"cart_add","user_id":"u00","ts":"{{At(new DateTime(2025, 6, 2, 10, 0, 0, DateTimeKind.Utc))}}","price":1}""");
        host.Runtime.IngestProfiles(Json("[" + string.Join(",", users.Select(u => $$"""{"user_id":"{{u}}"}""")) + "]"));
        host.Runtime.IngestEvents(Json("[" + string.Join(",", events) + "]"));

        await using var browser = await BrowserSession.OpenAsync(1500, 1300);
        IPage page = null!;
        foreach (var (language, reached) in new[] { ("en", "reached"), ("zh-CN", "到达") })
        {
            page = await OpenCanvas(browser, host.Url, "viewer1", "main.mdsl", "cart", language);
            await page.WaitForSelectorAsync("#node-1 .node-counts .count-sent");
            Assert.Equal("live", await page.GetAttributeAsync("#canvas-counts-source", "data-source"));
            Assert.Contains(language == "en" ? "Live" : "实时", await page.InnerTextAsync("#canvas-counts-source"));
            Assert.Contains(reached, await page.InnerTextAsync("#node-0 .node-counts"));
            Assert.NotNull(await page.QuerySelectorAsync("#node-0 .count-left_share"));
            Assert.NotNull(await page.QuerySelectorAsync("#node-2 .count-branches"));
            Assert.NotNull(await page.QuerySelectorAsync("#node-goal .count-goal_rate"));
            await page.ClickAsync("#node-1");
            await Screenshots.ShootAsync(page, "canvas-live", language, fullPage: true);
        }

        // A new arrival and channel receipts show at the next poll, without reloading the page; the side panel stays as it is.
        var reachedBefore = await page.InnerTextAsync("#node-0 .count-reached b");
        Assert.Null(await page.QuerySelectorAsync("#node-1 .count-opened"));
        host.Runtime.IngestEvents(Json("""[{"type":"cart_add","user_id":"u01","ts":"2025-06-03T10:00:00Z","price":900}]"""));
        var receipts = users.Select((u, i) =>
            $$"""{"key":"cart|{{u}}|{{At(new DateTime(2025, 6, 1, 10, i, 0, DateTimeKind.Utc))}}|1","status":"opened"}""");
        Assert.Contains(host.Runtime.IngestFeedback(Json("[" + string.Join(",", receipts) + "]")), r => r.Status == "accepted");
        await page.WaitForFunctionAsync("n => document.querySelector('#node-0 .count-reached b').textContent === String(n)",
            int.Parse(reachedBefore, System.Globalization.CultureInfo.InvariantCulture) + 1);
        Assert.NotNull(await page.QuerySelectorAsync("#node-1 .count-opened"));
        Assert.NotNull(await page.QuerySelectorAsync("#node-1 .count-delivered"));
        Assert.NotNull(await page.QuerySelectorAsync("#canvas-inspector .node-counts .count-sent"));
        Assert.Empty(browser.ConsoleErrors);
    }

    private const string LiveSchema = """
        schema {
          profile { user_id: string key }
          event cart_add { price: decimal? }
          event order { order_id: string unique, amount: decimal }
        }
        """;

    private const string LiveMain = """
        channel push { cost: 0.02 }
        channel sms { cost: 0.05 }
        journey cart "购物车挽回" {
          trigger: cart_add where price > 100
          goal: order within 2d value amount
          holdout: 20%
          steps {
            wait 1h until order
            send push "reminder"
            split "copy" {
              50%: send sms "a"
              50%: send push "b"
            }
          }
        }
        """;

    private static string At(DateTime t) => t.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);

    private static System.Text.Json.JsonElement Json(string json) => System.Text.Json.JsonDocument.Parse(json).RootElement.Clone();

    // ------------------------------------------------------------------ helpers

    private static async Task<IPage> OpenCanvas(BrowserSession browser, string baseUrl, string user, string file, string? journey,
        string language = "en")
    {
        var page = browser.Page;
        var url = $"{baseUrl}/Canvas?lang={language}&file={Uri.EscapeDataString(file)}" + (journey is null ? "" : "&journey=" + journey);
        await page.GotoAsync(url);
        if (page.Url.Contains("/Account/Login", StringComparison.Ordinal))
        {
            await browser.SignInAsync(user, "password-" + user);
            await page.GotoAsync(url);
        }
        await page.WaitForSelectorAsync("body[data-ready=true]", new PageWaitForSelectorOptions { State = WaitForSelectorState.Attached });
        if (journey is not null) await page.WaitForSelectorAsync("#node-trigger");
        return page;
    }

    /// <summary>A drag with the mouse, in small moves as a hand makes it (HTML5 drag and drop needs the moves between).</summary>
    private static async Task DragAsync(IPage page, string from, string to)
    {
        var source = (await page.Locator(from).BoundingBoxAsync())!;
        await page.Mouse.MoveAsync(source.X + source.Width / 2, source.Y + source.Height / 2);
        await page.Mouse.DownAsync();
        await page.Mouse.MoveAsync(source.X + source.Width / 2 + 10, source.Y + source.Height / 2 + 10, new MouseMoveOptions { Steps = 5 });
        var target = (await page.Locator(to).BoundingBoxAsync())!;
        await page.Mouse.MoveAsync(target.X + target.Width / 2, target.Y + target.Height / 2, new MouseMoveOptions { Steps = 20 });
        await page.Mouse.UpAsync();
    }

    /// <summary>The whole text in the page's text editor (Monaco draws only the lines in view).</summary>
    private const string CanvasText =
        "monaco.editor.getEditors().find(e => document.getElementById('canvas-text').contains(e.getContainerDomNode())).getValue()";

    /// <summary>No request of the canvas in flight (the surface is aria-busy while one is).</summary>
    private const string Settled = "document.getElementById('canvas-surface').getAttribute('aria-busy') === 'false'";

    private static Task<string> Text(IPage page) => page.EvaluateAsync<string>($"() => {CanvasText}");

    /// <summary>The changed regions the last-change preview shows, once its diff is computed.</summary>
    private static async Task<int> DiffChanges(IPage page)
    {
        await page.WaitForSelectorAsync("#canvas-diff[data-changes]", new PageWaitForSelectorOptions { State = WaitForSelectorState.Attached });
        return int.Parse((await page.GetAttributeAsync("#canvas-diff", "data-changes"))!, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The preview's text as drawn (Monaco draws spaces as no-break spaces).</summary>
    private static async Task<string> DiffText(IPage page) => (await page.InnerTextAsync("#canvas-diff")).Replace('\u00a0', ' ');

    private static async Task TypeInMini(IPage page, string field, string text)
    {
        await page.ClickAsync($"#canvas-inspector .mini-editor[data-field={field}] .view-lines");
        await page.Keyboard.TypeAsync(text);
        await page.Keyboard.PressAsync("Escape"); // close a suggestion list, if one opened
    }

    private static async Task Apply(IPage page, string expectNode)
    {
        await page.ClickAsync("#canvas-inspector button.apply");
        await page.WaitForSelectorAsync(expectNode);
        await page.WaitForFunctionAsync($"() => {Settled}");
    }

    private static async Task AddHeader(IPage page, string kind, params (string Field, string Value)[] values)
    {
        await page.ClickAsync($"#canvas-header-add button[data-kind={kind}]");
        await Fill(page, values);
        await Apply(page, "#node-" + kind);
    }

    /// <summary>Picks a step from the palette, puts it on an arrow, fills its form and adds it.</summary>
    private static async Task AddStep(IPage page, string kind, string zone, string expectNode, params (string Field, string Value)[] values)
    {
        await page.ClickAsync($".palette-item[data-kind={kind}]");
        await page.ClickAsync(zone);
        await page.WaitForSelectorAsync("#canvas-inspector button.apply");
        await Fill(page, values);
        await Apply(page, expectNode);
    }

    private static async Task Fill(IPage page, (string Field, string Value)[] values)
    {
        foreach (var (field, value) in values)
        {
            if (await page.QuerySelectorAsync($"#canvas-inspector .mini-editor[data-field={field}]") is not null) await TypeInMini(page, field,
                value);
            else await page.FillAsync($"#canvas-inspector input[name={field}]", value);
        }
    }

    /// <summary>`mdsl simulate --from --to`'s journeys.json for the workspace on the tests' retail data, in a folder of the data root.</summary>
    private static void WriteReplay(string workspace, string folder)
    {
        var compilation = FunctionCompilation.Create(Core.Workspace.Load(workspace));
        var data = DataImporter.Load(compilation.Model.Schema, SimulationData.RetailFolder);
        var statistics = JourneyReplay.Run(compilation.Model, data, SimulationData.End.AddDays(-60), SimulationData.End);
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "journeys.json"), statistics.ToJson());
    }

    /// <summary>The text without its comments (and the lines that held only a comment), formatted.</summary>
    private static string WithoutComments(string text)
    {
        var tree = Core.Syntax.SyntaxTree.Parse("x.mdsl", text);
        var result = new System.Text.StringBuilder();
        var at = 0;
        foreach (var comment in tree.Tokens.Where(t => t.IsComment))
        {
            var start = comment.Span.Start;
            var lineStart = text.LastIndexOf('\n', Math.Max(0, start - 1)) + 1;
            var end = comment.Span.End;
            if (string.IsNullOrWhiteSpace(text[lineStart..start]) && end < text.Length && text[end] == '\n') { start = lineStart; end++; }
            result.Append(text, at, start - at);
            at = end;
        }
        result.Append(text, at, text.Length - at);
        return Core.Formatting.SyntaxFormatter.Format(Core.Syntax.SyntaxTree.Parse("x.mdsl", result.ToString()));
    }
}
