using System.Collections.Immutable;
using Antlr4.Runtime;
using Antlr4.Runtime.Atn;
using Antlr4.Runtime.Misc;
using MarketingDsl.Core.Diagnostics;
using MarketingDsl.Core.Syntax.Generated;
using MarketingDsl.Core.Text;

namespace MarketingDsl.Core.Syntax;

/// <summary>A significant token or comment, kept for the formatter and the editor's highlighter.</summary>
public readonly record struct SyntaxToken(int Type, string Text, TextSpan Span)
{
    public bool IsComment => Type is MarketingDslLexer.LINE_COMMENT or MarketingDslLexer.BLOCK_COMMENT or MarketingDslLexer.DOC_COMMENT;
}

/// <summary>
/// One parsed file: our own syntax tree, the syntax diagnostics, and the tokens (comments
/// included). Parsing never throws on user input: every problem is a diagnostic and the tree
/// holds <see cref="ErrorExpressionSyntax"/> or missing identifiers where text could not be read.
/// </summary>
public sealed class SyntaxTree
{
    /// <summary>Brackets and prefix operators nested deeper than this are refused before parsing,
    /// so a hostile input cannot overflow the parser's stack.</summary>
    public const int MaxNesting = 64;

    /// <summary>Deepest expression tree the later stages are asked to walk.</summary>
    public const int MaxExpressionDepth = 1000;

    /// <summary>Larger files are refused outright (a workspace file is hand-written text).</summary>
    public const int MaxFileLength = 32 * 1024 * 1024;

    private SyntaxTree(SourceText text, WorkspaceFileSyntax root, ImmutableArray<Diagnostic> diagnostics, ImmutableArray<SyntaxToken> tokens)
    {
        Text = text;
        Root = root;
        Diagnostics = diagnostics;
        Tokens = tokens;
    }

    public SourceText Text { get; }
    public WorkspaceFileSyntax Root { get; }
    public ImmutableArray<Diagnostic> Diagnostics { get; }
    public ImmutableArray<SyntaxToken> Tokens { get; }
    public bool HasErrors => Diagnostics.Any(d => d.IsError);

    public static SyntaxTree Parse(string path, string text) => Parse(new SourceText(path, text));

    public static SyntaxTree Parse(SourceText source)
    {
        var diagnostics = new List<Diagnostic>();
        if (source.Text.Length > MaxFileLength)
        {
            diagnostics.Add(Diagnostic.Create(SyntaxErrors.FileTooLarge(source.Text.Length / (1024 * 1024), MaxFileLength / (1024 * 1024)),
                source, new TextSpan(0, 0)));
            return new SyntaxTree(source, new WorkspaceFileSyntax([], new TextSpan(0, 0)), [.. diagnostics], []);
        }

        var lexer = new MarketingDslLexer(new AntlrInputStream(source.Text));
        lexer.RemoveErrorListeners();
        var tokenStream = new CommonTokenStream(lexer);
        tokenStream.Fill();

        var tokens = ImmutableArray.CreateBuilder<SyntaxToken>();
        var badTokens = new HashSet<int>();
        var depth = 0;
        var tooDeep = false;
        var elseIfChains = new List<int>();
        var previous = TokenConstants.EOF;
        foreach (var token in tokenStream.GetTokens())
        {
            if (token.Type == TokenConstants.EOF || token.Channel == Lexer.Hidden) continue;
            var span = TextSpan.FromBounds(token.StartIndex, token.StopIndex + 1);
            tokens.Add(new SyntaxToken(token.Type, token.Text, span));
            switch (token.Type)
            {
                case MarketingDslLexer.BAD_CHAR:
                    badTokens.Add(token.TokenIndex);
                    diagnostics.Add(Diagnostic.Create(SyntaxErrors.BadCharacter(token.Text), source, span));
                    break;
                case MarketingDslLexer.UNTERMINATED_STRING:
                    badTokens.Add(token.TokenIndex);
                    diagnostics.Add(Diagnostic.Create(SyntaxErrors.UnterminatedString(), source, span));
                    break;
            }
            if (tooDeep) continue;
            // `case … end` nests like a bracket pair in the parser (and in every later stage), so it
            // counts as one; a run of `else if` recurses too, one level per link of the chain.
            depth = token.Type switch
            {
                MarketingDslLexer.LPAREN or MarketingDslLexer.LBRACK or MarketingDslLexer.LBRACE or MarketingDslLexer.CASE => depth + 1,
                MarketingDslLexer.RPAREN or MarketingDslLexer.RBRACK or MarketingDslLexer.RBRACE or MarketingDslLexer.END => Math.Max(0, depth - 1),
                _ => depth,
            };
            var elseIfs = ElseIfRun(elseIfChains, depth, token, previous);
            if (token.Channel == Lexer.DefaultTokenChannel) previous = token.Type;
            if (depth + PrefixRun(tokenStream, token) + elseIfs > MaxNesting)
            {
                tooDeep = true;
                diagnostics.Add(Diagnostic.Create(SyntaxErrors.TooDeep(MaxNesting, tokens: true), source, span));
            }
        }
        if (tooDeep)
            return new SyntaxTree(source, new WorkspaceFileSyntax([], new TextSpan(0, source.Text.Length)), [.. diagnostics], tokens.ToImmutable());

        var parseTree = ParseTokens(tokenStream, source, badTokens, diagnostics);
        var builder = new SyntaxTreeBuilder(source, tokenStream, diagnostics);
        var root = builder.Build(parseTree);
        return new SyntaxTree(source, root, [.. diagnostics], tokens.ToImmutable());
    }

    /// <summary>
    /// Length of the `else if` chain being read at this brace depth: `if a { } else if b { } else if …`
    /// nests one step inside the other. A new `if` at the same depth starts a new chain.
    /// </summary>
    private static int ElseIfRun(List<int> chains, int depth, IToken token, int previous)
    {
        while (chains.Count <= depth) chains.Add(0);
        if (chains.Count > depth + 1) chains.RemoveRange(depth + 1, chains.Count - depth - 1);
        switch (token.Type)
        {
            case MarketingDslLexer.IF when previous == MarketingDslLexer.ELSE:
                chains[depth]++;
                break;
            case MarketingDslLexer.IF:
                // Only the reserved `if` starts a new chain: `wait`, `send` … are soft keywords and
                // could be names inside a condition, so they must not reset the count.
                chains[depth] = 0;
                break;
        }
        return chains[depth];
    }

    // `not not not x` and `- - - x` recurse in the parser like brackets do.
    private static int PrefixRun(CommonTokenStream stream, IToken token)
    {
        if (token.Type is not (MarketingDslLexer.NOT or MarketingDslLexer.MINUS)) return 0;
        var run = 0;
        for (var i = token.TokenIndex; i >= 0; i--)
        {
            var t = stream.Get(i);
            if (t.Channel != Lexer.DefaultTokenChannel) continue;
            if (t.Type is MarketingDslLexer.NOT or MarketingDslLexer.MINUS) run++;
            else break;
        }
        return run;
    }

    private static MarketingDslParser.WorkspaceFileContext ParseTokens(CommonTokenStream tokenStream, SourceText source,
        HashSet<int> badTokens, List<Diagnostic> diagnostics)
    {
        // Fast path: SLL prediction with bail-out; almost every real file parses this way.
        // Only a file with a syntax error (or a rare SLL conflict) pays for full LL with recovery.
        var parser = new MarketingDslParser(tokenStream) { ErrorHandler = new BailErrorStrategy() };
        parser.Interpreter.PredictionMode = PredictionMode.SLL;
        parser.RemoveErrorListeners();
        try
        {
            return parser.workspaceFile();
        }
        catch (ParseCanceledException)
        {
        }

        tokenStream.Seek(0);
        parser = new MarketingDslParser(tokenStream);
        parser.Interpreter.PredictionMode = PredictionMode.LL;
        parser.RemoveErrorListeners();
        parser.AddErrorListener(new SyntaxErrorListener(source, badTokens, diagnostics));
        return parser.workspaceFile();
    }

    /// <summary>Turns ANTLR's reports into MD1000/MD1010/MD1050 diagnostics a marketer can read.</summary>
    private sealed class SyntaxErrorListener(SourceText source, HashSet<int> badTokens, List<Diagnostic> diagnostics) : BaseErrorListener
    {
        public override void SyntaxError(TextWriter output, IRecognizer recognizer, IToken offendingSymbol, int line,
            int charPositionInLine, string msg, RecognitionException e)
        {
            if (offendingSymbol is not null && badTokens.Contains(offendingSymbol.TokenIndex)) return; // already reported by the lexer scan
            var parser = (Parser)recognizer;
            var start = Math.Clamp(offendingSymbol?.StartIndex ?? source.Text.Length, 0, source.Text.Length);
            var end = offendingSymbol is null || offendingSymbol.Type == TokenConstants.EOF ? start : Math.Clamp(offendingSymbol.StopIndex
                + 1, start, source.Text.Length);
            var span = TextSpan.FromBounds(start, end);
            var found = offendingSymbol is null || offendingSymbol.Type == TokenConstants.EOF
                ? TokenDisplay.EndOfFile
                : new TokenText($"'{Shorten(offendingSymbol.Text)}'", $" '{Shorten(offendingSymbol.Text)}' ");
            var expected = DescribeExpected(parser, e);
            // A bracket left open on an earlier line (and never closed) is where the mistake is, not the next line.
            if (offendingSymbol is not null && UnclosedBracket(parser, offendingSymbol) is { } open)
            {
                var at = TextSpan.FromBounds(open.StartIndex, open.StopIndex + 1);
                if (!diagnostics.Any(d => d.Span == at && d.FilePath == source.Path))
                {
                    var close = open.Type == MarketingDslLexer.LPAREN ? ")" : "]";
                    diagnostics.Add(Diagnostic.Create(SyntaxErrors.UnclosedBracket(open.Text, close, found, offendingSymbol.Line), source, at));
                }
                return;
            }
            if (msg.StartsWith("missing ", StringComparison.Ordinal) && found != TokenDisplay.EndOfFile)
            {
                diagnostics.Add(Diagnostic.Create(SyntaxErrors.MissingToken(found, expected), source, span));
                return;
            }
            // One error per offending token: recovery may report the same spot twice.
            if (diagnostics.Any(d => d.Span == span && d.FilePath == source.Path)) return;
            diagnostics.Add(Diagnostic.Create(SyntaxErrors.UnexpectedInput(found, expected), source, span));
        }

        /// <summary>
        /// The innermost '(' or '[' open before the offending token, when it was opened on an earlier
        /// line and no later bracket closes it: an expression left open, whose next line the parser
        /// then reads as more of it.
        /// </summary>
        private static IToken? UnclosedBracket(Parser parser, IToken offending)
        {
            if (parser.TokenStream is not BufferedTokenStream stream) return null;
            var tokens = stream.GetTokens();
            var open = new Stack<IToken>();
            var index = Math.Min(offending.TokenIndex, tokens.Count);
            for (var i = 0; i < index; i++)
            {
                var t = tokens[i];
                if (t.Channel != Lexer.DefaultTokenChannel) continue;
                if (IsOpening(t.Type)) open.Push(t);
                else if (IsClosing(t.Type) && open.Count > 0) open.Pop();
            }
            if (open.Count == 0 || open.Peek() is not { Type: MarketingDslLexer.LPAREN or MarketingDslLexer.LBRACK } bracket) return null;
            if (bracket.Line >= offending.Line) return null;
            var depth = open.Count;
            for (var i = index; i < tokens.Count; i++)
            {
                var t = tokens[i];
                if (t.Channel != Lexer.DefaultTokenChannel) continue;
                if (IsOpening(t.Type)) depth++;
                else if (IsClosing(t.Type) && --depth < open.Count) return null;
            }
            return bracket;
        }

        private static bool IsOpening(int type) => type is MarketingDslLexer.LPAREN or MarketingDslLexer.LBRACK or MarketingDslLexer.LBRACE;

        private static bool IsClosing(int type) => type is MarketingDslLexer.RPAREN or MarketingDslLexer.RBRACK or MarketingDslLexer.RBRACE;

        private static TokenText? DescribeExpected(Parser parser, RecognitionException? e)
        {
            IntervalSet expected;
            try
            {
                expected = e?.GetExpectedTokens() ?? parser.GetExpectedTokens();
            }
            catch (Exception)
            {
                return null;
            }
            var names = expected.ToList().Select(t => TokenDisplay.Describe(t)).Where(n => n is not null).Distinct().ToList();
            if (names.Count == 0 || names.Count > 5) return null;
            if (names.Count == 1) return names[0];
            return new TokenText(string.Join(", ", names.Take(names.Count - 1).Select(n => n!.English)) + " or " + names[^1]!.English,
                string.Join("、", names.Take(names.Count - 1).Select(n => n!.Chinese)) + "或" + names[^1]!.Chinese);
        }

        private static string Shorten(string text) => text.Length > 30 ? text[..27] + "..." : text.Replace("\n", " ").Replace("\r", "");
    }
}

/// <summary>Names of token types as a marketer reads them in a message, in each UI language.</summary>
public static class TokenDisplay
{
    public static readonly TokenText EndOfFile = new("the end of the file", "文件末尾");

    public static TokenText? Describe(int tokenType)
    {
        if (tokenType == TokenConstants.EOF) return EndOfFile;
        return tokenType switch
        {
            MarketingDslLexer.IDENTIFIER => new("a name", "名称"),
            MarketingDslLexer.STRING => new("a text in quotes", "带引号的文本"),
            MarketingDslLexer.INT => new("a whole number", "整数"),
            MarketingDslLexer.DECIMAL => new("a number", "数字"),
            MarketingDslLexer.DURATION => new("a duration such as 30d", "时长（例如 30d）"),
            MarketingDslLexer.PERCENT => new("a percentage such as 10%", "百分比（例如 10%）"),
            MarketingDslLexer.DATE => new("a date such as 2025-06-01", "日期（例如 2025-06-01）"),
            MarketingDslLexer.DATETIME => new("a date and time", "日期时间"),
            MarketingDslLexer.TIME => new("a time such as 22:00", "时间（例如 22:00）"),
            _ => MarketingDslLexer.DefaultVocabulary.GetLiteralName(tokenType) is { } literal ? new(literal, $" {literal} ") : null,
        };
    }
}
