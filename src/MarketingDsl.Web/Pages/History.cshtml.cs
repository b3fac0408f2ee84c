using MarketingDsl.Web.Storage;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace MarketingDsl.Web.Pages;

/// <summary>
/// Saved versions (newest first) and, for a chosen one, its diff against the file's previous
/// version (drawn by Monaco's diff editor).
/// </summary>
public sealed class HistoryModel(EditorStore store, WorkspaceFolder folder) : PageModel
{
    public string? Path { get; private set; }
    public IReadOnlyList<string> Files { get; private set; } = [];
    public IReadOnlyList<FileVersion> Versions { get; private set; } = [];
    public FileVersion? Selected { get; private set; }
    public FileVersion? Previous { get; private set; }
    /// <summary>The diff editor's texts (previous → selected), for js/history.js.</summary>
    public string DiffJson { get; private set; } = "{}";
    public string? Error { get; private set; }

    public void OnGet(string? path, int? version)
    {
        Files = folder.ListFiles();
        Path = string.IsNullOrEmpty(path) ? null : path;
        if (Path is not null)
        {
            try
            {
                folder.Resolve(Path);
            }
            catch (UnsafePathException ex)
            {
                Error = ex.Message;
                Path = null;
            }
        }
        Versions = store.History(Path);
        Selected = version is { } id ? store.FindVersion(id) : Versions.FirstOrDefault();
        if (Selected is null) return;
        Previous = store.Previous(Selected);
        // Escape '<' so the JSON cannot close the script element.
        DiffJson = System.Text.Json.JsonSerializer.Serialize(new { path = Selected.Path, original = Previous?.Text ?? "", modified = Selected.Text })
            .Replace("<", "\\u003c", StringComparison.Ordinal);
    }
}
