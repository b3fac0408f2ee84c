using static MarketingDsl.Core.Tests.Formatting.FormatterTestKit;

namespace MarketingDsl.Core.Tests.Formatting;

/// <summary>
/// The conformance workspace (`retail-core` and `retail-core-as-of` share the same files), copied
/// here so the tests run on a fresh clone: formatting it is idempotent and changes no meaning.
/// </summary>
public class ConformanceWorkspaceFormattingTests
{
    public static readonly IReadOnlyList<(string Path, string Text)> Files =
    [
        ("schema.mdsl", """
        schema {
          profile {
            user_id: string key
            gender: string
            birthday: date?
            city: string
            member_level: int
            registered_at: datetime
            child_birthday: date?
          }
          identity { member_id, open_id, phone }

          event order {
            order_id: string unique
            channel: string
            amount: decimal
            category: string
            sku: string
            coupon_used: bool
          }
          event view     { sku: string, category: string, duration_s: int }
          event cart_add { sku: string, category: string, price: decimal }
          event login    { platform: string }
          event message_opened { journey: string, channel: string }
        }
        """ + "\n"),
        ("segments.mdsl", """
        segment vip_repeat "高价值复购" = high_value and orders_365d >= 2
        segment wake_up "待唤醒" = last_login_days between 30 and 89

        /// 8 core groups: each user is in exactly one, the first rule that matches
        segmentation core_groups "八大核心客群" {
          high_value_repeat "高价值复购用户" when high_value and orders_365d >= 2
          about_to_churn    "即将流失用户"   when last_login_days between 30 and 89
          price_sensitive   "价格敏感用户"   when coupon_ratio >= 0.5
          mom_baby_group    "母婴用户"       when mom_baby
          appliance_group   "家电用户"       when "appliance" in fav_categories
          potential_new     "潜力新客"       when orders_365d <= 1 and days_since(registered_at) <= 90
          churned_group     "流失用户"       when churned
          else others       "其他"
        }
        """ + "\n"),
        ("tags.mdsl", """
        /// Spend over the last 12 months
        tag annual_spend "年消费额" = sum(order.amount, within: 365d)
        tag orders_30d    = count(order, within: 30d)
        tag orders_90d    = count(order, within: 90d)
        tag orders_365d   = count(order, within: 365d)
        tag recency_days  = days_since(last(order.ts))
        tag last_login_days = days_since(last(login.ts))
        tag fav_categories = top(order.category, 3, within: 180d)
        tag high_value "高价值用户" = annual_spend > 5000
        tag potential  "潜力用户" = exists(login, within: 30d) and orders_30d == 0
        tag churned    "流失用户" = last_login_days >= 90 or last_login_days is null
        tag cooling_need "夏季清凉需求" = exists(view, where: category in ["air_conditioner", "fan"], within: 14d)
        tag mom_baby "母婴刚需" = exists(order, where: category in ["formula", "diapers"], within: 180d)
                                and years_between(child_birthday, now()) < 3
        tag coupon_ratio = count(order, where: coupon_used, within: 365d) / orders_365d
        tag r_score = quantile_score(recency_days, 5, descending)
        tag f_score = quantile_score(orders_365d, 5)
        tag m_score = quantile_score(annual_spend, 5)
        tag value_tier = case when annual_spend > 5000 then "high"
                              when annual_spend > 1000 then "mid"
                              else "low" end
        """ + "\n"),
    ];

    public static TheoryData<string> Paths() => [.. Files.Select(f => f.Path)];

    [Theory]
    [MemberData(nameof(Paths))]
    public void Each_file_formats_idempotently(string path)
    {
        var text = Files.Single(f => f.Path == path).Text;
        var formatted = FormatIdempotent(text, path);
        Assert.False(Syntax.SyntaxTree.Parse(path, formatted).HasErrors);
    }

    [Fact]
    public void Formatted_workspace_has_the_same_semantic_model()
    {
        var formatted = Files.Select(f => (f.Path, Format(f.Text, f.Path))).ToArray();
        var before = SemanticSignature([.. Files]);
        Assert.Equal(before, SemanticSignature(formatted));
        Assert.DoesNotContain("Error ", before);
        Assert.Contains("Tag value_tier", before);
    }

    [Fact]
    public void Already_canonical_parts_are_left_alone()
    {
        var schema = Files.Single(f => f.Path == "schema.mdsl").Text;
        var formatted = Format(schema);
        // Only the column padding after `event view` etc. and the aligned comment go.
        Assert.Contains("  identity { member_id, open_id, phone }\n", formatted);
        Assert.Contains("  event view { sku: string, category: string, duration_s: int }\n", formatted);
        Assert.Equal(schema.Replace("view     {", "view {").Replace("cart_add {", "cart_add {").Replace("login    {", "login {"), formatted);
    }
}
