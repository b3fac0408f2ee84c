using MarketingDsl.Core;
using MarketingDsl.Core.Text;
using MarketingDsl.Functions.Loading;
using MarketingDsl.Web.Storage;

namespace MarketingDsl.Web.Simulations;

/// <summary>An editor buffer sent with a run: a workspace file's unsaved text.</summary>
public sealed record BufferText(string? Path, string? Text);

/// <summary>A workspace that does not compile: the run stops before any data is read.</summary>
public sealed class CompileFailedException(string message, IReadOnlyList<RunDiagnostic> diagnostics) : Exception(message)
{
    public IReadOnlyList<RunDiagnostic> Diagnostics { get; } = diagnostics;
}

/// <summary>The workspaces a run or a diff compiles: the working copy (saved files, optionally with unsaved buffers) or it with one file's saved
/// version.</summary>
public static class WorkspaceSources
{
    public const int MaxBuffers = 200;

    /// <summary>The files on disk, with each buffer in place of its file (or added, for a new file).</summary>
    /// <exception cref="UnsafePathException">A buffer's path is not a workspace file path.</exception>
    public static Workspace WorkingCopy(WorkspaceFolder folder, IReadOnlyList<BufferText>? buffers, out List<string> replaced)
    {
        replaced = [];
        var workspace = folder.Load();
        if (buffers is null || buffers.Count == 0) return workspace;
        if (buffers.Count > MaxBuffers) throw new UnsafePathException($"At most {MaxBuffers} buffers can be sent.");
        foreach (var buffer in buffers)
        {
            folder.Resolve(buffer.Path);
            if ((buffer.Text ?? "").Length > WorkspaceFolder.MaxFileChars) throw new UnsafePathException($"The buffer '{buffer.Path}' is too large.");
            workspace = WithFile(workspace, buffer.Path!, buffer.Text ?? "");
            replaced.Add(buffer.Path!);
        }
        return workspace;
    }

    public static Workspace WithFile(Workspace workspace, string path, string text) =>
        new(workspace.AllFiles.Where(f => f.Path != path).Append(new SourceText(path, text)));

    /// <summary>Compiles, or throws with every error and its location (<paramref name="what"/> names the side in a diff).</summary>
    /// <exception cref="CompileFailedException"/>
    public static Compilation Compile(Workspace workspace, string what)
    {
        var compilation = FunctionCompilation.Create(workspace);
        if (!compilation.HasErrors) return compilation;
        var errors = compilation.Diagnostics.Where(d => d.IsError).Take(50).Select(d => new RunDiagnostic
        {
            Path = d.FilePath, Line = d.Start.Line, Column = d.Start.Column, Code = d.Code, Message = d.Message,
            MessageZh = d.MessageIn(Localization.UiText.Chinese),
        }).ToList();
        var first = errors[0];
        throw new CompileFailedException(
            $"{what} has {compilation.Diagnostics.Count(d => d.IsError)} error(s), so it cannot be simulated; " +
            $"the first: {first.Path}:{first.Line}:{first.Column}: {first.Code}: {first.Message}",
            errors);
    }
}
