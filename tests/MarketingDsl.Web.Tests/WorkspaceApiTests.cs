using System.Net;
using System.Text;
using System.Text.Json;

namespace MarketingDsl.Web.Tests;

/// <summary>The test panel (POST /api/tests) and the journey views (POST /api/journeys) over examples/retail.</summary>
public sealed class WorkspaceApiTests(EditorFactory factory) : IClassFixture<EditorFactory>
{
    private static StringContent Json(object body) => new(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");

    private static async Task<JsonElement> Ok(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement;
    }

    private static string Place(JsonElement place) =>
        $"{place.GetProperty("path").GetString()}:{place.GetProperty("line").GetInt32()}:{place.GetProperty("column").GetInt32()}";

    // ------------------------------------------------------------------ tests

    [Fact]
    public async Task The_retail_tests_pass()
    {
        var client = await factory.SignedIn("viewer1");
        var run = await Ok(await client.PostAsync("/api/tests", Json(new { buffers = Array.Empty<object>() })));
        Assert.Equal("passed", run.GetProperty("status").GetString());
        var tests = run.GetProperty("tests").EnumerateArray().ToList();
        var blocks = Directory.EnumerateFiles(Path.Combine(TestPaths.Root, "examples", "retail"), "*.mdsl", SearchOption.AllDirectories)
            .Sum(f => File.ReadLines(f).Count(l => l.StartsWith("test \"", StringComparison.Ordinal)));
        Assert.Equal(blocks, tests.Count);
        Assert.Equal(blocks, run.GetProperty("passed").GetInt32());
        Assert.Equal(0, run.GetProperty("failed").GetInt32());
        Assert.Equal($"{blocks} passed, 0 failed", run.GetProperty("message").GetString());
        Assert.All(tests, t => Assert.True(t.GetProperty("passed").GetBoolean()));
        var young = tests.Single(t => t.GetProperty("name").GetString() == "young family bargain hunter in summer");
        Assert.Equal("tests/scenario.mdsl:3:6", Place(young.GetProperty("place")));
        Assert.Equal(12, young.GetProperty("expectCount").GetInt32());
    }

    [Fact]
    public async Task A_failing_expectation_in_an_unsaved_buffer_is_reported_at_its_line()
    {
        var client = await factory.SignedIn("viewer1");
        const string failing = """
            test "deliberately failing" {
              given profile { user_id: "u1", child_birthday: 2025-09-01 }
              given order { user_id: "u1", order_id: "o1", ts: 2025-05-01T00:00:00Z, amount: 129, category: "formula", coupon_used: false }
              as of 2025-06-01T00:00:00Z
              expect mom_baby
              expect child_age == 5
            }

            """;
        var run = await Ok(await client.PostAsync("/api/tests",
            Json(new { buffers = new[] { new { path = "tests/unsaved.mdsl", text = failing } } })));
        Assert.Equal("failed", run.GetProperty("status").GetString());
        Assert.Equal(1, run.GetProperty("failed").GetInt32());
        var test = Assert.Single(run.GetProperty("tests").EnumerateArray(), t => !t.GetProperty("passed").GetBoolean());
        Assert.Equal("deliberately failing", test.GetProperty("name").GetString());
        Assert.Equal("tests/unsaved.mdsl:1:6", Place(test.GetProperty("place")));
        var failure = Assert.Single(test.GetProperty("failures").EnumerateArray());
        Assert.Equal("tests/unsaved.mdsl:6:3", Place(failure.GetProperty("place")));
        Assert.Equal("child_age == 5", failure.GetProperty("expectation").GetString());
        Assert.Equal("child_age is 0", failure.GetProperty("explanation").GetString());
        Assert.False(File.Exists(Path.Combine(factory.Workspace, "tests", "unsaved.mdsl"))); // nothing is written
    }

    [Fact]
    public async Task A_workspace_with_errors_runs_no_test_and_lists_the_errors()
    {
        var client = await factory.SignedIn("editor1");
        var run = await Ok(await client.PostAsync("/api/tests",
            Json(new { buffers = new[] { new { path = "tags/broken.mdsl", text = "tag typo = orders_30dd >= 2\n" } } })));
        Assert.Equal("errors", run.GetProperty("status").GetString());
        Assert.Equal("1 error(s): fix them before running tests", run.GetProperty("message").GetString());
        Assert.Equal(0, run.GetProperty("tests").GetArrayLength());
        var error = Assert.Single(run.GetProperty("errors").EnumerateArray());
        Assert.Equal("tags/broken.mdsl:1:12", Place(error.GetProperty("place")));
        Assert.Equal("MD2001", error.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Running_tests_needs_a_signed_in_user_and_the_antiforgery_header()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, (await factory.Anonymous().PostAsync("/api/tests",
            Json(new { buffers = Array.Empty<object>() }))).StatusCode);
        var noToken = await factory.SignedIn("editor1", withAntiforgery: false);
        Assert.Equal(HttpStatusCode.BadRequest, (await noToken.PostAsync("/api/tests", Json(new { buffers = Array.Empty<object>() }))).StatusCode);
        // Any signed-in role may run the tests: running changes nothing.
        var viewer = await factory.SignedIn("viewer1");
        Assert.Equal(HttpStatusCode.OK, (await viewer.PostAsync("/api/tests", Json(new { }))).StatusCode);
    }

    [Theory]
    [InlineData("../outside.mdsl")]
    [InlineData(".mdsl/editor.db")]
    [InlineData("")]
    public async Task Buffers_with_bad_paths_are_rejected(string path)
    {
        var client = await factory.SignedIn("editor1");
        foreach (var url in new[] { "/api/tests", "/api/journeys" })
        {
            var response = await client.PostAsync(url, Json(new { buffers = new[] { new { path, text = "tag a = 1\n" } } }));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains("error", await response.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task Malformed_bodies_get_a_400_not_a_crash()
    {
        var client = await factory.SignedIn("editor1");
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsync("/api/tests", new StringContent("{\"buffers\": 3}", Encoding.UTF8,
            "application/json"))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsync("/api/tests", new StringContent("not json", Encoding.UTF8,
            "application/json"))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsync("/api/tests", Json(new { buffers = new object?[] { null } }))).StatusCode);
        var twice = new[] { new { path = "tags/a.mdsl", text = "" }, new { path = "tags/a.mdsl", text = "" } };
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsync("/api/journeys", Json(new { buffers = twice }))).StatusCode);
    }

    [Fact]
    public async Task The_body_limit_covers_pages_and_the_new_endpoints()
    {
        var client = await factory.SignedIn("editor1");
        var big = new string(' ', 300 * 1024);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await client.PostAsync("/api/tests", new StringContent("{\"buffers\": []" + big
            + "}", Encoding.UTF8, "application/json"))).StatusCode);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await client.PostAsync("/Account/Login", new StringContent("name=a&password="
            + big, Encoding.UTF8, "application/x-www-form-urlencoded"))).StatusCode);
    }

    [Fact]
    public async Task The_panels_speak_simplified_chinese()
    {
        var client = await factory.SignedIn("viewer1");
        var page = await client.GetStringAsync("/?lang=zh-CN&panel=journeys");
        Assert.Contains("▶ 运行测试", page);
        var config = Config(page);
        Assert.Equal("旅程", config.GetProperty("texts").GetProperty("editor.journeys").GetString());
        Assert.Equal("触发", config.GetProperty("texts").GetProperty("editor.trigger").GetString());
        Assert.Equal("journeys", config.GetProperty("panel").GetString());
        Assert.Equal("problems", Config(await client.GetStringAsync("/?panel=%3Cscript%3E")).GetProperty("panel").GetString());

        static JsonElement Config(string html)
        {
            var start = html.IndexOf("id=\"editor-config\">", StringComparison.Ordinal) + "id=\"editor-config\">".Length;
            return JsonDocument.Parse(html[start..html.IndexOf("</script>", start, StringComparison.Ordinal)]).RootElement;
        }
    }

    [Fact]
    public async Task Saved_files_are_compiled_from_their_new_text()
    {
        var client = await factory.SignedIn("editor1");
        await Ok(await client.PostAsync("/api/files/save", Json(new { path = "tags/resaved.mdsl", text = "tag resaved_a = 1\n" })));
        var first = await Ok(await client.PostAsync("/api/diagnostics", Json(new { path = "tags/other.mdsl", text = "tag other_a = resaved_a\n" })));
        Assert.Equal(0, first.GetProperty("markers").GetArrayLength());
        // Same length, written right after: the compiler must not keep the old text.
        await Ok(await client.PostAsync("/api/files/save", Json(new { path = "tags/resaved.mdsl", text = "tag resaved_b = 1\n" })));
        var second = await Ok(await client.PostAsync("/api/diagnostics", Json(new { path = "tags/other.mdsl", text = "tag other_a = resaved_a\n" })));
        Assert.Equal("MD2001", second.GetProperty("markers")[0].GetProperty("code").GetString());
        // Nothing is parsed again: the save compiled the new text already, the unchanged buffer and every other file kept their trees.
        Assert.Equal(0, second.GetProperty("timing").GetProperty("reparsed").GetInt32());
        Assert.True(second.GetProperty("timing").GetProperty("files").GetInt32() > 15);
        File.Delete(Path.Combine(factory.Workspace, "tags", "resaved.mdsl"));
    }

    // ------------------------------------------------------------------ journeys

    /// <summary>The step tree as indented lines: `line kind: text`, branches and blocks nested.</summary>
    private static void Outline(JsonElement steps, string indent, List<string> lines)
    {
        foreach (var step in steps.EnumerateArray())
        {
            lines.Add($"{indent}{step.GetProperty("place").GetProperty("line").GetInt32()} {step.GetProperty("kind").GetString()}: " +
                $"{step.GetProperty("text").GetString()}");
            if (step.GetProperty("kind").GetString() == "if")
            {
                lines.Add(indent + "  then:");
                Outline(step.GetProperty("then"), indent + "    ", lines);
                if (step.GetProperty("else").GetArrayLength() > 0)
                {
                    lines.Add(indent + "  else:");
                    Outline(step.GetProperty("else"), indent + "    ", lines);
                }
            }
            if (step.GetProperty("kind").GetString() == "split")
                foreach (var branch in step.GetProperty("branches").EnumerateArray())
                {
                    lines.Add($"{indent}  {branch.GetProperty("percent").GetDecimal()}%:");
                    Outline(branch.GetProperty("steps"), indent + "    ", lines);
                }
        }
    }

    private static string Outline(JsonElement journey)
    {
        var lines = new List<string>();
        Outline(journey.GetProperty("steps"), "", lines);
        return string.Join("\n", lines);
    }

    private static string Clause(JsonElement journey, string name)
    {
        var clause = journey.GetProperty(name);
        return clause.ValueKind == JsonValueKind.Null ? "-" : $"{clause.GetProperty("text").GetString()} " +
            $"@{clause.GetProperty("place").GetProperty("line").GetInt32()}";
    }

    [Fact]
    public async Task The_journey_views_of_retail_are_built_from_the_model()
    {
        var client = await factory.SignedIn("viewer1");
        var result = await Ok(await client.PostAsync("/api/journeys", Json(new { buffers = Array.Empty<object>() })));
        Assert.Equal(0, result.GetProperty("errors").GetInt32());
        var journeys = result.GetProperty("journeys").EnumerateArray().ToDictionary(j => j.GetProperty("name").GetString()!);
        Assert.Equal(["cart_recovery", "new_member_weekly", "related_items", "summer_cooling", "vip_downgrade_save", "vip_exclusive",
            "win_back_gift"],
            journeys.Keys.Order(StringComparer.Ordinal).ToArray());

        var cart = journeys["cart_recovery"];
        Assert.Equal("加购未支付提醒", cart.GetProperty("label").GetString());
        Assert.Equal("journeys/cart_recovery.mdsl:1:9", Place(cart.GetProperty("place")));
        Assert.Equal("event", cart.GetProperty("triggerKind").GetString());
        Assert.Equal("cart_add @2", Clause(cart, "trigger"));
        Assert.Equal("not churned @4", Clause(cart, "audience"));
        Assert.Equal("once per 7d @5", Clause(cart, "reentry"));
        Assert.Equal("order within 2d @6", Clause(cart, "goal"));
        Assert.Equal("10% @7", Clause(cart, "holdout"));
        Assert.Equal("""
            9 wait_until: wait 30m until order
            10 send: send app_push "cart_reminder" offer "coupon_5_off"
            11 wait_until: wait 1d until order
            12 if: if high_value
              then:
                13 send: send sms "vip_cart_reminder"
              else:
                15 split: split "copy_test"
                  50%:
                    16 send: send wechat "reminder_a"
                  50%:
                    17 send: send wechat "reminder_b"
            """.ReplaceLineEndings("\n"), Outline(cart));
        var push = cart.GetProperty("steps")[1];
        Assert.Equal("app_push", push.GetProperty("channel").GetString());
        Assert.Equal("cart_reminder", push.GetProperty("template").GetString());
        Assert.Equal("coupon_5_off", push.GetProperty("offer").GetString());

        var summer = journeys["summer_cooling"];
        Assert.Equal("view where category in [\"air_conditioner\", \"fan\"] @3", Clause(summer, "trigger"));
        Assert.Equal("once @5", Clause(summer, "reentry"));
        Assert.Equal("order where category in [\"air_conditioner\", \"fan\"] within 7d @6", Clause(summer, "goal"));
        Assert.Equal("""
            9 wait_until: wait 2h until order where category in ["air_conditioner", "fan"]
            11 split: split "summer_offer" winner after 7d
              50%:
                12 send: send app_push "summer_cooling_a" offer "ac_200_off"
              50%:
                14 send: send sms "summer_cooling_b" offer "fan_free_shipping"
                15 wait: wait 1d
                16 send: send wechat "summer_cooling_b_followup"
            19 wait: wait 3d
            20 if: if cart_abandoner
              then:
                21 send: send app_push "summer_cart_nudge"
            """.ReplaceLineEndings("\n"), Outline(summer));

        var vip = journeys["vip_exclusive"];
        Assert.Equal("segment", vip.GetProperty("triggerKind").GetString());
        Assert.Equal("enters segment vip_repeat @3", Clause(vip, "trigger"));
        Assert.Equal("always @5", Clause(vip, "reentry"));
        Assert.Equal("-", Clause(vip, "holdout"));
        Assert.Contains("11 exit: exit", Outline(vip));
        Assert.Equal("leaves segment vip_repeat @21", Clause(journeys["vip_downgrade_save"], "trigger"));
        Assert.Equal("-", Clause(journeys["vip_downgrade_save"], "audience"));

        Assert.Equal("schedule", journeys["new_member_weekly"].GetProperty("triggerKind").GetString());
        Assert.Equal("every monday at 09:00 @32", Clause(journeys["new_member_weekly"], "trigger"));
        var winBack = journeys["win_back_gift"];
        Assert.Equal("every day at 10:00 @3", Clause(winBack, "trigger"));
        Assert.Equal("last_login_days between 30 and 89 and orders_365d >= 1 @4", Clause(winBack, "audience"));
        Assert.StartsWith("""
            9 if: if high_value
              then:
                10 send: send sms "win_back_vip" offer "gift_100"
              else:
                11 if: if app_user
                  then:
                    12 send: send app_push "win_back_app" offer "gift_30"
                  else:
                    14 send: send wechat "win_back" offer "gift_30"
            16 wait_until: wait 3d until login
            """.ReplaceLineEndings("\n"), Outline(winBack));
    }

    [Fact]
    public async Task Journey_views_follow_the_unsaved_buffer()
    {
        var client = await factory.SignedIn("viewer1");
        var text = File.ReadAllText(Path.Combine(factory.Workspace, "journeys", "cart_recovery.mdsl"))
            .Replace("    wait 30m until order", "    wait 45m until order\n    send sms \"cart_early\"", StringComparison.Ordinal);
        var result = await Ok(await client.PostAsync("/api/journeys",
            Json(new { buffers = new[] { new { path = "journeys/cart_recovery.mdsl", text } } })));
        var cart = result.GetProperty("journeys").EnumerateArray().Single(j => j.GetProperty("name").GetString() == "cart_recovery");
        Assert.StartsWith("9 wait_until: wait 45m until order\n10 send: send sms \"cart_early\"\n11 send: send app_push", Outline(cart));
    }
}
