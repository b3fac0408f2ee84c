using LiteDB;

namespace MarketingDsl.Web.Storage;

/// <summary>A local account. <see cref="PasswordHash"/> is a PBKDF2 hash (ASP.NET Core Identity's PasswordHasher, v3 format).</summary>
public sealed class EditorUser
{
    public ObjectId Id { get; set; } = ObjectId.Empty;
    public string Name { get; set; } = "";
    public string PasswordHash { get; set; } = "";
    public string Role { get; set; } = Roles.Viewer;
    /// <summary>The UI language the user last chose (`en` or `zh-CN`); null until they choose.</summary>
    public string? Language { get; set; }
    public DateTime CreatedUtc { get; set; }
}

/// <summary>One saved text of one workspace file: what was written to disk, by whom and when.</summary>
public sealed class FileVersion
{
    public int Id { get; set; }
    public string Path { get; set; } = "";
    public string Text { get; set; } = "";
    public string Author { get; set; } = "";
    public DateTime SavedUtc { get; set; }
}

/// <summary>
/// The embedded store (LiteDB): accounts and file versions. Opened in shared mode so
/// `mdsl user add` can write while the editor runs.
/// </summary>
public sealed partial class EditorStore : IDisposable
{
    private readonly LiteDatabase _db;

    public EditorStore(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        // LiteDB's default mapper trims strings and turns "" into null: a saved text must stay byte for byte.
        var mapper = new BsonMapper { TrimWhitespace = false, EmptyStringToNull = false };
        _db = new LiteDatabase(new ConnectionString { Filename = Path, Connection = ConnectionType.Shared }, mapper);
        Users.EnsureIndex(u => u.Name, unique: true);
        Versions.EnsureIndex(v => v.Path);
    }

    public string Path { get; }

    /// <summary>Where the store lives when not configured: `WORKSPACE/.mdsl/editor.db` (hidden from the workspace listing).</summary>
    public static string DefaultPath(string workspace) => System.IO.Path.Combine(workspace, ".mdsl", "editor.db");

    private ILiteCollection<EditorUser> Users => _db.GetCollection<EditorUser>("users");
    private ILiteCollection<FileVersion> Versions => _db.GetCollection<FileVersion>("versions");

    public EditorUser? FindUser(string name) => Users.FindOne(u => u.Name == name);

    public IReadOnlyList<EditorUser> AllUsers() => [.. Users.FindAll().OrderBy(u => u.Name, StringComparer.Ordinal)];

    /// <summary>Adds the user, or replaces the password and role of an existing one; true when added.</summary>
    public bool UpsertUser(string name, string passwordHash, string role, DateTime nowUtc)
    {
        var existing = FindUser(name);
        if (existing is null)
        {
            Users.Insert(new EditorUser { Name = name, PasswordHash = passwordHash, Role = role, CreatedUtc = nowUtc });
            return true;
        }
        existing.PasswordHash = passwordHash;
        existing.Role = role;
        Users.Update(existing);
        return false;
    }

    /// <summary>Remembers the user's UI language, so it follows them to another browser.</summary>
    public void SetLanguage(string name, string language)
    {
        if (FindUser(name) is not { } user || user.Language == language) return;
        user.Language = language;
        Users.Update(user);
    }

    public void UpdatePasswordHash(EditorUser user, string passwordHash)
    {
        user.PasswordHash = passwordHash;
        Users.Update(user);
    }

    public FileVersion AddVersion(string path, string text, string author, DateTime nowUtc)
    {
        var version = new FileVersion { Path = path, Text = text, Author = author, SavedUtc = nowUtc };
        Versions.Insert(version);
        return version;
    }

    public FileVersion? FindVersion(int id) => Versions.FindById(id);

    /// <summary>Versions newest first, of one file or of all files.</summary>
    public IReadOnlyList<FileVersion> History(string? path, int limit = 200)
    {
        var query = path is null ? Versions.Query() : Versions.Query().Where(v => v.Path == path);
        return query.OrderByDescending(v => v.Id).Limit(limit).ToList();
    }

    /// <summary>The version of the same file saved just before this one, if any.</summary>
    public FileVersion? Previous(FileVersion version) =>
        Versions.Query().Where(v => v.Path == version.Path && v.Id < version.Id).OrderByDescending(v => v.Id).FirstOrDefault();

    public void Dispose() => _db.Dispose();
}
