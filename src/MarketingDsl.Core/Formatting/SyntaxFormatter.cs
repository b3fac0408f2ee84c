using System.Diagnostics.CodeAnalysis;
using MarketingDsl.Core.Syntax;

namespace MarketingDsl.Core.Formatting;

/// <summary>
/// The canonical layout of a workspace file (`mdsl fmt`). Rules:
/// <list type="bullet">
/// <item>2-space indentation; one member per line inside braces (schema members and fields,
/// identity keys, settings, segmentation rules, model/channel/journey properties, steps, test
/// statements); `{` stays on the line of its header, `}` gets its own line; `} else {`.</item>
/// <item>A brace list of fields, identity keys or `given` fields written on one line without
/// comments stays on one line as `{ a: int, b: int }`; otherwise one item per line without commas
/// (identity keys and `given` fields keep their required commas). Trailing commas go.</item>
/// <item>Blank lines: at most one, kept where the source had one; none right after `{` or before
/// `}`; between top-level declarations exactly one when either is a braced block (schema,
/// settings, segmentation, model, clusters, channel, journey, test), otherwise as in the source.</item>
/// <item>Single spaces between tokens, none before `,` `)` `]` `:` `.` `?`, none after `(` `[` `.`
/// or a unary minus, none around `-` in `quiet: 22:00-08:00` and `&lt;…&gt;` in types, none between a
/// function name and its `(`.</item>
/// <item>A line break the user wrote inside an expression is kept as a continuation line, one
/// level deeper than its declaration or member, or than the line holding the innermost open
/// bracket / `case`; a closing bracket on its own line lines up with its opener's line.</item>
/// <item>Comments are kept: a comment at the end of a line stays there (two spaces before a `//`,
/// one before a `/* */`); a comment on its own line stays on its own line at the indentation
/// of what follows; `///` doc comments stay directly above their declaration.</item>
/// <item>`\n` line endings, no trailing spaces, one final newline. Strings and names are copied as written.</item>
/// </list>
/// The result is idempotent and parses to the same declarations.
/// </summary>
public static class SyntaxFormatter
{
    /// <summary>Formats a file without syntax errors; false (and null) when <paramref name="tree"/> has errors.</summary>
    public static bool TryFormat(SyntaxTree tree, [NotNullWhen(true)] out string? formatted)
    {
        ArgumentNullException.ThrowIfNull(tree);
        if (tree.HasErrors)
        {
            formatted = null;
            return false;
        }
        formatted = new TokenPrinter(tree, LayoutPlan.Build(tree)).Print();
        return true;
    }

    /// <summary>Formats a file without syntax errors.</summary>
    /// <exception cref="ArgumentException">The tree has syntax errors.</exception>
    public static string Format(SyntaxTree tree) =>
        TryFormat(tree, out var formatted)
            ? formatted
            : throw new ArgumentException($"'{tree.Text.Path}' has syntax errors and cannot be formatted.", nameof(tree));
}
