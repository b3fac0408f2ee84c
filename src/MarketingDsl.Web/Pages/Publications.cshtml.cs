using MarketingDsl.Web.Publishing;
using MarketingDsl.Web.Storage;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace MarketingDsl.Web.Pages;

/// <summary>The publications to the live runtime, newest first (publishing itself is on the editor page).</summary>
public sealed class PublicationsModel(EditorStore store, Publisher publisher) : PageModel
{
    public IReadOnlyList<Publication> Publications { get; private set; } = [];
    public bool HasRuntime { get; private set; }

    public void OnGet()
    {
        HasRuntime = publisher.Runtime is not null;
        Publications = store.PublicationHistory();
    }
}
