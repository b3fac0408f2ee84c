using MarketingDsl.Web.Security;
using Microsoft.Playwright;

namespace MarketingDsl.Web.Tests;

/// <summary>
/// The workspace-wide Problems panel with a data set chosen, in a real browser (Debian's chromium):
/// another file's data-aware warning (MD5050, a value that never occurs in its field) is listed under
/// that file and counted in the file list while a different file is open, in English and 简体中文.
/// Leaves problems-data.{en,zh-CN}.png and latency-data.txt (keystroke → marker with a data set chosen and
/// without one, in the same run) in tests/MarketingDsl.Web.Tests/artifacts/.
/// </summary>
public sealed class BrowserWorkspaceDataWarningsTests
{
    private const string Other = "promo.mdsl";
    private const string OtherSection = $"#workspace-problems section[data-path='{Other}']";

    [Fact]
    public async Task Another_files_data_warnings_are_in_the_problems_panel_and_the_file_counts()
    {
        var workspace = TestPaths.CopyRetail();
        File.WriteAllText(Path.Combine(workspace, Other), "/// Tablet users, for the tablet app launch.\n" +
            "segment tablet_fans \"平板用户\" = exists(login, where: platform == \"tablet\", within: 30d)\n");
        var (app, baseUrl) = await KestrelEditor.StartAsync(workspace, [("marketer", Roles.Editor)], "--Editor:DataRoot", SimulationData.Root);
        await using var _ = app;
        await using var browser = await BrowserSession.OpenAsync(1400, 900);
        var page = browser.Page;
        await browser.SignInAtAsync(baseUrl + "/?file=segments.mdsl", "marketer", "password-marketer");
        await page.WaitForFunctionAsync("() => document.getElementById('editor').dataset.file === 'segments.mdsl'");

        // Without a data set the other file checks clean (MD5050 needs data).
        await page.WaitForSelectorAsync("#workspace-problems h4");
        Assert.Equal(0, await page.Locator(OtherSection).CountAsync());
        // The same keystrokes without a data set first: the baseline of the figure below, measured in the same run.
        var withoutData = await MeasureKeystrokes(page);

        await page.SelectOptionAsync("#data-set", SimulationData.Folder);
        await page.WaitForFunctionAsync($"() => document.querySelector(\"{OtherSection}\")?.textContent.includes('MD5050')",
            null, new PageWaitForFunctionOptions { Timeout = 60_000 });
        var listed = await page.InnerTextAsync(OtherSection);
        Assert.Contains("\"tablet\" never occurs in login.platform", listed);
        Assert.Contains("2:", listed); // its line in promo.mdsl
        Assert.Equal("⚠1", await page.InnerTextAsync($"a[data-path='{Other}'] .counts .warnings"));
        Assert.Equal("segments.mdsl", await page.EvaluateAsync<string>("() => document.getElementById('editor').dataset.file"));
        await Screenshots.ShootAsync(page, "problems-data", Screenshots.English);

        var withData = await MeasureKeystrokes(page);
        var report = LatencyReport("without a data set", withoutData) +
            LatencyReport($"with a data set chosen ({SimulationData.Folder})", withData) +
            string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"with ÷ without (medians): {Median(withData, 0) / Median(withoutData, 0):F2}; target: median with a data set ≤ 100 ms\n");
        Console.WriteLine(report);
        File.WriteAllText(Path.Combine(ArtifactsDir, "latency-data.txt"), report);

        // Clicking the warning opens the other file at it.
        await page.ClickAsync($"{OtherSection} li.warning");
        await page.WaitForFunctionAsync($"() => document.getElementById('editor').dataset.file === '{Other}'");

        // 简体中文: the data set is remembered in this browser, the message is in Chinese.
        await page.GotoAsync(baseUrl + "/?lang=zh-CN&file=segments.mdsl");
        await page.WaitForSelectorAsync("body[data-ready=true]");
        await page.WaitForFunctionAsync($"() => document.querySelector(\"{OtherSection}\")?.textContent.includes('从未出现值 \"tablet\"')",
            null, new PageWaitForFunctionOptions { Timeout = 60_000 });
        await Screenshots.ShootAsync(page, "problems-data", Screenshots.Chinese, "从未出现值");

        // No data set any more: the warning goes.
        await page.SelectOptionAsync("#data-set", "");
        await page.WaitForFunctionAsync($"() => document.querySelector(\"{OtherSection}\") === null");
        Assert.Empty(browser.ConsoleErrors);
        Assert.Empty(browser.FailedRequests);
    }

    /// <summary>
    /// Keystroke → marker (with a data set chosen: markers with MD5050, the workspace problems with every
    /// file's data warnings and the audience sizes all follow each pause): rounds of "d" after
    /// `orders_365d` (MD2001) and Backspace, each waiting for the markers of its own text; per keystroke
    /// the round trip and its parts (pause before sending, request, of which server, setting the markers).
    /// Figures written to artifacts/latency-data.txt (BrowserEditorTests' latency.txt is another file's edit), never asserted.
    /// </summary>
    private static async Task<List<double[]>> MeasureKeystrokes(IPage page)
    {
        const string Line = "segment vip_repeat \"高价值复购\" = high_value and orders_365d >= 2";
        var lines = await page.EvaluateAsync<string>("() => monaco.editor.getEditors()[0].getModel().getValue()");
        var line = lines.Split('\n').ToList().FindIndex(l => l.StartsWith(Line, StringComparison.Ordinal)) + 1;
        Assert.True(line > 0);
        await page.EvaluateAsync(
            "([line, column]) => { const e = monaco.editor.getEditors()[0]; e.setPosition({ lineNumber: line, column }); e.focus(); }",
            new[] { line, Line.IndexOf("orders_365d", StringComparison.Ordinal) + "orders_365d".Length + 1 });
        const string OwnMarkers = """
            () => {
              const box = document.getElementById('editor');
              const version = monaco.editor.getEditors()[0].getModel().getVersionId();
              const all = performance.getEntriesByName('mdsl:keystroke-marker');
              const last = all[all.length - 1];
              const d = last && last.detail;
              return box.dataset.markersVersion == version && d && d.version === version
                ? [last.duration, d.debounceMs ?? 0, d.requestMs ?? 0, d.serverMs ?? 0, d.markersMs ?? 0] : null;
            }
            """;
        var parts = new List<double[]>();
        for (var round = 0; round <= 6; round++)
        {
            foreach (var key in new[] { "d", "Backspace" })
            {
                await page.Keyboard.PressAsync(key);
                var split = await (await page.WaitForFunctionAsync(OwnMarkers)).JsonValueAsync<double[]>();
                if (round > 0) parts.Add(split);
            }
        }
        return parts;
    }

    private static double Median(List<double[]> parts, int part)
    {
        var sorted = parts.Select(p => p[part]).Order().ToList();
        return (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static string LatencyReport(string what, List<double[]> parts) => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"keystroke → marker {what}, {parts.Count} keystrokes after one warm-up round (examples/retail, segments.mdsl): " +
        $"median {Median(parts, 0):F0} ms, max {parts.Max(p => p[0]):F0} ms; medians of its parts: pause {Median(parts, 1):F0} ms, " +
        $"request {Median(parts, 2):F0} ms (server {Median(parts, 3):F1} ms), markers set {Median(parts, 4):F1} ms\n");

    private static string ArtifactsDir => Screenshots.Dir;
}
