using MarketingDsl.Web.Localization;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace MarketingDsl.Web.Pages;

/// <summary>Simulation of the working copy: choose a data folder and an as-of instant, run, see charts; stored runs can be reopened. Drawn by
/// simulation.js from /api.</summary>
public sealed class SimulationModel(IAntiforgery antiforgery, UiText text) : PageModel
{
    public bool CanRun { get; private set; }
    public string ConfigJson { get; private set; } = "{}";

    public void OnGet(int? run)
    {
        CanRun = ScriptConfig.CanRun(User);
        ConfigJson = ScriptConfig.For(HttpContext, antiforgery, text, ["sim.", "results."], CanRun, new { run });
    }
}
