namespace MarketingDsl.Core.Text;

/// <summary>A zero-based character range in one source text.</summary>
public readonly record struct TextSpan(int Start, int Length)
{
    public int End => Start + Length;
    public static TextSpan FromBounds(int start, int end) => new(start, Math.Max(0, end - start));
    public bool Contains(int offset) => offset >= Start && offset < End;
    public override string ToString() => $"[{Start}..{End})";
}

/// <summary>One-based line and column (columns count UTF-16 code units, as editors do).</summary>
public readonly record struct LinePosition(int Line, int Column)
{
    public override string ToString() => $"{Line}:{Column}";
}

/// <summary>The text of one workspace file with a line index, so spans map to line:column.</summary>
public sealed class SourceText
{
    private readonly int[] _lineStarts;

    public SourceText(string path, string text)
    {
        Path = path;
        Text = text;
        var starts = new List<int> { 0 };
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\r')
            {
                if (i + 1 < text.Length && text[i + 1] == '\n') i++;
                starts.Add(i + 1);
            }
            else if (c == '\n')
            {
                starts.Add(i + 1);
            }
        }
        _lineStarts = starts.ToArray();
    }

    /// <summary>Workspace-relative path with forward slashes.</summary>
    public string Path { get; }
    public string Text { get; }
    public int LineCount => _lineStarts.Length;

    public LinePosition GetPosition(int offset)
    {
        offset = Math.Clamp(offset, 0, Text.Length);
        var line = Array.BinarySearch(_lineStarts, offset);
        if (line < 0) line = ~line - 1;
        return new LinePosition(line + 1, offset - _lineStarts[line] + 1);
    }

    public int GetOffset(LinePosition position)
    {
        var line = Math.Clamp(position.Line, 1, _lineStarts.Length) - 1;
        var lineEnd = line + 1 < _lineStarts.Length ? _lineStarts[line + 1] : Text.Length;
        return Math.Min(_lineStarts[line] + Math.Max(0, position.Column - 1), lineEnd);
    }

    /// <summary>The text of a one-based line without its line break.</summary>
    public string GetLineText(int line)
    {
        if (line < 1 || line > _lineStarts.Length) return "";
        var start = _lineStarts[line - 1];
        var end = line < _lineStarts.Length ? _lineStarts[line] : Text.Length;
        return Text[start..end].TrimEnd('\r', '\n');
    }

    public string ToString(TextSpan span) => Text.Substring(span.Start, Math.Min(span.Length, Text.Length - span.Start));
}
