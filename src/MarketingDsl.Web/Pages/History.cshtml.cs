using MarketingDsl.Web.Storage;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace MarketingDsl.Web.Pages;

/// <summary>Saved versions (newest first) and, for a chosen one, its line diff against the file's previous version.</summary>
public sealed class HistoryModel(EditorStore store, WorkspaceFolder folder) : PageModel
{
    public string? Path { get; private set; }
    public IReadOnlyList<string> Files { get; private set; } = [];
    public IReadOnlyList<FileVersion> Versions { get; private set; } = [];
    public FileVersion? Selected { get; private set; }
    public FileVersion? Previous { get; private set; }
    public IReadOnlyList<DiffLine> Diff { get; private set; } = [];
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
        Diff = LineDiff.Compute(Previous?.Text ?? "", Selected.Text);
    }
}
