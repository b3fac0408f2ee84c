using System.Globalization;

namespace MarketingDsl.Engine.Data;

// Interests planted beside the main history (Data README, "Interests"): pet owners who buy pet food
// again and again, parents of a school-age child who shop for school in the weeks before a term starts,
// households replacing a large appliance. Their categories are not in `Categories`, and their draws come
// from a stream of their own (`InterestStream`): adding them moved no draw of the main stream, so every
// other event is the one written before they existed.
public static partial class RetailDataGenerator
{
    /// <summary>Categories of the planted interests, with the log of a typical price.</summary>
    private static readonly (string Name, double Mu)[] InterestCategories =
        [("pet_food", 4.9), ("pet_supplies", 4.2), ("stationery", 3.3), ("school_bag", 5.1), ("refrigerator", 8.2), ("washer", 7.9)];
    private const int PetFood = 0, PetSupplies = 1, Stationery = 2, SchoolBag = 3, Refrigerator = 4, Washer = 5;

    /// <summary>The offset of the interests' seed from the main seed (the co-purchase stream has another).</summary>
    private const int InterestSeedOffset = 0x5851F42D;

    private static Pcg InterestStream(int seed, int user) => new(unchecked(seed + InterestSeedOffset), user);

    /// <summary>
    /// Whether a user has a child of school age (5 to 12 at <paramref name="end"/>): a third of the users
    /// aged 28 to 50 who have no young child; drawn for every user, first on the interest stream.
    /// </summary>
    private static DateOnly? SchoolChild(ref Pcg interest, DateTime end, int age, bool youngChild)
    {
        var draw = interest.NextDouble();
        var years = interest.NextDouble();
        if (youngChild || age is < 28 or > 50 || draw >= 1.0 / 3) return null;
        return DateOnly.FromDateTime(end).AddDays(-(int)((5 + 8 * years) * 365.25));
    }

    /// <summary>What one active user's planted interests need from the main history.</summary>
    private readonly record struct InterestUser(string Uid, DateTime Start, DateTime End, DateTime ActiveFrom, DateTime ActiveTo,
        bool Churner, double Activity, bool SchoolChild);

    /// <summary>Writes one active user's interest events, day by day, after the main history's events of that user.</summary>
    private static void PlantInterests(EventWriter w, ref Pcg interest, in InterestUser user, ref long seq)
    {
        // Drawn for every active user, so a user's draws do not depend on which interests another user has.
        var petOwner = interest.NextDouble() < 0.2;
        var petInterval = 20 + interest.NextDouble() * 20;                    // days between pet food orders
        var nextPetOrder = user.ActiveFrom.AddDays(interest.NextDouble() * petInterval);
        var upgrade = interest.NextDouble() < 0.12;
        var upgradeFrom = user.Start.AddDays(interest.NextDouble() * (user.End - user.Start).TotalDays);
        var upgradeTo = upgradeFrom.AddDays(14 + interest.Next(29));
        var upgradeBuys = interest.NextDouble() < 0.45;
        var upgradeCategory = interest.NextDouble() < 0.5 ? Refrigerator : Washer;
        var zeal = Math.Min(user.Activity, 2.0);

        for (var day = user.Start.Date; day < user.End; day = day.AddDays(1))
        {
            if (day.AddDays(1) <= user.ActiveFrom || day >= user.ActiveTo) continue;
            var fade = user.Churner ? Math.Clamp((user.ActiveTo - day).TotalDays / ChurnFadeDays, 0.15, 1.0) : 1.0;

            // Pet owners: food on a steady rhythm (a view first, half the time), supplies now and then.
            if (petOwner && day >= nextPetOrder.Date)
            {
                var t = day.AddSeconds(interest.DaySecond());
                if (interest.NextDouble() < 0.5) InterestView(w, ref interest, user, t.AddSeconds(-60 - interest.Next(600)), PetFood);
                InterestOrder(w, ref interest, user, t, PetFood, ref seq);
                if (interest.NextDouble() < 0.25) InterestOrder(w, ref interest, user, t.AddSeconds(30), PetSupplies, ref seq);
                nextPetOrder = day.AddDays(petInterval * (0.8 + 0.4 * interest.NextDouble()) / Math.Max(fade, 0.5));
            }

            // School shopping: parents of a school-age child before the autumn term (mid August to mid September)
            // and, less, the spring term (mid February to early March); anyone buys stationery now and then.
            var schoolRate = user.SchoolChild ? SchoolSeasonRate(day) * zeal : 0.002;
            if (interest.NextDouble() < schoolRate * fade)
            {
                var t = day.AddSeconds(interest.DaySecond());
                var category = user.SchoolChild && interest.NextDouble() < 0.4 ? SchoolBag : Stationery;
                var views = 1 + interest.Next(3);
                for (var v = 0; v < views; v++) InterestView(w, ref interest, user, t = t.AddSeconds(5 + interest.Next(240)), category);
                if (interest.NextDouble() < 0.3)
                {
                    t = t.AddSeconds(20 + interest.Next(600));
                    InterestCartAdd(w, ref interest, user, t, category);
                    if (interest.NextDouble() < 0.6) InterestOrder(w, ref interest, user, t.AddSeconds(30 + interest.Next(1800)), category, ref seq);
                }
            }

            // A large appliance replaced: a few weeks of comparing, then (for some) the order.
            if (upgrade && day >= upgradeFrom.Date && day < upgradeTo && interest.NextDouble() < 0.3 * fade)
                InterestView(w, ref interest, user, day.AddSeconds(interest.DaySecond()), upgradeCategory);
            if (upgrade && upgradeBuys && day == upgradeTo.Date)
                InterestOrder(w, ref interest, user, day.AddSeconds(interest.DaySecond()), upgradeCategory, ref seq);
        }
    }

    /// <summary>Daily chance that a parent of a school-age child shops for school.</summary>
    private static double SchoolSeasonRate(DateTime day) => (day.Month, day.Day) switch
    {
        (8, >= 15) or (9, <= 15) => 0.12,
        (2, >= 15) or (3, <= 8) => 0.05,
        _ => 0.008,
    };

    private static bool Within(in InterestUser user, DateTime t) => t >= user.ActiveFrom && t < user.ActiveTo && t < user.End;

    private static string InterestSku(ref Pcg interest, int category) =>
        "sku_" + InterestCategories[category].Name + "_" + interest.Next(20).ToString("D3", CultureInfo.InvariantCulture);

    private static decimal InterestPrice(ref Pcg interest, int category) =>
        Math.Round((decimal)Math.Exp(InterestCategories[category].Mu + 0.5 * interest.NextGaussian()), 2, MidpointRounding.AwayFromZero);

    private static void InterestView(EventWriter w, ref Pcg interest, in InterestUser user, DateTime t, int category)
    {
        var sku = InterestSku(ref interest, category);
        var seconds = 5 + interest.Next(200);
        if (Within(user, t)) w.View(user.Uid, t, sku, InterestCategories[category].Name, seconds);
    }

    private static void InterestCartAdd(EventWriter w, ref Pcg interest, in InterestUser user, DateTime t, int category)
    {
        var sku = InterestSku(ref interest, category);
        var price = InterestPrice(ref interest, category);
        if (Within(user, t)) w.CartAdd(user.Uid, t, sku, InterestCategories[category].Name, price);
    }

    /// <summary>An order with an id of its own (<c>i…</c>: no main-stream order id moves).</summary>
    private static void InterestOrder(EventWriter w, ref Pcg interest, in InterestUser user, DateTime t, int category, ref long seq)
    {
        var sku = InterestSku(ref interest, category);
        var price = InterestPrice(ref interest, category);
        var store = interest.NextDouble() < 0.3;
        var channel = store ? "pos" : Channels[1 + interest.Next(Channels.Length - 1)];
        var coupon = interest.NextDouble() < 0.15;
        if (!Within(user, t)) return;
        w.Order(user.Uid, t, "i" + (++seq).ToString("D9", CultureInfo.InvariantCulture), channel, price, InterestCategories[category].Name,
            sku, coupon);
    }
}
