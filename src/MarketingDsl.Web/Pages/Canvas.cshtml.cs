using MarketingDsl.Runtime;
using MarketingDsl.Web.Localization;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace MarketingDsl.Web.Pages;

/// <summary>
/// The journey canvas: a journey drawn as a graph (js/canvas/, laid out by dagre) next to its text;
/// editors change either and the other follows (/api/canvas), viewers read. `?file=` and `?journey=` open one.
/// Under `mdsl serve` the counts on the nodes are the live runtime's by default (polled).
/// </summary>
public sealed class CanvasModel(IAntiforgery antiforgery, UiText text, IServiceProvider services) : PageModel
{
    public bool CanEdit { get; private set; }
    public string ConfigJson { get; private set; } = "{}";

    public void OnGet(string? file, string? journey)
    {
        CanEdit = ScriptConfig.CanRun(User);
        var live = services.GetService(typeof(LiveRuntime)) is not null;
        ConfigJson = ScriptConfig.For(HttpContext, antiforgery, text, "canvas.", CanEdit, new { file, journey, live });
    }
}
