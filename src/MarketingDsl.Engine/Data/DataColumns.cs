using MarketingDsl.Core.Semantics;

namespace MarketingDsl.Engine.Data;

/// <summary>
/// The columns of a data set a computation reads: profile fields, event tables (a table read means
/// its users' row ranges and ts) and event fields, by position in the schema. A compiled plan
/// records its own as it is lowered (<see cref="Lowering.CompiledPlan.Columns"/>), so that a reader
/// can skip every other column (<see cref="ImportSnapshot.Read(SchemaModel, string, int, DataColumns?)"/>).
/// A data set read with a selection holds null for the fields it skipped, null for the tables it
/// skipped, and no <see cref="EventTable.Line"/> (no evaluation reads it: rows are already in
/// (ts, line) order); <see cref="DataSet.Columns"/> says which were read.
/// </summary>
public sealed class DataColumns
{
    private readonly HashSet<int> _profile;
    private readonly HashSet<int> _tables;
    private readonly HashSet<(int Event, int Field)> _fields;

    private DataColumns(HashSet<int> profile, HashSet<int> tables, HashSet<(int, int)> fields) =>
        (_profile, _tables, _fields) = (profile, tables, fields);

    /// <summary>Reads the profile field at <paramref name="ordinal"/> of <see cref="SchemaModel.ProfileFields"/>.</summary>
    public bool ReadsProfile(int ordinal) => _profile.Contains(ordinal);

    /// <summary>Reads event table <paramref name="eventIndex"/> of <see cref="SchemaModel.Events"/> (at least its rows and ts).</summary>
    public bool ReadsTable(int eventIndex) => _tables.Contains(eventIndex);

    /// <summary>Reads field <paramref name="ordinal"/> (of <see cref="EventTypeSymbol.Fields"/>, 2 and up) of an event table.</summary>
    public bool ReadsField(int eventIndex, int ordinal) => _fields.Contains((eventIndex, ordinal));

    /// <summary>The same columns and the rows and ts of every event table (to count the events after an as-of instant).</summary>
    public DataColumns WithEveryTable(SchemaModel schema) =>
        new(_profile, [.. _tables, .. Enumerable.Range(0, schema.Events.Length)], _fields);

    /// <summary>What is read, by name (for messages and tests): <c>profile.city, order, order.amount, …</c>.</summary>
    public IReadOnlyList<string> Names(SchemaModel schema) =>
    [
        .. _profile.Order().Select(p => $"profile.{schema.ProfileFields[p].Name}"),
        .. _tables.Order().Select(e => schema.Events[e].Name),
        .. _fields.Order().Select(f => $"{schema.Events[f.Event].Name}.{schema.Events[f.Event].Fields[f.Field].Name}"),
    ];

    /// <summary>Collects the columns a plan reads while it is lowered.</summary>
    internal sealed class Builder
    {
        private readonly HashSet<int> _profile = [];
        private readonly HashSet<int> _tables = [];
        private readonly HashSet<(int, int)> _fields = [];

        public void Profile(int ordinal) => _profile.Add(ordinal);

        public void Table(int eventIndex) => _tables.Add(eventIndex);

        public void Field(int eventIndex, int ordinal)
        {
            _tables.Add(eventIndex);
            _fields.Add((eventIndex, ordinal));
        }

        public DataColumns Build() => new([.. _profile], [.. _tables], [.. _fields]);
    }
}
