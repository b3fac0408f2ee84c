using System.Text;
using MarketingDsl.Core.Formatting;
using MarketingDsl.Core.Syntax;

namespace MarketingDsl.Core.Tests.Formatting;

/// <summary>Formatting and semantic comparison helpers shared by the formatter tests.</summary>
internal static class FormatterTestKit
{
    public static string Format(string text, string path = "test.mdsl") => SyntaxFormatter.Format(SyntaxTree.Parse(path, text));

    /// <summary>Formats twice and checks the second pass changes nothing.</summary>
    public static string FormatIdempotent(string text, string path = "test.mdsl")
    {
        var once = Format(text, path);
        var twice = Format(once, path);
        Assert.Equal(once, twice);
        return once;
    }

    /// <summary>What checking a workspace means, independent of layout: every declaration with its
    /// label, documentation, type and dependencies, and the diagnostic codes in order.</summary>
    public static string SemanticSignature(params (string Path, string Text)[] files)
    {
        var compilation = Compilation.Create(files);
        var model = compilation.Model;
        var sb = new StringBuilder();
        sb.Append($"profile {string.Join(",", model.Schema.ProfileFields)} identity {string.Join(",", model.Schema.IdentityKeys)} tz " +
            $"{model.Schema.TimeZone}\n");
        foreach (var e in model.Schema.Events)
            sb.Append($"event {e.Name}: {string.Join(",", e.Fields)}\n");
        foreach (var s in model.Outputs)
            sb.Append($"{s.Kind} {s.Name} [{s.Label}] <{s.Documentation}> : {s.Type} phase {s.Phase} deps " +
                $"{string.Join(",", s.Dependencies.Select(d => d.Name))}\n");
        foreach (var s in model.Segmentations)
            sb.Append($"rules {s.Name}: {string.Join(",", s.Rules.Select(r => $"{r.Name} [{r.Label}] else {r.IsElse}"))}\n");
        foreach (var m in model.Models)
            sb.Append($"{m.Kind} {m.Name} [{m.Label}] features {m.Features.Length} predict {m.PredictLabel is not null}\n");
        foreach (var c in model.Channels)
            sb.Append($"channel {c.Name} cost {c.Cost} cap {c.CapCount}/{c.CapWindowTicks} quiet {c.Quiet}\n");
        foreach (var j in model.Journeys)
            sb.Append($"journey {j.Name} [{j.Label}] holdout {j.HoldoutPercent} steps {j.Steps.Length} trigger " +
                $"{j.Trigger?.GetType().Name} reentry {j.Reentry}\n");
        foreach (var t in model.Tests)
            sb.Append($"test {t.Name} statements {t.Statements.Length}\n");
        foreach (var d in compilation.Diagnostics)
            sb.Append($"{d.Severity} {d.Code} {d.FilePath}\n");
        return sb.ToString();
    }

    public static void AssertSameSemantics(string before, string after, string path = "test.mdsl") =>
        Assert.Equal(SemanticSignature((path, before)), SemanticSignature((path, after)));
}
