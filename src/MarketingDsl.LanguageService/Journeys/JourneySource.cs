using System.Collections.Immutable;
using System.Globalization;
using MarketingDsl.Core.Syntax;
using MarketingDsl.Core.Text;

namespace MarketingDsl.LanguageService.Journeys;

/// <summary>
/// A block of steps as the canvas addresses it: the journey's steps (id ""), an `if`'s then (`P.0`)
/// and else (`P.1`) blocks, a split's branches (`P.B`), P the owner's step path. Steps inside are
/// `ID.I` (or `I` at the top), the paths of LANGUAGE.md's replay counts and the live outbox.
/// </summary>
internal sealed record StepBlock(string Id, ImmutableArray<StepSyntax> Steps, TextSpan Span, bool Braced, StepSyntax? Owner)
{
    /// <summary>An `else if` chain: the else "block" is the nested `if` alone, with no braces of its own.</summary>
    public bool IsElseIf { get; init; }

    public string PathOf(int index) => Id.Length == 0 ? index.ToString(CultureInfo.InvariantCulture)
        : Id + "." + index.ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// One journey of a parsed file, indexed for the canvas: its header properties, its blocks by id
/// and its steps by path, with the text extents edits cut and paste (a step with its comments).
/// </summary>
internal sealed class JourneySource
{
    private readonly Dictionary<string, StepBlock> _blocks = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (StepSyntax Step, StepBlock Block, int Index)> _steps = new(StringComparer.Ordinal);

    private JourneySource(SyntaxTree tree, JourneyDeclarationSyntax journey)
    {
        Tree = tree;
        Journey = journey;
        if (journey.Steps is { } root) Walk(new StepBlock("", root.Steps, root.Span, Braced: true, Owner: null));
    }

    public SyntaxTree Tree { get; }
    public string Text => Tree.Text.Text;
    public JourneyDeclarationSyntax Journey { get; }
    public IReadOnlyDictionary<string, StepBlock> Blocks => _blocks;

    public static JourneySource? Find(SyntaxTree tree, string journey) =>
        tree.Root.Declarations.OfType<JourneyDeclarationSyntax>().FirstOrDefault(j => j.Name.Text == journey) is { } declaration
            ? new JourneySource(tree, declaration)
            : null;

    public T? Property<T>() where T : JourneyPropertySyntax => Journey.Properties.OfType<T>().FirstOrDefault();

    public bool TryStep(string path, out StepSyntax step, out StepBlock block, out int index)
    {
        if (_steps.TryGetValue(path, out var found))
        {
            (step, block, index) = found;
            return true;
        }
        (step, block, index) = (null!, null!, -1);
        return false;
    }

    public IEnumerable<(string Path, StepSyntax Step, StepBlock Block, int Index)> Steps =>
        _steps.OrderBy(kv => kv.Value.Step.Span.Start).Select(kv => (kv.Key, kv.Value.Step, kv.Value.Block, kv.Value.Index));

    private void Walk(StepBlock block)
    {
        _blocks[block.Id] = block;
        for (var i = 0; i < block.Steps.Length; i++)
        {
            var step = block.Steps[i];
            var path = block.PathOf(i);
            _steps[path] = (step, block, i);
            switch (step)
            {
                case IfStepSyntax x:
                    Walk(new StepBlock(path + ".0", x.Then.Steps, x.Then.Span, Braced: true, x));
                    if (x.ElseIf is { } elseIf) Walk(new StepBlock(path + ".1", [elseIf], elseIf.Span, Braced: false, x) { IsElseIf = true });
                    else if (x.Else is { } e) Walk(new StepBlock(path + ".1", e.Steps, e.Span, IsBraced(e.Span), x));
                    break;
                case SplitStepSyntax s:
                    for (var b = 0; b < s.Branches.Length; b++)
                        Walk(new StepBlock(path + "." + b.ToString(CultureInfo.InvariantCulture), s.Branches[b].Body.Steps,
                            s.Branches[b].Body.Span, s.Branches[b].IsBraced, s));
                    break;
            }
        }
    }

    private bool IsBraced(TextSpan span) => span.Start < Text.Length && Text[span.Start] == '{';

    /// <summary>
    /// Text as the side panel shows and takes it: the tokens as written, without the comments between
    /// them (a typed value never holds one); a gap that held a comment or a line break becomes one space.
    /// </summary>
    public string WrittenWithoutComments(TextSpan span)
    {
        var result = new System.Text.StringBuilder(span.Length);
        var previous = -1;
        foreach (var token in Tree.Tokens.Where(t => !t.IsComment && t.Span.Start >= span.Start && t.Span.End <= span.End))
        {
            if (previous >= 0)
            {
                var gap = Text.AsSpan(previous, token.Span.Start - previous);
                if (gap.ContainsAny('\n', '/')) result.Append(' '); else result.Append(gap);
            }
            result.Append(token.Text);
            previous = token.Span.End;
        }
        return result.ToString();
    }

    public string WrittenWithoutComments(SyntaxNode node) => WrittenWithoutComments(node.Span);

    // ------------------------------------------------------------------ text extents

    public int LineStart(int offset)
    {
        var i = Math.Clamp(offset, 0, Text.Length);
        while (i > 0 && Text[i - 1] != '\n') i--;
        return i;
    }

    /// <summary>The offset after the line break ending the line of <paramref name="offset"/> (or the end of the text).</summary>
    public int NextLineStart(int offset)
    {
        var i = Math.Clamp(offset, 0, Text.Length);
        while (i < Text.Length && Text[i] != '\n') i++;
        return Math.Min(i + 1, Text.Length);
    }

    public bool OnlySpaceBetween(int from, int to) => Text.AsSpan(from, to - from).IsWhiteSpace();

    /// <summary>True when the rest of the line after <paramref name="offset"/> is blank or one comment.</summary>
    public bool RestOfLineIsCommentOrBlank(int offset)
    {
        var end = NextLineStart(offset);
        var comment = Tree.Tokens.FirstOrDefault(t => t.IsComment && t.Span.Start >= offset && t.Span.Start < end);
        var until = comment.Text is null ? end : comment.Span.Start;
        if (comment.Text is not null && comment.Span.End < end && !OnlySpaceBetween(comment.Span.End, end)) return false;
        return OnlySpaceBetween(offset, until);
    }

    /// <summary>
    /// What moves with a step: its whole lines when it stands on lines of its own, with the comment at
    /// the end of its last line and the own-line comments right above it; otherwise just its span.
    /// </summary>
    public TextSpan Extent(SyntaxNode step)
    {
        var lineStart = LineStart(step.Span.Start);
        if (!OnlySpaceBetween(lineStart, step.Span.Start) || !RestOfLineIsCommentOrBlank(step.Span.End)) return step.Span;
        var start = lineStart;
        while (start > 0)
        {
            var previous = LineStart(start - 1);
            var line = Text.AsSpan(previous, start - previous).Trim();
            if (!line.StartsWith("//") || line.StartsWith("///")) break;
            start = previous;
        }
        return TextSpan.FromBounds(start, NextLineStart(step.Span.End));
    }

    /// <summary>The offset of a block's closing brace (braced blocks only).</summary>
    public int CloseBrace(StepBlock block) => block.Span.End - 1;
}
