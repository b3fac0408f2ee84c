using System.Collections.Immutable;
using MarketingDsl.Core.Binding;
using MarketingDsl.Core.Diagnostics;
using MarketingDsl.Core.Functions;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Core.Syntax;
using MarketingDsl.Core.Text;

namespace MarketingDsl.Core;

/// <summary>
/// The front door: parse every file, then bind and check the workspace as a whole. The CLI,
/// the web editor, the engine, the tests and the benchmarks all compile through here.
/// Stages, in order: (1) parse each file to a syntax tree (files are independent, so in
/// parallel); (2) bind: schema, then every name, then bodies (checking types and rules as it
/// goes); (3) sort diagnostics. A compilation never throws on user input.
/// </summary>
public sealed class Compilation
{
    private Compilation(Workspace workspace, ImmutableArray<SyntaxTree> trees, SemanticModel model, ImmutableArray<Diagnostic> diagnostics,
        CustomFunctionSet functions)
    {
        Workspace = workspace;
        Functions = functions;
        SyntaxTrees = trees;
        Model = model;
        Diagnostics = diagnostics;
        ContentHash = ContentHashOf(workspace);
    }

    public Workspace Workspace { get; }

    /// <summary>The custom functions the workspace's `.csx` files declare, as the host's loader compiled them.</summary>
    public CustomFunctionSet Functions { get; }
    public ImmutableArray<SyntaxTree> SyntaxTrees { get; }
    public SemanticModel Model { get; }
    public ImmutableArray<Diagnostic> Diagnostics { get; }
    public bool HasErrors => Diagnostics.Any(d => d.IsError);

    /// <summary>
    /// The workspace's identity: SHA-256 (lower-case hex) over every file's path and text, in path
    /// order, each prefixed by its UTF-8 length so no two workspaces share a stream. The cache key of
    /// compiled plans, the hash a publication confirms and records, and a simulation's content.
    /// </summary>
    public string ContentHash { get; }

    public static Compilation Create(Workspace workspace) => Create(workspace, []);

    /// <summary>
    /// Compiles reusing the syntax tree of every file whose <see cref="SourceText"/> is the very
    /// object a tree in <paramref name="parsed"/> was parsed from (trees are immutable): the
    /// editor recompiles on each keystroke with one file changed and reparses only that one.
    /// </summary>
    public static Compilation Create(Workspace workspace, IEnumerable<SyntaxTree> parsed) => Create(workspace, parsed, null);

    /// <param name="functions">The workspace's custom functions, compiled by the host's loader (MarketingDsl.Functions);
    /// null when the host runs no C# (a call to a custom function is then an unknown function).</param>
    public static Compilation Create(Workspace workspace, IEnumerable<SyntaxTree> parsed, CustomFunctionSet? functions)
    {
        functions ??= CustomFunctionSet.Empty;
        var reusable = new Dictionary<SourceText, SyntaxTree>(ReferenceEqualityComparer.Instance);
        foreach (var tree in parsed) reusable.TryAdd(tree.Text, tree);
        var trees = new SyntaxTree[workspace.Files.Count];
        for (var i = 0; i < trees.Length; i++) trees[i] = reusable.GetValueOrDefault(workspace.Files[i])!;
        var toParse = Enumerable.Range(0, trees.Length).Where(i => trees[i] is null).ToArray();
        if (toParse.Length > 1 && toParse.Sum(i => (long)workspace.Files[i].Text.Length) > 256 * 1024)
            Parallel.ForEach(toParse, i => trees[i] = SyntaxTree.Parse(workspace.Files[i]));
        else
            foreach (var i in toParse) trees[i] = SyntaxTree.Parse(workspace.Files[i]);

        var (model, bindDiagnostics) = new Binder(trees, functions).Bind();
        var diagnostics = DiagnosticOrder.Sort(trees.SelectMany(t =>
            t.Diagnostics).Concat(functions.Diagnostics).Concat(bindDiagnostics)).ToImmutableArray();
        return new Compilation(workspace, [.. trees], model, diagnostics, functions);
    }

    public static Compilation Create(params (string Path, string Text)[] files) => Create(Workspace.FromFiles(files));

    /// <summary>The <see cref="ContentHash"/> of a workspace that is not compiled (a refused reload, say).</summary>
    public static string ContentHashOf(Workspace workspace)
    {
        using var hasher = new ContentHasher();
        foreach (var file in workspace.AllFiles) hasher.Add(file.Path).Add(file.Text);
        return hasher.Finish();
    }

    /// <summary>
    /// Each tag's, segment's and segmentation's key: a hash of what its values depend on (its text,
    /// the schema and settings, what it reads), the same in every compilation where that did not
    /// change. Engines keep evaluated columns by it (<see cref="DeclarationKeys"/>).
    /// </summary>
    public DeclarationKeys DeclarationKeys => _declarationKeys ??= DeclarationKeys.Of(SyntaxTrees, Model);

    private DeclarationKeys? _declarationKeys;
}
