namespace MarketingDsl.LanguageService.Tests;

public class CompletionTests
{
    private static List<string> Labels(string path, string text, CompletionKind? kind = null)
    {
        var (service, line, column) = Retail.WithCursor(path, text);
        return [.. service.Complete(path, line, column).Items.Where(i => kind is null || i.Kind == kind).Select(i => i.Label)];
    }

    [Fact]
    public void Top_level_offers_declaration_keywords()
    {
        var labels = Labels("tags/extra.mdsl", "tag a = orders_30d\n|");
        Assert.Contains("tag", labels);
        Assert.Contains("segment", labels);
        Assert.Contains("journey", labels);
        Assert.DoesNotContain("orders_30d", labels);
    }

    [Fact]
    public void An_expression_offers_tags_segments_profile_fields_and_functions()
    {
        var (service, line, column) = Retail.WithCursor("tags/extra.mdsl", "tag a = ord|");
        var list = service.Complete("tags/extra.mdsl", line, column);
        Assert.Equal(new EditorRange(1, 9, 1, 12), list.Range);
        var items = list.Items;
        Assert.Contains(items, i => i.Label == "orders_30d" && i.Kind == CompletionKind.Tag);
        Assert.Contains(items, i => i.Label == "vip_repeat" && i.Kind == CompletionKind.Segment);
        Assert.Contains(items, i => i.Label == "core_groups" && i.Kind == CompletionKind.Segmentation);
        Assert.Contains(items, i => i.Label == "member_level" && i.Kind == CompletionKind.ProfileField);
        var count = Assert.Single(items, i => i.Label == "count");
        Assert.Equal("count($0)", count.InsertText);
        Assert.True(count.IsSnippet);
        Assert.Contains(items, i => i.Label == "not" && i.Kind == CompletionKind.Keyword);
    }

    [Fact]
    public void After_an_operand_offers_operators()
    {
        var labels = Labels("tags/extra.mdsl", "tag a = orders_30d >= 2 a|");
        Assert.Contains("and", labels);
        Assert.Contains("between", labels);
        Assert.DoesNotContain("orders_30d", labels);
    }

    [Fact]
    public void After_an_event_and_a_dot_offers_the_fields_the_aggregate_takes()
    {
        Assert.Equal(["amount"], Labels("tags/extra.mdsl", "tag a = sum(order.|"));
        Assert.Empty(Labels("tags/extra.mdsl", "tag a = count(order.|"));
        Assert.Empty(Labels("tags/extra.mdsl", "tag a = exists(login.|"));
        Assert.Equal(["user_id", "ts", "order_id", "channel", "amount", "category", "sku"], Labels("tags/extra.mdsl", "tag a = max(order.|"));
        Assert.Equal(["user_id", "ts", "order_id", "channel", "amount", "category", "sku", "coupon_used"], Labels("tags/extra.mdsl",
            "tag a = last(order.|"));
    }

    /// <summary>Oracle: every field offered after `F(event.` binds without error, and every field not offered is refused.</summary>
    [Fact]
    public void Every_offered_aggregate_field_binds_and_every_other_is_refused()
    {
        foreach (var function in new[] { "count", "exists", "sum", "avg", "min", "max", "first", "last", "distinct", "top" })
        foreach (var ev in new[] { "order", "login" }) // every field type of the schema: string, datetime, decimal, bool
        {
            var offered = Labels("tags/extra.mdsl", $"tag a = {function}({ev}.|").ToHashSet();
            var fields = Retail.With("tags/extra.mdsl", "").Compilation.Model.Schema.FindEvent(ev)!.Fields.Select(f => f.Name);
            foreach (var field in fields)
            {
                var k = function == "top" ? ", 3" : "";
                var (service, _, _) = Retail.WithCursor("tags/extra.mdsl", $"tag a = {function}({ev}.{field}{k})|");
                var errors = service.Diagnostics("tags/extra.mdsl").Where(m => m.Severity == "error").Select(m => m.Code).ToList();
                Assert.True(offered.Contains(field) == (errors.Count == 0),
                    $"{function}({ev}.{field}): offered {offered.Contains(field)}, errors [{string.Join(", ", errors)}]");
            }
        }
    }

    [Fact]
    public void First_argument_of_an_aggregate_is_an_event()
    {
        var labels = Labels("tags/extra.mdsl", "tag a = count(|");
        Assert.Equal(["order", "view", "cart_add", "login", "message_opened"], labels);
    }

    [Fact]
    public void Later_arguments_of_an_aggregate_are_where_and_within()
    {
        var labels = Labels("tags/extra.mdsl", "tag a = count(order, |");
        Assert.Equal(["where:", "within:"], labels);
        Assert.Equal(["where:", "within:"], Labels("tags/extra.mdsl", "tag a = top(order.sku, 3, w|"));
    }

    [Fact]
    public void Inside_where_offers_only_the_events_fields_and_scalar_functions()
    {
        var labels = Labels("tags/extra.mdsl", "tag a = count(order, where: am|");
        Assert.Contains("amount", labels);
        Assert.Contains("coupon_used", labels);
        Assert.Contains("lower", labels);
        Assert.DoesNotContain("count", labels);
        Assert.DoesNotContain("orders_30d", labels);
        Assert.DoesNotContain("member_level", labels);
    }

    [Fact]
    public void A_trigger_where_offers_the_trigger_events_fields()
    {
        var labels = Labels("journeys/extra.mdsl", "journey j {\n  trigger: cart_add where |\n}");
        Assert.Contains("price", labels);
        Assert.DoesNotContain("amount", labels);
    }

    [Fact]
    public void Send_offers_channels_and_trigger_and_until_offer_events()
    {
        var channels = Labels("journeys/extra.mdsl", "journey j {\n  trigger: order\n  steps {\n    send |\n  }\n}");
        Assert.Contains("sms", channels);
        Assert.Contains("wechat", channels);
        Assert.DoesNotContain("order", channels);
        Assert.Contains("cart_add", Labels("journeys/extra.mdsl", "journey j {\n  trigger: |\n}"));
        Assert.Contains("every", Labels("journeys/extra.mdsl", "journey j {\n  trigger: |\n}"));
        Assert.Contains("order", Labels("journeys/extra.mdsl", "journey j {\n  trigger: view\n  steps {\n    wait 1d until |\n  }\n}"));
    }

    [Fact]
    public void Journey_and_step_blocks_offer_their_keywords()
    {
        var properties = Labels("journeys/extra.mdsl", "journey j {\n  |\n}");
        Assert.Contains("trigger:", properties);
        Assert.Contains("audience:", properties);
        Assert.Contains("steps", properties);
        var steps = Labels("journeys/extra.mdsl", "journey j {\n  trigger: order\n  steps {\n    wait 1d\n    |\n  }\n}");
        Assert.Contains("send", steps);
        Assert.Contains("wait", steps);
        Assert.Contains("split", steps);
        Assert.DoesNotContain("tag", steps);
    }

    [Fact]
    public void Quantile_score_third_argument_is_descending()
    {
        Assert.Equal(["descending"], Labels("tags/extra.mdsl", "tag a = quantile_score(recency_days, 5, |"));
    }

    [Fact]
    public void Model_outputs_after_a_dot()
    {
        var labels = Labels("tags/extra.mdsl", "tag a = churn_risk.|");
        Assert.Equal(["probability", "predicted", "percentile"], labels);
        Assert.Equal(["cluster", "distance"], Labels("tags/extra.mdsl", "tag a = value_clusters.|"));
    }

    [Fact]
    public void Nothing_inside_comments_or_strings()
    {
        Assert.Empty(Labels("tags/extra.mdsl", "tag a = orders_30d  // ord|"));
        Assert.Empty(Labels("tags/extra.mdsl", "tag a \"or|"));
    }
}
