using MarketingDsl.Core;
using MarketingDsl.Web.Security;
using Microsoft.Playwright;

namespace MarketingDsl.Web.Tests;

/// <summary>
/// Data-aware editing and the user page in a real browser (Debian's chromium through Playwright):
/// choose a data set, see the audience sizes beside the segments follow an unsaved edit, complete a
/// quoted value from the data, see MD5050 on a value that never occurs, open a user's page. Leaves
/// editor-sizes.{en,zh-CN}.png and user-page.{en,zh-CN}.png in
/// tests/MarketingDsl.Web.Tests/artifacts/.
/// </summary>
public sealed class BrowserDataAwareTests
{
    private const string SizeOf = """
        (name) => {
          const line = [...document.querySelectorAll('.monaco-editor .view-line')].map((l) => l.textContent.replace(/\u00a0/g, ' '))
            .find((t) => new RegExp('segment ' + name + '(?!\\w)').test(t));
          // The hint is injected text after the name, set off by a hair space (U+200A) Monaco adds.
          const m = line && new RegExp('segment ' + name + '(?!\\w)[^\\d]*?(\\d+)[^\\d%]*·').exec(line);
          return m ? Number(m[1]) : null;
        }
        """;

    [Fact]
    public async Task Sizes_follow_unsaved_edits_values_complete_from_the_data_and_a_user_page_opens()
    {
        var workspace = TestPaths.CopyRetail();
        var (app, baseUrl) = await KestrelEditor.StartAsync(workspace, [("marketer", Roles.Editor)], "--Editor:DataRoot", SimulationData.Root);
        await using var _ = app;
        await using var browser = await BrowserSession.OpenAsync(1400, 900);
        var page = browser.Page;
        await browser.SignInAtAsync(baseUrl + "/", "marketer", "password-marketer");

        var segments = File.ReadAllText(Path.Combine(workspace, "segments.mdsl"));
        var expected = SimulationData.Expected(Workspace.Load(workspace));
        var vipBefore = SimulationData.Members(expected, "vip_repeat").Count;
        const string Old = "segment vip_repeat \"高价值复购\" = high_value and orders_365d >= 2";
        var edited = segments.Replace(Old, Old[..^1] + "3", StringComparison.Ordinal);
        var expectedAfter = SimulationData.Expected(new Workspace(Workspace.Load(workspace).AllFiles.Where(f => f.Path != "segments.mdsl")
            .Append(new Core.Text.SourceText("segments.mdsl", edited))));
        var vipAfter = SimulationData.Members(expectedAfter, "vip_repeat").Count;
        Assert.NotEqual(vipBefore, vipAfter);

        // Choose the data set: sizes appear beside the segments, with the data set's name and instant.
        await page.ClickAsync("a[data-path='segments.mdsl']");
        await page.WaitForFunctionAsync("() => document.getElementById('editor').dataset.file === 'segments.mdsl'");
        await page.SelectOptionAsync("#data-set", SimulationData.Folder);
        await WaitForSize(page, "vip_repeat", null);
        Assert.Equal(vipBefore, await page.EvaluateAsync<int>(SizeOf, "vip_repeat"));
        var status = await page.InnerTextAsync("#data-status");
        Assert.Contains(SimulationData.Folder + " · as of 2025-06-", status);
        Assert.Contains(expected.Data.UserCount + " users", status);
        await Screenshots.ShootAsync(page, "editor-sizes", Screenshots.English);

        // An unsaved edit: the size follows a moment after typing stops.
        var line = segments.Split('\n').ToList().FindIndex(l => l.StartsWith(Old, StringComparison.Ordinal)) + 1;
        await page.EvaluateAsync(
            "([line, column]) => { const e = monaco.editor.getEditors()[0]; e.setPosition({ lineNumber: line, column }); e.focus(); }",
            new[] { line, Old.Length + 1 });
        await page.Keyboard.PressAsync("Backspace");
        await page.Keyboard.TypeAsync("3");
        await WaitForSize(page, "vip_repeat", vipAfter);

        // Value completion in quotes, from the data: the platforms with their shares. The line up to the quote is put in
        // whole (typed, its words could open word completions that a comma or space accepts); the quote is typed.
        await page.EvaluateAsync("""
            () => {
              const e = monaco.editor.getEditors()[0], m = e.getModel(), end = m.getFullModelRange().getEndPosition();
              const line = '\nsegment app_fans = exists(login, where: platform == )';
              e.executeEdits('test', [{ range: new monaco.Range(end.lineNumber, end.column, end.lineNumber, end.column), text: line }]);
              const last = m.getLineCount();
              e.setPosition({ lineNumber: last, column: m.getLineMaxColumn(last) - 1 });
              e.focus();
            }
            """);
        await page.Keyboard.TypeAsync("\"");
        await page.WaitForSelectorAsync(".monaco-editor .suggest-widget.visible .monaco-list-row");
        var suggestions = await page.InnerTextAsync(".monaco-editor .suggest-widget.visible");
        Assert.Contains("android", suggestions);
        Assert.Contains("ios", suggestions);
        await page.Keyboard.PressAsync("Escape");

        // A value that never occurs: MD5050, listed in Problems. The quote is closed: an unclosed one would leave the working
        // copy with an error, and the Chinese page below, restoring it, would have no sizes to show.
        await page.Keyboard.TypeAsync("app\"");
        Assert.Equal("segment app_fans = exists(login, where: platform == \"app\")", await page.EvaluateAsync<string>(
            "() => { const m = monaco.editor.getEditors()[0].getModel(); return m.getLineContent(m.getLineCount()); }"));
        await page.WaitForFunctionAsync(
            "() => document.getElementById('problem-list').textContent.includes('\"app\" never occurs in login.platform')");
        Assert.Contains("MD5050", await page.InnerTextAsync("#problem-list"));
        await page.WaitForSelectorAsync(".monaco-editor .squiggly-warning");

        // The same in 简体中文.
        await page.GotoAsync(baseUrl + "/?lang=zh-CN&file=segments.mdsl");
        await page.WaitForSelectorAsync("body[data-ready=true]");
        await WaitForSize(page, "vip_repeat", null);
        Assert.Contains("截至", await page.InnerTextAsync("#data-status"));
        await page.WaitForFunctionAsync("() => document.getElementById('problem-list').textContent.includes('从未出现值 \"app\"')");
        await Screenshots.ShootAsync(page, "editor-sizes", Screenshots.Chinese, "截至");

        // A user's page (as the ids of the simulation and the audience diff link it), in both languages.
        var member = SimulationData.Members(expectedAfter, "vip_repeat").Order(StringComparer.Ordinal).First();
        foreach (var (language, inSegment) in new[] { (Screenshots.English, "in"), (Screenshots.Chinese, "属于") })
        {
            await page.GotoAsync($"{baseUrl}/User?id={member}&folder={SimulationData.Folder}&lang={language}");
            await page.WaitForSelectorAsync($"body[data-shown='{member}']");
            // The unsaved edit kept in this browser is part of the working copy the page evaluates.
            Assert.Equal(inSegment, await page.InnerTextAsync("#user-segments tr[data-name='vip_repeat'] td:nth-child(2)"));
            Assert.Contains("segments.mdsl:", await page.InnerTextAsync("#user-segments tr[data-name='vip_repeat'] td:nth-child(3)"));
            Assert.Contains("orders_365d >= 3", await page.InnerTextAsync("#user-segments tr[data-name='vip_repeat'] pre"));
            Assert.True(await page.Locator("#user-tags tr[data-name='annual_spend']").CountAsync() == 1);
            Assert.True(await page.Locator("#user-events tbody tr").CountAsync() > 0);
            await Screenshots.ShootAsync(page, "user-page", language, inSegment, fullPage: true);
        }
        Assert.Empty(browser.ConsoleErrors);
        Assert.Empty(browser.FailedRequests);
    }

    /// <summary>Waits for the size beside a segment (any, or the one expected); says what the page shows when it does not come.</summary>
    private static async Task WaitForSize(IPage page, string segment, int? expected)
    {
        try
        {
            await page.WaitForFunctionAsync(expected is { } n ? $"(name) => ({SizeOf})(name) === {n}" : SizeOf,
                segment, new PageWaitForFunctionOptions { Timeout = 60_000 });
        }
        catch (TimeoutException)
        {
            var shown = await page.EvaluateAsync<string>("() => document.getElementById('data-status').textContent + ' | sizes ' "
                + "+ document.getElementById('editor').dataset.sizes"
                + " + ' | ' + [...document.querySelectorAll('.monaco-editor .view-line')]"
                + ".map((l) => l.textContent.replace(/\u00a0/g, ' ')).filter((t) => t.includes('segment ')).join(' / ')");
            Assert.Fail($"no size {expected} beside {segment}: {shown}");
        }
    }
}
