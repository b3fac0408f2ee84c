using System.Globalization;
using MarketingDsl.Core;
using MarketingDsl.Core.Diagnostics;
using MarketingDsl.Core.Syntax;
using MarketingDsl.Core.Text;

namespace MarketingDsl.LanguageService.Journeys;

/// <summary>
/// One node of a journey's canvas. Kind: trigger · audience · reentry · goal · holdout (the header),
/// wait · send · if · split · exit (steps, <see cref="Id"/> their step path), end · converted (where
/// users leave). <see cref="Properties"/> are the editable parts as written (DSL fragments; strings
/// without quotes); <see cref="Text"/> is the node as one line of DSL.
/// </summary>
public sealed record JourneyGraphNode(string Id, string Kind, string Text, EditorRange? Range, IReadOnlyDictionary<string, string> Properties)
{
    /// <summary>For a step: the block it is in and its index there.</summary>
    public string? Block { get; init; }
    public int Index { get; init; }
    /// <summary>For an `if` or a split: the ids of its blocks (then/else, or one per branch).</summary>
    public IReadOnlyList<string> Blocks { get; init; } = [];
    /// <summary>
    /// Where the properties written in the DSL's expression language are in the file
    /// (for completion and markers in the side panel).
    /// </summary>
    public IReadOnlyDictionary<string, EditorRange> Ranges { get; init; } = new Dictionary<string, EditorRange>();
    public List<EditorMarker> Diagnostics { get; } = [];
}

/// <summary>
/// An arrow. Kind: entry (the header chain) · next · then · else · branch (label: the share) ·
/// timeout (a wait's time ran out) · until (its event came; to `converted` when that is the goal
/// event) · goal (the goal exits as converted from any step).
/// </summary>
public sealed record JourneyGraphEdge(string From, string To, string Kind, string? Label);

/// <summary>A block of steps: its id, the step that owns it (null for the journey's steps) and its steps in order.</summary>
public sealed record JourneyGraphBlock(string Id, string? Owner, string Label, IReadOnlyList<string> Steps, bool IsElseIf);

/// <summary>
/// A journey as the canvas draws it, with the diagnostics of its file mapped onto nodes
/// (those on no node in <see cref="Diagnostics"/>).
/// </summary>
public sealed record JourneyGraph(string Journey, string? Label, string Path, EditorRange Range,
    IReadOnlyList<JourneyGraphNode> Nodes, IReadOnlyList<JourneyGraphEdge> Edges, IReadOnlyList<JourneyGraphBlock> Blocks,
        IReadOnlyList<EditorMarker> Diagnostics);

/// <summary>
/// Builds <see cref="JourneyGraph"/>s from the syntax tree (what the text says, comments and all)
/// and the compilation's diagnostics.
/// </summary>
public static class JourneyGraphBuilder
{
    /// <summary>The journeys declared in a file, in order.</summary>
    public static IReadOnlyList<string> JourneysIn(Compilation compilation, string path) =>
        compilation.SyntaxTrees.FirstOrDefault(t => t.Text.Path == path) is { } tree
            ? [.. tree.Root.Declarations.OfType<JourneyDeclarationSyntax>().Select(j => j.Name.Text)]
            : [];

    /// <summary>The graph of journey <paramref name="journey"/> in file <paramref name="path"/>; null when there is none.</summary>
    public static JourneyGraph? Build(Compilation compilation, string path, string journey, string? language = null)
    {
        var tree = compilation.SyntaxTrees.FirstOrDefault(t => t.Text.Path == path);
        if (tree is null || JourneySource.Find(tree, journey) is not { } source) return null;
        var nodes = new List<(JourneyGraphNode Node, TextSpan Span)>();
        var edges = new List<JourneyGraphEdge>();
        var text = source.Tree.Text;
        string Written(SyntaxNode n) => source.WrittenWithoutComments(n);
        void Add(JourneyGraphNode node, TextSpan span, params (string Key, SyntaxNode? Syntax)[] ranges) => nodes.Add((node with
        {
            Range = RangeOf(text, span),
            Ranges = ranges.Where(r => r.Syntax is not null).ToDictionary(r => r.Key, r => RangeOf(text, r.Syntax!.Span), StringComparer.Ordinal),
        }, span));

        // Header: the entry chain trigger → audience → reentry → holdout → first step; the goal beside it.
        var chain = new List<string>();
        if (source.Property<TriggerPropertySyntax>() is { } trigger)
        {
            Add(Node("trigger", "trigger", "trigger: " + Written(trigger.Trigger), ("trigger", Written(trigger.Trigger))), trigger.Span,
                ("trigger", trigger.Trigger));
            chain.Add("trigger");
        }
        if (source.Property<AudiencePropertySyntax>() is { } audience)
        {
            Add(Node("audience", "audience", "audience: " + Written(audience.Condition), ("condition", Written(audience.Condition))),
                audience.Span, ("condition", audience.Condition));
            chain.Add("audience");
        }
        if (source.Property<ReentryPropertySyntax>() is { } reentry)
        {
            var rule = source.WrittenWithoutComments(TextSpan.FromBounds(AfterColon(source, reentry.Span), reentry.Span.End));
            Add(Node("reentry", "reentry", "reentry: " + rule, ("rule", rule)), reentry.Span);
            chain.Add("reentry");
        }
        if (source.Property<HoldoutPropertySyntax>() is { } holdout)
        {
            var percent = holdout.Percent.ToString(CultureInfo.InvariantCulture);
            Add(Node("holdout", "holdout", $"holdout: {percent}%", ("percent", percent)), holdout.Span);
            chain.Add("holdout");
        }
        var goal = source.Property<GoalPropertySyntax>();
        if (goal is not null)
        {
            Add(Node("goal", "goal", Written(goal), ("event", goal.Event.Text), ("where", goal.Where is null ? "" : Written(goal.Where)),
                ("within", goal.Window.Text), ("value", goal.ValueField?.Text ?? "")), goal.Span, ("where", goal.Where));
            Add(Node("converted", "converted", "converted"), default);
            edges.Add(new("goal", "converted", "goal", goal.Event.Text));
        }

        // Steps, and where each leads.
        var blocks = new List<JourneyGraphBlock>();
        foreach (var block in source.Blocks.Values.OrderBy(b => b.Id.Length == 0 ? -1 : b.Span.Start))
            blocks.Add(new JourneyGraphBlock(block.Id, block.Owner is null ? null : OwnerPath(block.Id), BlockLabel(source, block),
                [.. block.Steps.Select((_, i) => block.PathOf(i))], block.IsElseIf));
        foreach (var (stepPath, step, block, index) in source.Steps)
        {
            var node = step switch
            {
                WaitStepSyntax w => Node(stepPath, "wait", Written(w), ("duration", w.Duration.Text), ("until", w.UntilEvent?.Text ?? ""),
                    ("where", w.Where is null ? "" : Written(w.Where))),
                SendStepSyntax s => Node(stepPath, "send", Written(s), ("channel", s.Channel.Text), ("template", s.Template.Text),
                    ("offer", s.Offer?.Text ?? ""), ("items", s.Items is null ? "" : Written(s.Items))),
                IfStepSyntax i => Node(stepPath, "if", "if " + Written(i.Condition), ("condition", Written(i.Condition))),
                SplitStepSyntax s => Node(stepPath, "split", source.WrittenWithoutComments(SplitHeader(source, s)), ("name", s.Name?.Text ?? ""),
                    ("winner_after", s.WinnerAfter?.Text ?? ""),
                    ("shares", string.Join(", ", s.Branches.Select(b => b.Percent.ToString(CultureInfo.InvariantCulture) + "%")))),
                _ => Node(stepPath, "exit", "exit"),
            };
            var inner = source.Blocks.Values.Where(b => b.Owner == step && OwnerPath(b.Id) == stepPath).OrderBy(b => b.Id,
                StringComparer.Ordinal).Select(b => b.Id).ToList();
            Add(node with { Block = block.Id, Index = index, Blocks = inner }, step.Span,
                ("where", (step as WaitStepSyntax)?.Where), ("condition", (step as IfStepSyntax)?.Condition));
            var next = After(source, block, index);
            switch (step)
            {
                case WaitStepSyntax w when w.UntilEvent is { } until:
                    edges.Add(new(stepPath, next, "timeout", w.Duration.Text));
                    var converts = goal is not null && goal.Event.Text == until.Text;
                    edges.Add(new(stepPath, converts ? "converted" : next, "until", until.Text));
                    break;
                case WaitStepSyntax w:
                    edges.Add(new(stepPath, next, "next", w.Duration.Text));
                    break;
                case IfStepSyntax:
                    edges.Add(new(stepPath, First(source, stepPath + ".0", next), "then", null));
                    edges.Add(new(stepPath, source.Blocks.ContainsKey(stepPath + ".1") ? First(source, stepPath + ".1", next) : next, "else", null));
                    break;
                case SplitStepSyntax s:
                    for (var b = 0; b < s.Branches.Length; b++)
                        edges.Add(new(stepPath, First(source, stepPath + "." + b.ToString(CultureInfo.InvariantCulture), next), "branch",
                            s.Branches[b].Percent.ToString(CultureInfo.InvariantCulture) + "%"));
                    break;
                case ExitStepSyntax:
                    break;
                default:
                    edges.Add(new(stepPath, next, "next", null));
                    break;
            }
        }
        Add(Node("end", "end", "end of steps"), default);
        chain.Add(First(source, "", "end"));
        for (var i = 1; i < chain.Count; i++) edges.Add(new(chain[i - 1], chain[i], "entry", null));

        // Each diagnostic of the journey goes to the smallest node whose source holds it.
        var journeyLevel = new List<EditorMarker>();
        foreach (var d in compilation.Diagnostics.Where(d => d.FilePath == path && Overlaps(source.Journey.Span, d.Span)))
        {
            var marker = LanguageService.ToMarker(d, language);
            var owner = nodes.Where(n => n.Span.Length > 0 && n.Span.Start <= d.Span.Start && d.Span.Start < Math.Max(n.Span.End, n.Span.Start + 1))
                .OrderBy(n => n.Span.Length).Select(n => n.Node).FirstOrDefault();
            if (owner is not null) owner.Diagnostics.Add(marker); else journeyLevel.Add(marker);
        }
        return new JourneyGraph(journey, source.Journey.Label?.Text, path, RangeOf(text, source.Journey.Span),
            [.. nodes.Select(n => n.Node)], edges, blocks, journeyLevel);
    }

    /// <summary>The node reached when a block is entered: its first step, or what follows the block when it is empty.</summary>
    private static string First(JourneySource source, string blockId, string otherwise) =>
        source.Blocks.TryGetValue(blockId, out var block) && block.Steps.Length > 0 ? block.PathOf(0) : otherwise;

    /// <summary>The node reached after step <paramref name="index"/> of a block: the next step, or what follows the owner, or the end.</summary>
    internal static string After(JourneySource source, StepBlock block, int index)
    {
        while (true)
        {
            if (index + 1 < block.Steps.Length) return block.PathOf(index + 1);
            if (block.Id.Length == 0) return "end";
            var owner = OwnerPath(block.Id);
            source.TryStep(owner, out _, out block, out index);
        }
    }

    internal static string OwnerPath(string blockId) => blockId[..blockId.LastIndexOf('.')];

    private static string BlockLabel(JourneySource source, StepBlock block) => block.Owner switch
    {
        null => "steps",
        IfStepSyntax => block.Id.EndsWith(".0", StringComparison.Ordinal) ? "then" : "else",
        SplitStepSyntax s => s.Branches[int.Parse(block.Id[(block.Id.LastIndexOf('.') + 1)..],
            CultureInfo.InvariantCulture)].Percent.ToString(CultureInfo.InvariantCulture) + "%",
        _ => block.Id,
    };

    /// <summary>A split's header, `split "name" winner after D`, up to its opening brace.</summary>
    internal static TextSpan SplitHeader(JourneySource source, SplitStepSyntax split)
    {
        var brace = source.Tree.Tokens.First(t => t.Span.Start >= split.Span.Start && t.Text == "{");
        var last = source.Tree.Tokens.Last(t => !t.IsComment && t.Span.End <= brace.Span.Start);
        return TextSpan.FromBounds(split.Span.Start, last.Span.End);
    }

    internal static int AfterColon(JourneySource source, TextSpan property) =>
        source.Tree.Tokens.First(t => t.Span.Start >= property.Start && t.Text == ":").Span.End;

    private static bool Overlaps(TextSpan outer, TextSpan inner) => inner.Start >= outer.Start && inner.Start <= outer.End;

    private static JourneyGraphNode Node(string id, string kind, string text, params (string Key, string Value)[] properties) =>
        new(id, kind, text, null, properties.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal));

    internal static EditorRange RangeOf(SourceText text, TextSpan span)
    {
        var start = text.GetPosition(span.Start);
        var end = text.GetPosition(span.End);
        return new EditorRange(start.Line, start.Column, end.Line, end.Column);
    }
}
