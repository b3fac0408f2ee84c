namespace MarketingDsl.Journeys.Measurement;

public enum AttributionModel { FirstTouch, LastTouch, Linear, TimeDecay, PositionBased }

/// <summary>Settings of attribution: which sends a conversion may credit and how time decays.</summary>
public sealed record AttributionOptions
{
    /// <summary>A send credits a conversion when it went at most this long before it (and not after it).</summary>
    public TimeSpan Window { get; init; } = TimeSpan.FromDays(7);
    /// <summary>Time decay: a send's weight halves for every half-life it went before the conversion.</summary>
    public TimeSpan HalfLife { get; init; } = TimeSpan.FromDays(7);

    public static readonly AttributionOptions Default = new();

    public static string Name(AttributionModel model) => model switch
    {
        AttributionModel.FirstTouch => "first_touch",
        AttributionModel.LastTouch => "last_touch",
        AttributionModel.Linear => "linear",
        AttributionModel.TimeDecay => "time_decay",
        _ => "position_based",
    };
}

/// <summary>Conversions and revenue credited to sends (fractions of a conversion).</summary>
public sealed class Credit
{
    public double Conversions { get; private set; }
    public decimal Revenue { get; private set; }
    internal void Add(double share, decimal revenue)
    {
        Conversions += share;
        Revenue += revenue * (decimal)share;
    }
}

/// <summary>The credit of one model: per journey, per (journey, channel), per (journey, step); conversions with no send in the window stay
/// unattributed.</summary>
public sealed class AttributionResult(AttributionModel model)
{
    public AttributionModel Model { get; } = model;
    public Dictionary<string, Credit> ByJourney { get; } = new(StringComparer.Ordinal);
    public Dictionary<(string Journey, string Channel), Credit> ByChannel { get; } = [];
    public Dictionary<(string Journey, string Step), Credit> ByStep { get; } = [];
    public Credit Unattributed { get; } = new();
    public long Conversions { get; internal set; }
}

/// <summary>
/// Multi-touch attribution of conversions to the sends that reached the user before them. A
/// conversion is a user's goal event, counted once even when it is the goal of several journeys
/// (same user and instant); its touches are the user's sends (any journey, handed to the channel)
/// with conversion − window ≤ at ≤ conversion, oldest first. Models: first touch, last touch,
/// linear, time decay (weight 2^(−age/half-life)) and position based (40% first, 40% last, 20%
/// shared by the middle; one touch takes all, two share half each).
/// </summary>
public static class Attribution
{
    public static IReadOnlyList<AttributionModel> Models { get; } = Enum.GetValues<AttributionModel>();

    public static Dictionary<AttributionModel, AttributionResult> Compute(IEnumerable<MeasureEvent> events, AttributionOptions options)
    {
        var sends = new Dictionary<string, List<MeasureEvent>>(StringComparer.Ordinal);
        var conversions = new Dictionary<(string User, long At), decimal>();
        foreach (var e in events)
        {
            if (e.Kind == MeasureKind.Sent)
            {
                if (!sends.TryGetValue(e.User, out var list)) sends[e.User] = list = [];
                list.Add(e);
            }
            else if (e.Kind == MeasureKind.Converted) conversions.TryAdd((e.User, e.At), e.Revenue);
        }
        foreach (var list in sends.Values) list.Sort((a, b) => a.At.CompareTo(b.At));   // stable: ties keep their order
        var results = Models.ToDictionary(m => m, m => new AttributionResult(m));
        var touches = new List<MeasureEvent>();
        var weights = new double[16];
        foreach (var ((user, at), revenue) in conversions.OrderBy(c => c.Key.At).ThenBy(c => c.Key.User, StringComparer.Ordinal))
        {
            touches.Clear();
            if (sends.TryGetValue(user, out var list))
                foreach (var s in list)
                    if (s.At <= at && s.At >= at - options.Window.Ticks) touches.Add(s);
            if (weights.Length < touches.Count) weights = new double[touches.Count * 2];
            foreach (var model in Models)
            {
                var result = results[model];
                result.Conversions++;
                if (touches.Count == 0) { result.Unattributed.Add(1, revenue); continue; }
                Weights(model, touches, at, options, weights);
                for (var i = 0; i < touches.Count; i++)
                {
                    if (weights[i] == 0) continue;
                    var t = touches[i];
                    Get(result.ByJourney, t.Journey).Add(weights[i], revenue);
                    Get(result.ByChannel, (t.Journey, t.Channel!)).Add(weights[i], revenue);
                    Get(result.ByStep, (t.Journey, t.Step!)).Add(weights[i], revenue);
                }
            }
        }
        return results;
    }

    /// <summary>The shares of <paramref name="touches"/> (oldest first) under a model; they sum to 1.</summary>
    public static void Weights(AttributionModel model, IReadOnlyList<MeasureEvent> touches, long conversionAt, AttributionOptions options,
        double[] weights)
    {
        var n = touches.Count;
        Array.Clear(weights, 0, n);
        switch (model)
        {
            case AttributionModel.FirstTouch: weights[0] = 1; break;
            case AttributionModel.LastTouch: weights[n - 1] = 1; break;
            case AttributionModel.Linear:
                for (var i = 0; i < n; i++) weights[i] = 1.0 / n;
                break;
            case AttributionModel.TimeDecay:
                double total = 0;
                for (var i = 0; i < n; i++)
                    total += weights[i] = Math.Pow(2, -(double)(conversionAt - touches[i].At) / options.HalfLife.Ticks);
                for (var i = 0; i < n; i++) weights[i] /= total;
                break;
            default:
                if (n == 1) weights[0] = 1;
                else if (n == 2) weights[0] = weights[1] = 0.5;
                else
                {
                    weights[0] = weights[n - 1] = 0.4;
                    for (var i = 1; i < n - 1; i++) weights[i] = 0.2 / (n - 2);
                }
                break;
        }
    }

    private static Credit Get<TKey>(Dictionary<TKey, Credit> map, TKey key) where TKey : notnull
    {
        if (!map.TryGetValue(key, out var credit)) map[key] = credit = new Credit();
        return credit;
    }
}
