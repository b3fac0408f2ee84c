using MarketingDsl.Web.Localization;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace MarketingDsl.Web.Pages;

/// <summary>The models of the workspace: state, reports with charts, and the Train action (editor role). Drawn by
/// models.js from /api/models.</summary>
public sealed class ModelsModel(IAntiforgery antiforgery, UiText text) : PageModel
{
    public bool CanRun { get; private set; }
    public string ConfigJson { get; private set; } = "{}";

    public void OnGet()
    {
        CanRun = ScriptConfig.CanRun(User);
        ConfigJson = ScriptConfig.For(HttpContext, antiforgery, text, "models.", CanRun);
    }
}
