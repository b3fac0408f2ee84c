using System.Globalization;
using System.Text;
using MarketingDsl.Core.Formatting;
using MarketingDsl.Core.Syntax;
using MarketingDsl.Core.Text;

namespace MarketingDsl.LanguageService.Journeys;

/// <summary>
/// One canvas edit of a journey. Op: add_step (Block, Index, Kind, Properties) · remove_step (Node) ·
/// move_step (Node → Block, Index: the index among the target block's steps as they are now) ·
/// set_properties (Node, Properties; on a missing header node — audience, reentry, goal, holdout — adds it,
/// an empty audience/holdout removes it) · remove_property (Node) · add_branch (Node: an `if` gets an
/// `else`, or an `else if` with Properties.condition when it has one; a split an arm with Properties.percent,
/// and optionally a step: Kind and the step's Properties) · remove_branch (Node, Branch) ·
/// create_journey (Properties name, label, trigger). Property values are DSL as written (strings unquoted).
/// </summary>
public sealed record JourneyEdit(string Op, string? Node = null, string? Block = null, int? Index = null, string? Kind = null,
    IReadOnlyDictionary<string, string?>? Properties = null, int? Branch = null);

/// <summary>The file's new text (formatted), or why the edit was refused (the text is then unchanged).</summary>
public sealed record JourneyEditResult(string? Text, string? Error)
{
    public bool Succeeded => Text is not null;
}

/// <summary>
/// Applies canvas edits as text edits of the journey's source: the smallest change that says it
/// (a step's lines cut and pasted with their comments, only the tokens of a property that change
/// replaced, so every comment stays; removing a thing removes its own comments), then the whole
/// file through <see cref="SyntaxFormatter"/>. Every fragment a user typed is parsed on its own first
/// and must be exactly one thing of its kind, so no value can reach outside its place in the text.
/// </summary>
public static class JourneyEditor
{
    public static readonly IReadOnlyList<string> HeaderOrder = ["trigger", "audience", "reentry", "goal", "holdout"];

    public static JourneyEditResult Apply(string path, string text, string journey, JourneyEdit edit)
    {
        ArgumentNullException.ThrowIfNull(edit);
        var tree = SyntaxTree.Parse(path, text);
        if (tree.HasErrors) return Fail("The file has syntax errors; fix them in the text first.");
        try
        {
            if (edit.Op == "create_journey") return Finish(path, text, CreateJourney(tree, edit));
            if (JourneySource.Find(tree, journey) is not { } source) return Fail($"There is no journey '{journey}' in '{path}'.");
            // A step can only be added to a block with braces: `50%: send …` and `else send …` get them first.
            if (edit.Op is "add_step" or "move_step" && edit.Block is { } target && source.Blocks.TryGetValue(target, out var block) && !block.Braced)
            {
                if (block.IsElseIf) return Fail("This else is an 'else if'; add the step inside one of its blocks.");
                text = Replace(text, block.Span, "{\n" + source.Text.Substring(block.Span.Start, block.Span.Length) + "\n}");
                source = JourneySource.Find(SyntaxTree.Parse(path, text), journey)!;
            }
            var changes = edit.Op switch
            {
                "add_step" => AddStep(source, edit),
                "remove_step" => RemoveStep(source, Required(edit.Node, "node")),
                "move_step" => MoveStep(source, edit),
                "set_properties" => SetProperties(source, edit),
                "remove_property" => RemoveProperty(source, Required(edit.Node, "node")),
                "add_branch" => AddBranch(source, edit),
                "remove_branch" => RemoveBranch(source, edit),
                _ => throw new EditRefused($"Unknown edit '{edit.Op}'."),
            };
            return Finish(path, text, ApplyChanges(text, changes));
        }
        catch (EditRefused refused)
        {
            return Fail(refused.Message);
        }
    }

    private static JourneyEditResult Finish(string path, string original, string edited)
    {
        var tree = SyntaxTree.Parse(path, edited);
        if (tree.HasErrors)
        {
            var first = tree.Diagnostics.First(d => d.IsError);
            return Fail($"The edit would make the text invalid: {first.Message}");
        }
        return new JourneyEditResult(SyntaxFormatter.Format(tree), null);
    }

    private static JourneyEditResult Fail(string message) => new(null, message);

    private sealed class EditRefused(string message) : Exception(message);

    private readonly record struct Change(int Start, int Length, string Text);

    // ------------------------------------------------------------------ steps

    private static List<Change> AddStep(JourneySource source, JourneyEdit edit)
    {
        var block = BlockOf(source, Required(edit.Block, "block"));
        var index = edit.Index ?? block.Steps.Length;
        var text = StepText(Required(edit.Kind, "kind"), edit.Properties);
        return [Insert(source, block, index, text)];
    }

    private static List<Change> RemoveStep(JourneySource source, string node)
    {
        var (step, block, _) = StepOf(source, node);
        return [Removal(source, step, block)];
    }

    private static List<Change> MoveStep(JourneySource source, JourneyEdit edit)
    {
        var node = Required(edit.Node, "node");
        var (step, block, from) = StepOf(source, node);
        var targetId = Required(edit.Block, "block");
        if (targetId == node || targetId.StartsWith(node + ".", StringComparison.Ordinal)) throw new EditRefused("A step cannot move inside itself.");
        var target = BlockOf(source, targetId);
        var index = edit.Index ?? target.Steps.Length;
        if (target.Id == block.Id && (index == from || index == from + 1)) return []; // where it already is
        var extent = block.Braced ? source.Extent(step) : step.Span;
        var moved = source.Text.Substring(extent.Start, extent.Length).Trim('\n', '\r') + "\n";
        return [Removal(source, step, block), Insert(source, target, index, moved, trailingNewline: false)];
    }

    private static Change Removal(JourneySource source, StepSyntax step, StepBlock block)
    {
        if (!block.Braced) return new Change(block.Span.Start, block.Span.Length, "{}");
        var extent = source.Extent(step);
        return new Change(extent.Start, extent.Length, "");
    }

    /// <summary>Puts text before step <paramref name="index"/> of a braced block (before its comments), or before its closing brace.</summary>
    private static Change Insert(JourneySource source, StepBlock block, int index, string text, bool trailingNewline = true)
    {
        if (index < 0 || index > block.Steps.Length)
            throw new EditRefused($"Block '{block.Id}' has {block.Steps.Length} steps; there is no place {index}.");
        if (trailingNewline) text += "\n";
        // A split arm holding one step is written without braces (`50%: send …`): an empty `{}` arm takes the step that way.
        if (block.Owner is SplitStepSyntax && block.Braced && block.Steps.IsEmpty && text.TrimEnd('\n').IndexOf('\n') < 0
            && !source.Tree.Tokens.Any(t => t.IsComment && block.Span.Contains(t.Span.Start)))
            return new Change(block.Span.Start, block.Span.Length, text.TrimEnd('\n'));
        if (index < block.Steps.Length)
        {
            var extent = source.Extent(block.Steps[index]);
            return extent == block.Steps[index].Span ? new Change(extent.Start, 0, "\n" + text) : new Change(extent.Start, 0, text);
        }
        var close = source.CloseBrace(block);
        var lineStart = source.LineStart(close);
        return source.OnlySpaceBetween(lineStart, close) && lineStart > block.Span.Start
            ? new Change(lineStart, 0, text)
            : new Change(close, 0, "\n" + text);
    }

    // ------------------------------------------------------------------ properties

    private static List<Change> SetProperties(JourneySource source, JourneyEdit edit)
    {
        var node = Required(edit.Node, "node");
        var p = edit.Properties ?? new Dictionary<string, string?>();
        if (HeaderOrder.Contains(node)) return SetHeader(source, node, p);
        var (step, _, _) = StepOf(source, node);
        switch (step)
        {
            case WaitStepSyntax or SendStepSyntax:
                var kind = step is WaitStepSyntax ? "wait" : "send";
                var written = StepText(kind, Merge(Current(source, node), p));
                return Keeping(source, step.Span.Start, new Change(step.Span.Start, step.Span.Length, written));
            case IfStepSyntax i:
                return Keeping(source, i.Span.Start, new Change(i.Condition.Span.Start, i.Condition.Span.Length, Condition(Value(p, "condition"))));
            case SplitStepSyntax s:
                var changes = new List<Change>();
                var merged = Merge(Current(source, node), p);
                var header = JourneyGraphBuilder.SplitHeader(source, s);
                changes.Add(new Change(header.Start, header.Length, SplitHeaderText(merged)));
                if (p.TryGetValue("shares", out var shares) && shares is not null)
                {
                    var parts = shares.Split([',', ' '], StringSplitOptions.RemoveEmptyEntries);
                    if (parts.Length != s.Branches.Length)
                        throw new EditRefused($"The split has {s.Branches.Length} branches; give {s.Branches.Length} shares.");
                    for (var b = 0; b < parts.Length; b++)
                        changes.Add(new Change(s.Branches[b].PercentSpan.Start, s.Branches[b].PercentSpan.Length, Percent(parts[b])));
                }
                return Keeping(source, s.Span.Start, [.. changes]);
            default:
                throw new EditRefused("An exit has no properties.");
        }
    }

    private static List<Change> SetHeader(JourneySource source, string node, IReadOnlyDictionary<string, string?> p)
    {
        JourneyPropertySyntax? existing = node switch
        {
            "trigger" => source.Property<TriggerPropertySyntax>(),
            "audience" => source.Property<AudiencePropertySyntax>(),
            "reentry" => source.Property<ReentryPropertySyntax>(),
            "goal" => source.Property<GoalPropertySyntax>(),
            _ => source.Property<HoldoutPropertySyntax>(),
        };
        string? text = node switch
        {
            "trigger" => "trigger: " + Value(p, "trigger"),
            "audience" => Value(p, "condition", optional: true) is { Length: > 0 } c ? "audience: " + c : null,
            "reentry" => "reentry: " + Value(p, "rule"),
            "goal" => "goal: " + Fragment(Value(p, "event")) + (Value(p, "where", optional: true) is { Length: > 0 } w ? " where " + w : "")
                + " within " + Fragment(Value(p, "within"))
                + (Value(p, "value", optional: true) is { Length: > 0 } v ? " value " + Fragment(v) : ""),
            _ => Value(p, "percent", optional: true) is { Length: > 0 } h ? "holdout: " + Percent(h) : null,
        };
        if (text is null) return existing is null ? [] : RemoveProperty(source, node);
        ValidateProperty(text, node);
        if (existing is not null) return Keeping(source, existing.Span.Start, new Change(existing.Span.Start, existing.Span.Length, text));

        // A new property goes before the next one in canonical order, else before `steps`.
        var after = HeaderOrder.SkipWhile(h => h != node).Skip(1).Select(h => PropertyNode(source, h)).FirstOrDefault(n => n is not null);
        var anchor = after is not null ? source.Extent(after).Start : StepsKeyword(source);
        var lineStart = source.LineStart(anchor);
        return source.OnlySpaceBetween(lineStart, anchor) ? [new Change(lineStart, 0, text + "\n")] : [new Change(anchor, 0, "\n" + text + "\n")];
    }

    private static JourneyPropertySyntax? PropertyNode(JourneySource source, string node) => node switch
    {
        "trigger" => source.Property<TriggerPropertySyntax>(),
        "audience" => source.Property<AudiencePropertySyntax>(),
        "reentry" => source.Property<ReentryPropertySyntax>(),
        "goal" => source.Property<GoalPropertySyntax>(),
        "holdout" => source.Property<HoldoutPropertySyntax>(),
        _ => null,
    };

    private static int StepsKeyword(JourneySource source)
    {
        if (source.Journey.Steps is { } steps)
            return source.Tree.Tokens.Last(t => t.Span.End <= steps.Span.Start && !t.IsComment).Span.Start;
        return source.Journey.Span.End - 1;
    }

    private static List<Change> RemoveProperty(JourneySource source, string node)
    {
        if (node == "trigger") throw new EditRefused("A journey needs its trigger; change it instead.");
        var property = PropertyNode(source, node) ?? throw new EditRefused($"The journey has no {node}.");
        var extent = source.Extent(property);
        return [new Change(extent.Start, extent.Length, "")];
    }

    /// <summary>The current properties of a step (what the graph shows), so a partial edit keeps the rest.</summary>
    private static Dictionary<string, string?> Current(JourneySource source, string node)
    {
        var (step, _, _) = StepOf(source, node);
        return step switch
        {
            WaitStepSyntax w => new() { ["duration"] = w.Duration.Text, ["until"] = w.UntilEvent?.Text, ["where"] = w.Where is null ? null
                : source.WrittenWithoutComments(w.Where) },
            SendStepSyntax s => new() { ["channel"] = s.Channel.Text, ["template"] = s.Template.Text, ["offer"] = s.Offer?.Text,
                ["items"] = s.Items is null ? null : source.WrittenWithoutComments(s.Items) },
            SplitStepSyntax s => new() { ["name"] = s.Name?.Text, ["winner_after"] = s.WinnerAfter?.Text },
            _ => [],
        };
    }

    private static Dictionary<string, string?> Merge(Dictionary<string, string?> current, IReadOnlyDictionary<string, string?> changes)
    {
        foreach (var (key, value) in changes) current[key] = value;
        return current;
    }

    // ------------------------------------------------------------------ branches

    private static List<Change> AddBranch(JourneySource source, JourneyEdit edit)
    {
        var (step, _, _) = StepOf(source, Required(edit.Node, "node"));
        var p = edit.Properties ?? new Dictionary<string, string?>();
        switch (step)
        {
            case IfStepSyntax i when i.Else is null && i.ElseIf is null:
                return [new Change(i.Then.Span.End, 0, " else {\n}")];
            case IfStepSyntax i:
                return [new Change(i.Then.Span.End, 0, " else if " + Condition(Value(p, "condition")) + " {\n}")];
            case SplitStepSyntax s:
                var body = edit.Kind is { Length: > 0 } kind ? StepText(kind, p) : "{\n}";
                return [new Change(s.Span.End - 1, 0, Percent(Value(p, "percent")) + ": " + body + "\n")];
            default:
                throw new EditRefused("Only an if or a split has branches.");
        }
    }

    private static List<Change> RemoveBranch(JourneySource source, JourneyEdit edit)
    {
        var (step, _, _) = StepOf(source, Required(edit.Node, "node"));
        var branch = edit.Branch ?? throw new EditRefused("Say which branch to remove.");
        switch (step)
        {
            case IfStepSyntax i when branch == 1 && (i.Else is not null || i.ElseIf is not null):
                return [new Change(i.Then.Span.End, i.Span.End - i.Then.Span.End, "")];
            case SplitStepSyntax s when branch >= 0 && branch < s.Branches.Length:
                var extent = source.Extent(s.Branches[branch]);
                return [new Change(extent.Start, extent.Length, "")];
            default:
                throw new EditRefused($"There is no branch {branch} to remove.");
        }
    }

    // ------------------------------------------------------------------ new journey

    private static string CreateJourney(SyntaxTree tree, JourneyEdit edit)
    {
        var p = edit.Properties ?? new Dictionary<string, string?>();
        var name = Fragment(Value(p, "name"));
        if (tree.Root.Declarations.OfType<JourneyDeclarationSyntax>().Any(j
            => j.Name.Text == name)) throw new EditRefused($"The file already has a journey '{name}'.");
        var label = Value(p, "label", optional: true) is { Length: > 0 } l ? " " + Quote(l) : "";
        var declaration = $"journey {name}{label} {{\ntrigger: {Value(p, "trigger")}\nsteps {{\n}}\n}}\n";
        var scratch = SyntaxTree.Parse("canvas.mdsl", declaration);
        if (scratch.HasErrors || HasComment(scratch)
            || scratch.Root.Declarations is not [JourneyDeclarationSyntax { Properties: [TriggerPropertySyntax] } made] || made.Name.Text != name)
            throw new EditRefused("The journey's name or trigger is not valid: " + FirstError(scratch));
        var text = tree.Text.Text;
        var separator = text.Trim().Length == 0 ? "" : text.EndsWith('\n') ? "\n" : "\n\n";
        return (text.Trim().Length == 0 ? "" : text) + separator + declaration;
    }

    // ------------------------------------------------------------------ fragments

    /// <summary>A step as DSL from its kind and properties, checked to parse as exactly that one step.</summary>
    private static string StepText(string kind, IReadOnlyDictionary<string, string?>? properties)
    {
        var p = properties ?? new Dictionary<string, string?>();
        var text = kind switch
        {
            "wait" => "wait " + Fragment(Value(p, "duration"))
                + (Value(p, "until", optional: true) is { Length: > 0 } until
                    ? " until " + Fragment(until) + (Value(p, "where", optional: true) is { Length: > 0 } w ? " where " + w : "")
                    : ""),
            "send" => "send " + Fragment(Value(p, "channel")) + " " + Quote(Value(p, "template"))
                + (Value(p, "offer", optional: true) is { Length: > 0 } offer ? " offer " + Quote(offer) : "")
                + (Value(p, "items", optional: true) is { Length: > 0 } items ? " items: " + items : ""),
            "if" => "if " + Condition(Value(p, "condition")) + " {\n}",
            "split" => SplitHeaderText(p) + " {\n}",
            "exit" => "exit",
            _ => throw new EditRefused($"Unknown step kind '{kind}': use wait, send, if, split or exit."),
        };
        var scratch = SyntaxTree.Parse("canvas.mdsl", "journey canvas {\ntrigger: x\nsteps {\n" + text + "\n}\n}\n");
        var steps = scratch.Root.Declarations is [JourneyDeclarationSyntax { Steps: { } s }] ? s.Steps : [];
        var expected = kind switch { "wait" => typeof(WaitStepSyntax), "send" => typeof(SendStepSyntax), "if" => typeof(IfStepSyntax), "split"
            => typeof(SplitStepSyntax), _ => typeof(ExitStepSyntax) };
        if (scratch.HasErrors || HasComment(scratch) || steps.Length != 1 || steps[0].GetType() != expected)
            throw new EditRefused($"The {kind} step is not valid: " + FirstError(scratch));
        return text;
    }

    private static string SplitHeaderText(IReadOnlyDictionary<string, string?> p) =>
        "split" + (Value(p, "name", optional: true) is { Length: > 0 } name ? " " + Quote(name) : "")
        + (Value(p, "winner_after", optional: true) is { Length: > 0 } after ? " winner after " + Fragment(after) : "");

    /// <summary>A condition, checked to be exactly one expression (as in `audience:`).</summary>
    private static string Condition(string condition)
    {
        ValidateProperty("audience: " + condition, "audience");
        return condition;
    }

    private static void ValidateProperty(string text, string node)
    {
        var scratch = SyntaxTree.Parse("canvas.mdsl", "journey canvas {\n" + text + "\n}\n");
        var properties = scratch.Root.Declarations is [JourneyDeclarationSyntax { Steps: null } j] ? j.Properties : [];
        var expected = node switch
        {
            "trigger" => typeof(TriggerPropertySyntax),
            "audience" => typeof(AudiencePropertySyntax),
            "reentry" => typeof(ReentryPropertySyntax),
            "goal" => typeof(GoalPropertySyntax),
            _ => typeof(HoldoutPropertySyntax),
        };
        if (scratch.HasErrors || HasComment(scratch) || properties.Length != 1 || properties[0].GetType() != expected)
            throw new EditRefused($"The {node} is not valid: " + FirstError(scratch));
    }

    // A typed value never brings a comment: `//` would swallow the rest of its line in the file.
    private static bool HasComment(SyntaxTree scratch) => scratch.Tokens.Any(t => t.IsComment);

    private static string FirstError(SyntaxTree scratch) =>
        scratch.Diagnostics.FirstOrDefault(d => d.IsError)?.Message ?? "it must be exactly one value of its kind.";

    /// <summary>A single word or duration: no spaces, braces or comments, so it cannot spill into the text around it.</summary>
    private static string Fragment(string value)
    {
        value = value.Trim();
        if (value.Length == 0 || value.Any(c => char.IsWhiteSpace(c) || c is '{' or '}' or '/' or '"' || char.IsControl(c)))
            throw new EditRefused($"'{value}' is not a single name or value.");
        return value;
    }

    private static string Percent(string value)
    {
        var number = value.Trim().TrimEnd('%');
        if (!decimal.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var percent) || percent < 0 || percent > 100)
            throw new EditRefused($"'{value}' is not a percentage between 0% and 100%.");
        return number + "%";
    }

    private static string Quote(string value)
    {
        if (value.Any(char.IsControl)) throw new EditRefused("A text in quotes cannot hold line breaks or control characters.");
        return "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
    }

    private static string Value(IReadOnlyDictionary<string, string?> p, string key, bool optional = false)
    {
        var value = p.TryGetValue(key, out var v) ? v?.Trim() ?? "" : "";
        if (value.Length == 0 && !optional) throw new EditRefused($"'{key}' is required.");
        return value;
    }

    private static string Required(string? value, string name) => value ?? throw new EditRefused($"'{name}' is required.");

    private static StepBlock BlockOf(JourneySource source, string id) =>
        source.Blocks.TryGetValue(id, out var block) ? block : throw new EditRefused($"There is no block '{id}' in the journey.");

    private static (StepSyntax Step, StepBlock Block, int Index) StepOf(JourneySource source, string node) =>
        source.TryStep(node, out var step, out var block, out var index) ? (step, block, index)
            : throw new EditRefused($"There is no step '{node}' in the journey.");

    private static string Replace(string text, TextSpan span, string with) => text[..span.Start] + with + text[span.End..];

    /// <summary>
    /// Replacements cut down to the tokens that differ, so the comments between unchanged tokens stay
    /// where they are; a comment inside a part that changes moves onto its own line above the line of
    /// <paramref name="anchor"/> (the step or property). Nothing changes when only comments and spaces would.
    /// </summary>
    private static List<Change> Keeping(JourneySource source, int anchor, params Change[] replacements)
    {
        var result = new List<Change>();
        var rescued = new StringBuilder();
        foreach (var change in replacements)
        {
            var old = source.Tree.Tokens.Where(t => !t.IsComment && t.Span.Start >= change.Start && t.Span.End <= change.Start + change.Length)
                .ToList();
            var typed = SyntaxTree.Parse("canvas.mdsl", change.Text).Tokens.Where(t => !t.IsComment).ToList();
            var prefix = 0;
            while (prefix < old.Count && prefix < typed.Count && old[prefix].Text == typed[prefix].Text) prefix++;
            var suffix = 0;
            while (suffix < old.Count - prefix && suffix < typed.Count - prefix && old[^(suffix + 1)].Text == typed[^(suffix + 1)].Text) suffix++;
            if (prefix == old.Count && prefix == typed.Count) continue;
            var oldMiddle = old.GetRange(prefix, old.Count - prefix - suffix);
            var newMiddle = typed.GetRange(prefix, typed.Count - prefix - suffix);
            var inserted = newMiddle.Count == 0 ? "" : change.Text[newMiddle[0].Span.Start..newMiddle[^1].Span.End];
            if (oldMiddle.Count > 0)
            {
                var span = TextSpan.FromBounds(oldMiddle[0].Span.Start, oldMiddle[^1].Span.End);
                foreach (var comment in source.Tree.Tokens.Where(t => t.IsComment && span.Contains(t.Span.Start)))
                    rescued.Append(comment.Text).Append('\n');
                result.Add(new Change(span.Start, span.Length, inserted));
            }
            else if (prefix > 0) result.Add(new Change(old[prefix - 1].Span.End, 0, " " + inserted));
            else result.Add(new Change(old.Count > 0 ? old[0].Span.Start : change.Start, 0, inserted + " "));
        }
        if (rescued.Length > 0) result.Add(new Change(source.LineStart(anchor), 0, rescued.ToString()));
        return result;
    }

    private static string ApplyChanges(string text, List<Change> changes)
    {
        var sorted = changes.OrderBy(c => c.Start).ThenBy(c => c.Length).ToList();
        var result = new StringBuilder(text.Length + 64);
        var at = 0;
        foreach (var change in sorted)
        {
            if (change.Start < at) throw new EditRefused("The edit overlaps itself.");
            result.Append(text, at, change.Start - at).Append(change.Text);
            at = change.Start + change.Length;
        }
        return result.Append(text, at, text.Length - at).ToString();
    }
}
