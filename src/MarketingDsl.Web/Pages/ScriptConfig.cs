using System.Text.Json;
using MarketingDsl.Web.Localization;
using Microsoft.AspNetCore.Antiforgery;

namespace MarketingDsl.Web.Pages;

/// <summary>The JSON block a page hands its script (no inline script: the CSP allows only scripts from this site).</summary>
public static class ScriptConfig
{
    public static string For(HttpContext context, IAntiforgery antiforgery, UiText text, string textPrefix, bool canRun, object? extra = null) =>
        For(context, antiforgery, text, [textPrefix], canRun, extra);

    /// <summary>The config with the texts of several prefixes (a page that shows another page's parts, such as the publish preview).</summary>
    public static string For(HttpContext context, IAntiforgery antiforgery, UiText text, string[] textPrefixes, bool canRun, object? extra = null)
    {
        var tokens = antiforgery.GetAndStoreTokens(context);
        var config = new Dictionary<string, object?>
        {
            ["antiforgeryToken"] = tokens.RequestToken,
            ["header"] = EditorApp.AntiforgeryHeader,
            ["canRun"] = canRun,
            ["language"] = text.Language,
            ["texts"] = textPrefixes.SelectMany(p => text.ForScript(p)).DistinctBy(t => t.Key).ToDictionary(t => t.Key, t => t.Value),
            ["extra"] = extra,
        };
        // Escape '<' so the JSON cannot close the script element.
        return JsonSerializer.Serialize(config).Replace("<", "\\u003c", StringComparison.Ordinal);
    }

    public static bool CanRun(System.Security.Claims.ClaimsPrincipal user) => user.IsInRole(Roles.Editor) || user.IsInRole(Roles.Publisher)
        || user.IsInRole(Roles.Admin);
}
