using System.Diagnostics;
using System.Text;
using MarketingDsl.Core.Diagnostics;

namespace MarketingDsl.Core.Tests;

/// <summary>
/// No input may crash or hang the compiler. Runs on xunit's thread-pool threads (small stacks)
/// on purpose: deep inputs must be refused by the depth checks, not by a large stack.
/// </summary>
public sealed class RobustnessTests
{
    // The bounds tell a hang (or an exponential blow-up) from work, not fast from slow: speed is the
    // benchmarks' business. They are loose because a 2-core CI machine running the test assemblies in
    // parallel (and a GC pause) can stretch a 10 ms check to well over a second; under load the old
    // 1 s / 10 s bounds failed while the same inputs passed alone.
    private static readonly TimeSpan PerInput = TimeSpan.FromSeconds(5);

    private static string Input(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Inputs", name));

    // The deep and long inputs are hundreds of kilobytes: they must end with a diagnostic (a busy
    // 2-core CI machine parses 400 KB in about a second).
    private static readonly TimeSpan LargeInput = TimeSpan.FromSeconds(60);

    private static Compilation Check(string text, string what) => Check(text, what, PerInput);

    private static Compilation Check(string text, string what, TimeSpan limit)
    {
        var watch = Stopwatch.StartNew();
        Compilation compilation;
        try
        {
            compilation = Compilation.Create(("main.mdsl", text));
        }
        catch (Exception ex)
        {
            throw new Xunit.Sdk.XunitException($"{what}: Compilation.Create threw {ex.GetType().Name}: {ex.Message}\nInput " +
                $"({text.Length} chars):\n{Shorten(text)}\n{ex}");
        }
        watch.Stop();
        Assert.True(watch.Elapsed < limit, $"{what}: took {watch.ElapsedMilliseconds} ms (limit {limit.TotalMilliseconds} " +
            $"ms).\nInput:\n{Shorten(text)}");
        return compilation;
    }

    private static string Shorten(string text) => text.Length > 2000 ? text[..2000] + "…" : text;

    private static void AssertTooDeep(string text, string what)
    {
        var compilation = Check(text, what, LargeInput);
        Assert.Contains(compilation.Diagnostics, d => d.Code == "MD1003");
    }

    [Fact]
    public void DeepParentheses() => AssertTooDeep("tag x = " + new string('(', 10_000) + "1" + new string(')', 10_000), "10,000 (");

    [Fact]
    public void DeepNot() => AssertTooDeep("tag x = " + string.Concat(Enumerable.Repeat("not ", 10_000)) + "true", "10,000 not");

    [Fact]
    public void DeepMinus() => AssertTooDeep("tag x = " + string.Concat(Enumerable.Repeat("- ", 10_000)) + "1", "10,000 -");

    [Fact]
    public void DeepMinusWithoutSpaces() => AssertTooDeep("tag x = " + new string('-', 10_000) + "1", "10,000 - unspaced");

    [Fact]
    public void LongAdditionChain() => AssertTooDeep("tag x = a" + string.Concat(Enumerable.Repeat(" + a", 99_999)), "100,000-term chain");

    [Fact]
    public void DeepCaseWhen()
    {
        var sb = new StringBuilder("tag x = ");
        for (var i = 0; i < 10_000; i++) sb.Append("case when true then ");
        sb.Append('1');
        for (var i = 0; i < 10_000; i++) sb.Append(" end");
        AssertTooDeep(sb.ToString(), "10,000 case when");
    }

    [Fact]
    public void DeepCaseWhenInCondition()
    {
        var sb = new StringBuilder("tag x = ");
        for (var i = 0; i < 10_000; i++) sb.Append("case when ");
        sb.Append("true");
        for (var i = 0; i < 10_000; i++) sb.Append(" then true end");
        AssertTooDeep(sb.ToString(), "10,000 case when (conditions)");
    }

    [Fact]
    public void DeepElseIf()
    {
        var sb = new StringBuilder("channel sms { cost: 0.05 }\njourney j {\n trigger: order\n steps {\n");
        for (var i = 0; i < 10_000; i++) sb.Append(" if true { send sms \"a\" } else");
        sb.Append(" { exit }\n }\n}\n");
        Check(Input("schema.mdsl") + sb, "10,000 else if");
    }

    [Fact]
    public void DeepMemberAccessAndLists()
    {
        Check("tag x = a" + string.Concat(Enumerable.Repeat(".b", 10_000)), "10,000 .b");
        Check("tag x = " + new string('[', 10_000) + new string(']', 10_000), "10,000 [");
        Check("tag x = f" + string.Concat(Enumerable.Repeat("(f", 10_000)), "10,000 f(");
        Check(new string('{', 10_000), "10,000 {");
    }

    [Fact]
    public void FiveMegabyteWorkspace()
    {
        var sb = new StringBuilder(Input("schema.mdsl"));
        var i = 0;
        while (sb.Length < 5 * 1024 * 1024)
        {
            sb.Append($"tag spend_{i} = sum(order.amount, where: category == \"c{i % 50}\" and amount > {i % 100}, within: {1 + i % 365}d)\n");
            sb.Append($"tag flag_{i} = case when spend_{i} > {i % 1000} then \"high\" when member_level >= {i % 5} then \"mid\" else \"low\" end\n");
            i++;
        }
        var watch = Stopwatch.StartNew();
        var compilation = Compilation.Create(("main.mdsl", sb.ToString()));
        watch.Stop();
        Assert.True(compilation.Diagnostics.IsEmpty, string.Join("\n", compilation.Diagnostics.Take(5)));
        Assert.Equal(2 * i, compilation.Model.Tags.Length);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(120), $"5 MB took {watch.ElapsedMilliseconds} ms");
    }

    /// <summary>
    /// 10,000+ seeded inputs: mutations of the retail workspace and of every baseline input,
    /// plus random text and random bytes. Sequential, one Stopwatch per input.
    /// </summary>
    [Fact]
    public void MutatedAndRandomInputs()
    {
        var seeds = new List<string> { Input("schema.mdsl") + Input("tags.mdsl") + Input("segments.mdsl"), Input("tags.mdsl"),
            Input("segments.mdsl") };
        foreach (var dir in Directory.GetDirectories(TestPaths.Baselines).Order(StringComparer.Ordinal))
            seeds.Add(File.ReadAllText(Path.Combine(dir, "main.mdsl")));

        var random = new Random(20250601);
        var count = 0;
        var total = Stopwatch.StartNew();
        for (; count < 10_500; count++)
        {
            var seed = seeds[random.Next(seeds.Count)];
            var text = random.Next(20) switch
            {
                0 => RandomText(random, random.Next(1, 400)),
                1 => RandomBytes(random, random.Next(1, 400)),
                _ => Mutate(seed, random, 1 + random.Next(4)),
            };
            var compilation = Check(text, $"input #{count}");
            _ = compilation.Diagnostics.Length; // touched: the model and diagnostics are built
        }
        total.Stop();
        Assert.True(count >= 10_000);
        Assert.True(total.Elapsed < TimeSpan.FromSeconds(600), $"{count} inputs took {total.Elapsed.TotalSeconds:F1} s");
    }

    private static readonly string[] Snippets =
    [
        "(", ")", "[", "]", "{", "}", ",", ":", ".", "=", "==", "!=", "<", ">=", "+", "-", "*", "/", "??", "?", "\"", "\\", "%",
        "and", "or", "not", "in", "between", "is", "null", "true", "case", "when", "then", "else", "end", "if", "next",
        "tag", "segment", "segmentation", "model", "clusters", "channel", "journey", "test", "schema", "settings", "steps", "split",
        "within:", "where:", "30d", "next 90d", "2025-13-45", "25:00", "150%", "99999999999999999999", "\"\\q\"", "\"open",
        "高价值用户", "😀", "\u0000", "\uFFFF", "\u200B", "\r", "\n", "\t", "/*", "*/", "//", "///",
    ];

    private static string Mutate(string text, Random random, int times)
    {
        var tokens = Tokenize(text);
        for (var t = 0; t < times && tokens.Count > 0; t++)
        {
            var i = random.Next(tokens.Count);
            switch (random.Next(9))
            {
                case 0: tokens.RemoveAt(i); break;
                case 1: tokens.Insert(i, tokens[i]); break;
                case 2:
                    var j = random.Next(tokens.Count);
                    (tokens[i], tokens[j]) = (tokens[j], tokens[i]);
                    break;
                case 3: tokens.Insert(i, Snippets[random.Next(Snippets.Length)]); break;
                case 4: tokens.Insert(i, RandomText(random, random.Next(1, 6))); break;
                case 5: tokens.RemoveRange(i, tokens.Count - i); break; // truncate
                case 6:
                    var s = tokens[i];
                    if (s.Length > 0)
                    {
                        var k = random.Next(s.Length);
                        tokens[i] = s.Remove(k, 1).Insert(k, ((char)random.Next(32, 0x3000)).ToString());
                    }
                    break;
                case 7:
                    var count = Math.Min(tokens.Count - i, random.Next(1, 30));
                    tokens.InsertRange(i, tokens.GetRange(i, count));
                    break;
                default:
                    var joined = string.Concat(tokens);
                    if (joined.Length == 0) break;
                    var at = random.Next(joined.Length);
                    return joined.Remove(at, Math.Min(random.Next(1, 4), joined.Length - at));
            }
        }
        return string.Concat(tokens);
    }

    /// <summary>Splits text into words, runs of spaces and single other characters (rejoins to the same text).</summary>
    private static List<string> Tokenize(string text)
    {
        var tokens = new List<string>();
        var i = 0;
        while (i < text.Length)
        {
            var start = i;
            if (char.IsLetterOrDigit(text[i]) || text[i] == '_') while (i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] == '_')) i++;
            else if (char.IsWhiteSpace(text[i])) while (i < text.Length && char.IsWhiteSpace(text[i])) i++;
            else i++;
            tokens.Add(text[start..i]);
        }
        return tokens;
    }

    private static string RandomText(Random random, int length)
    {
        var sb = new StringBuilder(length);
        for (var i = 0; i < length; i++)
        {
            sb.Append(random.Next(4) switch
            {
                0 => (char)random.Next(32, 127),
                1 => Snippets[random.Next(Snippets.Length)],
                2 => char.ConvertFromUtf32(random.Next(2) == 0 ? random.Next(0x4E00, 0x9FFF) : random.Next(0x1F300, 0x1FAFF)),
                _ => (char)random.Next(0, 0xD800),
            });
        }
        return sb.ToString();
    }

    private static string RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return Encoding.UTF8.GetString(bytes);
    }
}

public sealed class DepthLimitTests
{
    [Fact]
    public void LongestAllowedChain_BindsOnAThreadPoolThread()
    {
        // Just under SyntaxTree.MaxExpressionDepth: parsed, bound and printed, all recursively.
        var text = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Inputs", "schema.mdsl"))
                   + "tag x = member_level" + string.Concat(Enumerable.Repeat(" + member_level", 990)) + "\n"
                   + "tag y = " + string.Concat(Enumerable.Repeat("not ", 60)) + "true\n"
                   + "tag z = " + string.Concat(Enumerable.Repeat("case when true then ", 60)) + "1"
                       + string.Concat(Enumerable.Repeat(" end", 60)) + "\n";
        var compilation = Compilation.Create(("main.mdsl", text));
        Assert.Empty(compilation.Diagnostics);
        Assert.NotEmpty(Syntax.SyntaxPrinter.Print(compilation.SyntaxTrees[0]));
    }

    [Fact]
    public void ElseIfChain_UnderTheLimit_IsFine()
    {
        var sb = new System.Text.StringBuilder("channel sms { cost: 0.05 }\njourney j {\n trigger: order\n steps {\n");
        for (var i = 0; i < 40; i++) sb.Append($" if member_level > {i} {{ send sms \"a\" }} else");
        sb.Append(" { exit }\n }\n}\n");
        var schema = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Inputs", "schema.mdsl"));
        var compilation = Compilation.Create(("main.mdsl", schema + sb));
        Assert.Empty(compilation.Diagnostics);
    }
}

/// <summary>
/// Long chains of tags bind without deep recursion, in any declaration order, even on a thread
/// with a small stack (web requests and test runners use ~1.5 MB).
/// </summary>
public sealed class DeepReferenceTests
{
    private const string Schema = "schema { profile { user_id: string key } }\n";

    private static Compilation CompileOnSmallStack(string text)
    {
        Compilation? result = null;
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try { result = Compilation.Create(("main.mdsl", text)); }
            catch (Exception e) { error = e; }
        }, 1024 * 1024);
        thread.Start();
        thread.Join();
        if (error is not null) throw new Xunit.Sdk.XunitException(error.ToString());
        return result!;
    }

    [Fact]
    public void A_chain_of_20000_tags_declared_last_first_checks()
    {
        var text = Schema + "tag t0 = 1\n" + string.Concat(Enumerable.Range(1, 20_000).Reverse().Select(i => $"tag t{i} = t{i - 1} + 1\n"));
        var compilation = CompileOnSmallStack(text);
        Assert.Empty(compilation.Diagnostics);
        Assert.Equal(compilation.Model.Tags.Length, compilation.Model.EvaluationOrder.Length);
        Assert.Equal("t0", compilation.Model.EvaluationOrder[0].Name);
    }

    [Fact]
    public void A_cycle_of_5000_tags_is_one_diagnostic_naming_the_circle()
    {
        var text = Schema + string.Concat(Enumerable.Range(0, 5_000).Select(i => $"tag c{i} = c{(i + 1) % 5_000} + 1\n"));
        var compilation = CompileOnSmallStack(text);
        var cycle = Assert.Single(compilation.Diagnostics);
        Assert.Equal("MD2013", cycle.Code);
        Assert.Contains("c0 → c1 → c2", cycle.Message);
    }
}
