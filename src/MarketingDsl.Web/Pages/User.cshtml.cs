using MarketingDsl.Web.Localization;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace MarketingDsl.Web.Pages;

/// <summary>One user of a data folder as the working copy sees them (`/User?id=…&amp;folder=…&amp;asOf=…`). Drawn by user.js from
/// /api/user-page.</summary>
public sealed class UserModel(IAntiforgery antiforgery, UiText text) : PageModel
{
    public bool CanRun { get; private set; }
    public string ConfigJson { get; private set; } = "{}";

    public void OnGet()
    {
        CanRun = ScriptConfig.CanRun(User);
        ConfigJson = ScriptConfig.For(HttpContext, antiforgery, text, "user.", CanRun);
    }
}
