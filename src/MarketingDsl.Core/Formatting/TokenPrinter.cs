using System.Collections.Immutable;
using System.Text;
using MarketingDsl.Core.Syntax;
using MarketingDsl.Core.Syntax.Generated;

namespace MarketingDsl.Core.Formatting;

/// <summary>
/// Prints <see cref="SyntaxTree.Tokens"/> (comments included) following a <see cref="LayoutPlan"/>:
/// structural line starts from the plan, the user's own line breaks elsewhere kept as
/// continuation lines, canonical spacing between tokens on one line.
/// </summary>
internal sealed class TokenPrinter(SyntaxTree tree, LayoutPlan plan)
{
    private const int IndentWidth = 2;

    private readonly ImmutableArray<SyntaxToken> _tokens = tree.Tokens;
    private readonly StringBuilder _out = new();
    private readonly Stack<int> _brackets = new();
    private int _anchor;
    private int _lineIndent;
    private bool _atLineStart = true;
    private bool _anyOutput;
    private bool _mustBreak;
    private bool _suppressBlank;
    private bool _previousWasDoc;
    private int _previous = -1;

    public string Print()
    {
        for (var i = 0; i < _tokens.Length; i++)
        {
            if (plan.Drop.Contains(i)) continue;
            if (_tokens[i].IsComment) Comment(i);
            else Token(i);
        }
        var text = _out.ToString().TrimEnd(' ', '\n');
        return text.Length == 0 ? "" : text + "\n";
    }

    private void Token(int i)
    {
        if (plan.Forced.TryGetValue(i, out var indent))
        {
            var blank = _anyOutput && !plan.BlockClose.Contains(i) && !_suppressBlank && !_previousWasDoc &&
                        (plan.ForcedBlank.Contains(i) || plan.SourceBlankBefore(i));
            NewLine(indent, blank);
            _anchor = indent;
            _brackets.Clear();
        }
        else if (plan.Join.Contains(i))
        {
            if (_mustBreak) NewLine(BrokenJoinIndent(i), false);
        }
        else if (_mustBreak || (_anyOutput && plan.SourceBreakBefore(i)))
        {
            NewLine(ContinuationIndent(i), false);
        }

        if (!_atLineStart && !NoSpace(_previous, i)) _out.Append(' ');
        _out.Append(_tokens[i].Text);
        if (plan.CommaAfter.Contains(i)) _out.Append(',');

        if (IsOpener(i)) _brackets.Push(_lineIndent + 1);
        else if (IsCloser(i) && _brackets.Count > 0) _brackets.Pop();

        _suppressBlank = plan.BlockOpen.Contains(i);
        _previousWasDoc = false;
        _atLineStart = false;
        _anyOutput = true;
        _previous = i;
    }

    private void Comment(int i)
    {
        var token = _tokens[i];
        var text = token.Type == MarketingDslLexer.BLOCK_COMMENT
            ? token.Text.Replace("\r\n", "\n").Replace('\r', '\n')
            : token.Text.TrimEnd();
        if (_anyOutput && plan.IsTrailingComment(i))
        {
            // Kept at the end of its line: two spaces before a line comment, one before a block comment.
            _out.Append(token.Type == MarketingDslLexer.BLOCK_COMMENT ? " " : "  ");
        }
        else
        {
            var next = i + 1;
            while (next < _tokens.Length && _tokens[next].IsComment) next++;
            int indent;
            var blankAllowed = false;
            if (next >= _tokens.Length) { indent = 0; blankAllowed = true; }
            else if (plan.Forced.TryGetValue(next, out var forced))
            {
                indent = plan.BlockClose.Contains(next) ? forced + 1 : forced;
                blankAllowed = true;
            }
            else if (plan.Join.Contains(next)) indent = BrokenJoinIndent(next);
            else indent = ContinuationIndent(next, forComment: true);
            var blank = _anyOutput && blankAllowed && !_suppressBlank && !_previousWasDoc &&
                        (plan.ForcedBlank.Contains(i) || plan.SourceBlankBefore(i));
            NewLine(indent, blank);
            _suppressBlank = false;
        }
        _out.Append(text);
        _mustBreak = token.Type != MarketingDslLexer.BLOCK_COMMENT;
        _previousWasDoc = token.Type == MarketingDslLexer.DOC_COMMENT;
        _atLineStart = false;
        _anyOutput = true;
        _previous = i;
    }

    private void NewLine(int indent, bool blank)
    {
        if (_anyOutput)
        {
            _out.Append('\n');
            if (blank) _out.Append('\n');
        }
        _out.Append(' ', indent * IndentWidth);
        _lineIndent = indent;
        _atLineStart = true;
        _mustBreak = false;
    }

    /// <summary>A line the user broke inside an expression: one level deeper than the line holding
    /// the innermost open bracket (or than the declaration/member); a closing bracket lines up with its opener's line.</summary>
    private int ContinuationIndent(int i, bool forComment = false)
    {
        if (_brackets.Count == 0) return _anchor + 1;
        return IsCloser(i) && !forComment ? _brackets.Peek() - 1 : _brackets.Peek();
    }

    /// <summary>A token that belongs on the previous line but follows a line comment: `{` and
    /// `else` line up with their header, anything else (the step of a split branch) is a continuation.</summary>
    private int BrokenJoinIndent(int i) =>
        _tokens[i].Type is MarketingDslLexer.LBRACE or MarketingDslLexer.ELSE ? _anchor : _anchor + 1;

    private bool IsOpener(int i) => _tokens[i].Type switch
    {
        MarketingDslLexer.LPAREN or MarketingDslLexer.LBRACK or MarketingDslLexer.CASE => true,
        MarketingDslLexer.LBRACE => !plan.BlockOpen.Contains(i),
        _ => false,
    };

    private bool IsCloser(int i) => _tokens[i].Type switch
    {
        MarketingDslLexer.RPAREN or MarketingDslLexer.RBRACK or MarketingDslLexer.END => true,
        MarketingDslLexer.RBRACE => !plan.BlockClose.Contains(i),
        _ => false,
    };

    private bool NoSpace(int previous, int i)
    {
        if (previous < 0 || _tokens[previous].IsComment) return false;
        if (plan.NoSpaceAfter.Contains(previous) || plan.NoSpaceBefore.Contains(i)) return true;
        if (plan.CommaAfter.Contains(previous)) return false;
        if (_tokens[previous].Type is MarketingDslLexer.LPAREN or MarketingDslLexer.LBRACK or MarketingDslLexer.DOT) return true;
        return _tokens[i].Type is MarketingDslLexer.COMMA or MarketingDslLexer.RPAREN or MarketingDslLexer.RBRACK
            or MarketingDslLexer.COLON or MarketingDslLexer.DOT or MarketingDslLexer.QUESTION;
    }
}
