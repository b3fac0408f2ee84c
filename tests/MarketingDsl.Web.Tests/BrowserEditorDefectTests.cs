using MarketingDsl.Web.Security;
using Microsoft.Playwright;

namespace MarketingDsl.Web.Tests;

/// <summary>
/// The defects a new user met in the editor (issue 17), each as a marketer hits it in Debian's
/// chromium: sign-out, colouring, the viewer's editor, the language switch, the new-file dialog,
/// workspace-wide problems and the save that breaks another file, the History diff. Screenshots in
/// both UI languages: artifacts/problems-workspace.*.png, new-file.*.png, save-breaks.*.png, history-diff.*.png,
/// signed-out.*.png, keywords.*.png, viewer-read-only.*.png, language-switch.*.png.
/// </summary>
public sealed class BrowserEditorDefectTests
{
    private const string Editor = "monaco.editor.getEditors()[0]";
    private const string OpenFile = "document.getElementById('editor').dataset.file";

    [Fact]
    public async Task Sign_out_signs_out_from_every_page()
    {
        var (app, url) = await KestrelEditor.StartAsync(TestPaths.CopyRetail(), [("marketer", Roles.Editor)]);
        await using var _ = app;
        await using var browser = await BrowserSession.OpenAsync();
        var page = browser.Page;
        await page.GotoAsync(url + "/");
        await browser.SignInAsync("marketer", "password-marketer");
        foreach (var (path, lang) in new[] { ("/?lang=en", "en"), ("/History?lang=zh-CN", "zh-CN") })
        {
            await page.GotoAsync(url + path);
            var answer = await page.RunAndWaitForResponseAsync(() => page.ClickAsync("header form button"), r =>
                r.Url.EndsWith("/Account/Logout", StringComparison.Ordinal));
            Assert.Equal(302, answer.Status);
            await page.WaitForSelectorAsync("#sign-in");
            Assert.Equal(lang, await page.EvaluateAsync<string>("() => document.documentElement.lang"));
            await Screenshots.ShootAsync(page, "signed-out", lang, "登录");
            await page.GotoAsync(url + "/");
            Assert.Contains("/Account/Login", page.Url, StringComparison.Ordinal);
            await browser.SignInAsync("marketer", "password-marketer");
            await page.WaitForSelectorAsync("body[data-ready=true]");
        }
        Assert.Empty(browser.FailedRequests);
    }

    [Fact]
    public async Task Keywords_are_coloured_and_names_with_digits_are_one_identifier()
    {
        var (app, url) = await KestrelEditor.StartAsync(TestPaths.CopyRetail(), [("marketer", Roles.Editor)]);
        await using var _ = app;
        await using var browser = await BrowserSession.OpenAsync();
        var page = browser.Page;
        await browser.SignInAtAsync(url + "/?file=tags/behaviour.mdsl", "marketer", "password-marketer");
        var tokens = await page.EvaluateAsync<string[]>("""
            () => {
              const line = 'tag busy "忙碌" = orders_365d >= 2 and 会员等级 != null';
              return monaco.editor.tokenize(line, 'marketingdsl')[0].map((t, i, all) =>
                line.slice(t.offset, i + 1 < all.length ? all[i + 1].offset : line.length) + '|' + t.type);
            }
            """);
        Assert.Contains("tag|keyword.soft.marketingdsl", tokens);
        Assert.Contains("orders_365d|identifier.marketingdsl", tokens);
        Assert.Contains("and|keyword.marketingdsl", tokens);
        Assert.Contains("null|keyword.marketingdsl", tokens);
        Assert.Contains("会员等级|identifier.marketingdsl", tokens);
        Assert.DoesNotContain(tokens, t => t.StartsWith("365d|", StringComparison.Ordinal) || t.StartsWith("_365d|", StringComparison.Ordinal));
        // On screen: the keyword `tag` is drawn in a colour of its own, not as plain text. Monaco
        // paints the lines before their tokens arrive (tokenizing runs in the background), so wait for them.
        await page.WaitForFunctionAsync("""
            () => [...document.querySelectorAll('.monaco-editor .view-line span span')].some(s => s.textContent === 'tag')
            """);
        var colours = await page.EvaluateAsync<string[]>("""
            () => [...document.querySelectorAll('.monaco-editor .view-line span span')]
              .filter(s => s.textContent === 'tag' || s.textContent.includes('orders_30d'))
              .map(s => s.textContent.trim() + '|' + getComputedStyle(s).color)
            """);
        var keyword = colours.First(c => c.StartsWith("tag|", StringComparison.Ordinal)).Split('|')[1];
        var name = colours.First(c => c.StartsWith("orders_30d", StringComparison.Ordinal)).Split('|')[1];
        Assert.NotEqual(name, keyword);
        await Screenshots.ShootAsync(page, "keywords", Screenshots.English);
        await page.GotoAsync(url + "/?file=tags/behaviour.mdsl&lang=zh-CN");
        await page.WaitForSelectorAsync("body[data-ready=true]");
        await page.WaitForFunctionAsync($"() => {OpenFile} === 'tags/behaviour.mdsl'");
        await page.WaitForSelectorAsync(".monaco-editor .view-lines");
        await Screenshots.ShootAsync(page, "keywords", Screenshots.Chinese);
    }

    [Fact]
    public async Task A_viewer_reads_and_cannot_type()
    {
        var (app, url) = await KestrelEditor.StartAsync(TestPaths.CopyRetail(), [("reader", Roles.Viewer)]);
        await using var _ = app;
        await using var browser = await BrowserSession.OpenAsync();
        var page = browser.Page;
        await browser.SignInAtAsync(url + "/?file=tags/behaviour.mdsl", "reader", "password-reader");
        await page.WaitForFunctionAsync($"() => {OpenFile} === 'tags/behaviour.mdsl'");
        var before = await page.EvaluateAsync<string>($"() => {Editor}.getModel().getValue()");
        foreach (var lang in new[] { "en", "zh-CN" })
        {
            if (lang != "en")
            {
                await page.GotoAsync(url + "/?file=tags/behaviour.mdsl&lang=" + lang);
                await page.WaitForSelectorAsync("body[data-ready=true]");
                await page.WaitForFunctionAsync($"() => {OpenFile} === 'tags/behaviour.mdsl'");
            }
            await page.ClickAsync(".monaco-editor .view-lines");
            await page.Keyboard.TypeAsync("typed by a viewer");
            Assert.Equal(before, await page.EvaluateAsync<string>($"() => {Editor}.getModel().getValue()"));
            Assert.True(await page.IsHiddenAsync("#dirty"));
            Assert.True(await page.IsDisabledAsync("#format"));
            await Screenshots.ShootAsync(page, "viewer-read-only", lang);
        }
        // Nothing unsaved: leaving the page asks nothing (a dialog would fail the navigation here).
        page.Dialog += (_, d) => Assert.Fail("asked: " + d.Message);
        await page.GotoAsync(url + "/History");
        Assert.Empty(browser.ConsoleErrors);
    }

    [Fact]
    public async Task Switching_the_language_keeps_the_open_file_and_follows_the_user()
    {
        var (app, url) = await KestrelEditor.StartAsync(TestPaths.CopyRetail(), [("marketer", Roles.Editor)]);
        await using var _ = app;
        await using (var browser = await BrowserSession.OpenAsync())
        {
            var page = browser.Page;
            await browser.SignInAtAsync(url + "/", "marketer", "password-marketer");
            await page.ClickAsync("a[data-path='segments.mdsl']");
            await page.WaitForFunctionAsync($"() => {OpenFile} === 'segments.mdsl'");
            await Screenshots.ShootAsync(page, "language-switch", Screenshots.English);
            await page.ClickAsync("#lang-switch");
            await page.WaitForFunctionAsync("() => document.documentElement.lang === 'zh-CN' && document.body.dataset.ready === 'true'");
            await page.WaitForFunctionAsync($"() => {OpenFile} === 'segments.mdsl'");
            Assert.Equal("保存", (await page.InnerTextAsync("#save")).Trim());
            await Screenshots.ShootAsync(page, "language-switch", Screenshots.Chinese);
        }
        // Another browser (no language cookie): signing in brings the user's language back.
        await using (var other = await BrowserSession.OpenAsync())
        {
            var page = other.Page;
            await page.GotoAsync(url + "/");
            await other.SignInAsync("marketer", "password-marketer");
            await page.WaitForSelectorAsync("body[data-ready=true]");
            Assert.Equal("zh-CN", await page.EvaluateAsync<string>("() => document.documentElement.lang"));
        }
    }

    [Theory]
    [InlineData("en")]
    [InlineData("zh-CN")]
    public async Task New_file_dialog_checks_the_path_and_opens_the_new_file(string lang)
    {
        var (app, url) = await KestrelEditor.StartAsync(TestPaths.CopyRetail(), [("marketer", Roles.Editor)]);
        await using var _ = app;
        await using var browser = await BrowserSession.OpenAsync();
        var page = browser.Page;
        page.Dialog += (_, d) => Assert.Fail("a browser prompt: " + d.Message);
        await browser.SignInAtAsync(url + "/?lang=" + lang, "marketer", "password-marketer");
        await page.ClickAsync("#new-file");
        await page.WaitForSelectorAsync("#new-file-dialog[open]");
        await page.FillAsync("#new-file-path", "../outside.mdsl");
        await page.ClickAsync("#new-file-create");
        await page.WaitForFunctionAsync("() => document.getElementById('new-file-error').textContent.length > 0");
        Assert.Contains("..", await page.InnerTextAsync("#new-file-error"));
        await page.FillAsync("#new-file-path", "segments");
        await page.ClickAsync("#new-file-create");
        await page.WaitForFunctionAsync("() => document.getElementById('new-file-error').textContent.length > 0");
        await Screenshots.ShootAsync(page, "new-file", lang);
        await page.FillAsync("#new-file-path", "tags/extra");
        await page.ClickAsync("#new-file-create");
        await page.WaitForFunctionAsync($"() => {OpenFile} === 'tags/extra.mdsl'");
        Assert.True(await page.IsHiddenAsync("#new-file-dialog"));
        Assert.Equal(1, await page.Locator("a[data-path='tags/extra.mdsl']").CountAsync());
        Assert.Empty(browser.ConsoleErrors);
    }

    [Theory]
    [InlineData("en", "Unknown name 'orders_30d'", "Saving would add errors to other files")]
    [InlineData("zh-CN", "未知的名称 'orders_30d'", "保存会给其他文件带来错误")]
    public async Task Problems_cover_every_file_and_a_save_that_breaks_another_file_asks_first(string lang, string unknown, string breaks)
    {
        var workspace = TestPaths.CopyRetail();
        var (app, url) = await KestrelEditor.StartAsync(workspace, [("marketer", Roles.Editor)]);
        await using var _ = app;
        await using var browser = await BrowserSession.OpenAsync(1280, 900);
        var page = browser.Page;
        await browser.SignInAtAsync(url + "/?file=tags/behaviour.mdsl&lang=" + lang, "marketer", "password-marketer");
        await page.WaitForFunctionAsync($"() => {OpenFile} === 'tags/behaviour.mdsl'");
        await page.WaitForSelectorAsync("#workspace-problems h4");

        // Rename the tag another file (models.mdsl) uses: that file's errors show at once, unsaved.
        await page.EvaluateAsync($$"""
            () => {
              const model = {{Editor}}.getModel();
              const line = model.getLinesContent().findIndex(l => l.startsWith('tag orders_30d =')) + 1;
              model.pushEditOperations([], [{ range: new monaco.Range(line, 5, line, 15), text: 'orders_31d' }], () => null);
            }
            """);
        var models = page.Locator("#workspace-problems section[data-path='models.mdsl']");
        await models.WaitForAsync();
        Assert.Contains(unknown, await models.InnerTextAsync());
        Assert.Contains("MD2001", await models.InnerTextAsync());
        await page.WaitForSelectorAsync("a[data-path='models.mdsl'] .counts .errors");
        await Screenshots.ShootAsync(page, "problems-workspace", lang);

        // Save: the dialog names the broken file before anything is written; cancel keeps the disk as it was.
        var onDisk = File.ReadAllText(Path.Combine(workspace, "tags", "behaviour.mdsl"));
        await page.ClickAsync("#save");
        await page.WaitForSelectorAsync("#save-dialog[open]");
        Assert.Contains(breaks, await page.InnerTextAsync("#save-dialog"));
        Assert.Contains("models.mdsl", await page.InnerTextAsync("#save-broken"));
        Assert.Contains(unknown, await page.InnerTextAsync("#save-broken"));
        await Screenshots.ShootAsync(page, "save-breaks", lang);
        await page.ClickAsync("#save-cancel");
        Assert.Equal(onDisk, File.ReadAllText(Path.Combine(workspace, "tags", "behaviour.mdsl")));
        Assert.False(await page.IsHiddenAsync("#dirty"));

        // Save anyway: written, and the other file's errors stay listed (now from the disk).
        await page.ClickAsync("#save");
        await page.WaitForSelectorAsync("#save-dialog[open]");
        await page.ClickAsync("#save-anyway");
        await page.WaitForFunctionAsync("() => document.getElementById('status').textContent.includes('#')");
        Assert.Contains("tag orders_31d =", File.ReadAllText(Path.Combine(workspace, "tags", "behaviour.mdsl")));
        await models.WaitForAsync();
        Assert.Empty(browser.ConsoleErrors);
    }

    [Theory]
    [InlineData("en")]
    [InlineData("zh-CN")]
    public async Task History_shows_a_version_against_the_previous_one_in_the_diff_editor(string lang)
    {
        var (app, url) = await KestrelEditor.StartAsync(TestPaths.CopyRetail(), [("marketer", Roles.Editor)]);
        await using var _ = app;
        await using var browser = await BrowserSession.OpenAsync();
        var page = browser.Page;
        await browser.SignInAtAsync(url + "/?file=segments.mdsl&lang=" + lang, "marketer", "password-marketer");
        await page.WaitForFunctionAsync($"() => {OpenFile} === 'segments.mdsl'");
        foreach (var added in new[] { "tag history_one = 1", "tag history_two = 2" })
        {
            await page.EvaluateAsync($"() => {{ const m = {Editor}.getModel(); m.setValue(m.getValue() + '\\n{added}\\n'); }}");
            await page.ClickAsync("#save");
            await page.WaitForFunctionAsync("() => document.getElementById('status').textContent.includes('#')");
            await page.EvaluateAsync("() => document.getElementById('status').textContent = ''");
        }
        await page.GotoAsync(url + "/History?path=segments.mdsl");
        await page.WaitForSelectorAsync("#diff-editor[data-ready=true]");
        Assert.Equal("1", await page.GetAttributeAsync("#diff-editor", "data-changes"));
        var change = await page.EvaluateAsync<string[]>("""
            () => {
              const diff = monaco.editor.getDiffEditors()[0];
              const c = diff.getLineChanges()[0];
              const modified = diff.getModel().modified;
              const lines = [];
              for (let i = c.modifiedStartLineNumber; i <= c.modifiedEndLineNumber; i++) lines.push(modified.getLineContent(i));
              return [String(c.originalEndLineNumber), ...lines];
            }
            """);
        Assert.Equal("0", change[0]); // an insertion: nothing on the left
        Assert.Contains("tag history_two = 2", change);
        await Screenshots.ShootAsync(page, "history-diff", lang);
        Assert.Empty(browser.ConsoleErrors);
    }
}
