using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using MarketingDsl.Core;
using MarketingDsl.Core.Diagnostics;
using MarketingDsl.Core.Functions;
using MarketingDsl.Core.Syntax;
using MarketingDsl.Functions.Budget;

namespace MarketingDsl.Functions.Loading;

/// <summary>
/// Loads the function files of workspaces, each compiled once per content (path and text): an
/// editor keystroke in a `.mdsl` file or a `serve` reload of unchanged functions reuses the loaded
/// code. A bounded cache; a file pushed out (or replaced by a new version after
/// <see cref="Capacity"/> others) has its load context unloaded, so its code is collected once
/// no compiled plan uses it any more.
/// </summary>
public sealed class FunctionLoader(FunctionLimits? limits = null, bool instrument = true, int capacity = 64)
{
    /// <summary>The loader every host uses (CLI, live runtime, web editor).</summary>
    public static FunctionLoader Shared { get; } = new();

    private readonly FunctionLimits _limits = limits ?? FunctionLimits.Default;
    private readonly LinkedList<(string Key, LoadedFunctionFile File)> _order = new();
    private readonly Dictionary<string, LinkedListNode<(string Key, LoadedFunctionFile File)>> _byKey = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public int Capacity { get; } = capacity;

    /// <summary>Function files are code an engineer writes by hand; a larger one is a mistake or an attack on the compiler.</summary>
    public const int MaxFileLength = 1024 * 1024;

    public CustomFunctionSet Load(Workspace workspace)
    {
        if (workspace.FunctionFiles.Count == 0) return CustomFunctionSet.Empty;
        var functions = ImmutableArray.CreateBuilder<CustomFunctionSymbol>();
        var diagnostics = ImmutableArray.CreateBuilder<Diagnostic>();
        var withErrors = ImmutableArray.CreateBuilder<string>();
        foreach (var file in workspace.FunctionFiles)
        {
            if (!Workspace.IsFunctionPath(file.Path))
            {
                diagnostics.Add(Diagnostic.AtFile(FunctionErrors.Misplaced(), file.Path));
                continue;
            }
            if (file.Text.Length > MaxFileLength)
            {
                diagnostics.Add(Diagnostic.AtFile(FunctionErrors.TooLarge(file.Text.Length, MaxFileLength), file.Path));
                continue;
            }
            var loaded = Get(file);
            functions.AddRange(loaded.Functions);
            if (!loaded.WithErrors.IsDefault) withErrors.AddRange(loaded.WithErrors);
            diagnostics.AddRange(loaded.Diagnostics);
        }
        return new CustomFunctionSet(functions.ToImmutable(), diagnostics.ToImmutable(), withErrors.ToImmutable());
    }

    private LoadedFunctionFile Get(Core.Text.SourceText file)
    {
        var key = Key(file);
        lock (_lock)
        {
            if (_byKey.TryGetValue(key, out var hit))
            {
                _order.Remove(hit);
                _order.AddFirst(hit);
                return Rebind(hit.Value.File, file);
            }
        }
        var loaded = FunctionFileCompiler.Compile(file, _limits, instrument); // outside the lock: compiling takes a while
        lock (_lock)
        {
            if (_byKey.TryGetValue(key, out var raced))
            {
                loaded.Context?.Unload();
                return Rebind(raced.Value.File, file);
            }
            _byKey[key] = _order.AddFirst((key, loaded));
            while (_order.Count > Capacity)
            {
                var evicted = _order.Last!.Value;
                _byKey.Remove(evicted.Key);
                _order.RemoveLast();
                evicted.File.Context?.Unload();
            }
            return loaded;
        }
    }

    /// <summary>Forgets every loaded file and unloads its context (tests of collection; a host shutting down).</summary>
    public void Clear()
    {
        lock (_lock)
        {
            foreach (var (_, file) in _order) file.Context?.Unload();
            _order.Clear();
            _byKey.Clear();
        }
    }

    /// <summary>The load contexts of the files in the cache (tests of unloading).</summary>
    internal IReadOnlyList<System.Runtime.Loader.AssemblyLoadContext> Contexts
    {
        get { lock (_lock) return [.. _order.Select(e => e.File.Context).OfType<System.Runtime.Loader.AssemblyLoadContext>()]; }
    }

    /// <summary>The same compiled file for a new SourceText object of the same text (spans stay valid).</summary>
    private static LoadedFunctionFile Rebind(LoadedFunctionFile loaded, Core.Text.SourceText file) =>
        ReferenceEquals(loaded.Functions.FirstOrDefault()?.File, file) ? loaded : loaded with
        {
            Functions = [.. loaded.Functions.Select(f => new CustomFunctionSymbol(f.Name, f.Parameters, f.Returns, file, f.Span, f.Invoker))],
        };

    private string Key(Core.Text.SourceText file)
    {
        var bytes = SHA256.HashData(Encoding.UTF8.GetBytes($"{file.Path}\0{file.Text}\0{instrument}\0{_limits}"));
        return Convert.ToHexString(bytes);
    }
}

/// <summary>
/// The front door with custom functions: loads the workspace's function files through
/// <see cref="FunctionLoader.Shared"/> and compiles the workspace against them. Every host goes
/// through here instead of calling <see cref="Compilation.Create(Workspace)"/> directly.
/// </summary>
public static class FunctionCompilation
{
    public static Compilation Create(Workspace workspace, IEnumerable<SyntaxTree>? parsed = null, FunctionLoader? loader = null) =>
        Compilation.Create(workspace, parsed ?? [], (loader ?? FunctionLoader.Shared).Load(workspace));
}
