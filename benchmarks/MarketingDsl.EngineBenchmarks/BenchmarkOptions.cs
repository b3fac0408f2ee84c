using System.Globalization;

namespace MarketingDsl.EngineBenchmarks;

/// <summary>Command line of the harness (see <see cref="Usage"/>).</summary>
public sealed class BenchmarkOptions
{
    public const string Usage = """
        dotnet run -c Release --project benchmarks/MarketingDsl.EngineBenchmarks -- [options]
          --users 50000,200000,800000   user counts, one data set each (default 50000,200000)
          --days 180 --seed 1           passed to the generator (mdsl generate-data)
          --data-root /tmp/mdsl-bench   generated data and outputs (never inside the repository)
          --runs 5                      repetitions per measurement; tables show medians
          --order user,time             row orders of events.jsonl: as generated (grouped by user) and/or in time order
          --wait-quiet 120              before each measured process, wait up to this many seconds for other processes to go idle
          --snapshot yes|no             also measure mdsl from an import snapshot vs DuckDB from its own database file (default yes)
          --memory-limit 256m           also measure mdsl under this limit (simulate --memory-limit: partitions) against the unlimited run
          --workspace DIR               the tag set (default tests/conformance/retail-core/workspace)
          --validate                    only check DuckDB and the hand loop against mdsl on the conformance cases
        """;

    public IReadOnlyList<int> Users { get; private init; } = [50_000, 200_000];
    public int Days { get; private init; } = 180;
    public int Seed { get; private init; } = 1;
    public string DataRoot { get; private init; } = Path.Combine(Path.GetTempPath(), "mdsl-bench");
    public int Runs { get; private init; } = 5;
    /// <summary>Row orders measured per size: "user" (as generated) and "time" (as exports write history).</summary>
    public IReadOnlyList<string> Orders { get; private init; } = ["user", "time"];
    public string Workspace { get; private init; } = RetailWorkspace.DefaultWorkspace;
    public int WaitQuietSeconds { get; private init; } = 120;
    public bool Validate { get; private init; }
    /// <summary>Also measure runs without parsing: mdsl from an import snapshot, DuckDB from its database file.</summary>
    public bool Snapshot { get; private init; } = true;
    /// <summary>Also measure mdsl under this memory limit (bytes), split into partitions.</summary>
    public long? MemoryLimit { get; private init; }

    // Internal: the parent starts itself with these to measure one engine in a clean process.
    public string? Child { get; private init; }
    public string? ChildData { get; private init; }
    public string? ChildOut { get; private init; }
    public string? ChildReport { get; private init; }

    public static BenchmarkOptions Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var validate = false;
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--validate") { validate = true; continue; }
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
                throw new ArgumentException($"unexpected argument '{args[i]}'\n{Usage}");
            values[args[i]] = args[++i];
        }
        string? Get(string name) => values.Remove(name, out var v) ? v : null;
        int Int(string text, string name) => int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n : throw new ArgumentException($"{name} must be a positive integer, not '{text}'");

        var defaults = new BenchmarkOptions();
        var options = new BenchmarkOptions
        {
            Users = Get("--users") is { } users ? [.. users.Split(',').Select(u => Int(u.Trim(), "--users"))] : defaults.Users,
            Days = Get("--days") is { } days ? Int(days, "--days") : defaults.Days,
            Seed = Get("--seed") is { } seed ? int.Parse(seed, NumberStyles.None, CultureInfo.InvariantCulture) : defaults.Seed,
            DataRoot = Path.GetFullPath(Get("--data-root") ?? defaults.DataRoot),
            Runs = Get("--runs") is { } runs ? Int(runs, "--runs") : defaults.Runs,
            Orders = Get("--order") is { } orders ? [.. orders.Split(',').Select(o => o.Trim() is "user" or "time" ? o.Trim()
                : throw new ArgumentException($"--order takes user and/or time, not '{o}'"))] : defaults.Orders,
            Workspace = Path.GetFullPath(Get("--workspace") ?? defaults.Workspace),
            WaitQuietSeconds = Get("--wait-quiet") is { } wait ? int.Parse(wait, NumberStyles.None, CultureInfo.InvariantCulture)
                : defaults.WaitQuietSeconds,
            Validate = validate,
            MemoryLimit = Get("--memory-limit") is { } limit ? Size(limit) : null,
            Snapshot = Get("--snapshot") is not { } snapshot ? defaults.Snapshot : snapshot is "yes" ? true : snapshot is "no" ? false
                : throw new ArgumentException($"--snapshot takes yes or no, not '{snapshot}'"),
            Child = Get("--child"),
            ChildData = Get("--data"),
            ChildOut = Get("--out"),
            ChildReport = Get("--report"),
        };
        if (values.Count > 0) throw new ArgumentException($"unknown option {values.Keys.First()}\n{Usage}");
        if (IsInside(options.DataRoot, RetailWorkspace.RepositoryRoot))
            throw new ArgumentException($"--data-root must be outside the repository (large data is never committed): {options.DataRoot}");
        return options;
    }

    private static long Size(string text)
    {
        var unit = char.ToLowerInvariant(text[^1]) switch { 'k' => 1L << 10, 'm' => 1L << 20, 'g' => 1L << 30, _ => 1L };
        return long.Parse(unit > 1 ? text[..^1] : text, NumberStyles.None, CultureInfo.InvariantCulture) * unit;
    }

    public string DataDirectory(int users) => Path.Combine(DataRoot, $"users{users}-days{Days}-seed{Seed}");

    /// <summary>The same rows in time order (derived from <see cref="DataDirectory"/>).</summary>
    public string DataDirectory(int users, string order) => order == "time" ? DataDirectory(users) + "-time" : DataDirectory(users);

    private static bool IsInside(string path, string root) =>
        (path + Path.DirectorySeparatorChar).StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal);
}
