using System.Globalization;
using System.Text;

namespace MarketingDsl.Engine.Data;

/// <summary>What <see cref="RetailDataGenerator.Generate"/> wrote.</summary>
public sealed record GenerationResult(string ProfilesPath, string EventsPath, long Profiles, long Events, long OrphanEvents,
    long DuplicateOrders, DateTime StartUtc, DateTime EndUtc);

/// <summary>
/// Writes a synthetic retail history for the retail schema of examples/retail: <c>profiles.jsonl</c> and
/// <c>events.jsonl</c> (types order, view, cart_add, login, message_opened). Deterministic for a
/// seed (own PRNG, independent of <see cref="Random"/>), streamed (constant memory per user).
/// Realism: log-normal spend with a few whales, churners who stop at some day, summer cooling views,
/// mothers buying formula/diapers, skewed activity; pet owners, school shopping before a term and large appliances
/// replaced, from a stream of their own (RetailDataGenerator.Interests.cs). Edge cases: duplicate order ids, orphan events,
/// null categories, users without events, identical timestamps.
/// <para>Planted signals for models (Data README): 22% of active users churn on a random day, their
/// visits (logins, views, orders) fading over the 60 days before, so churn follows falling login
/// frequency and recency; repurchase follows a user's steady activity (order frequency); member
/// level raises order frequency (1 + 0.4 · level) and prices (1 + 0.15 · level), so future spend
/// follows past spend and tier.</para>
/// </summary>
public static partial class RetailDataGenerator
{
    private static readonly string[] Cities = ["上海", "北京", "广州", "深圳", "杭州", "成都", "南京", "武汉", "重庆", "西安", "苏州", "天津", "长沙", "郑州", "青岛", "厦门"];
    private static readonly double[] CityWeights = [14, 12, 10, 10, 8, 7, 6, 6, 5, 5, 4, 4, 3, 3, 2, 1];
    private static readonly string[] Categories = ["appliance", "apparel", "beverages", "fresh", "formula", "diapers", "phone",
        "air_conditioner", "fan", "tv", "beauty"];
    private static readonly double[] CategoryMu = [6.2, 5.0, 3.6, 4.0, 5.4, 4.6, 7.6, 8.0, 5.3, 8.0, 5.2];   // log of a typical price
    private static readonly string[] Channels = ["pos", "app", "miniapp", "tmall", "jd"];
    private static readonly string[] Platforms = ["ios", "android", "miniapp", "web"];
    private static readonly string[] Journeys = ["cart_recovery", "win_back", "new_arrivals", "member_day", "summer_sale"];
    private static readonly string[] MessageChannels = ["sms", "app_push", "wechat"];
    private const double ChurnFadeDays = 60;

    /// <summary>
    /// The co-purchase partner planted by <see cref="Generate"/> with <c>coPurchase</c> &gt; 0: the sku
    /// with the same number in the next category of <see cref="Categories"/> (the last wraps to the
    /// first), e.g. <c>sku_formula_007</c> → <c>sku_diapers_007</c>, <c>sku_beauty_012</c> → <c>sku_appliance_012</c>.
    /// </summary>
    public static string CoPurchasePartner(string sku)
    {
        var parts = sku.Split('_');
        if (parts.Length < 3) return sku;
        var category = string.Join('_', parts[1..^1]);
        var at = Array.IndexOf(Categories, category);
        return at < 0 ? sku : "sku_" + Categories[(at + 1) % Categories.Length] + "_" + parts[^1];
    }

    /// <summary>The category of a generated sku (<c>sku_&lt;category&gt;_NNN</c>).</summary>
    public static string CategoryOfSku(string sku) => sku.Length > 8 ? sku[4..^4] : sku;

    /// <param name="coPurchase">Planted co-purchase structure (Data README): after each order, with this
    /// probability, the same user also orders the sku's <see cref="CoPurchasePartner"/> 1 to 10 days later
    /// (before the user stops and before the end), as an extra order with its own id (<c>p…</c>). Drawn from a
    /// stream of its own, so every other event is the one written without it; 0 (the default) plants nothing.</param>
    /// <param name="order">How events.jsonl is ordered: <see cref="EventOrder.User"/> as generated (each user's events together),
    /// <see cref="EventOrder.Time"/> by ts as real exports are (ties in generation order: the file
    /// <see cref="EventFileOrder.SortByTime"/> makes of the user-ordered one), sorted as it is written, in bounded memory.</param>
    public static GenerationResult Generate(string outDir, int users, int days, int seed, DateTime? endUtc = null, double coPurchase = 0,
        EventOrder order = EventOrder.User) =>
        Generate(outDir, users, days, seed, endUtc, coPurchase, order, TimeBucketBytes);

    /// <summary>What one bucket of a time-ordered file holds, about (sorted in memory at a time).</summary>
    private const long TimeBucketBytes = 64L << 20;

    /// <summary>Bytes of events.jsonl per user and day, about (generated retail data: 124), to size the time buckets.</summary>
    private const long BytesPerUserDay = 130;

    /// <param name="timeBucketBytes">What one time bucket holds, about (tests make it small to have many).</param>
    internal static GenerationResult Generate(string outDir, int users, int days, int seed, DateTime? endUtc, double coPurchase,
        EventOrder order, long timeBucketBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(users);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(days);
        Directory.CreateDirectory(outDir);
        var end = DateTime.SpecifyKind(endUtc ?? new DateTime(2025, 10, 1, 0, 0, 0), DateTimeKind.Utc);
        var start = end.AddDays(-days);
        var profilesPath = Path.Combine(outDir, "profiles.jsonl");
        var eventsPath = Path.Combine(outDir, "events.jsonl");
        var utf8 = new UTF8Encoding(false);
        using var pw = new StreamWriter(profilesPath, false, utf8, 1 << 16) { NewLine = "\n" };
        using var timed = order == EventOrder.Time
            ? new TimeOrderedEventFile(eventsPath, start, end, (long)users * days * BytesPerUserDay, timeBucketBytes)
            : null;
        using TextWriter ew = timed is null ? new StreamWriter(eventsPath, false, utf8, 1 << 20) { NewLine = "\n" } : new LineBuffer();
        var w = new EventWriter(ew, timed) { End = end };
        long orphans = 0, dupOrders = 0;
        long orderSeq = 0, plantedSeq = 0, interestSeq = 0;

        for (var i = 0; i < users; i++)
        {
            var rng = new Pcg(seed, i);
            var plant = new Pcg(unchecked(seed + 0x3C6EF372), i);
            var interest = InterestStream(seed, i);
            var uid = "u" + (i + 1).ToString("D7", CultureInfo.InvariantCulture);
            var female = rng.NextDouble() < 0.56;
            var age = 18 + (int)(rng.NextDouble() * 47);
            var birthday = DateOnly.FromDateTime(end).AddYears(-age).AddDays(-(int)(rng.NextDouble() * 365));
            var mother = female && age is >= 22 and <= 42 && rng.NextDouble() < 0.3;
            DateOnly? child = mother ? DateOnly.FromDateTime(end).AddDays(-(int)(rng.NextDouble() * 365 * 4.5) + 60) : null;   // some unborn
            var schoolChild = SchoolChild(ref interest, end, age, child is not null);
            child ??= schoolChild;
            var city = Cities[rng.Pick(CityWeights)];
            var level = (int)Math.Min(5, Math.Floor(-Math.Log(1 - rng.NextDouble()) * 1.2));
            var newUser = rng.NextDouble() < 0.12;
            var registered = newUser ? start.AddSeconds(rng.NextDouble() * days * 86400.0)
                                     : start.AddDays(-30 - rng.NextDouble() * 2000).AddSeconds(rng.Next(86400));
            registered = new DateTime(registered.Ticks - registered.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Utc);

            var p = new StringBuilder(256);
            p.Append("{\"user_id\":\"").Append(uid).Append("\",\"gender\":\"").Append(female ? 'F' : 'M').Append('"');
            p.Append(",\"birthday\":").Append(rng.NextDouble() < 0.05 ? "null" : "\"" + birthday.ToString("yyyy-MM-dd",
                CultureInfo.InvariantCulture) + "\"");
            p.Append(",\"city\":\"").Append(city).Append("\",\"member_level\":").Append(level);
            p.Append(",\"registered_at\":\"").Append(registered.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)).Append('"');
            p.Append(",\"child_birthday\":").Append(child is { } c ? "\"" + c.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + "\""
                : "null").Append('}');
            pw.WriteLine(p.ToString());

            // Activity profile.
            if (rng.NextDouble() < 0.04) continue;                               // never active
            var whale = rng.NextDouble() < 0.01;
            var priceSensitive = rng.NextDouble() < 0.25;
            var activity = Math.Exp(0.9 * rng.NextGaussian() - 0.405) * (whale ? 2.5 : 1.0);
            var sessionsPerDay = 0.2 * activity;
            var activeFrom = registered > start ? registered : start;
            var activeTo = end;
            if (rng.NextDouble() < 0.22) activeTo = start.AddDays(rng.NextDouble() * days);   // churner
            var favorite = rng.Next(Categories.Length);

            var churner = activeTo < end;
            // Planted signal for purchases and spend: higher tiers order more often and spend more.
            var tierOrders = 1 + 0.4 * level;
            var tierSpend = 1 + 0.15 * level;

            for (var day = start.Date; day < end; day = day.AddDays(1))
            {
                if (day.AddDays(1) <= activeFrom || day >= activeTo) continue;
                var summer = day.Month is >= 6 and <= 8;
                var weekend = day.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday;
                // Planted churn signal: a churner's visits fade over the 60 days before they stop.
                var fade = churner ? Math.Clamp((activeTo - day).TotalDays / ChurnFadeDays, 0.15, 1.0) : 1.0;
                var sessions = rng.Poisson(sessionsPerDay * fade * (weekend ? 1.3 : 1.0));
                for (var s = 0; s < sessions; s++)
                {
                    var t = day.AddSeconds(rng.DaySecond());
                    if (t < activeFrom || t >= activeTo || t >= end) continue;
                    if (rng.NextDouble() < 0.75) w.Login(uid, t, Platforms[rng.Next(Platforms.Length)]);
                    var views = 1 + rng.Poisson(3.5);
                    var category = PickCategory(ref rng, favorite, mother, summer);
                    var sku = Sku(ref rng, category);
                    for (var v = 0; v < views; v++)
                    {
                        t = t.AddSeconds(5 + rng.Next(240));
                        if (t >= end || t >= activeTo) break;
                        if (rng.NextDouble() < 0.3) { category = PickCategory(ref rng, favorite, mother, summer); sku = Sku(ref rng, category); }
                        w.View(uid, t, sku, rng.NextDouble() < 0.005 ? null : Categories[category], 3 + rng.Next(300));
                    }
                    if (rng.NextDouble() < 0.3)
                    {
                        t = t.AddSeconds(rng.Next(120));
                        if (t >= end || t >= activeTo) continue;
                        var price = Price(ref rng, category, whale, tierSpend);
                        w.CartAdd(uid, t, sku, Categories[category], price);
                        if (rng.NextDouble() < 0.4)
                        {
                            if (rng.NextDouble() > 0.1) t = t.AddSeconds(30 + rng.Next(1800));   // else identical timestamp
                            if (t < end) dupOrders += Order(w, ref rng, uid, t, ++orderSeq, Channels[1 + rng.Next(Channels.Length - 1)],
                                price, category, sku, priceSensitive);
                            if (t < end && coPurchase > 0) PlantPartner(w, ref plant, coPurchase, uid, t, activeTo, ++plantedSeq, sku);
                        }
                    }
                    if (rng.NextDouble() < 0.12)
                        w.MessageOpened(uid, day.AddSeconds(rng.DaySecond()) is var mt && mt < end ? mt : t,
                            Journeys[rng.Next(Journeys.Length)], MessageChannels[rng.Next(MessageChannels.Length)]);
                }
                // Offline purchases in stores.
                if (rng.NextDouble() < 0.025 * activity * tierOrders * fade)
                {
                    var t = day.AddSeconds(rng.DaySecond());
                    if (t >= activeFrom && t < activeTo)
                    {
                        var category = PickCategory(ref rng, favorite, mother, summer);
                        // Price before sku: the draws of the stream without planting, in their order.
                        var storePrice = Price(ref rng, category, whale, tierSpend);
                        var bought = Sku(ref rng, category);
                        dupOrders += Order(w, ref rng, uid, t, ++orderSeq, "pos", storePrice, category, bought, priceSensitive);
                        if (coPurchase > 0) PlantPartner(w, ref plant, coPurchase, uid, t, activeTo, ++plantedSeq, bought);
                    }
                }
            }

            PlantInterests(w, ref interest, new InterestUser(uid, start, end, activeFrom, activeTo, churner, activity, schoolChild is not null),
                ref interestSeq);

            // Orphans: events for users that have no profile.
            if (i % 997 == 500)
            {
                var t = start.AddSeconds(rng.NextDouble() * days * 86400.0);
                w.Login("ghost" + i.ToString(CultureInfo.InvariantCulture), new DateTime(t.Ticks - t.Ticks % TimeSpan.TicksPerSecond,
                    DateTimeKind.Utc), "web");
                orphans++;
            }
        }
        timed?.Finish();
        return new GenerationResult(profilesPath, eventsPath, users, w.Count, orphans, dupOrders, start, end);
    }

    private static void PlantPartner(EventWriter w, ref Pcg plant, double probability, string uid, DateTime t, DateTime activeTo, long seq,
        string sku)
    {
        if (plant.NextDouble() >= probability) return;
        var at = t.AddSeconds(86_400 + plant.Next(9 * 86_400));
        if (at >= w.End || at >= activeTo) return;
        var partner = CoPurchasePartner(sku);
        var category = CategoryOfSku(partner);
        var price = Math.Round((decimal)Math.Exp(CategoryMu[Array.IndexOf(Categories, category)] + 0.6 * plant.NextGaussian()), 2,
            MidpointRounding.AwayFromZero);
        w.Order(uid, at, "p" + seq.ToString("D9", CultureInfo.InvariantCulture), "app", price, category, partner, false);
    }

    private static int PickCategory(ref Pcg rng, int favorite, bool mother, bool summer)
    {
        var x = rng.NextDouble();
        if (mother && x < 0.35) return rng.NextDouble() < 0.5 ? 4 : 5;          // formula, diapers
        if (summer && x < 0.5 && x >= 0.3) return rng.NextDouble() < 0.5 ? 7 : 8; // air_conditioner, fan
        if (x > 0.6) return favorite;
        int c;
        do c = rng.Next(Categories.Length); while (!summer && (c is 7 or 8) && rng.NextDouble() < 0.7);
        return c;
    }

    private static string Sku(ref Pcg rng, int category) => "sku_" + Categories[category] + "_" + rng.Next(40).ToString("D3",
        CultureInfo.InvariantCulture);

    private static decimal Price(ref Pcg rng, int category, bool whale, double tierSpend)
    {
        var v = Math.Exp(CategoryMu[category] + 0.6 * rng.NextGaussian()) * (whale ? 3 + rng.NextDouble() * 10 : 1) * tierSpend;
        return Math.Round((decimal)Math.Min(v, 200_000), 2, MidpointRounding.AwayFromZero);
    }

    /// <summary>Writes one order (occasionally repeated with the same order id); returns the duplicates written.</summary>
    private static int Order(EventWriter w, ref Pcg rng, string uid, DateTime t, long seq, string channel, decimal amount, int category,
        string sku, bool priceSensitive)
    {
        var id = "o" + seq.ToString("D9", CultureInfo.InvariantCulture);
        var coupon = rng.NextDouble() < (priceSensitive ? 0.7 : 0.12);
        var cat = rng.NextDouble() < 0.004 ? null : Categories[category];
        w.Order(uid, t, id, channel, amount, cat, sku, coupon);
        if (rng.NextDouble() >= 0.002) return 0;
        // Re-sent by a POS/ETL retry.
        w.Order(uid, t.AddSeconds(rng.Next(600)) is var t2 && t2 < w.End ? t2 : t, id, channel, amount, cat, sku, coupon);
        return 1;
    }

    /// <summary>
    /// Streams event lines without per-event string building for timestamps: straight to the file, or (time order) each line
    /// into a <see cref="LineBuffer"/> handed to the time buckets with the second its ts shows.
    /// </summary>
    private sealed class EventWriter(TextWriter w, TimeOrderedEventFile? timed)
    {
        private readonly char[] _buf = new char[32];
        private long _second;
        public long Count;
        public DateTime End;

        private void Head(string type, string uid, DateTime t)
        {
            Count++;
            _second = t.Ticks / TimeSpan.TicksPerSecond;   // the ts as written: whole seconds
            w.Write("{\"type\":\"");
            w.Write(type);
            w.Write("\",\"user_id\":\"");
            w.Write(uid);
            w.Write("\",\"ts\":\"");
            t.TryFormat(_buf, out var n, "yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
            w.Write(_buf, 0, n);
            w.Write('"');
        }

        /// <summary>Ends the line (<paramref name="tail"/> ends with its newline).</summary>
        private void EndLine(string tail)
        {
            w.Write(tail);
            if (timed is null) return;
            var line = (LineBuffer)w;
            timed.Add(_second, line.Text[..^1]);
            line.Clear();
        }

        private void Str(string name, string? value)
        {
            w.Write(",\"");
            w.Write(name);
            w.Write("\":");
            if (value is null) { w.Write("null"); return; }
            w.Write('"');
            w.Write(value);
            w.Write('"');
        }

        private void Num(string name, decimal value)
        {
            w.Write(",\"");
            w.Write(name);
            w.Write("\":");
            value.TryFormat(_buf, out var n, "0.##", CultureInfo.InvariantCulture);
            w.Write(_buf, 0, n);
        }

        public void Login(string uid, DateTime t, string platform)
        {
            Head("login", uid, t);
            Str("platform", platform);
            EndLine("}\n");
        }

        public void View(string uid, DateTime t, string sku, string? category, int seconds)
        {
            Head("view", uid, t);
            Str("sku", sku);
            Str("category", category);
            Num("duration_s", seconds);
            EndLine("}\n");
        }

        public void CartAdd(string uid, DateTime t, string sku, string category, decimal price)
        {
            Head("cart_add", uid, t);
            Str("sku", sku);
            Str("category", category);
            Num("price", price);
            EndLine("}\n");
        }

        public void Order(string uid, DateTime t, string id, string channel, decimal amount, string? category, string sku, bool coupon)
        {
            Head("order", uid, t);
            Str("order_id", id);
            Str("channel", channel);
            Num("amount", amount);
            Str("category", category);
            Str("sku", sku);
            EndLine(coupon ? ",\"coupon_used\":true}\n" : ",\"coupon_used\":false}\n");
        }

        public void MessageOpened(string uid, DateTime t, string journey, string channel)
        {
            Head("message_opened", uid, t);
            Str("journey", journey);
            Str("channel", channel);
            EndLine("}\n");
        }
    }

    /// <summary>One line of text at a time, for the time buckets.</summary>
    private sealed class LineBuffer : TextWriter
    {
        private char[] _chars = new char[512];
        private int _length;

        public override Encoding Encoding => Encoding.UTF8;
        public ReadOnlySpan<char> Text => _chars.AsSpan(0, _length);
        public void Clear() => _length = 0;

        public override void Write(char value)
        {
            Room(1);
            _chars[_length++] = value;
        }

        public override void Write(string? value) => Write(value.AsSpan());
        public override void Write(char[] buffer, int index, int count) => Write(buffer.AsSpan(index, count));

        public override void Write(ReadOnlySpan<char> buffer)
        {
            Room(buffer.Length);
            buffer.CopyTo(_chars.AsSpan(_length));
            _length += buffer.Length;
        }

        private void Room(int more)
        {
            if (_length + more > _chars.Length) Array.Resize(ref _chars, Math.Max(_chars.Length * 2, _length + more));
        }
    }

    /// <summary>PCG-XSH-RR 64/32, seeded per (seed, user) so users are independent and reproducible.</summary>
    private struct Pcg
    {
        private ulong _state;
        private readonly ulong _inc;

        public Pcg(int seed, int stream)
        {
            _inc = (SplitMix((ulong)(uint)stream + 0x9E3779B97F4A7C15UL) << 1) | 1UL;
            _state = 0;
            NextUInt();
            _state += SplitMix((ulong)(uint)seed * 0xD1B54A32D192ED03UL + (ulong)(uint)stream);
            NextUInt();
        }

        private static ulong SplitMix(ulong z)
        {
            z += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }

        public uint NextUInt()
        {
            var old = _state;
            _state = unchecked(old * 6364136223846793005UL + _inc);
            var xorshifted = (uint)(((old >> 18) ^ old) >> 27);
            var rot = (int)(old >> 59);
            return (xorshifted >> rot) | (xorshifted << (-rot & 31));
        }

        /// <summary>[0, 1) with 53 bits.</summary>
        public double NextDouble() => (((ulong)NextUInt() << 21) ^ NextUInt()) * (1.0 / (1UL << 53));

        public int Next(int n) => (int)((ulong)NextUInt() * (ulong)n >> 32);

        public double NextGaussian()
        {
            var u1 = 1.0 - NextDouble();
            var u2 = NextDouble();
            return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
        }

        public int Poisson(double lambda)
        {
            if (lambda <= 0) return 0;
            if (lambda > 30) return Math.Max(0, (int)Math.Round(lambda + Math.Sqrt(lambda) * NextGaussian()));
            var l = Math.Exp(-lambda);
            var k = 0;
            var p = 1.0;
            do { k++; p *= NextDouble(); } while (p > l);
            return k - 1;
        }

        public int Pick(double[] weights)
        {
            var total = 0.0;
            foreach (var x in weights) total += x;
            var r = NextDouble() * total;
            for (var i = 0; i < weights.Length; i++)
            {
                r -= weights[i];
                if (r < 0) return i;
            }
            return weights.Length - 1;
        }

        /// <summary>Seconds into a day, mostly daytime and evening.</summary>
        public int DaySecond()
        {
            var hour = NextDouble() < 0.85 ? 8 + Next(15) : Next(24);
            return hour * 3600 + Next(3600);
        }
    }
}
