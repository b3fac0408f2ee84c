using System.Reflection;
using System.Text.RegularExpressions;
using MarketingDsl.Core.Binding;
using MarketingDsl.Core.Diagnostics;
using MarketingDsl.Core.Diagnostics.Catalogues;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Core.Syntax;

namespace MarketingDsl.Core.Tests;

public sealed class DiagnosticCatalogTests
{
    [Fact]
    public void Codes_AreUnique_WellFormed_AndMatchTheirStage()
    {
        var all = DiagnosticCatalog.All;
        Assert.NotEmpty(all);
        var duplicates = all.GroupBy(d => d.Code).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.True(duplicates.Count == 0, "duplicate codes: " + string.Join(", ", duplicates));
        foreach (var d in all)
        {
            Assert.Matches(new Regex($@"^MD[{string.Concat(DiagnosticCatalog.StageDigits.Values)}]\d{{3}}$"), d.Code);
            var stage = DiagnosticCatalog.StageOf(d.Code);
            Assert.True(DiagnosticCatalog.StageDigits.TryGetValue(stage, out var digit), $"{d.Code}: catalogue stage '{stage}' has no digit");
            Assert.True(d.Code[2] == digit, $"{d.Code} is in the '{stage}' catalogue, whose codes are MD{digit}xxx");
            Assert.False(string.IsNullOrWhiteSpace(d.Title), $"{d.Code} has no title");
        }
    }

    [Fact]
    public void DiagnosticTable_ListsEveryCodeOnce()
    {
        var table = DiagnosticCatalog.DiagnosticTable();
        AssertTableShape(table);
    }

    [Fact]
    public void LanguageMd_ListsEveryCode()
    {
        var path = Path.Combine(TestPaths.Root, "LANGUAGE.md");
        Assert.True(File.Exists(path), $"LANGUAGE.md is missing at {path}");
        var text = File.ReadAllText(path);
        var missing = DiagnosticCatalog.All.Where(d => !text.Contains(d.Code, StringComparison.Ordinal)).Select(d => d.Code).ToList();
        Assert.True(missing.Count == 0, "LANGUAGE.md does not mention: " + string.Join(", ", missing));
    }

    private static IEnumerable<MethodInfo> Factories() =>
        typeof(DiagnosticCatalog).Assembly.GetTypes()
            .Where(t => t.GetCustomAttribute<DiagnosticCatalogueAttribute>() is not null)
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Static))
            .Where(m => m.ReturnType == typeof(DiagnosticMessage) || m.ReturnType == typeof(RowReject));

    /// <summary>What a factory says: its message, or a data row reject's (which carries the field besides).</summary>
    private static DiagnosticMessage Say(MethodInfo factory, object?[] arguments) => factory.Invoke(null, arguments) switch
    {
        RowReject reject => reject.Message,
        var message => (DiagnosticMessage)message!,
    };

    /// <summary>A value of each parameter type a factory takes; bools are tried both ways.</summary>
    private static IEnumerable<object?[]> SampleArguments(MethodInfo factory)
    {
        object? Sample(Type t, bool flag) => t switch
        {
            _ when t == typeof(string) => "x_name",
            _ when t == typeof(int) => 3,
            _ when t == typeof(long) || t == typeof(long?) => 3L,
            _ when t == typeof(decimal) => 90m,
            _ when t == typeof(double) => 0.5,
            _ when t == typeof(char) => 'q',
            _ when t == typeof(bool) || t == typeof(bool?) => flag,
            _ when t == typeof(DslType) => DslType.ListOf(DslType.Int),
            _ when t == typeof(TokenText) => new TokenText("a name", "名称"),
            _ when t == typeof(ConditionPlace) => ConditionPlace.Audience,
            _ when t == typeof(DeclarationKind) => DeclarationKind.Tag,
            _ when t == typeof((string, string)) => ("an English text", "中文文本"),
            _ when t.IsAssignableFrom(typeof(string[])) => new[] { "a", "b" },
            _ when t.IsAssignableFrom(typeof(DslType[])) => new[] { DslType.Int, DslType.Date },
            _ => throw new InvalidOperationException($"{factory.DeclaringType!.Name}.{factory.Name}: no sample for a parameter of type " +
                $"{t}; add one here"),
        };
        var parameters = factory.GetParameters();
        foreach (var flag in new[] { true, false })
        {
            yield return [.. parameters.Select(p => Sample(p.ParameterType, flag))];
            // Optional facts (a suggestion, an expected token) are also tried as absent.
            yield return [.. parameters.Select(p => IsNullable(p) ? null : Sample(p.ParameterType, flag))];
        }
    }

    private static bool IsNullable(ParameterInfo p) =>
        Nullable.GetUnderlyingType(p.ParameterType) is not null
        || !p.ParameterType.IsValueType && new NullabilityInfoContext().Create(p).WriteState == NullabilityState.Nullable;

    [Fact]
    public void EveryFactory_SaysItsMessage_InEnglishAndChinese()
    {
        var factories = Factories().ToList();
        Assert.True(factories.Count > 100, $"only {factories.Count} factories found");
        var codesByFactory = new Dictionary<string, string>();
        foreach (var factory in factories)
        {
            var name = $"{factory.DeclaringType!.Name}.{factory.Name}";
            foreach (var arguments in SampleArguments(factory))
            {
                var message = Say(factory, arguments);
                Assert.False(string.IsNullOrWhiteSpace(message.English), $"{name}: no English text");
                Assert.False(string.IsNullOrWhiteSpace(message.Chinese), $"{name}: no Chinese text");
                Assert.True(message.Chinese.Any(c => c is >= '\u4e00' and <= '\u9fff'),
                    $"{name}: the Chinese text has no Chinese: {message.Chinese}");
                Assert.DoesNotContain("{", message.English.Replace("{ ", "").Replace("{{", ""));
                Assert.True(codesByFactory.TryAdd(name, message.Code) || codesByFactory[name] == message.Code, $"{name} yields two codes");
            }
        }
        // One factory per code: two factories with one code would be two problems under one code.
        var shared = codesByFactory.GroupBy(e => e.Value).Where(g => g.Count() > 1).Select(g =>
            $"{g.Key}: {string.Join(", ", g.Select(e => e.Key))}").ToList();
        Assert.True(shared.Count == 0, "codes with more than one factory: " + string.Join("; ", shared));
    }

    /// <summary>
    /// A public descriptor would let a call site write its own (English-only) text; so every descriptor is private to its
    /// catalogue, every code has its factory, and no descriptor lives outside a catalogue.
    /// </summary>
    [Fact]
    public void EveryDescriptor_IsPrivate_AndHasAFactory()
    {
        var withFactory = Factories().Select(f => Say(f, SampleArguments(f).First()).Code).ToHashSet();
        var fields = typeof(DiagnosticCatalog).Assembly.GetTypes()
            .SelectMany(t => t.GetFields(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)
                .Select(f => (Type: t, Field: f)))
            .Where(e => e.Field.FieldType == typeof(DiagnosticDescriptor))
            .ToList();
        var outside = fields.Where(e => e.Type.GetCustomAttribute<DiagnosticCatalogueAttribute>() is null)
            .Select(e => $"{e.Type.Name}.{e.Field.Name}").ToList();
        Assert.True(outside.Count == 0, "descriptors outside a [DiagnosticCatalogue] class: " + string.Join(", ", outside));
        var notPrivate = fields.Where(e => !e.Field.IsPrivate).Select(e => $"{e.Type.Name}.{e.Field.Name}").ToList();
        Assert.True(notPrivate.Count == 0, "descriptors that are not private: " + string.Join(", ", notPrivate));
        var missing = DiagnosticCatalog.All.Select(d => d.Code).Where(c => !withFactory.Contains(c)).ToList();
        Assert.True(missing.Count == 0, "descriptors without a factory: " + string.Join(", ", missing));
    }

    [Theory]
    [InlineData("model m {\n  features: age\n}\n", "MD4007", "模型 'm' 需要 predict:")]
    [InlineData("model m {\n  predict: exists(order, within: next 30d)\n  features: age\n  features: age\n}\n", "MD4008", "'features:' 写了两次")]
    [InlineData("model m {\n  predict: exists(order, within: next 30d)\n  features: city\n}\n", "MD4009", "'city' 是文本（string）")]
    [InlineData("model m {\n  predict: exists(order)\n  features: age\n}\n", "MD4014", "标签必须从训练截止时刻向后看")]
    [InlineData("model m {\n  predict: exists(order, within: next 30d)\n  features: age\n  seeed: 1\n}\n", "MD2014",
        "模型没有属性 'seeed'")]
    public void ModelDeclarationDiagnostics_SpeakChinese(string model, string code, string chinese)
    {
        const string schema = "schema {\n  profile { user_id: string key\n age: int\n city: string }\n  event order { amount: decimal }\n}\n";
        var compilation = Compilation.Create(("schema.mdsl", schema), ("main.mdsl", model));
        var diagnostic = Assert.Single(compilation.Diagnostics, d => d.Code == code);
        Assert.Contains(chinese, diagnostic.MessageIn("zh-CN"));
        Assert.NotEqual(diagnostic.Message, diagnostic.MessageIn("zh-CN"));
    }

    [Fact]
    public void Diagnostic_InChinese_UsesTheFactorysChineseText()
    {
        var compilation = Compilation.Create(("main.mdsl", "schema { profile { user_id: string key } }\ntag x = nope + 1\n"));
        var error = Assert.Single(compilation.Diagnostics, d => d.IsError);
        Assert.Equal("MD2001", error.Code);
        Assert.StartsWith("Unknown name 'nope'", error.MessageIn("en"));
        Assert.StartsWith("未知的名称 'nope'", error.MessageIn("zh-CN"));
    }

    internal static void AssertTableShape(string table)
    {
        var lines = table.TrimEnd('\n').Split('\n');
        Assert.Equal("| code | severity | title |", lines[0]);
        Assert.Equal("|---|---|---|", lines[1]);
        var rows = lines.Skip(2).ToList();
        Assert.Equal(DiagnosticCatalog.All.Count, rows.Count);
        var row = new Regex($@"^\| (MD[{string.Concat(DiagnosticCatalog.StageDigits.Values)}]\d{{3}}) \| (error|warning|info) \| (.+) \|$");
        var codes = new List<string>();
        foreach (var line in rows)
        {
            var m = row.Match(line);
            Assert.True(m.Success, $"not a table row: {line}");
            codes.Add(m.Groups[1].Value);
        }
        Assert.Equal(DiagnosticCatalog.All.Select(d => d.Code), codes);
        Assert.Equal(codes.Order(StringComparer.Ordinal), codes);
    }
}
