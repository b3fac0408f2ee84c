using MarketingDsl.Functions.Loading;
namespace MarketingDsl.LanguageService.Tests;

public class DiagnosticsAndFixesTests
{
    [Fact]
    public void Retail_has_no_markers()
    {
        var service = new LanguageService(FunctionCompilation.Create(Retail.Workspace));
        foreach (var file in Retail.Workspace.Files)
            Assert.DoesNotContain(service.Diagnostics(file.Path), m => m.Severity == "error");
    }

    [Fact]
    public void A_misspelt_tag_is_an_error_marker_with_its_range_and_suggestion()
    {
        var service = Retail.With("tags/extra.mdsl", "tag loyal = orders_30dd >= 2\n");
        var marker = Assert.Single(service.Diagnostics("tags/extra.mdsl"));
        Assert.Equal("error", marker.Severity);
        Assert.Equal("MD2001", marker.Code);
        Assert.Equal(new EditorRange(1, 13, 1, 24), marker.Range);
        Assert.Equal("orders_30d", marker.Suggestion);
        Assert.Contains("Did you mean 'orders_30d'?", marker.Message);
    }

    [Fact]
    public void A_syntax_error_at_the_end_of_the_file_still_has_a_visible_range()
    {
        var service = Retail.With("tags/extra.mdsl", "tag loyal =");
        var marker = Assert.Single(service.Diagnostics("tags/extra.mdsl"));
        Assert.StartsWith("MD1", marker.Code);
        Assert.True(marker.Range.EndColumn > marker.Range.StartColumn || marker.Range.EndLine > marker.Range.StartLine);
    }

    [Fact]
    public void Markers_are_only_those_of_the_requested_file()
    {
        var service = Retail.With("tags/extra.mdsl", "tag loyal = nope\n");
        Assert.Empty(service.Diagnostics("tags/basic.mdsl").Where(m => m.Severity == "error"));
    }

    [Fact]
    public void Did_you_mean_becomes_a_quick_fix_that_replaces_the_name()
    {
        var service = Retail.With("tags/extra.mdsl", "tag loyal = count(ordr, within: 30d) >= 2\n");
        var fix = Assert.Single(service.QuickFixes("tags/extra.mdsl"));
        Assert.Equal("Change 'ordr' to 'order'", fix.Title);
        Assert.Equal("MD2003", fix.DiagnosticCode);
        Assert.Equal(new TextEdit("tags/extra.mdsl", new EditorRange(1, 19, 1, 23), "order"), fix.Edit);
    }

    [Fact]
    public void Quick_fixes_can_be_limited_to_lines()
    {
        var service = Retail.With("tags/extra.mdsl", "tag a = orders_30dd\n\ntag b = orders_90dd\n");
        Assert.Equal(2, service.QuickFixes("tags/extra.mdsl").Length);
        var fix = Assert.Single(service.QuickFixes("tags/extra.mdsl", 3, 3));
        Assert.Equal("orders_90d", fix.Edit.NewText);
    }

    [Fact]
    public void Format_returns_the_canonical_text_or_refuses_with_syntax_errors()
    {
        var service = Retail.With("tags/extra.mdsl", "tag   loyal=orders_30d>=2");
        Assert.Equal("tag loyal = orders_30d >= 2\n", service.Format("tags/extra.mdsl").Text);
        var broken = Retail.With("tags/extra.mdsl", "tag loyal = (");
        var result = broken.Format("tags/extra.mdsl");
        Assert.Null(result.Text);
        Assert.Contains("syntax errors", result.Error);
    }

    [Fact]
    public void Every_retail_file_formats_unchanged()
    {
        var service = new LanguageService(FunctionCompilation.Create(Retail.Workspace));
        foreach (var file in Retail.Workspace.Files)
            Assert.Equal(file.Text, service.Format(file.Path).Text);
    }
}
