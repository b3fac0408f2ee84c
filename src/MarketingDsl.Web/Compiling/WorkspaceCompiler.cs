using System.Collections.Concurrent;
using System.Diagnostics;
using MarketingDsl.Core;
using MarketingDsl.Core.Syntax;
using MarketingDsl.Core.Text;
using MarketingDsl.Functions.Loading;
using MarketingDsl.Web.Storage;

namespace MarketingDsl.Web.Compiling;

/// <summary>An unsaved editor buffer: a workspace path and its text.</summary>
public sealed record EditorBuffer(string? Path, string? Text);

/// <summary>A place in a workspace file (one-based), for links from the page back to the source.</summary>
public sealed record SourcePlace(string Path, int Line, int Column);

/// <summary>Where the time of one compilation went (milliseconds), reported by the API for the latency figures.</summary>
public sealed record CompileTiming(double LoadMs, double CompileMs, int Files, int Reparsed);

/// <summary>
/// Compiles the workspace on disk with the editor's unsaved buffers in place of their files,
/// through the one <see cref="Compilation"/>. The editor asks on every pause in typing, so
/// what did not change is not redone: a file on disk is read again only when its size or time
/// changes, and a file (on disk or in a buffer) is parsed again only when its text changes —
/// an edit reparses the edited buffer and binds the workspace.
/// </summary>
public sealed class WorkspaceCompiler(WorkspaceFolder folder)
{
    /// <summary>Buffers remembered for reuse; more (many distinct unsaved paths) clears the memory.</summary>
    private const int MaxRememberedBuffers = 256;

    private sealed record DiskFile(DateTime WrittenUtc, long Length, SourceText Source);

    private readonly ConcurrentDictionary<string, DiskFile> _disk = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SourceText> _buffers = new(StringComparer.Ordinal);
    private readonly ParsedTrees _trees = new();

    public WorkspaceFolder Folder => folder;

    /// <summary>Paths are checked (<see cref="WorkspaceFolder.Resolve"/>); a buffer replaces its file or is added when new.</summary>
    /// <exception cref="UnsafePathException"/>
    public Compilation Compile(IReadOnlyList<EditorBuffer> buffers, out CompileTiming timing)
    {
        var watch = Stopwatch.StartNew();
        var overrides = new Dictionary<string, SourceText>(StringComparer.Ordinal);
        foreach (var buffer in buffers)
        {
            folder.Resolve(buffer.Path);
            overrides[buffer.Path!] = BufferSource(buffer.Path!, buffer.Text ?? "");
        }
        var files = new List<SourceText>();
        foreach (var path in folder.ListFiles())
            if (!overrides.ContainsKey(path) && DiskSource(path) is { } source) files.Add(source);
        files.AddRange(overrides.Values);
        var workspace = new Workspace(files);
        var loadMs = watch.Elapsed.TotalMilliseconds;

        var known = workspace.Files.Select(_trees.Get).OfType<SyntaxTree>().ToList();
        var compilation = FunctionCompilation.Create(workspace, known);
        foreach (var tree in compilation.SyntaxTrees) _trees.Set(tree);
        timing = new CompileTiming(Math.Round(loadMs, 2), Math.Round(watch.Elapsed.TotalMilliseconds - loadMs, 2), workspace.Files.Count,
            workspace.Files.Count - known.Count);
        return compilation;
    }

    public Compilation Compile(params EditorBuffer[] buffers) => Compile(buffers, out _);

    /// <summary>The editor wrote the file: read it again next time even if its size and time look the same (coarse file-system clocks).</summary>
    public void Written(string path) => _disk.TryRemove(path, out _);

    private SourceText BufferSource(string path, string text)
    {
        if (_buffers.TryGetValue(path, out var known) && known.Text == text) return known;
        if (_disk.TryGetValue(path, out var disk) && disk.Source.Text == text) return disk.Source;
        if (_buffers.Count >= MaxRememberedBuffers) _buffers.Clear();
        var source = new SourceText(path, text);
        _buffers[path] = source;
        return source;
    }

    private SourceText? DiskSource(string path)
    {
        var info = new FileInfo(Path.Combine(folder.Root, path));
        if (!info.Exists) return null;
        if (_disk.TryGetValue(path, out var known) && known.WrittenUtc == info.LastWriteTimeUtc && known.Length == info.Length) return known.Source;
        string text;
        try
        {
            text = File.ReadAllText(info.FullName);
        }
        catch (IOException)
        {
            return null; // removed or replaced while listing: the next request sees the folder as it is then
        }
        var source = _buffers.TryGetValue(path, out var buffer) && buffer.Text == text ? buffer : new SourceText(path, text);
        _disk[path] = new DiskFile(info.LastWriteTimeUtc, info.Length, source);
        return source;
    }

    /// <summary>The tree parsed from each remembered text; dropped with the text when it is no longer remembered.</summary>
    private sealed class ParsedTrees
    {
        private readonly System.Runtime.CompilerServices.ConditionalWeakTable<SourceText, SyntaxTree> _table = [];
        public SyntaxTree? Get(SourceText source) => _table.TryGetValue(source, out var tree) ? tree : null;
        public void Set(SyntaxTree tree) => _table.AddOrUpdate(tree.Text, tree);
    }
}
