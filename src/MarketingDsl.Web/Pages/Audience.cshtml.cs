using MarketingDsl.Web.Localization;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace MarketingDsl.Web.Pages;

/// <summary>The audience diff: users added to and removed from each segment and group between two versions of the
/// rules. Drawn by audience.js from /api.</summary>
public sealed class AudienceModel(IAntiforgery antiforgery, UiText text) : PageModel
{
    public bool CanRun { get; private set; }
    public string ConfigJson { get; private set; } = "{}";

    public void OnGet()
    {
        CanRun = ScriptConfig.CanRun(User);
        ConfigJson = ScriptConfig.For(HttpContext, antiforgery, text, "diff.", CanRun);
    }
}
