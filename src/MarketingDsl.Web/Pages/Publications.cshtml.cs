using MarketingDsl.Web.Localization;
using MarketingDsl.Web.Publishing;
using MarketingDsl.Web.Storage;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace MarketingDsl.Web.Pages;

/// <summary>
/// The publications to the live runtime, newest first (publishing itself is on the editor page);
/// a publisher can roll back to an earlier one whose files were kept (publications.js, the same
/// preview and confirmation as publishing).
/// </summary>
public sealed class PublicationsModel(EditorStore store, Publisher publisher, IAntiforgery antiforgery, UiText text) : PageModel
{
    public IReadOnlyList<Publication> Publications { get; private set; } = [];
    public bool HasRuntime { get; private set; }
    public bool CanPublish { get; private set; }
    /// <summary>The publications a rollback can install: installed, files kept, and not the version running now (the newest installed).</summary>
    public HashSet<int> CanRollBack { get; private set; } = [];
    public string ConfigJson { get; private set; } = "{}";

    public void OnGet()
    {
        HasRuntime = publisher.Runtime is not null;
        CanPublish = User.IsInRole(Roles.Publisher) || User.IsInRole(Roles.Admin);
        Publications = store.PublicationHistory();
        var kept = store.KeptWorkspaceHashes();
        var running = Publications.FirstOrDefault(p => p.Installed);
        if (HasRuntime && CanPublish)
            CanRollBack = [.. Publications.Where(p => p.Installed && kept.Contains(p.Hash) && p.Hash != running?.Hash).Select(p => p.Id)];
        ConfigJson = ScriptConfig.For(HttpContext, antiforgery, text, ["pub.", "editor.publish"], CanPublish);
    }
}
