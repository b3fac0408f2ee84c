using MarketingDsl.Functions.Loading;
namespace MarketingDsl.LanguageService.Tests;

public class NavigationTests
{
    [Fact]
    public void Hover_on_a_tag_shows_kind_type_label_and_doc_comment()
    {
        var (service, line, column) = Retail.WithCursor("tags/extra.mdsl", "tag a = active_h|our >= 22\n");
        var hover = service.Hover("tags/extra.mdsl", line, column)!;
        Assert.Contains("(tag) active_hour \"活跃时段\": int", hover.Markdown);
        Assert.Contains("Hour of day", hover.Markdown);
        Assert.Equal(new EditorRange(1, 9, 1, 20), hover.Range);
    }

    [Fact]
    public void Hover_on_a_model_member_shows_what_the_registry_says_of_it()
    {
        var (service, line, column) = Retail.WithCursor("tags/extra.mdsl", "tag a = churn_ri|sk.probability\n");
        Assert.DoesNotContain("AUC", service.Hover("tags/extra.mdsl", line, column)!.Markdown);
        Assert.Contains("Not trained yet", service.Hover("tags/extra.mdsl", line, column, new Dictionary<string, TrainedModelSummary>())!.Markdown);
        var trained = new Dictionary<string, TrainedModelSummary>
        {
            ["churn_risk"] = new("trained", "AUC", 0.8765, new DateTime(2025, 6, 30, 8, 15, 0, DateTimeKind.Utc), "alice"),
        };
        var hover = service.Hover("tags/extra.mdsl", line, column, trained)!.Markdown;
        Assert.Contains("(model) churn_risk", hover);
        Assert.Contains("**AUC 0.877**, trained 2025-06-30 08:15 UTC by alice.", hover);
        trained["churn_risk"] = trained["churn_risk"] with { State = "stale" };
        Assert.Contains("**Stale**", service.Hover("tags/extra.mdsl", line, column, trained)!.Markdown);
    }

    [Fact]
    public void Hover_on_profile_fields_events_fields_and_functions()
    {
        var (service, line, column) = Retail.WithCursor("tags/extra.mdsl", "tag a = member_le|vel");
        Assert.Contains("(profile field) member_level: int", service.Hover("tags/extra.mdsl", line, column)!.Markdown);

        var text = "tag a = sum(order.amount, where: coupon_used, within: 30d)";
        var s2 = Retail.With("tags/extra.mdsl", text);
        Assert.Contains("(event) order {", s2.Hover("tags/extra.mdsl", 1, text.IndexOf("order", StringComparison.Ordinal) + 2)!.Markdown);
        Assert.Contains("(event field) order.amount: decimal", s2.Hover("tags/extra.mdsl", 1,
            text.IndexOf("amount", StringComparison.Ordinal) + 2)!.Markdown);
        Assert.Contains("(event field) order.coupon_used: bool", s2.Hover("tags/extra.mdsl", 1, text.IndexOf("coupon_used",
            StringComparison.Ordinal) + 2)!.Markdown);
        var sum = s2.Hover("tags/extra.mdsl", 1, 10)!.Markdown;
        Assert.Contains("(function) sum(event.field, where: predicate, within: duration): decimal", sum);
        Assert.Contains("Sum of the non-null values", sum);
    }

    [Fact]
    public void Hover_on_nothing_is_null()
    {
        var service = Retail.With("tags/extra.mdsl", "tag a = 1 + 2");
        Assert.Null(service.Hover("tags/extra.mdsl", 1, 11));
    }

    [Fact]
    public void Definition_of_a_tag_a_profile_field_an_event_and_an_event_field()
    {
        var text = "tag a = orders_30d + member_level + count(cart_add, where: price > 1)";
        var service = Retail.With("tags/extra.mdsl", text);
        int Col(string word) => text.IndexOf(word, StringComparison.Ordinal) + 2;

        var tag = Assert.Single(service.Definition("tags/extra.mdsl", 1, Col("orders_30d")));
        Assert.Equal("tags/behaviour.mdsl", tag.Path);
        Assert.Equal(3, tag.Range.StartLine);
        Assert.Equal(5, tag.Range.StartColumn);

        var field = Assert.Single(service.Definition("tags/extra.mdsl", 1, Col("member_level")));
        Assert.Equal("schema.mdsl", field.Path);
        Assert.Equal("member_level", Line(field));

        var ev = Assert.Single(service.Definition("tags/extra.mdsl", 1, Col("cart_add")));
        Assert.Equal("cart_add", Line(ev));

        var price = Assert.Single(service.Definition("tags/extra.mdsl", 1, Col("price")));
        Assert.Equal("price", Line(price));
    }

    private static string Line(SourceLocation location)
    {
        var line = Retail.Text(location.Path).Split('\n')[location.Range.StartLine - 1];
        return line[(location.Range.StartColumn - 1)..(location.Range.EndColumn - 1)];
    }

    [Fact]
    public void References_of_a_tag_include_its_declaration_and_uses_in_every_file()
    {
        var service = Retail.With("tags/extra.mdsl", "tag a = churned\n");
        var references = service.References("tags/extra.mdsl", 1, 10);
        Assert.Contains(references, r => r.Path == "tags/behaviour.mdsl"); // the declaration
        Assert.Contains(references, r => r.Path == "tags/extra.mdsl");
        Assert.Contains(references, r => r.Path == "segments.mdsl");
        Assert.Contains(references, r => r.Path.StartsWith("journeys/", StringComparison.Ordinal));
        Assert.All(references, r => Assert.Equal("churned", Line2(service, r)));
    }

    private static string Line2(LanguageService service, SourceLocation location)
    {
        var text = service.Compilation.Workspace.Files.Single(f => f.Path == location.Path).Text;
        var line = text.Split('\n')[location.Range.StartLine - 1];
        return line[(location.Range.StartColumn - 1)..(location.Range.EndColumn - 1)];
    }

    [Fact]
    public void Rename_edits_the_declaration_and_every_reference()
    {
        var service = Retail.With("tags/extra.mdsl", "tag a = churned\n");
        var result = service.Rename("tags/extra.mdsl", 1, 10, "lapsed");
        Assert.True(result.Succeeded, result.Error);
        Assert.Equal(service.References("tags/extra.mdsl", 1, 10).Length, result.Edits.Length);
        Assert.All(result.Edits, e => Assert.Equal("lapsed", e.NewText));

        // Applying the edits leaves a workspace that still checks clean.
        var files = service.Compilation.Workspace.AllFiles.ToDictionary(f => f.Path, f => f.Text);
        foreach (var group in result.Edits.GroupBy(e => e.Path))
        {
            var lines = files[group.Key].Split('\n');
            foreach (var edit in group.OrderByDescending(e => e.Range.StartLine).ThenByDescending(e => e.Range.StartColumn))
            {
                var l = lines[edit.Range.StartLine - 1];
                lines[edit.Range.StartLine - 1] = l[..(edit.Range.StartColumn - 1)] + edit.NewText + l[(edit.Range.EndColumn - 1)..];
            }
            files[group.Key] = string.Join('\n', lines);
        }
        var renamed = FunctionCompilation.Create(Core.Workspace.FromFiles([.. files.Select(f => (f.Key, f.Value))]));
        Assert.False(renamed.HasErrors, string.Join("\n", renamed.Diagnostics));
        Assert.Contains("tag lapsed \"流失用户\"", files["tags/behaviour.mdsl"]);
    }

    [Fact]
    public void Rename_of_a_segmentation_leaves_its_rule_names_alone()
    {
        var service = new LanguageService(FunctionCompilation.Create(Retail.Workspace));
        var text = Retail.Text("segments.mdsl");
        var line = text[..text.IndexOf("segmentation core_groups", StringComparison.Ordinal)].Count(c => c == '\n') + 1;
        var result = service.Rename("segments.mdsl", line, 16, "groups");
        Assert.True(result.Succeeded, result.Error);
        Assert.DoesNotContain(result.Edits, e => e.Range.StartLine == line + 1);
    }

    [Theory]
    [InlineData("orders_90d", "already declared")]
    [InlineData("member_level", "already declared")]
    [InlineData("and", "keyword")]
    [InlineData("journey", "keyword")]
    [InlineData("2fast", "not a valid name")]
    [InlineData("a-b", "not a valid name")]
    public void Rename_refuses_existing_names_keywords_and_bad_names(string newName, string reason)
    {
        var service = Retail.With("tags/extra.mdsl", "tag a = churned\n");
        var result = service.Rename("tags/extra.mdsl", 1, 10, newName);
        Assert.False(result.Succeeded);
        Assert.Contains(reason, result.Error);
        Assert.Empty(result.Edits);
    }

    [Fact]
    public void Rename_refuses_fields_and_empty_places()
    {
        var service = Retail.With("tags/extra.mdsl", "tag a = member_level + 1\n");
        Assert.Contains("cannot be renamed", service.Rename("tags/extra.mdsl", 1, 10, "level").Error);
        Assert.Contains("nothing to rename", service.Rename("tags/extra.mdsl", 1, 24, "x").Error);
    }

    [Fact]
    public void Signature_help_shows_the_builtin_and_the_active_parameter()
    {
        var (service, line, column) = Retail.WithCursor("tags/extra.mdsl", "tag a = count(order, |");
        var help = service.Signature("tags/extra.mdsl", line, column)!;
        Assert.Equal("count(event, where: predicate, within: duration): int", help.Label);
        Assert.Equal(["event", "where: predicate", "within: duration"], help.Parameters.ToArray());
        Assert.Equal(-1, help.ActiveParameter);

        (service, line, column) = Retail.WithCursor("tags/extra.mdsl", "tag a = count(order, within: 3|");
        Assert.Equal(2, service.Signature("tags/extra.mdsl", line, column)!.ActiveParameter);

        (service, line, column) = Retail.WithCursor("tags/extra.mdsl", "tag a = round(avg_order_amount, |");
        help = service.Signature("tags/extra.mdsl", line, column)!;
        Assert.Equal(1, help.ActiveParameter);
        Assert.Equal("places: int = 0", help.Parameters[1]);

        (service, line, column) = Retail.WithCursor("tags/extra.mdsl", "tag a = round(lower(|), 2)");
        Assert.StartsWith("lower(", service.Signature("tags/extra.mdsl", line, column)!.Label);

        (service, line, column) = Retail.WithCursor("tags/extra.mdsl", "tag a = orders_30d|");
        Assert.Null(service.Signature("tags/extra.mdsl", line, column));
    }

    [Fact]
    public void Keywords_come_from_the_lexer()
    {
        Assert.Contains("segmentation", LanguageService.Keywords);
        Assert.Contains("quiet", LanguageService.Keywords);
        Assert.DoesNotContain("count", LanguageService.Keywords);
    }
}
