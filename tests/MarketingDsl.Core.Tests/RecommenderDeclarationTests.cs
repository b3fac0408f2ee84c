using MarketingDsl.Core.Formatting;
using MarketingDsl.Core.Semantics;

namespace MarketingDsl.Core.Tests;

/// <summary>The `recommender` declaration (LANGUAGE.md §13): what it binds to, each mistake's own code (MD2060–MD2068, MD3060–MD3065, MD4070–MD4077),
/// its members' types.</summary>
public sealed class RecommenderDeclarationTests
{
    private const string Schema = """
        schema {
          profile { user_id: string key  level: int }
          event order { sku: string  category: string  amount: decimal }
          event view { sku: string  category: string }
          event cart_add { sku: string  price: decimal }
          event login { platform: string }
          event rating { sku: int }
        }
        channel app_push { cost: 0 }
        """;

    private const string Picks = "recommender picks { items: order.sku  signals: view 1, cart_add 3, order 5  " +
        "category: order.category  within: 180d  k: 10 }";

    private static Compilation Compile(string declarations) => Compilation.Create(("main.mdsl", Schema + "\n" + declarations));

    private static string[] Codes(string declarations) => [.. Compile(declarations).Diagnostics.Where(d => d.IsError).Select(d => d.Code)];

    [Fact]
    public void A_recommender_binds_its_definition_and_members_are_string_lists()
    {
        var compilation = Compile(Picks + """

            tag for_you = picks.items
            tag for_you_categories = picks.categories
            segment has_picks = size(picks.items) > 0
            segment tv_fan = "tv" in picks.categories
            tag after_cart = picks.related(last(cart_add.sku), 3)
            journey related_push {
              trigger: cart_add
              steps { send app_push "reco_push" items: picks.related(last(cart_add.sku), 3) }
            }
            """);
        Assert.False(compilation.HasErrors, string.Join("\n", compilation.Diagnostics));
        Assert.DoesNotContain(compilation.Diagnostics, d => d.Code.StartsWith("MD5", StringComparison.Ordinal));
        var picks = Assert.Single(compilation.Model.Models);
        Assert.True(picks.IsRecommender);
        var definition = picks.Recommender!;
        Assert.Equal(("order", "sku", "category", 10, false),
            (definition.ItemEvent.Name, definition.ItemField, definition.CategoryField, definition.K, definition.Repeat));
        Assert.Equal(["view 1", "cart_add 3", "order 5"], definition.Signals.Select(s => $"{s.Event.Name} {s.Weight}"));
        Assert.Equal(TimeSpan.FromDays(180).Ticks, definition.WindowTicks);
        foreach (var name in new[] { "for_you", "for_you_categories", "after_cart" })
        {
            var tag = compilation.Model.Tags.Single(t => t.Name == name);
            Assert.Equal(DslType.ListOf(DslType.String), tag.Type);
            Assert.Equal(0, tag.Phase); // scored from the user's events, no population pass first
        }
        var send = Assert.IsType<BoundSend>(compilation.Model.Journeys.Single().Steps.Single());
        Assert.Equal("send app_push \"reco_push\" items: picks.related(last(cart_add.sku), 3)", send.Text);
    }

    [Fact]
    public void Defaults_are_180_days_k_10_and_no_repeat_and_repeat_can_be_set()
    {
        var compilation = Compile("recommender r { items: order.sku  signals: order 1  repeat: true }\ntag x = r.items");
        Assert.False(compilation.HasErrors, string.Join("\n", compilation.Diagnostics));
        var definition = compilation.Model.Models.Single().Recommender!;
        Assert.Equal((TimeSpan.FromDays(180).Ticks, 10, true, null),
            (definition.WindowTicks, definition.K, definition.Repeat, definition.CategoryField));
    }

    [Theory]
    [InlineData("recommender r { items: order.sku  signals: vieww 1 }\ntag x = r.items", "MD2060")]
    [InlineData("recommender r { items: orders.sku  signals: view 1 }\ntag x = r.items", "MD2060")]
    [InlineData("recommender r { items: order.skux  signals: view 1 }\ntag x = r.items", "MD2061")]
    [InlineData("recommender r { items: order.sku  signals: login 1 }\ntag x = r.items", "MD2062")]
    [InlineData("recommender r { items: order.sku  signals: view 1 }\ntag x = r.itemz", "MD2063")]
    [InlineData("recommender r { items: order.sku  signals: view 1  kk: 3 }\ntag x = r.items", "MD2064")]
    [InlineData("recommender r { items: order.sku  signals: view 1 }\ntag x = r", "MD2065")]
    [InlineData("recommender r { items: order.sku  signals: view 1 }\ntag x = r.categories", "MD2066")]
    [InlineData("recommender r { items: order.sku  signals: view 1 }\ntag x = r.items(3)", "MD2067")]
    [InlineData("tag x = level.foo(3)", "MD2067")]
    [InlineData("recommender r { items: order.sku  signals: view 1 }\ntag x = r.related", "MD2068")]
    [InlineData("recommender r { items: order.amount  signals: view 1 }\ntag x = r.items", "MD3060")]
    [InlineData("recommender r { items: order.sku  signals: rating 1 }\ntag x = r.items", "MD3060")]
    [InlineData("recommender r { items: sku  signals: view 1 }\ntag x = r.items", "MD3061")]
    [InlineData("recommender r { items: order.sku  signals: view }\ntag x = r.items", "MD3062")]
    [InlineData("recommender r { items: order.sku  signals: view 0 }\ntag x = r.items", "MD3062")]
    [InlineData("recommender r { items: order.sku  signals: view 1  within: 30 }\ntag x = r.items", "MD3063")]
    [InlineData("recommender r { items: order.sku  signals: view 1  repeat: 1 }\ntag x = r.items", "MD3066")]
    [InlineData("recommender r { items: order.sku  signals: view 1 }\ntag x = r.related(level, 3)", "MD3064")]
    [InlineData("recommender r { items: order.sku  signals: view 1 }\ntag x = r.related(\"a\", 101)", "MD3064")]
    [InlineData("recommender r { items: order.sku  signals: view 1 }\ntag x = r.related(\"a\")", "MD3064")]
    [InlineData("journey j { trigger: order  steps { send app_push \"t\" items: level } }", "MD3065")]
    [InlineData("recommender r { items: order.sku }\ntag x = r.items", "MD4070")]
    [InlineData("recommender r { signals: view 1 }\ntag x = r.items", "MD4070")]
    [InlineData("recommender r { items: order.sku  signals: view 1  k: 0 }\ntag x = r.items", "MD4071")]
    [InlineData("recommender r { items: order.sku  signals: view 1  k: 101 }\ntag x = r.items", "MD4071")]
    [InlineData("recommender r { items: order.sku  signals: view 1, view 2 }\ntag x = r.items", "MD4072")]
    [InlineData("recommender r { items: order.sku  signals: view 1  k: 3  k: 4 }\ntag x = r.items", "MD4073")]
    [InlineData("recommender r { items: order.sku  signals: view 1  within: 0d }\ntag x = r.items", "MD4074")]
    [InlineData("recommender r { items: order.sku  signals: view 1  category: view.category }\ntag x = r.items", "MD4075")]
    [InlineData("recommender r { items: order.sku, view.sku  signals: view 1 }\ntag x = r.items", "MD4076")]
    [InlineData("recommender r { items: order.sku  signals: view 1  k: 3 4 }\ntag x = r.items", "MD4077")]
    public void Each_recommender_mistake_has_its_own_code(string declarations, string code)
    {
        var codes = Codes(declarations);
        Assert.Contains(code, codes);
    }

    [Fact]
    public void Diagnostics_point_at_the_mistake_and_speak_both_languages()
    {
        const string text = "recommender r { items: order.skux  signals: view 1 }\ntag x = r.items";
        var diagnostic = Compile(text).Diagnostics.Single(d => d.Code == "MD2061");
        Assert.Equal("skux", (Schema + "\n" + text).Substring(diagnostic.Span.Start, diagnostic.Span.Length));
        Assert.Contains("sku", diagnostic.Suggestion);
        Assert.Contains("没有字段", diagnostic.ChineseMessage);
    }

    [Fact]
    public void A_test_cannot_depend_on_a_recommender()
    {
        var codes = Codes(Picks + """

            tag for_you = picks.items
            test "picks" { given profile { user_id: "u1" }  expect size(for_you) > 0 }
            """);
        Assert.NotEmpty(codes);
    }

    [Fact]
    public void Recommender_declarations_and_member_calls_format_unchanged()
    {
        const string text = """
            recommender picks "为你推荐" {
              items: order.sku
              signals: view 1, cart_add 3, order 5
              within: 180d
              k: 10
            }

            tag after_cart = picks.related(last(cart_add.sku), 3)

            """;
        var tree = Syntax.SyntaxTree.Parse("main.mdsl", text);
        Assert.False(tree.HasErrors, string.Join("\n", tree.Diagnostics));
        Assert.Equal(text, SyntaxFormatter.Format(tree));
        var messy = Syntax.SyntaxTree.Parse("main.mdsl",
            "recommender picks { items: order.sku  signals: view 1,cart_add 3\n k: 10 }\ntag t = picks.related (\"a\" , 3)\n");
        Assert.Equal("""
            recommender picks {
              items: order.sku
              signals: view 1, cart_add 3
              k: 10
            }

            tag t = picks.related("a", 3)

            """, SyntaxFormatter.Format(messy));
    }

    /// <summary>
    /// The Chinese message says in Chinese what the English one says: no English fragment (a type as
    /// "a whole number (int)", "1 argument(s) given") built at the call site and pasted into both.
    /// </summary>
    [Theory]
    [InlineData("tag x = picks.related(level, 3)", "MD3064", "the item is a whole number (int).", "商品是整数（int）。")]
    [InlineData("tag x = picks.related(\"a\", 101)", "MD3064", "n is 101.", "n 是 101。")]
    [InlineData("tag x = picks.related(\"a\")", "MD3064", "1 argument(s) given.", "给出了 1 个参数。")]
    [InlineData("journey j { trigger: order  steps { send app_push \"t\" items: level } }", "MD3065", "this is a whole number (int).",
        "这里的类型是整数（int）。")]
    public void Type_mistakes_read_in_Chinese_as_they_read_in_English(string declarations, string code, string english, string chinese)
    {
        var diagnostic = Assert.Single(Compile(Picks + "\n" + declarations).Diagnostics, d => d.IsError);
        Assert.Equal(code, diagnostic.Code);
        Assert.EndsWith(english, diagnostic.Message);
        Assert.EndsWith(chinese, diagnostic.ChineseMessage);
    }

    [Fact]
    public void A_string_field_expected_names_the_fields_type_in_Chinese()
    {
        var diagnostic = Assert.Single(Compile("recommender r { items: order.sku  signals: view 1  category: order.amount }\ntag x = r.items")
            .Diagnostics, d => d.IsError);
        Assert.Equal("MD3060", diagnostic.Code);
        Assert.EndsWith("'order.amount' is a number (decimal).", diagnostic.Message);
        Assert.EndsWith("'order.amount' 的类型是数字（decimal）。", diagnostic.ChineseMessage);
    }
}
