using System.Runtime.CompilerServices;
using MarketingDsl.Engine.Data;
using MarketingDsl.Engine.Evaluation;

namespace MarketingDsl.EngineBenchmarks;

/// <summary>
/// The tags of <c>tests/conformance/retail-core/workspace</c> written directly in C# over an
/// already loaded <see cref="DataSet"/>: the baseline for "evaluation after load". Straightforward
/// but efficient: one pass per user per event type over the CSR arrays, starting at the widest
/// window that type needs (rows are sorted by ts), users split into the same parallel partitions
/// as <see cref="CompiledEngine"/>, then one sort per quantile_score population.
/// </summary>
public sealed class HandWrittenTags
{
    private const long Day = TimeSpan.TicksPerDay;

    private HandWrittenTags(int users)
    {
        AnnualSpend = new decimal[users];
        Orders30d = new long[users];
        Orders90d = new long[users];
        Orders365d = new long[users];
        RecencyDays = new long?[users];
        LastLoginDays = new long?[users];
        FavCategories = new string[users][];
        HighValue = new bool[users];
        Potential = new bool[users];
        Churned = new bool[users];
        CoolingNeed = new bool[users];
        MomBaby = new bool[users];
        CouponRatio = new decimal?[users];
        RScore = new long?[users];
        FScore = new long[users];
        MScore = new long[users];
        ValueTier = new string[users];
        VipRepeat = new bool[users];
        WakeUp = new bool[users];
        CoreGroups = new string[users];
        CouponOrders365d = new long[users];
        DaysSinceRegistered = new long[users];
    }

    public decimal[] AnnualSpend { get; }
    public long[] Orders30d { get; }
    public long[] Orders90d { get; }
    public long[] Orders365d { get; }
    public long?[] RecencyDays { get; }
    public long?[] LastLoginDays { get; }
    public string[][] FavCategories { get; }
    public bool[] HighValue { get; }
    public bool[] Potential { get; }
    public bool[] Churned { get; }
    public bool[] CoolingNeed { get; }
    public bool[] MomBaby { get; }
    public decimal?[] CouponRatio { get; }
    public long?[] RScore { get; }
    public long[] FScore { get; }
    public long[] MScore { get; }
    public string[] ValueTier { get; }
    public bool[] VipRepeat { get; }
    public bool[] WakeUp { get; }
    public string[] CoreGroups { get; }

    // Intermediate per-user values the segmentation needs after the quantile pass.
    private long[] CouponOrders365d { get; }
    private long[] DaysSinceRegistered { get; }

    public static HandWrittenTags Compute(DataSet data, DateTime asOfUtc)
    {
        var columns = new RetailColumns(data);
        var users = data.UserCount;
        var tags = new HandWrittenTags(users);
        var asOf = asOfUtc.Ticks;
        var asOfDate = DateOnly.FromDateTime(asOfUtc);

        // Same partitioning as CompiledEngine.Evaluate, so both use the same cores the same way.
        var partitions = Math.Max(1, Math.Min(Environment.ProcessorCount * 4, users / 2048));
        Parallel.For(0, partitions, p =>
        {
            var from = (int)((long)users * p / partitions);
            var to = (int)((long)users * (p + 1) / partitions);
            var categoryCounts = new List<(string Category, int Count)>();
            for (var u = from; u < to; u++)
                tags.ComputeUser(columns, u, asOf, asOfDate, categoryCounts);
        });

        tags.ComputeQuantileScores();
        for (var u = 0; u < users; u++) tags.ComputeSegmentation(u);
        return tags;
    }

    // Fully optimized at first call, like the engine's compiled expression trees (dynamic methods
    // are never tiered): otherwise short repeated measurements catch tier-0 code.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ComputeUser(RetailColumns c, int u, long asOf, DateOnly asOfDate, List<(string Category, int Count)> categoryCounts)
    {
        // ---- orders: the widest window is 365d; last(order.ts) needs only the last row ≤ T.
        var orders = c.Orders;
        int start = orders.UserStart[u], end = DataSet.UpperBound(orders.Ts, start, orders.UserStart[u + 1], asOf);
        var from365 = DataSet.UpperBound(orders.Ts, start, end, asOf - 365 * Day);
        long count30 = 0, count90 = 0, coupons = 0;
        var spend = 0m;
        var momBabyOrder = false;
        categoryCounts.Clear();
        for (var row = from365; row < end; row++)
        {
            var ts = orders.Ts[row];
            if (c.Amount.Nulls is not { } amountNulls || !amountNulls[row]) spend += c.Amount.Values[row];
            if (c.CouponUsed.Values[row]) coupons++;   // a null row holds false: `where:` null counts as false
            if (ts > asOf - 90 * Day)
            {
                count90++;
                if (ts > asOf - 30 * Day) count30++;
            }
            if (ts > asOf - 180 * Day && c.OrderCategory.Values[row] is { } category)
            {
                if (category is "formula" or "diapers") momBabyOrder = true;
                AddCount(categoryCounts, category);
            }
        }
        var count365 = (long)(end - from365);
        AnnualSpend[u] = spend;
        Orders30d[u] = count30;
        Orders90d[u] = count90;
        Orders365d[u] = count365;
        CouponOrders365d[u] = coupons;
        RecencyDays[u] = end > start ? FloorDiv(asOf - orders.Ts[end - 1], Day) : null;
        FavCategories[u] = TopThree(categoryCounts);
        CouponRatio[u] = count365 == 0 ? null : (decimal)coupons / count365;

        // ---- logins: only the last row ≤ T matters (its ts gives both tags).
        var logins = c.Logins;
        int loginStart = logins.UserStart[u], loginEnd = DataSet.UpperBound(logins.Ts, loginStart, logins.UserStart[u + 1], asOf);
        long? lastLoginDays = loginEnd > loginStart ? FloorDiv(asOf - logins.Ts[loginEnd - 1], Day) : null;
        var login30d = loginEnd > loginStart && logins.Ts[loginEnd - 1] > asOf - 30 * Day;
        LastLoginDays[u] = lastLoginDays;

        // ---- views: exists(category in [air_conditioner, fan], within: 14d), newest first.
        var views = c.Views;
        int viewStart = views.UserStart[u], viewEnd = DataSet.UpperBound(views.Ts, viewStart, views.UserStart[u + 1], asOf);
        var cooling = false;
        for (var row = viewEnd - 1; row >= viewStart && views.Ts[row] > asOf - 14 * Day; row--)
            if (c.ViewCategory.Values[row] is "air_conditioner" or "fan") { cooling = true; break; }

        // ---- profile-level tags.
        var highValue = spend > 5000m;
        HighValue[u] = highValue;
        Potential[u] = login30d && count30 == 0;
        Churned[u] = lastLoginDays is null or >= 90;
        CoolingNeed[u] = cooling;
        MomBaby[u] = momBabyOrder && !c.ChildBirthday.IsNull(u) && YearsBetween(DateOnly.FromDayNumber(c.ChildBirthday.Values[u]), asOfDate) < 3;
        ValueTier[u] = spend > 5000m ? "high" : spend > 1000m ? "mid" : "low";
        VipRepeat[u] = highValue && count365 >= 2;
        WakeUp[u] = lastLoginDays is >= 30 and <= 89;
        DaysSinceRegistered[u] = c.RegisteredAt.IsNull(u) ? long.MaxValue : FloorDiv(asOf - c.RegisteredAt.Values[u], Day);
    }

    private void ComputeSegmentation(int u) => CoreGroups[u] =
        VipRepeat[u] ? "high_value_repeat"
        : WakeUp[u] ? "about_to_churn"
        : Orders365d[u] > 0 && 2 * CouponOrders365d[u] >= Orders365d[u] ? "price_sensitive"   // coupon_ratio >= 0.5, exactly
        : MomBaby[u] ? "mom_baby_group"
        : Array.IndexOf(FavCategories[u], "appliance") >= 0 ? "appliance_group"
        : Orders365d[u] <= 1 && DaysSinceRegistered[u] <= 90 ? "potential_new"
        : Churned[u] ? "churned_group"
        : "others";

    private void ComputeQuantileScores()
    {
        // The three populations are independent: one sort each, in parallel (as the engine does them).
        Parallel.Invoke(
            () =>
            {
                // r_score: descending over the users that have a recency (L = values strictly greater).
                var recencies = RecencyDays.Where(r => r.HasValue).Select(r => r!.Value).ToArray();
                Array.Sort(recencies);
                for (var u = 0; u < RecencyDays.Length; u++)
                    if (RecencyDays[u] is { } r) RScore[u] = Score(recencies.Length - UpperBound(recencies, r), recencies.Length);
            },
            () =>
            {
                var orders = (long[])Orders365d.Clone();
                Array.Sort(orders);
                for (var u = 0; u < FScore.Length; u++) FScore[u] = Score(LowerBound(orders, Orders365d[u]), orders.Length);
            },
            () =>
            {
                var spends = (decimal[])AnnualSpend.Clone();
                Array.Sort(spends);
                for (var u = 0; u < MScore.Length; u++) MScore[u] = Score(LowerBound(spends, AnnualSpend[u]), spends.Length);
            });

        static long Score(long below, long n) => Math.Min(5, 1 + 5 * below / n);
    }

    /// <summary>Values by output column name, boxed like <see cref="ResultColumn.Get"/>, for comparison.</summary>
    public object? Get(string column, int u) => column switch
    {
        "annual_spend" => AnnualSpend[u],
        "orders_30d" => Orders30d[u],
        "orders_90d" => Orders90d[u],
        "orders_365d" => Orders365d[u],
        "recency_days" => RecencyDays[u],
        "last_login_days" => LastLoginDays[u],
        "fav_categories" => FavCategories[u],
        "high_value" => HighValue[u],
        "potential" => Potential[u],
        "churned" => Churned[u],
        "cooling_need" => CoolingNeed[u],
        "mom_baby" => MomBaby[u],
        "coupon_ratio" => CouponRatio[u],
        "r_score" => RScore[u],
        "f_score" => FScore[u],
        "m_score" => MScore[u],
        "value_tier" => ValueTier[u],
        "vip_repeat" => VipRepeat[u],
        "wake_up" => WakeUp[u],
        "core_groups" => CoreGroups[u],
        _ => throw new ArgumentException($"the hand-written loop has no column '{column}'", nameof(column)),
    };

    /// <summary>First difference from the engine's result (every output column, every user), or null when equal.</summary>
    public string? FirstDifference(EvaluationResult engine)
    {
        foreach (var column in engine.Columns)
        {
            var name = column.Symbol.Name;
            for (var u = 0; u < engine.Data.UserCount; u++)
            {
                object? expected = column.Get(u), actual = Get(name, u);
                var equal = expected is object?[] list
                    ? actual is string[] strings && list.SequenceEqual(strings)
                    : Equals(expected, actual);
                if (!equal)
                    return $"{name} of {engine.Data.UserIds[u]}: engine {Show(expected)}, hand loop {Show(actual)}";
            }
        }
        return null;

        static string Show(object? value) => value switch
        {
            null => "null",
            IEnumerable<object?> list => "[" + string.Join(", ", list) + "]",
            _ => value.ToString() ?? "",
        };
    }

    // ------------------------------------------------------------------ helpers

    private static void AddCount(List<(string Category, int Count)> counts, string category)
    {
        // A user has a handful of categories: a linear scan beats hashing.
        for (var i = 0; i < counts.Count; i++)
            if (string.Equals(counts[i].Category, category, StringComparison.Ordinal))
            {
                counts[i] = (category, counts[i].Count + 1);
                return;
            }
        counts.Add((category, 1));
    }

    private static readonly string[] NoCategories = [];

    /// <summary>top(…, 3): count descending, then code point order.</summary>
    private static string[] TopThree(List<(string Category, int Count)> counts)
    {
        if (counts.Count == 0) return NoCategories;
        counts.Sort((x, y) => x.Count != y.Count ? y.Count.CompareTo(x.Count) : CodePointComparer.Instance.Compare(x.Category, y.Category));
        var top = new string[Math.Min(3, counts.Count)];
        for (var i = 0; i < top.Length; i++) top[i] = counts[i].Category;
        return top;
    }

    private static long FloorDiv(long a, long b) => a >= 0 ? a / b : -((-a + b - 1) / b);

    /// <summary>Whole years from a to b by adding years to a (Feb 29 clamps to Feb 28), truncated toward zero.</summary>
    private static long YearsBetween(DateOnly a, DateOnly b)
    {
        var years = b.Year - a.Year;
        if (years > 0 && AddYears(a, years) > b) years--;
        else if (years < 0 && AddYears(a, years) < b) years++;
        return years;

        static DateOnly AddYears(DateOnly d, int n) =>
            new(d.Year + n, d.Month, d.Month == 2 && d.Day == 29 && !DateTime.IsLeapYear(d.Year + n) ? 28 : d.Day);
    }

    private static int LowerBound<T>(T[] sorted, T value) where T : IComparable<T>
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi) { var mid = (lo + hi) >>> 1; if (sorted[mid].CompareTo(value) < 0) lo = mid + 1; else hi = mid; }
        return lo;
    }

    private static int UpperBound<T>(T[] sorted, T value) where T : IComparable<T>
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi) { var mid = (lo + hi) >>> 1; if (sorted[mid].CompareTo(value) <= 0) lo = mid + 1; else hi = mid; }
        return lo;
    }

    /// <summary>The tables and typed columns the retail tags read, looked up by name once.</summary>
    private sealed class RetailColumns
    {
        public RetailColumns(DataSet data)
        {
            var schema = data.Schema;
            Orders = Table(data, "order");
            Logins = Table(data, "login");
            Views = Table(data, "view");
            Amount = Field<DecimalColumn>(Orders, "amount");
            CouponUsed = Field<BoolColumn>(Orders, "coupon_used");
            OrderCategory = Field<StringColumn>(Orders, "category");
            ViewCategory = Field<StringColumn>(Views, "category");
            ChildBirthday = (DateColumn)(data.Profiles.Columns[schema.ProfileOrdinalOf("child_birthday")] ?? throw Missing("child_birthday"));
            RegisteredAt = (DateTimeColumn)(data.Profiles.Columns[schema.ProfileOrdinalOf("registered_at")] ?? throw Missing("registered_at"));
        }

        public EventTable Orders { get; }
        public EventTable Logins { get; }
        public EventTable Views { get; }
        public DecimalColumn Amount { get; }
        public BoolColumn CouponUsed { get; }
        public StringColumn OrderCategory { get; }
        public StringColumn ViewCategory { get; }
        public DateColumn ChildBirthday { get; }
        public DateTimeColumn RegisteredAt { get; }

        private static EventTable Table(DataSet data, string name)
        {
            var index = data.Schema.Events.IndexOf(data.Schema.FindEvent(name) ?? throw Missing(name));
            return data.Events[index] ?? throw Missing($"{name} events");
        }

        private static T Field<T>(EventTable table, string field) where T : Column =>
            (T)(table.Fields[table.Type.OrdinalOf(field)] ?? throw Missing($"{table.Type.Name}.{field}"));

        private static InvalidOperationException Missing(string what) =>
            new($"the data set has no '{what}': the hand-written loop is written for the retail-core schema");
    }
}
