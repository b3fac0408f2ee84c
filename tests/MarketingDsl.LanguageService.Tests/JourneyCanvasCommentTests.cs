using MarketingDsl.Core.Formatting;
using MarketingDsl.Core.Syntax;
using MarketingDsl.LanguageService.Journeys;

namespace MarketingDsl.LanguageService.Tests;

/// <summary>
/// Canvas edits keep comments wherever they stand: before a step, at the end of a line, between the
/// tokens of a step or a property (inside a `where`), inside a branch and inside a split arm.
/// Only removing a thing removes the comments that belong to it.
/// </summary>
public class JourneyCanvasCommentTests
{
    private const string Path = "journeys/commented.mdsl";

    private static readonly string Source = SyntaxFormatter.Format(SyntaxTree.Parse(Path, """
        journey commented "注释" {
          trigger: cart_add /* c-trigger */ where price > 100  // c-trigger-line
          audience: not churned  // c-audience
          // c-before-reentry
          reentry: once per 7d
          goal: order /* c-goal */ within 2d value amount
          holdout: 10%  // c-holdout
          steps {
            // c-before-wait
            wait 1d until order where /* c-where-block */ amount > 5 and // c-where-line
              amount < 500  // c-wait-line
            send app_push "cart_reminder" /* c-send */ offer "coupon_5_off"  // c-send-line
            if high_value { // c-then-open
              // c-before-sms
              send sms "vip_cart_reminder"
            } else {
              split "copy_test" /* c-split */ {
                50%: // c-arm-open
                  send wechat "reminder_a"
                50%: send wechat "reminder_b"  // c-arm-line
              }
            }
            exit  // c-exit
          }
        }

        """));

    private static readonly string[] Comments =
    [
        "c-trigger */", "c-trigger-line", "c-audience", "c-before-reentry", "c-goal", "c-holdout", "c-before-wait", "c-where-block",
        "c-where-line", "c-wait-line", "c-send */", "c-send-line", "c-then-open", "c-before-sms", "c-split", "c-arm-open", "c-arm-line", "c-exit",
    ];

    private static Dictionary<string, string?> P(params (string Key, string Value)[] p) => p.ToDictionary(x => x.Key, x => (string?)x.Value);

    private static string Edit(string text, JourneyEdit edit)
    {
        var result = JourneyEditor.Apply(Path, text, "commented", edit);
        Assert.True(result.Succeeded, result.Error);
        return result.Text!;
    }

    private static JourneyGraph Graph(string text) =>
        JourneyGraphBuilder.Build(Retail.With(Path, text).Compilation, Path, "commented") ?? throw new InvalidOperationException("no journey");

    private static void AssertEveryComment(string text, params string[] except)
    {
        foreach (var comment in Comments.Except(except))
            Assert.True(text.Contains(comment, StringComparison.Ordinal), $"'{comment}' was lost:\n{text}");
        Assert.Equal(text, SyntaxFormatter.Format(SyntaxTree.Parse(Path, text)));
    }

    [Fact]
    public void The_commented_journey_checks_clean_and_keeps_its_comments_when_formatted()
    {
        AssertEveryComment(Source);
        Assert.DoesNotContain(Retail.With(Path, Source).Diagnostics(Path), m => m.Severity == "error");
    }

    [Fact]
    public void Every_node_written_back_as_shown_leaves_the_commented_file_byte_identical()
    {
        var graph = Graph(Source);
        Assert.Empty(graph.Nodes.SelectMany(n => n.Diagnostics));
        foreach (var node in graph.Nodes.Where(n => n.Kind is not ("end" or "converted" or "exit")))
        {
            Assert.All(node.Properties.Values, v => Assert.DoesNotContain("c-", v));
            var properties = node.Properties.ToDictionary(p => p.Key, p => (string?)p.Value);
            var again = Edit(Source, new JourneyEdit("set_properties", Node: node.Id, Properties: properties));
            Assert.True(Source == again, $"node {node.Id} ({node.Text}) changed the text:\n{again}");
        }
    }

    public static TheoryData<string, JourneyEdit, string[]> Edits() => new()
    {
        // Properties of steps: the tokens that change are replaced, comments between the others stay in place.
        { "wait duration", new("set_properties", Node: "0", Properties: P(("duration", "2d"))), [] },
        { "wait until", new("set_properties", Node: "0", Properties: P(("until", "login"), ("where", ""))), [] },
        { "wait where", new("set_properties", Node: "0", Properties: P(("where", "amount > 50"))), [] },
        { "send template", new("set_properties", Node: "1", Properties: P(("template", "cart_reminder_2"))), [] },
        { "send offer removed", new("set_properties", Node: "1", Properties: P(("offer", ""))), [] },
        { "send channel", new("set_properties", Node: "1", Properties: P(("channel", "sms"))), [] },
        { "if condition", new("set_properties", Node: "2", Properties: P(("condition", "high_value and app_user"))), [] },
        { "split header", new("set_properties", Node: "2.1.0", Properties: P(("name", "copy_test_2"), ("winner_after", "7d"))), [] },
        { "split shares", new("set_properties", Node: "2.1.0", Properties: P(("shares", "60%, 40%"))), [] },
        { "arm send", new("set_properties", Node: "2.1.0.0.0", Properties: P(("template", "reminder_c"))), [] },
        // Header properties.
        { "trigger", new("set_properties", Node: "trigger", Properties: P(("trigger", "cart_add where price > 200"))), [] },
        { "trigger event", new("set_properties", Node: "trigger", Properties: P(("trigger", "view"))), [] },
        { "audience", new("set_properties", Node: "audience", Properties: P(("condition", "app_user"))), [] },
        { "reentry", new("set_properties", Node: "reentry", Properties: P(("rule", "once"))), [] },
        { "goal window", new("set_properties", Node: "goal", Properties: P(("event", "order"), ("within", "3d"), ("value", "amount"))), [] },
        { "goal event", new("set_properties", Node: "goal", Properties: P(("event", "login"), ("within", "2d"))), [] },
        { "holdout", new("set_properties", Node: "holdout", Properties: P(("percent", "20%"))), [] },
        // Adding and moving.
        { "step before the wait", new("add_step", Block: "", Index: 0, Kind: "wait", Properties: P(("duration", "1h"))), [] },
        { "step into the then block", new("add_step", Block: "2.0", Index: 0, Kind: "exit"), [] },
        { "step into the commented arm", new("add_step", Block: "2.1.0.0", Index: 1, Kind: "exit"), [] },
        { "step into the one-line arm", new("add_step", Block: "2.1.0.1", Index: 0, Kind: "wait", Properties: P(("duration", "1h"))), [] },
        { "wait moved to the end", new("move_step", Node: "0", Block: "", Index: 4), [] },
        { "wait moved into the arm", new("move_step", Node: "0", Block: "2.1.0.0", Index: 0), [] },
        { "sms moved out of the branch", new("move_step", Node: "2.0.0", Block: "", Index: 0), [] },
        { "arm step moved out", new("move_step", Node: "2.1.0.1.0", Block: "", Index: 3), [] },
        { "split arm added", new("add_branch", Node: "2.1.0", Kind: "send",
            Properties: P(("percent", "10%"), ("channel", "sms"), ("template", "x"))), [] },
        { "else if added", new("add_branch", Node: "2", Properties: P(("condition", "app_user"))), [] },
        // Removing a thing removes its own comments, and only those.
        { "send removed", new("remove_step", Node: "1"), ["c-send */", "c-send-line"] },
        { "wait removed", new("remove_step", Node: "0"), ["c-before-wait", "c-where-block", "c-where-line", "c-wait-line"] },
        { "holdout removed", new("remove_property", Node: "holdout"), ["c-holdout"] },
        { "split arm removed", new("remove_branch", Node: "2.1.0", Branch: 1), ["c-arm-line"] },
    };

    [Theory]
    [MemberData(nameof(Edits))]
    public void An_edit_keeps_every_comment_but_those_of_what_it_removes(string what, JourneyEdit edit, string[] removed)
    {
        var text = Edit(Source, edit);
        Assert.True(text != Source, what + " changed nothing");
        AssertEveryComment(text, removed);
        foreach (var gone in removed) Assert.DoesNotContain(gone, text);
        Assert.NotNull(Graph(text));
    }

    [Fact]
    public void Comments_between_unchanged_tokens_stay_where_they_were()
    {
        var text = Edit(Source, new JourneyEdit("set_properties", Node: "0", Properties: P(("duration", "2d"))));
        Assert.Equal(Source.Replace("wait 1d until", "wait 2d until", StringComparison.Ordinal), text);
        // The where as the panel shows it (without its comments) is the where as written.
        Assert.Equal(Source, Edit(Source, new JourneyEdit("set_properties", Node: "0", Properties: P(("where", "amount > 5 and  amount < 500")))));
        var shares = Edit(Source, new JourneyEdit("set_properties", Node: "2.1.0", Properties: P(("shares", "60%, 40%"))));
        Assert.Contains("60%:  // c-arm-open", shares);
        Assert.Contains("40%: send wechat \"reminder_b\"  // c-arm-line", shares);
        var template = Edit(Source, new JourneyEdit("set_properties", Node: "1", Properties: P(("template", "t2"))));
        Assert.Contains("send app_push \"t2\" /* c-send */ offer \"coupon_5_off\"  // c-send-line", template);
    }

    [Fact]
    public void A_comment_inside_a_changed_condition_moves_above_its_step()
    {
        var text = Edit(Source, new JourneyEdit("set_properties", Node: "0", Properties: P(("where", "amount > 50"))));
        var lines = text.Split('\n');
        var wait = Array.FindIndex(lines, l => l.Contains("amount > 50  // c-wait-line", StringComparison.Ordinal));
        Assert.True(wait > 0, text);
        Assert.Equal("    // c-where-line", lines[wait - 1]);
        Assert.Contains("where /* c-where-block */ amount > 50", lines[wait]);
    }
}
