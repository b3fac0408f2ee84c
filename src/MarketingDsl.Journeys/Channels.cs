using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Data;

namespace MarketingDsl.Journeys;

/// <summary>A user as the journey machine sees them: an index (into the data set, or the live store) and the id that is hashed.</summary>
public readonly record struct UserRef(int Index, string Id);

/// <summary>
/// Delivered sends per (user, channel), across every journey, for caps (LANGUAGE.md §14):
/// at most N delivered sends within any window (t − D, t].
/// </summary>
public interface IChannelLedger
{
    /// <summary>Delivered sends to the user on the channel with from &lt; t ≤ to.</summary>
    int DeliveredBetween(UserRef user, ChannelSymbol channel, long fromExclusive, long toInclusive);
    void RecordDelivered(UserRef user, ChannelSymbol channel, long at);
}

/// <summary>The in-memory ledger of a replay: per (user, channel) the ascending delivery instants.</summary>
public sealed class ChannelLedger : IChannelLedger
{
    private readonly Dictionary<(int User, ChannelSymbol Channel), List<long>> _sent = [];

    public int DeliveredBetween(UserRef user, ChannelSymbol channel, long fromExclusive, long toInclusive)
    {
        if (!_sent.TryGetValue((user.Index, channel), out var list)) return 0;
        var n = 0;
        for (var i = list.Count - 1; i >= 0 && list[i] > fromExclusive; i--)
            if (list[i] <= toInclusive) n++;
        return n;
    }

    public void RecordDelivered(UserRef user, ChannelSymbol channel, long at)
    {
        if (!_sent.TryGetValue((user.Index, channel), out var list)) _sent[(user.Index, channel)] = list = [];
        var i = list.Count;
        while (i > 0 && list[i - 1] > at) i--;   // virtual time only moves forward; kept sorted anyway
        list.Insert(i, at);
    }
}

/// <summary>
/// The zone of a user's quiet hours (LANGUAGE.md §14): the profile field `timezone` (a `string`
/// profile field of that name, when the schema declares one) when it holds a known IANA zone id,
/// else the workspace `settings { timezone }`, else Asia/Shanghai.
/// </summary>
public sealed class QuietZones
{
    public const string ProfileField = "timezone";
    public const string DefaultZone = "Asia/Shanghai";

    private readonly Dictionary<string, TimeZoneInfo?> _zones = new(StringComparer.Ordinal);
    private readonly StringColumn? _column;

    public QuietZones(SchemaModel schema, DataSet? data)
    {
        Fallback = Find(schema.TimeZone ?? DefaultZone) ?? TimeZoneInfo.Utc;
        var ordinal = schema.ProfileOrdinalOf(ProfileField);
        if (ordinal >= 0 && schema.ProfileFields[ordinal].Type.Kind == TypeKind.String && data is not null && ordinal < data.Profiles.Columns.Length)
            _column = data.Profiles.Columns[ordinal] as StringColumn;
    }

    public TimeZoneInfo Fallback { get; }

    public TimeZoneInfo ZoneOf(UserRef user) =>
        _column is { } c && user.Index >= 0 && user.Index < c.Length && c.Values[user.Index] is { } id ? Find(id) ?? Fallback : Fallback;

    private TimeZoneInfo? Find(string id)
    {
        if (_zones.TryGetValue(id, out var zone)) return zone;
        zone = null;
        if (System.Text.RegularExpressions.Regex.IsMatch(id, @"^[A-Za-z0-9_+\-]+(/[A-Za-z0-9_+\-]+)*$"))
        {
            try { zone = TimeZoneInfo.FindSystemTimeZoneById(id); }
            catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException or IOException
                or UnauthorizedAccessException or ArgumentException) { }
        }
        return _zones[id] = zone;
    }
}

/// <summary>Local-time helpers on UTC ticks: quiet windows and schedules.</summary>
public static class LocalTime
{
    /// <summary>
    /// When <paramref name="utcTicks"/> falls in the quiet window [from, to) (minutes after local
    /// midnight; wraps past midnight when from &gt; to) of <paramref name="zone"/>, the UTC instant
    /// the window ends; else null.
    /// </summary>
    public static long? QuietUntil(long utcTicks, (int From, int To) quiet, TimeZoneInfo zone)
    {
        var local = TimeZoneInfo.ConvertTimeFromUtc(new DateTime(utcTicks, DateTimeKind.Utc), zone);
        var time = local.TimeOfDay.Ticks;
        long from = quiet.From * TimeSpan.TicksPerMinute, to = quiet.To * TimeSpan.TicksPerMinute;
        DateTime endDate;
        if (from < to)
        {
            if (time < from || time >= to) return null;
            endDate = local.Date;
        }
        else
        {
            if (time >= to && time < from) return null;
            endDate = time >= from ? local.Date.AddDays(1) : local.Date;
        }
        return ToUtc(endDate.AddTicks(to), zone);
    }

    /// <summary>A local wall-clock time as UTC ticks; a time skipped by a clock change moves forward by the gap.</summary>
    public static long ToUtc(DateTime local, TimeZoneInfo zone)
    {
        local = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        var guard = 0;
        while (zone.IsInvalidTime(local) && guard++ < 24 * 4) local = local.AddMinutes(15);
        return TimeZoneInfo.ConvertTimeToUtc(local, zone).Ticks;
    }

    /// <summary>The local hour of the day (0–23) of an instant.</summary>
    public static int HourOf(long utcTicks, TimeZoneInfo zone) =>
        TimeZoneInfo.ConvertTimeFromUtc(new DateTime(utcTicks, DateTimeKind.Utc), zone).Hour;

    /// <summary>The local calendar date of an instant.</summary>
    public static DateOnly DateOf(long utcTicks, TimeZoneInfo zone) =>
        DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(new DateTime(utcTicks, DateTimeKind.Utc), zone));
}

/// <summary>
/// Local hours and dates of many instants in one zone, as <see cref="LocalTime.HourOf"/> and
/// <see cref="LocalTime.DateOf"/> give them, without converting each: the zone's offset is looked
/// up once per UTC hour and reused while that hour has one offset (its first and last tick agree;
/// no zone changes its offset twice within an hour), so instants in time order cost an addition.
/// </summary>
public sealed class LocalClock(TimeZoneInfo zone)
{
    private const long NoOffset = long.MinValue;
    private long _hour = long.MinValue;
    private long _offset = NoOffset;

    /// <summary>The local wall-clock ticks of a UTC instant.</summary>
    public long LocalTicks(long utcTicks)
    {
        var hour = utcTicks - utcTicks % TimeSpan.TicksPerHour;
        if (hour != _hour)
        {
            _hour = hour;
            var first = Offset(hour);
            _offset = hour + TimeSpan.TicksPerHour - 1 <= DateTime.MaxValue.Ticks && first == Offset(hour + TimeSpan.TicksPerHour - 1)
                ? first : NoOffset;
        }
        var local = _offset == NoOffset ? long.MinValue : utcTicks + _offset;
        return local >= 0 && local <= DateTime.MaxValue.Ticks
            ? local
            : TimeZoneInfo.ConvertTimeFromUtc(new DateTime(utcTicks, DateTimeKind.Utc), zone).Ticks;
    }

    public int HourOf(long utcTicks) => HourOfLocal(LocalTicks(utcTicks));
    public DateOnly DateOf(long utcTicks) => DateOnly.FromDayNumber(DayNumberOfLocal(LocalTicks(utcTicks)));
    public static int HourOfLocal(long localTicks) => (int)(localTicks / TimeSpan.TicksPerHour % 24);
    /// <summary>The <see cref="DateOnly.DayNumber"/> of local ticks.</summary>
    public static int DayNumberOfLocal(long localTicks) => (int)(localTicks / TimeSpan.TicksPerDay);

    private long Offset(long utcTicks) => zone.GetUtcOffset(new DateTime(utcTicks, DateTimeKind.Utc)).Ticks;
}
