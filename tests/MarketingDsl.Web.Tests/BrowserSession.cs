using Microsoft.Playwright;

namespace MarketingDsl.Web.Tests;

/// <summary>
/// One headless Debian chromium driven by Playwright (its own browser download fails on this
/// machine and is never used), with one page whose console errors and failed responses are
/// collected, so every browser test can end by asserting the page stayed clean.
/// </summary>
internal sealed class BrowserSession : IAsyncDisposable
{
    public const string Chromium = "/usr/bin/chromium";

    private readonly IPlaywright _playwright;
    private readonly IBrowserContext _context;
    private readonly DirectoryInfo _profile;

    public IPage Page { get; }
    public List<string> ConsoleErrors { get; } = [];
    /// <summary>Uncaught exceptions of the page's scripts (a module that fails to link or to run lands here, not in the console).</summary>
    public List<string> PageErrors { get; } = [];
    public List<string> FailedRequests { get; } = [];

    private BrowserSession(IPlaywright playwright, IBrowserContext context, DirectoryInfo profile, IPage page)
    {
        _playwright = playwright;
        _context = context;
        _profile = profile;
        Page = page;
        page.Console += (_, m) =>
            { if (m.Type == "error" && !m.Text.StartsWith("Failed to load resource", StringComparison.Ordinal)) ConsoleErrors.Add(m.Text); };
        page.PageError += (_, e) => PageErrors.Add(e);
        page.Response += (_, r) => { if (r.Status >= 400) FailedRequests.Add($"{r.Status} {r.Url}"); };
        // CI runs the test projects side by side on 2 cores: a first page load (cold JIT, a
        // training job beside it) can take longer than Playwright's 30 s there.
        page.SetDefaultTimeout(90_000);
    }

    public static async Task<BrowserSession> OpenAsync(int width = 1280, int height = 800)
    {
        if (!File.Exists(Chromium))
            Assert.Fail($"Chromium is not installed at {Chromium}; the browser tests need it: run `apt-get update && apt-get install -y " +
                $"chromium` (.ci/run does).");
        var playwright = await Playwright.CreateAsync();
        var profile = Directory.CreateTempSubdirectory("mdsl-chromium-");
        var context = await playwright.Chromium.LaunchPersistentContextAsync(profile.FullName, new BrowserTypeLaunchPersistentContextOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-background-networking", "--disable-gpu", "--disable-component-update", "--disable-sync",
                "--no-first-run"],
            ViewportSize = new ViewportSize { Width = width, Height = height },
        });
        var page = context.Pages.Count > 0 ? context.Pages[0] : await context.NewPageAsync();
        return new BrowserSession(playwright, context, profile, page);
    }

    /// <summary>Fills the sign-in form the page was sent to.</summary>
    public async Task SignInAsync(string name, string password)
    {
        await Page.FillAsync("#name", name);
        await Page.FillAsync("#password", password);
        await Page.ClickAsync("#sign-in");
    }

    /// <summary>Opens <paramref name="url"/>, signs in on the form it sends to, and waits until that page's scripts are ready.</summary>
    public async Task SignInAtAsync(string url, string name, string password)
    {
        await Page.GotoAsync(url);
        await SignInAsync(name, password);
        await Page.WaitForSelectorAsync("body[data-ready=true]");
    }

    public async ValueTask DisposeAsync()
    {
        await _context.DisposeAsync();
        _playwright.Dispose();
        try { _profile.Delete(recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
