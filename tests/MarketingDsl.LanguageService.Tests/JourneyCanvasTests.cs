using System.Text;
using MarketingDsl.Core.Formatting;
using MarketingDsl.Core.Syntax;
using MarketingDsl.LanguageService.Journeys;

namespace MarketingDsl.LanguageService.Tests;

/// <summary>The canvas model: journey text → graph → edits → text, every edit a text edit run through the formatter.</summary>
public class JourneyCanvasTests
{
    private const string CartPath = "journeys/cart_recovery.mdsl";

    public static TheoryData<string, string> ExampleJourneys()
    {
        var data = new TheoryData<string, string>();
        foreach (var file in Retail.Workspace.Files.Where(f => f.Path.StartsWith("journeys/", StringComparison.Ordinal)))
            foreach (var journey in SyntaxTree.Parse(file).Root.Declarations.OfType<JourneyDeclarationSyntax>())
                data.Add(file.Path, journey.Name.Text);
        return data;
    }

    private static JourneyGraph Graph(string path, string text, string journey, string? language = null) =>
        JourneyGraphBuilder.Build(Retail.With(path, text).Compilation, path, journey, language) ?? throw new InvalidOperationException("no journey");

    private static string Edit(string path, string text, string journey, JourneyEdit edit)
    {
        var result = JourneyEditor.Apply(path, text, journey, edit);
        Assert.True(result.Succeeded, result.Error);
        return result.Text!;
    }

    [Theory]
    [MemberData(nameof(ExampleJourneys))]
    public void Every_node_of_every_example_journey_written_back_as_shown_leaves_the_file_byte_identical(string path, string journey)
    {
        var text = Retail.Text(path);
        var graph = Graph(path, text, journey);
        Assert.Empty(graph.Nodes.SelectMany(n => n.Diagnostics));
        foreach (var node in graph.Nodes.Where(n => n.Kind is not ("end" or "converted" or "exit")))
        {
            var properties = node.Properties.ToDictionary(p => p.Key, p => (string?)p.Value);
            var again = Edit(path, text, journey, new JourneyEdit("set_properties", Node: node.Id, Properties: properties));
            Assert.True(text == again, $"{journey} node {node.Id} ({node.Text}) changed the text:\n{again}");
        }
    }

    [Theory]
    [MemberData(nameof(ExampleJourneys))]
    public void Moving_each_step_down_and_back_again_leaves_the_file_byte_identical(string path, string journey)
    {
        var text = Retail.Text(path);
        var graph = Graph(path, text, journey);
        foreach (var block in graph.Blocks.Where(b => b.Steps.Count >= 2 && !b.IsElseIf))
        {
            for (var i = 0; i + 1 < block.Steps.Count; i++)
            {
                var moved = Edit(path, text, journey, new JourneyEdit("move_step", Node: block.Steps[i], Block: block.Id, Index: i + 2));
                Assert.NotEqual(text, moved);
                var back = Edit(path, moved, journey, new JourneyEdit("move_step", Node: block.Steps[i + 1], Block: block.Id, Index: i));
                Assert.True(text == back, $"{journey}: moving {block.Steps[i]} down and back gave\n{back}");
            }
        }
    }

    [Fact]
    public void Cart_recovery_graph_shows_where_waits_and_the_goal_lead()
    {
        var graph = Graph(CartPath, Retail.Text(CartPath), "cart_recovery");
        Assert.Equal("加购未支付提醒", graph.Label);
        Assert.Equal(["trigger", "audience", "reentry", "holdout", "goal", "converted", "0", "1", "2", "3", "3.0.0", "3.1.0", "3.1.0.0.0",
            "3.1.0.1.0", "end"],
            graph.Nodes.Select(n => n.Id));
        Assert.Contains(new JourneyGraphEdge("0", "converted", "until", "order"), graph.Edges);
        Assert.Contains(new JourneyGraphEdge("0", "1", "timeout", "30m"), graph.Edges);
        Assert.Contains(new JourneyGraphEdge("goal", "converted", "goal", "order"), graph.Edges);
        Assert.Contains(new JourneyGraphEdge("3", "3.1.0", "else", null), graph.Edges);
        Assert.Contains(new JourneyGraphEdge("3.1.0", "3.1.0.1.0", "branch", "50%"), graph.Edges);
        Assert.Contains(new JourneyGraphEdge("3.1.0.1.0", "end", "next", null), graph.Edges);
        Assert.Contains(new JourneyGraphEdge("holdout", "0", "entry", null), graph.Edges);
        var send = graph.Nodes.Single(n => n.Id == "1");
        Assert.Equal(("app_push", "cart_reminder", "coupon_5_off"), (send.Properties["channel"], send.Properties["template"],
            send.Properties["offer"]));
    }

    [Fact]
    public void Building_cart_recovery_from_an_empty_file_by_edits_alone_gives_the_hand_written_example()
    {
        const string j = "cart_recovery";
        static Dictionary<string, string?> P(params (string Key, string Value)[] p) => p.ToDictionary(x => x.Key, x => (string?)x.Value);
        var edits = new JourneyEdit[]
        {
            new("create_journey", Properties: P(("name", j), ("label", "加购未支付提醒"), ("trigger", "cart_add"))),
            new("set_properties", Node: "holdout", Properties: P(("percent", "10%"))),
            new("set_properties", Node: "audience", Properties: P(("condition", "not churned"))),
            new("set_properties", Node: "goal", Properties: P(("event", "order"), ("within", "2d"), ("value", "amount"))),
            new("set_properties", Node: "reentry", Properties: P(("rule", "once per 7d"))),
            new("add_step", Block: "", Index: 0, Kind: "wait", Properties: P(("duration", "30m"), ("until", "order"))),
            new("add_step", Block: "", Index: 1, Kind: "if", Properties: P(("condition", "high_value"))),
            new("add_step", Block: "", Index: 1, Kind: "send", Properties: P(("channel", "app_push"), ("template", "cart_reminder"),
                ("offer", "coupon_5_off"))),
            new("add_step", Block: "", Index: 2, Kind: "wait", Properties: P(("duration", "1d"), ("until", "order"))),
            new("add_step", Block: "3.0", Kind: "send", Properties: P(("channel", "sms"), ("template", "vip_cart_reminder"))),
            new("add_branch", Node: "3"),
            new("add_step", Block: "3.1", Kind: "split", Properties: P(("name", "copy_test"))),
            new("add_branch", Node: "3.1.0", Kind: "send", Properties: P(("percent", "50%"), ("channel", "wechat"), ("template", "reminder_a"))),
            // An arm added empty takes its one step without braces, as written by hand.
            new("add_branch", Node: "3.1.0", Properties: P(("percent", "50"))),
            new("add_step", Block: "3.1.0.1", Index: 0, Kind: "send", Properties: P(("channel", "wechat"), ("template", "reminder_b"))),
        };
        var text = "";
        foreach (var edit in edits) text = Edit(CartPath, text, j, edit);

        Assert.Equal(WithoutComments(Retail.Text(CartPath)), text);
        Assert.DoesNotContain(Retail.With(CartPath, text).Diagnostics(CartPath), m => m.Severity == "error");
    }

    [Fact]
    public void A_split_edited_to_60_30_shows_the_compilers_diagnostic_on_the_split_node()
    {
        var text = Edit(CartPath, Retail.Text(CartPath), "cart_recovery",
            new JourneyEdit("set_properties", Node: "3.1.0", Properties: new Dictionary<string, string?> { ["shares"] = "60%, 30%" }));
        Assert.Contains("60%: send wechat \"reminder_a\"", text);
        var graph = Graph(CartPath, text, "cart_recovery", "zh-CN");
        var split = graph.Nodes.Single(n => n.Id == "3.1.0");
        var marker = Assert.Single(split.Diagnostics);
        Assert.Equal("MD4005", marker.Code);
        Assert.Contains("100%", marker.Message);
        Assert.All(graph.Nodes.Where(n => n.Id != "3.1.0"), n => Assert.Empty(n.Diagnostics));
    }

    [Fact]
    public void A_step_moved_after_an_exit_shows_the_unreachable_step_warning_on_its_node()
    {
        var text = Edit(CartPath, Retail.Text(CartPath), "cart_recovery", new JourneyEdit("add_step", Block: "3.0", Index: 0, Kind: "exit"));
        var graph = Graph(CartPath, text, "cart_recovery");
        Assert.Equal("exit", graph.Nodes.Single(n => n.Id == "3.0.0").Kind);
        Assert.Equal("MD4006", Assert.Single(graph.Nodes.Single(n => n.Id == "3.0.1").Diagnostics).Code);
        Assert.DoesNotContain(graph.Edges, e => e.From == "3.0.0");
    }

    [Fact]
    public void Moving_a_step_takes_its_comments_along()
    {
        var text = Retail.Text(CartPath);
        var moved = Edit(CartPath, text, "cart_recovery", new JourneyEdit("move_step", Node: "0", Block: "3.0", Index: 1));
        Assert.Contains("      send sms \"vip_cart_reminder\"\n      wait 30m until order  // an order ends the wait and the journey " +
            "(goal met)\n", moved);
        Assert.StartsWith("    send app_push", moved.Split("steps {\n")[1]);
        // Into an arm without braces: the arm gets them.
        var intoArm = Edit(CartPath, text, "cart_recovery", new JourneyEdit("move_step", Node: "1", Block: "3.1.0.0", Index: 1));
        Assert.Contains("50%: {\n          send wechat \"reminder_a\"\n          send app_push \"cart_reminder\" offer " +
            "\"coupon_5_off\"\n        }", intoArm);
        // And out of it: an empty arm stays an arm.
        var outOfArm = Edit(CartPath, text, "cart_recovery", new JourneyEdit("remove_step", Node: "3.1.0.1.0"));
        Assert.Contains("50%: {}\n", outOfArm);
    }

    [Theory]
    [InlineData("condition", "high_value {\n send sms \"x\" } steps { exit")]
    [InlineData("condition", "high_value // hidden")]
    [InlineData("condition", "high_value and")]
    [InlineData("condition", "")]
    public void A_value_that_is_not_exactly_one_condition_is_refused_and_the_text_is_unchanged(string key, string value)
    {
        var result = JourneyEditor.Apply(CartPath, Retail.Text(CartPath), "cart_recovery",
            new JourneyEdit("set_properties", Node: "3", Properties: new Dictionary<string, string?> { [key] = value }));
        Assert.False(result.Succeeded);
        Assert.NotNull(result.Error);
    }

    [Fact]
    public void Refusals_name_what_is_wrong()
    {
        var text = Retail.Text(CartPath);
        Assert.Contains("no step '9'", JourneyEditor.Apply(CartPath, text, "cart_recovery", new JourneyEdit("remove_step", Node: "9")).Error);
        Assert.Contains("inside itself", JourneyEditor.Apply(CartPath, text, "cart_recovery", new JourneyEdit("move_step", Node: "3",
            Block: "3.0", Index: 0)).Error);
        Assert.Contains("no journey", JourneyEditor.Apply(CartPath, text, "nope", new JourneyEdit("remove_step", Node: "0")).Error);
        Assert.Contains("syntax errors", JourneyEditor.Apply(CartPath, text + "journey {", "cart_recovery", new JourneyEdit("remove_step",
            Node: "0")).Error);
        Assert.Contains("between 0% and 100%", JourneyEditor.Apply(CartPath, text, "cart_recovery",
            new JourneyEdit("set_properties", Node: "holdout", Properties: new Dictionary<string, string?> { ["percent"] = "120%" })).Error);
        var quoted = Edit(CartPath, text, "cart_recovery",
            new JourneyEdit("set_properties", Node: "1", Properties: new Dictionary<string, string?> { ["template"] = "say \"hi\"" }));
        Assert.Contains("send app_push \"say \\\"hi\\\"\" offer \"coupon_5_off\"", quoted);
    }

    [Fact]
    public void An_if_gets_an_else_then_an_else_if_and_loses_them_again()
    {
        var text = Retail.Text(CartPath);
        var withElseIf = Edit(CartPath, text, "cart_recovery",
            new JourneyEdit("add_branch", Node: "3", Properties: new Dictionary<string, string?> { ["condition"] = "app_user" }));
        Assert.Contains("} else if app_user {\n    } else {", withElseIf);
        var graph = Graph(CartPath, withElseIf, "cart_recovery");
        Assert.True(graph.Blocks.Single(b => b.Id == "3.1").IsElseIf);
        var withoutElse = Edit(CartPath, withElseIf, "cart_recovery", new JourneyEdit("remove_branch", Node: "3", Branch: 1));
        Assert.DoesNotContain("else", withoutElse.Split("steps {")[1]);
    }

    /// <summary>The text without its comments (and without the lines that held only a comment), formatted.</summary>
    private static string WithoutComments(string text)
    {
        var tree = SyntaxTree.Parse("x.mdsl", text);
        var sb = new StringBuilder();
        var at = 0;
        foreach (var comment in tree.Tokens.Where(t => t.IsComment))
        {
            var start = comment.Span.Start;
            var lineStart = text.LastIndexOf('\n', Math.Max(0, start - 1)) + 1;
            var ownLine = string.IsNullOrWhiteSpace(text[lineStart..start]);
            var end = comment.Span.End;
            if (ownLine && end < text.Length && text[end] == '\n') { start = lineStart; end++; }
            sb.Append(text, at, start - at);
            at = end;
        }
        sb.Append(text, at, text.Length - at);
        return SyntaxFormatter.Format(SyntaxTree.Parse("x.mdsl", sb.ToString()));
    }
}
