using System.Globalization;
using System.Text;
using MarketingDsl.Core.Diagnostics;
using MarketingDsl.Core.Diagnostics.Catalogues;
using MarketingDsl.Core.Semantics;
using Parquet.Serialization;

namespace MarketingDsl.Engine.Data;

/// <summary>Rows of a CSV or Parquet file: a header and typed or textual cells.</summary>
internal interface ITabularRows : IDisposable
{
    string[] Header { get; }
    /// <summary>Advances; false at the end.</summary>
    bool Next();
    /// <summary>1-based line of the current row in the file.</summary>
    int Line { get; }
    /// <summary>Bytes of the file consumed so far (approximate).</summary>
    long Position { get; }
    /// <summary>A structural problem of the current row (e.g. wrong number of cells), or null.</summary>
    RowReject? RowProblem { get; }
    string RawText();
    /// <summary>The cell as text (for the <c>type</c> column); null for null.</summary>
    string? Text(int column);
    /// <summary>Fills a slot from a cell.</summary>
    bool Fill(Importer importer, RowLayout layout, int slot, int column, out RowReject? reason);
}

internal sealed partial class Importer
{
    private void ReadTabular(ITabularRows rows, string file, bool isProfile)
    {
        using var _ = rows;
        var header = rows.Header;
        var stem = Path.GetFileNameWithoutExtension(file);
        EventTypeState? fixedType = null;
        var typeColumn = -1;
        if (!isProfile)
        {
            fixedType = _types.FirstOrDefault(t => t.Symbol.Name == stem);
            if (fixedType is null && stem.StartsWith("events", StringComparison.Ordinal)) typeColumn = Array.IndexOf(header, "type");
        }
        var maps = new Dictionary<RowLayout, (int Slot, int Column)[]>();
        (int Slot, int Column)[] Map(RowLayout l)
        {
            if (maps.TryGetValue(l, out var m)) return m;
            var list = new List<(int, int)>();
            for (var c = 0; c < header.Length; c++)
            {
                var slot = l.Find(header[c]);
                if (slot >= 0) list.Add((slot, c));
            }
            return maps[l] = [.. list];
        }

        while (rows.Next())
        {
            var line = rows.Line;
            long lineOrdinal = 0;
            if (isProfile) _report.ProfilesRead++;
            else { _report.EventsRead++; lineOrdinal = ++_eventLine; }
            Tick(rows.Position);
            var reason = rows.RowProblem;
            EventTypeState? type = fixedType;
            if (reason is null && typeColumn >= 0)
            {
                var name = rows.Text(typeColumn);
                type = name is null ? null : _types.FirstOrDefault(t => t.Symbol.Name == name);
            }
            var layout = isProfile ? _profileLayout : type?.Layout ?? _unknownLayout;
            if (reason is null)
            {
                layout.Scratch.Reset();
                foreach (var (slot, column) in Map(layout))
                    if (!rows.Fill(this, layout, slot, column, out reason)) break;
            }
            if (reason is null)
                reason = isProfile ? CommitProfile(file, line) : CommitEvent(type, layout, lineOrdinal);
            if (reason is not null) Reject(file, line, reason, _rejects is null ? "" : rows.RawText());
        }
    }
}

/// <summary>
/// A small RFC 4180 reader: quoted cells may hold commas, quotes ("") and line breaks. A record
/// is rejected, never the rest of the file: a quoted cell not closed within
/// <see cref="MaxQuotedLines"/> lines (or by the end of the file) rejects the line where it opened,
/// and reading resumes at the next line; a line with bytes that are not UTF-8 rejects its record.
/// Line ends and numbers: <see cref="TextLines"/>.
/// </summary>
internal sealed class CsvRows : ITabularRows
{
    /// <summary>How many lines one quoted cell may span; a stray quote would otherwise swallow the rest of the file.</summary>
    public const int MaxQuotedLines = 1000;

    private readonly Utf8Lines _lines;
    private readonly List<string> _cells = [];
    private readonly StringBuilder _cell = new();
    private readonly StringBuilder _raw = new();
    private readonly Queue<(string Text, bool Valid)> _pushedBack = new();
    private readonly List<(string Text, bool Valid)> _recordLines = [];
    private string[] _record = [];
    private int _physicalLine;

    public CsvRows(string path)
    {
        _lines = new Utf8Lines(TextLines.Open(path));
        Header = ReadRecord(out _) ? [.. _record.Select(h => h.Trim())] : [];
    }

    public string[] Header { get; }
    public int Line { get; private set; }
    public long Position => _lines.Position;
    public RowReject? RowProblem { get; private set; }

    public bool Next()
    {
        if (Header.Length == 0) return false;
        while (true)
        {
            if (!ReadRecord(out var problem)) return false;
            if (_record.Length == 1 && _record[0].Length == 0 && problem is null) continue;   // blank line
            RowProblem = problem ?? (_record.Length != Header.Length ? RowRejects.CsvCellCount(Header.Length, _record.Length) : null);
            return true;
        }
    }

    private bool NextLine(out string line, out bool valid)
    {
        if (_pushedBack.TryDequeue(out var back)) { (line, valid) = back; return true; }
        return _lines.Read(out line, out valid);
    }

    /// <summary>Reads one record (possibly several physical lines); false at the end of the file.</summary>
    private bool ReadRecord(out RowReject? problem)
    {
        problem = null;
        _cells.Clear();
        _cell.Clear();
        _raw.Clear();
        _recordLines.Clear();
        if (!NextLine(out var line, out var valid)) return false;
        _physicalLine++;
        Line = _physicalLine;
        _recordLines.Add((line, valid));
        _raw.Append(line);
        var inQuotes = false;
        var quotedCell = false;
        var i = 0;
        while (true)
        {
            if (i >= line.Length)
            {
                if (!inQuotes) break;
                if (_recordLines.Count >= MaxQuotedLines || !NextLine(out var next, out var nextValid))
                {
                    // Only the line that opened the cell is rejected; the lines after it are read again as records.
                    problem = RowRejects.CsvQuoteNotClosed(MaxQuotedLines);
                    var again = _recordLines.Skip(1).Concat(_pushedBack).ToList();
                    _pushedBack.Clear();
                    foreach (var l in again) _pushedBack.Enqueue(l);
                    _physicalLine = Line;
                    _raw.Clear().Append(_recordLines[0].Text);
                    _record = [];
                    return true;
                }
                _physicalLine++;
                _recordLines.Add((next, nextValid));
                _raw.Append('\n').Append(next);
                _cell.Append('\n');
                line = next;
                i = 0;
                continue;
            }
            var c = line[i++];
            if (inQuotes)
            {
                if (c != '"') _cell.Append(c);
                else if (i < line.Length && line[i] == '"') { _cell.Append('"'); i++; }
                else inQuotes = false;
            }
            else if (c == ',')
            {
                _cells.Add(_cell.ToString());
                _cell.Clear();
                quotedCell = false;
            }
            else if (c == '"' && _cell.Length == 0 && !quotedCell)
            {
                inQuotes = quotedCell = true;
            }
            else if (quotedCell || c == '"')
            {
                problem ??= RowRejects.CsvBadQuoting();
                _cell.Append(c);
            }
            else _cell.Append(c);
        }
        _cells.Add(_cell.ToString());
        _record = [.. _cells];
        if (_recordLines.Any(l => !l.Valid)) problem = RowRejects.NotUnicode(null, propertyName: false);
        return true;
    }

    public string RawText() => _raw.ToString();
    public string? Text(int column) => column < _record.Length && _record[column].Length > 0 ? _record[column] : null;

    public bool Fill(Importer importer, RowLayout layout, int slot, int column, out RowReject? reason) =>
        importer.SetText(layout, slot, column < _record.Length ? _record[column] : null, emptyIsNull: true, out reason);

    public void Dispose() => _lines.Dispose();
}

/// <summary>Parquet rows via Parquet.Net's untyped deserializer (one dictionary per row: fine for moderate files).</summary>
internal sealed class ParquetRows : ITabularRows
{
    private readonly IList<Dictionary<string, object>> _rows;
    private readonly long _length;
    private int _index = -1;

    public ParquetRows(string path)
    {
        _length = new FileInfo(path).Length;
        try
        {
            using var fs = File.OpenRead(path);
            var result = ParquetSerializer.DeserializeUntypedAsync(fs).GetAwaiter().GetResult();
            _rows = result.Data;
            Header = [.. result.Schema.Fields.Select(f => f.Name)];
        }
        catch (Exception e) when (e is not DataImportException)
        {
            throw new DataImportException($"cannot read Parquet file '{Path.GetFileName(path)}': {e.Message}", e);
        }
    }

    public string[] Header { get; }
    public int Line => _index + 1;
    public long Position => _rows.Count == 0 ? _length : _length * (_index + 1) / _rows.Count;
    public RowReject? RowProblem => null;

    public bool Next() => ++_index < _rows.Count;

    private object? Cell(int column) => _rows[_index].TryGetValue(Header[column], out var v) ? (object?)v : null;

    public string RawText() =>
        "{" + string.Join(", ", Header.Select((h, c) => $"{h}: {CellText(Cell(c))}")) + "}";

    private static string? CellText(object? cell) => cell switch
    {
        null => "null",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        var o => o.ToString(),
    };

    public string? Text(int column) => Cell(column)?.ToString();

    public bool Fill(Importer importer, RowLayout layout, int slot, int column, out RowReject? reason)
    {
        var v = Cell(column);
        reason = null;
        if (v is null or string) return importer.SetText(layout, slot, (string?)v, emptyIsNull: false, out reason);
        var s = layout.Scratch;
        var kind = slot == layout.UserSlot || layout.IsIdentityOnly[slot] ? TypeKind.String : layout.Types[slot].Kind;
        if (kind == TypeKind.List)
        {
            // A Parquet list column (its items in Parquet.Net's CLR types), read by the list rules.
            if (!ListValues.TryFromBoxed(layout.Types[slot].Element!, layout.Names[slot], v, out var list, out reason)) return false;
            s.SetList(slot, list);
            return true;
        }
        var ok = true;
        switch (kind)
        {
            case TypeKind.Bool when v is bool b: s.L[slot] = b ? 1 : 0; break;
            case TypeKind.Int when ListValues.TryInteger(v, out var l): s.L[slot] = l; break;
            case TypeKind.Decimal when v is decimal d: s.D[slot] = d; break;
            case TypeKind.Decimal when ListValues.TryInteger(v, out var l): s.D[slot] = l; break;
            case TypeKind.Decimal when v is double or float:
                ok = decimal.TryParse(Convert.ToDouble(v, CultureInfo.InvariantCulture).ToString("R", CultureInfo.InvariantCulture),
                    NumberStyles.Float, CultureInfo.InvariantCulture, out s.D[slot]);
                break;
            case TypeKind.Date when v is DateOnly d: s.L[slot] = d.DayNumber; break;
            case TypeKind.Date when v is DateTime dt: s.L[slot] = DateOnly.FromDateTime(dt).DayNumber; break;
            case TypeKind.DateTime when v is DateTime dt:
                s.L[slot] = ValueParsers.TruncateToMicroseconds(dt.Kind == DateTimeKind.Local ? dt.ToUniversalTime().Ticks : dt.Ticks);
                break;
            case TypeKind.DateTime when v is DateTimeOffset dto: s.L[slot] = ValueParsers.TruncateToMicroseconds(dto.UtcTicks); break;
            case TypeKind.Duration when v is TimeSpan ts: s.L[slot] = ts.Ticks; break;
            case TypeKind.String when slot == layout.UserSlot || layout.IsIdentityOnly[slot]:
                if (ListValues.TryInteger(v, out var id)) return importer.SetText(layout, slot, id.ToString(CultureInfo.InvariantCulture),
                    emptyIsNull: false, out reason);
                ok = false;
                break;
            default: ok = false; break;
        }
        if (!ok)
        {
            reason = RowRejects.WrongType(layout.Names[slot], kind == TypeKind.String ? "string" : layout.Types[slot].NonNullable.DisplayName,
                v.GetType().Name);
            return false;
        }
        s.State[slot] = RowScratch.Value;
        return true;
    }

    public void Dispose() { }
}
