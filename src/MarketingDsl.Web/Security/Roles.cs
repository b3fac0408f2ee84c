namespace MarketingDsl.Web;

/// <summary>Roles, each including the rights of the ones before it: viewer (read), editor (save), publisher (publish
/// the saved workspace to the live runtime of `mdsl serve`), admin.</summary>
public static class Roles
{
    public const string Viewer = "viewer";
    public const string Editor = "editor";
    public const string Publisher = "publisher";
    public const string Admin = "admin";

    public static readonly IReadOnlyList<string> All = [Viewer, Editor, Publisher, Admin];

    public static bool IsKnown(string role) => All.Contains(role);
}

/// <summary>Authorization policy names used by pages and the API.</summary>
public static class Policies
{
    public const string Read = "read";
    public const string Edit = "edit";
    public const string Publish = "publish";
    public const string Administer = "admin";
}
