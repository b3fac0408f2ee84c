using System.Text.Json;
using MarketingDsl.Web.Localization;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace MarketingDsl.Web.Pages;

/// <summary>The editor: Monaco with the MarketingDsl language, every feature answered by /api.</summary>
public sealed class IndexModel(IAntiforgery antiforgery, UiText text, Publishing.Publisher publisher) : PageModel
{
    public bool CanEdit { get; private set; }
    /// <summary>Publisher or admin: the Publish button and panel are shown (enabled only when <see cref="HasRuntime"/>).</summary>
    public bool CanPublish { get; private set; }
    public bool HasRuntime { get; private set; }
    public string ConfigJson { get; private set; } = "{}";

    public void OnGet(string? file, string? panel)
    {
        CanEdit = User.IsInRole(Roles.Editor) || User.IsInRole(Roles.Publisher) || User.IsInRole(Roles.Admin);
        CanPublish = User.IsInRole(Roles.Publisher) || User.IsInRole(Roles.Admin);
        HasRuntime = publisher.Runtime is not null;
        var tokens = antiforgery.GetAndStoreTokens(HttpContext);
        var config = new
        {
            antiforgeryToken = tokens.RequestToken,
            header = EditorApp.AntiforgeryHeader,
            canEdit = CanEdit,
            canPublish = CanPublish && HasRuntime,
            language = text.Language,
            file,
            panel = panel is "problems" or "tests" or "journeys" || (panel == "publish" && CanPublish) ? panel : "problems",
            texts = text.ForScript(),
        };
        // Escape '<' so the JSON cannot close the script element.
        ConfigJson = JsonSerializer.Serialize(config).Replace("<", "\\u003c", StringComparison.Ordinal);
    }
}
