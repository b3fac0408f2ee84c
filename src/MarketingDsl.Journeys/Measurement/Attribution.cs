using System.Runtime.InteropServices;

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
    internal void Add(double share, decimal revenue) => AddShare(share, revenue * (decimal)share);

    /// <summary>Adds a share whose revenue part (revenue × share) the caller computed once for every slice it credits.</summary>
    internal void AddShare(double share, decimal revenueShare)
    {
        Conversions += share;
        Revenue += revenueShare;
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

/// <summary>The sends and conversions of a stream as attribution reads them, gathered in one pass over the events (the caller's).</summary>
internal sealed class AttributionInput
{
    public List<(string User, long At, int Index)> Sends { get; } = [];
    public List<(string User, long At, decimal Revenue)> Conversions { get; } = [];

    public void Add(MeasureEvent e, int index)
    {
        if (e.Kind == MeasureKind.Sent) Sends.Add((e.User, e.At, index));
        else if (e.Kind == MeasureKind.Converted) Conversions.Add((e.User, e.At, e.Revenue));
    }
}

/// <summary>
/// The sends of every converting user, grouped per user and ordered by (time, position in the
/// stream) once — a stable sort by time — for attribution and the send-time diagnosis. Users are
/// numbered in the order of their first conversion.
/// </summary>
internal sealed class SendsByUser
{
    private readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal);
    private readonly List<string> _names = [];
    private readonly int[] _start;

    public SendsByUser(AttributionInput input)
    {
        Input = input;
        ConversionUser = new int[input.Conversions.Count];
        for (var c = 0; c < input.Conversions.Count; c++)
        {
            ref var id = ref CollectionsMarshal.GetValueRefOrAddDefault(_ids, input.Conversions[c].User, out var known);
            if (!known) { id = _names.Count; _names.Add(input.Conversions[c].User); }
            ConversionUser[c] = id;
        }
        var sendUser = new int[input.Sends.Count];
        _start = new int[_names.Count + 1];
        for (var k = 0; k < input.Sends.Count; k++)
        {
            sendUser[k] = _ids.TryGetValue(input.Sends[k].User, out var id) ? id : -1;
            if (sendUser[k] >= 0) _start[id + 1]++;
        }
        for (var u = 0; u < _names.Count; u++) _start[u + 1] += _start[u];
        var next = _start[..^1];
        Sends = new (long At, int Index)[_start[^1]];
        for (var k = 0; k < input.Sends.Count; k++)
            if (sendUser[k] >= 0) Sends[next[sendUser[k]]++] = (input.Sends[k].At, input.Sends[k].Index);
        for (var u = 0; u < _names.Count; u++) Array.Sort(Sends, _start[u], _start[u + 1] - _start[u]);
    }

    public AttributionInput Input { get; }
    /// <summary>Per conversion of <see cref="Input"/>, its user's number.</summary>
    public int[] ConversionUser { get; }
    /// <summary>Every converting user's sends, user after user: (instant, position in the stream).</summary>
    public (long At, int Index)[] Sends { get; }
    public string UserName(int user) => _names[user];
    /// <summary>The range of <see cref="Sends"/> that holds a user's sends.</summary>
    public (int From, int To) Of(int user) => (_start[user], _start[user + 1]);
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

    /// <summary>Credits every conversion of <paramref name="events"/> (any order) to the sends before it.</summary>
    public static Dictionary<AttributionModel, AttributionResult> Compute(IEnumerable<MeasureEvent> events, AttributionOptions options)
    {
        var list = events as IReadOnlyList<MeasureEvent> ?? [.. events];
        var input = new AttributionInput();
        for (var i = 0; i < list.Count; i++) input.Add(list[i], i);
        return Compute(list, new SendsByUser(input), options);
    }

    /// <summary>
    /// Attribution over sends and conversions gathered beforehand (<see cref="AttributionInput"/>,
    /// in the caller's pass over the events): each conversion takes its touches from the user's
    /// sends by binary search and applies the five weightings to the same touches, crediting slices
    /// numbered once per touch.
    /// </summary>
    internal static Dictionary<AttributionModel, AttributionResult> Compute(IReadOnlyList<MeasureEvent> events, SendsByUser sends,
        AttributionOptions options)
    {
        // A user's goal event counts once (user, instant), with the first revenue seen.
        var seen = new HashSet<(int User, long At)>();
        var order = new List<(int User, long At, decimal Revenue)>();
        var conversions = sends.Input.Conversions;
        for (var c = 0; c < conversions.Count; c++)
        {
            var user = sends.ConversionUser[c];
            if (seen.Add((user, conversions[c].At))) order.Add((user, conversions[c].At, conversions[c].Revenue));
        }
        order.Sort((a, b) => a.At != b.At ? a.At.CompareTo(b.At) : string.CompareOrdinal(sends.UserName(a.User), sends.UserName(b.User)));

        var results = Models.ToDictionary(m => m, m => new AttributionResult(m));
        var slices = new CreditSlices(Models.Count);
        var touches = new List<MeasureEvent>();
        var touchSlices = new List<(int Journey, int Channel, int Step)>();
        var weights = new double[16];
        foreach (var (user, at, revenue) in order)
        {
            touches.Clear();
            touchSlices.Clear();
            var (lo, hi) = sends.Of(user);
            for (var k = LowerBound(sends.Sends, lo, hi, at - options.Window.Ticks); k < hi && sends.Sends[k].At <= at; k++)
            {
                var t = events[sends.Sends[k].Index];
                touches.Add(t);
                touchSlices.Add(slices.Of(t));
            }
            if (weights.Length < touches.Count) weights = new double[touches.Count * 2];
            for (var m = 0; m < Models.Count; m++)
            {
                var result = results[Models[m]];
                result.Conversions++;
                if (touches.Count == 0) { result.Unattributed.Add(1, revenue); continue; }
                Weights(Models[m], touches, at, options, weights);
                for (var i = 0; i < touches.Count; i++)
                {
                    if (weights[i] == 0) continue;
                    var revenueShare = revenue * (decimal)weights[i];
                    var (journey, channel, step) = touchSlices[i];
                    slices.Credit(m, CreditSlices.Journey, journey).AddShare(weights[i], revenueShare);
                    slices.Credit(m, CreditSlices.Channel, channel).AddShare(weights[i], revenueShare);
                    slices.Credit(m, CreditSlices.Step, step).AddShare(weights[i], revenueShare);
                }
            }
        }
        for (var m = 0; m < Models.Count; m++) slices.CopyTo(m, results[Models[m]]);
        return results;
    }

    /// <summary>The first position in [lo, hi) of <paramref name="sends"/> (sorted by time) at or after <paramref name="ticks"/>.</summary>
    private static int LowerBound((long At, int Index)[] sends, int lo, int hi, long ticks)
    {
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (sends[mid].At < ticks) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    /// <summary>The slices credit goes to — journeys, (journey, channel), (journey, step) — numbered once, with one credit per model.</summary>
    private sealed class CreditSlices(int models)
    {
        public const int Journey = 0, Channel = 1, Step = 2;
        private readonly Dictionary<string, int> _journeys = new(StringComparer.Ordinal);
        private readonly Dictionary<(string, string), int> _channels = [];
        private readonly Dictionary<(string, string), int> _steps = [];
        private readonly List<Credit?>[,] _credit = New(models);

        private static List<Credit?>[,] New(int models)
        {
            var credit = new List<Credit?>[models, 3];
            for (var m = 0; m < models; m++)
                for (var kind = 0; kind < 3; kind++) credit[m, kind] = [];
            return credit;
        }

        public (int Journey, int Channel, int Step) Of(MeasureEvent send) =>
            (Number(_journeys, send.Journey), Number(_channels, (send.Journey, send.Channel!)), Number(_steps, (send.Journey, send.Step!)));

        private static int Number<TKey>(Dictionary<TKey, int> numbers, TKey key) where TKey : notnull
        {
            ref var n = ref CollectionsMarshal.GetValueRefOrAddDefault(numbers, key, out var known);
            if (!known) n = numbers.Count - 1;
            return n;
        }

        public Credit Credit(int model, int kind, int slice)
        {
            var list = _credit[model, kind];
            while (list.Count <= slice) list.Add(null);
            return list[slice] ??= new Credit();
        }

        /// <summary>Fills a model's maps with the slices it credited (a slice no weight reached stays out).</summary>
        public void CopyTo(int model, AttributionResult result)
        {
            foreach (var (name, n) in _journeys) if (Find(model, Journey, n) is { } c) result.ByJourney[name] = c;
            foreach (var (key, n) in _channels) if (Find(model, Channel, n) is { } c) result.ByChannel[key] = c;
            foreach (var (key, n) in _steps) if (Find(model, Step, n) is { } c) result.ByStep[key] = c;
        }

        private Credit? Find(int model, int kind, int slice) => slice < _credit[model, kind].Count ? _credit[model, kind][slice] : null;
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
    }}
