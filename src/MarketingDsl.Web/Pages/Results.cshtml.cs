using MarketingDsl.Runtime;
using MarketingDsl.Web.Localization;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace MarketingDsl.Web.Pages;

/// <summary>
/// Campaign results per journey, drawn by results.js: live from GET /api/journeys/NAME/results
/// (polled while `mdsl serve` runs the runtime in this process), or from a replay's
/// `journeys.json` opened from disk — the same view for both.
/// </summary>
public sealed class ResultsModel(IAntiforgery antiforgery, UiText text, IServiceProvider services) : PageModel
{
    public string ConfigJson { get; private set; } = "{}";
    public bool Live { get; private set; }

    public void OnGet()
    {
        var runtime = services.GetService(typeof(LiveRuntime)) as LiveRuntime;
        Live = runtime is not null;
        var journeys = runtime?.Model.Journeys.Where(j => j.Trigger is not null).Select(j => new { name = j.Name, label = j.Label }).ToArray() ?? [];
        ConfigJson = ScriptConfig.For(HttpContext, antiforgery, text, "results.", canRun: false, new { live = Live, journeys });
    }
}
