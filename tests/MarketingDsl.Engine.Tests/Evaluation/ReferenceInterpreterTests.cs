using MarketingDsl.Engine.Evaluation;
using static MarketingDsl.Engine.Tests.Evaluation.Scenario;

namespace MarketingDsl.Engine.Tests.Evaluation;

public class ReferenceInterpreterTests
{
    private const string T = "2025-06-01T00:00:00Z";

    [Fact]
    public void Window_excludes_T_minus_D_includes_T_and_ignores_events_after_T()
    {
        var s = new Scenario("""
            tag c1d = count(order, within: 1d)
            tag s1d = sum(order.amount, within: 1d)
            tag all = count(order)
            tag e1h = exists(order, within: 1h)
            tag last_amount = last(order.amount)
            """)
            .Profile("u")
            .Order("u", "2025-05-31T00:00:00Z", 1)          // exactly T − 1d: out of the window
            .Order("u", "2025-05-31T00:00:00.000001Z", 10)  // one microsecond later: in
            .Order("u", "2025-06-01T00:00:00Z", 100)        // exactly T: in
            .Order("u", "2025-06-01T00:00:01Z", 1000)       // after T: does not exist
            .Evaluate(T);
        Assert.Equal(2L, s["c1d", "u"]);
        Assert.Equal(110m, s["s1d", "u"]);
        Assert.Equal(3L, s["all", "u"]);
        Assert.Equal(true, s["e1h", "u"]);
        Assert.Equal(100m, s["last_amount", "u"]);
    }

    [Fact]
    public void Empty_aggregates_have_their_documented_values()
    {
        var s = new Scenario("""
            tag c = count(order)
            tag e = exists(order)
            tag s = sum(order.amount)
            tag a = avg(order.amount)
            tag mn = min(order.amount)
            tag mx = max(order.category)
            tag f = first(order.amount)
            tag l = last(order.category)
            tag d = distinct(order.category)
            tag t = top(order.category, 3)
            tag t_not_null = top(order.category, 3) is not null
            """)
            .Profile("u")
            .Login("u", "2025-05-01T00:00:00Z")
            .Evaluate(T);
        Assert.Equal(0L, s["c", "u"]);
        Assert.Equal(false, s["e", "u"]);
        Assert.Equal(0m, s["s", "u"]);
        Assert.Null(s["a", "u"]);
        Assert.Null(s["mn", "u"]);
        Assert.Null(s["mx", "u"]);
        Assert.Null(s["f", "u"]);
        Assert.Null(s["l", "u"]);
        Assert.Equal(0L, s["d", "u"]);
        Assert.Empty(Assert.IsAssignableFrom<IReadOnlyList<object?>>(s["t", "u"]));
        Assert.Equal(true, s["t_not_null", "u"]);
    }

    [Fact]
    public void Sum_avg_min_max_skip_nulls_and_avg_is_exact()
    {
        var s = new Scenario("""
            tag s = sum(order.amount)
            tag a = avg(order.amount)
            tag mn = min(order.amount)
            tag mx = max(order.amount)
            tag a_null = avg(order.amount, where: amount is null)
            tag c = count(order)
            """)
            .Profile("u")
            .Order("u", "2025-05-01T00:00:00Z", 10)
            .Order("u", "2025-05-02T00:00:00Z", null)
            .Order("u", "2025-05-03T00:00:00Z", 20)
            .Order("u", "2025-05-04T00:00:00Z", 1)
            .Evaluate(T);
        Assert.Equal(31m, s["s", "u"]);
        Assert.Equal(31m / 3m, s["a", "u"]);
        Assert.Equal(1m, s["mn", "u"]);
        Assert.Equal(20m, s["mx", "u"]);
        Assert.Null(s["a_null", "u"]);
        Assert.Equal(4L, s["c", "u"]);
    }

    [Fact]
    public void Min_and_max_of_strings_use_code_point_order_not_utf16()
    {
        // U+FF21 (fullwidth A) < U+1F600 (emoji) by code point, but not by UTF-16 code unit.
        var s = new Scenario("""
            tag mn = min(order.category)
            tag mx = max(order.category)
            """)
            .Profile("u")
            .Order("u", "2025-05-01T00:00:00Z", category: "\U0001F600")
            .Order("u", "2025-05-02T00:00:00Z", category: "\uFF21")
            .Order("u", "2025-05-03T00:00:00Z", category: "Z")
            .Order("u", "2025-05-04T00:00:00Z", category: "a")
            .Order("u", "2025-05-05T00:00:00Z", category: null)
            .Evaluate(T);
        Assert.Equal("Z", s["mn", "u"]);
        Assert.Equal("\U0001F600", s["mx", "u"]);
    }

    [Fact]
    public void First_and_last_break_ts_ties_by_line_and_do_not_skip_nulls()
    {
        var s = new Scenario("""
            tag f = first(order.category)
            tag l = last(order.category)
            tag f_amount = first(order.amount)
            tag l_amount = last(order.amount)
            """)
            .Profile("u")
            .Order("u", "2025-05-10T00:00:00Z", 3, "late")            // line 1, latest ts but a tie
            .Order("u", "2025-05-01T00:00:00Z", null, "early-a")      // line 2, earliest ts
            .Order("u", "2025-05-01T00:00:00Z", 2, "early-b")         // line 3, same ts: first keeps line 2
            .Order("u", "2025-05-10T00:00:00Z", null, "late-b")       // line 4, same ts as line 1: last takes it
            .Evaluate(T);
        Assert.Equal("early-a", s["f", "u"]);
        Assert.Equal("late-b", s["l", "u"]);
        Assert.Null(s["f_amount", "u"]);
        Assert.Null(s["l_amount", "u"]);
    }

    [Fact]
    public void Distinct_counts_non_null_values_and_decimals_by_value()
    {
        var s = new Scenario("""
            tag d = distinct(order.category)
            tag da = distinct(order.amount)
            """)
            .Profile("u")
            .Order("u", "2025-05-01T00:00:00Z", 1.0m, "a")
            .Order("u", "2025-05-02T00:00:00Z", 1.00m, "a")
            .Order("u", "2025-05-03T00:00:00Z", null, null)
            .Order("u", "2025-05-04T00:00:00Z", 2m, "b")
            .Order("u", "2025-05-05T00:00:00Z", null, "A")
            .Evaluate(T);
        Assert.Equal(3L, s["d", "u"]);
        Assert.Equal(2L, s["da", "u"]);
    }

    [Fact]
    public void Top_orders_by_count_then_code_point_and_may_be_shorter()
    {
        var s = new Scenario("""
            tag t3 = top(order.category, 3)
            tag t9 = top(order.category, 9)
            tag t1_window = top(order.category, 1, within: 5d)
            """)
            .Profile("u")
            .Order("u", "2025-05-01T00:00:00Z", category: "b")
            .Order("u", "2025-05-02T00:00:00Z", category: "d")
            .Order("u", "2025-05-03T00:00:00Z", category: "a")
            .Order("u", "2025-05-04T00:00:00Z", category: "b")
            .Order("u", "2025-05-05T00:00:00Z", category: null)
            .Order("u", "2025-05-06T00:00:00Z", category: null)
            .Order("u", "2025-05-07T00:00:00Z", category: "c")
            .Order("u", "2025-05-08T00:00:00Z", category: "a")
            .Order("u", "2025-05-30T00:00:00Z", category: "z")
            .Order("u", "2025-05-31T00:00:00Z", category: "y")
            .Evaluate(T);
        Assert.Equal(["a", "b", "c"], Assert.IsAssignableFrom<IReadOnlyList<object?>>(s["t3", "u"]));
        Assert.Equal(["a", "b", "c", "d", "y", "z"], Assert.IsAssignableFrom<IReadOnlyList<object?>>(s["t9", "u"]));
        Assert.Equal(["y"], Assert.IsAssignableFrom<IReadOnlyList<object?>>(s["t1_window", "u"]));
    }

    [Fact]
    public void A_null_where_predicate_counts_as_false_but_not_null_is_true()
    {
        var s = new Scenario("""
            tag with_coupon = count(order, where: coupon_used)
            tag not_coupon = count(order, where: not coupon_used)
            tag big = count(order, where: amount > 5)
            """)
            .Profile("u")
            .Order("u", "2025-05-01T00:00:00Z", 10, coupon: true)
            .Order("u", "2025-05-02T00:00:00Z", null, coupon: null)
            .Order("u", "2025-05-03T00:00:00Z", 1, coupon: false)
            .Evaluate(T);
        Assert.Equal(1L, s["with_coupon", "u"]);
        Assert.Equal(2L, s["not_coupon", "u"]);
        Assert.Equal(1L, s["big", "u"]);
    }

    [Fact]
    public void Int_division_is_exact_decimal_and_division_by_zero_is_null()
    {
        var s = new Scenario("""
            tag ratio = count(order, where: coupon_used) / count(order)
            tag third = 1 / 3
            tag by_zero_decimal = sum(order.amount) / 0
            tag int_math = count(order) * 2 + 1
            tag ratio_is_null = ratio is null
            """)
            .Profile("none")
            .Profile("some")
            .Order("some", "2025-05-01T00:00:00Z", 5, coupon: true)
            .Order("some", "2025-05-02T00:00:00Z", 5, coupon: false)
            .Order("some", "2025-05-03T00:00:00Z", 5, coupon: false)
            .Evaluate(T);
        Assert.Null(s["ratio", "none"]);
        Assert.Equal(true, s["ratio_is_null", "none"]);
        Assert.Equal(1m / 3m, s["ratio", "some"]);
        Assert.Equal(1m / 3m, s["third", "some"]);
        Assert.Null(s["by_zero_decimal", "some"]);
        Assert.Equal(7L, s["int_math", "some"]);
        Assert.Equal(1L, s["int_math", "none"]);
    }

    [Fact]
    public void Comparisons_with_null_are_false_and_null_is_false_in_boolean_context()
    {
        var s = new Scenario("""
            tag cat = last(order.category)
            tag eq = cat == "x"
            tag ne = cat != "x"
            tag lt = level < 3
            tag in_list = cat in ["x", "y"]
            tag not_in_list = cat not in ["x", "y"]
            tag betw = level between 1 and 5
            tag not_betw = level not between 1 and 5
            tag is_null = cat is null
            tag fallback = cat ?? "none"
            tag fallback2 = coalesce(cat, name, "none")
            tag neg = not (level > 1)
            tag either = level > 1 or true
            tag both = level > 1 and true
            tag picked = case when level > 1 then "big" when level is null then "unknown" else "small" end
            tag no_else = case when level > 1 then "big" end
            tag plus = level + 1
            tag len = abs(level)
            """)
            .Profile("u")
            .Profile("v", ("level", 2L), ("name", "Vee"))
            .Order("v", "2025-05-01T00:00:00Z", category: "y")
            .Evaluate(T);
        foreach (var tag in new[] { "eq", "ne", "lt", "in_list", "not_in_list", "betw", "not_betw", "both" })
            Assert.True(false.Equals(s[tag, "u"]), tag);
        Assert.Equal(true, s["is_null", "u"]);
        Assert.Equal("none", s["fallback", "u"]);
        Assert.Equal("none", s["fallback2", "u"]);
        Assert.Equal(true, s["neg", "u"]);
        Assert.Equal(true, s["either", "u"]);
        Assert.Equal("unknown", s["picked", "u"]);
        Assert.Null(s["no_else", "u"]);
        Assert.Null(s["plus", "u"]);
        Assert.Null(s["len", "u"]);

        Assert.Equal(false, s["eq", "v"]);
        Assert.Equal(true, s["ne", "v"]);
        Assert.Equal(true, s["in_list", "v"]);
        Assert.Equal(false, s["not_in_list", "v"]);
        Assert.Equal(true, s["betw", "v"]);
        Assert.Equal("y", s["fallback", "v"]);
        Assert.Equal("y", s["fallback2", "v"]);
        Assert.Equal("big", s["picked", "v"]);
        Assert.Equal(3L, s["plus", "v"]);
    }

    [Fact]
    public void String_comparisons_are_case_sensitive_and_by_code_point()
    {
        var s = new Scenario("""
            tag eq = name == "abc"
            tag less = name < "\uFF21"
            tag has = contains(name, "B")
            tag starts = starts_with(name, "AB")
            tag lo = lower(name)
            tag up = upper(name)
            """)
            .Profile("u", ("name", "ABC"))
            .Profile("e", ("name", "\U0001F600"))
            .Evaluate(T);
        Assert.Equal(false, s["eq", "u"]);
        Assert.Equal(true, s["less", "u"]);
        Assert.Equal(false, s["less", "e"]);
        Assert.Equal(true, s["has", "u"]);
        Assert.Equal(true, s["starts", "u"]);
        Assert.Equal("abc", s["lo", "u"]);
        Assert.Equal("ABC", s["up", "u"]);
    }

    [Fact]
    public void Years_between_clamps_feb_29_and_is_negative_truncated_for_the_future()
    {
        var s = new Scenario("""
            tag age = years_between(child_birthday, now())
            tag young = years_between(child_birthday, now()) < 3
            tag back = years_between(now(), child_birthday)
            tag age_of_datetime = years_between(registered_at, now())
            """)
            .Profile("leap", ("child_birthday", Date("2024-02-29")), ("registered_at", Time("2024-02-29T23:30:00Z")))
            .Profile("unborn", ("child_birthday", Date("2025-09-01")))
            .Profile("far", ("child_birthday", Date("2027-07-01")))
            .Profile("none")
            .Evaluate("2025-02-28T12:00:00Z");
        Assert.Equal(1L, s["age", "leap"]);                 // Feb 29 + 1 year = Feb 28, 2025
        // Years are added to a: 2025-02-28 − 1 year = 2024-02-28, before b = 2024-02-29, so not a whole year back.
        Assert.Equal(0L, s["back", "leap"]);
        Assert.Equal(1L, s["age_of_datetime", "leap"]);
        Assert.Equal(0L, s["age", "unborn"]);               // −0.5 years truncates to 0
        Assert.Equal(true, s["young", "unborn"]);
        Assert.Equal(0L, s["back", "unborn"]);
        Assert.Equal(-2L, s["age", "far"]);                 // −2.3 years
        Assert.Equal(2L, s["back", "far"]);
        Assert.Null(s["age", "none"]);
        Assert.Equal(false, s["young", "none"]);

        var before = new Scenario("tag age = years_between(child_birthday, now())")
            .Profile("leap", ("child_birthday", Date("2024-02-29")))
            .Evaluate("2025-02-27T23:59:59Z");
        Assert.Equal(0L, before["age", "leap"]);
    }

    [Fact]
    public void Days_and_hours_since_floor_also_for_instants_after_T()
    {
        var s = new Scenario("""
            tag days = days_since(registered_at)
            tag hours = hours_since(registered_at)
            tag days_date = days_since(birthday)
            tag recency = days_since(last(order.ts))
            """)
            .Profile("future", ("registered_at", Time("2025-06-02T12:00:00Z")), ("birthday", Date("2025-06-02")))
            .Profile("past", ("registered_at", Time("2025-05-30T00:00:01Z")), ("birthday", Date("2025-05-30")))
            .Profile("none")
            .Order("past", "2025-05-31T23:59:59Z")
            .Evaluate("2025-06-01T06:00:00Z");
        Assert.Equal(-2L, s["days", "future"]);     // −1.25 days
        Assert.Equal(-30L, s["hours", "future"]);
        Assert.Equal(-1L, s["days_date", "future"]); // a date is its midnight UTC: −0.75 days
        Assert.Equal(2L, s["days", "past"]);         // 2.25 days
        Assert.Equal(53L, s["hours", "past"]);       // 53.99 hours
        Assert.Equal(2L, s["days_date", "past"]);
        Assert.Equal(0L, s["recency", "past"]);
        Assert.Null(s["recency", "none"]);
        Assert.Null(s["days", "none"]);
    }

    [Fact]
    public void Calendar_functions_use_utc_by_default()
    {
        var s = new Scenario("""
            tag h = hour(registered_at)
            tag wd = weekday(registered_at)
            tag wd_date = weekday(birthday)
            tag d = date(registered_at)
            tag n = now()
            tag r = round(score, 2)
            tag r0 = round(score)
            tag a = abs(score)
            """)
            .Profile("u", ("registered_at", Time("2025-06-01T20:30:00Z")), ("birthday", Date("2025-06-02")), ("score", -2.345m))
            .Profile("v", ("registered_at", Time("2025-06-02T00:00:00Z")), ("birthday", Date("2025-06-08")), ("score", 2.5m))
            .Evaluate(T);
        Assert.Equal(20L, s["h", "u"]);
        Assert.Equal(7L, s["wd", "u"]);       // Sunday
        Assert.Equal(1L, s["wd_date", "u"]);  // Monday
        Assert.Equal(7L, s["wd_date", "v"]);
        Assert.Equal(Date("2025-06-01"), s["d", "u"]);
        Assert.Equal(Time(T), s["n", "u"]);
        Assert.Equal(-2.35m, s["r", "u"]);
        Assert.Equal(-2m, s["r0", "u"]);
        Assert.Equal(3m, s["r0", "v"]);
        Assert.Equal(2.345m, s["a", "u"]);
    }

    [Fact]
    public void Calendar_functions_use_the_workspace_time_zone()
    {
        var s = new Scenario("""
            tag h = hour(registered_at)
            tag wd = weekday(registered_at)
            tag d = date(registered_at)
            tag age = years_between(registered_at, now())
            tag days = days_since(registered_at)
            """, settings: "settings { timezone: \"Asia/Shanghai\" }\n")
            .Profile("u", ("registered_at", Time("2024-06-01T17:30:00Z")))   // 2024-06-02 01:30 in Shanghai, a Sunday
            .Evaluate("2025-06-01T15:00:00Z");                              // 2025-06-01 23:00 in Shanghai
        Assert.Equal(1L, s["h", "u"]);
        Assert.Equal(7L, s["wd", "u"]);
        Assert.Equal(Date("2024-06-02"), s["d", "u"]);
        Assert.Equal(0L, s["age", "u"]);    // 2024-06-02 → 2025-06-01 in Shanghai; by UTC dates it would be 1
        Assert.Equal(364L, s["days", "u"]); // days_since is about instants, not zones
    }

    [Fact]
    public void Quantile_score_ranks_ties_equally_skips_nulls_and_can_descend()
    {
        var s = new Scenario("""
            tag q = quantile_score(score, 4)
            tag qd = quantile_score(score, 4, descending)
            tag orders = count(order)
            tag f = quantile_score(orders, 2)
            """)
            .Profile("a", ("score", 10m))
            .Profile("b", ("score", 20m))
            .Profile("c", ("score", 20.0m))
            .Profile("d", ("score", 30m))
            .Profile("e")
            .Order("d", "2025-05-01T00:00:00Z")
            .Order("d", "2025-05-02T00:00:00Z")
            .Order("c", "2025-05-02T00:00:00Z")
            .Evaluate(T);
        // N = 4 (e is null). L(10) = 0, L(20) = 1, L(30) = 3.
        Assert.Equal(1L, s["q", "a"]);
        Assert.Equal(2L, s["q", "b"]);
        Assert.Equal(2L, s["q", "c"]);
        Assert.Equal(4L, s["q", "d"]);
        Assert.Null(s["q", "e"]);
        // Descending: L = values strictly greater: 3, 1, 1, 0.
        Assert.Equal(4L, s["qd", "a"]);
        Assert.Equal(2L, s["qd", "b"]);
        Assert.Equal(1L, s["qd", "d"]);
        Assert.Null(s["qd", "e"]);
        // Over a tag of every profile (N = 5): orders 0,0,1,2,0 → L(0) = 0, L(1) = 3, L(2) = 4.
        Assert.Equal(1L, s["f", "a"]);
        Assert.Equal(2L, s["f", "c"]);   // 1 + floor(2·3/5) = 2
        Assert.Equal(2L, s["f", "d"]);   // min(2, 1 + floor(2·4/5)) = 2
    }

    [Fact]
    public void Segmentation_takes_the_first_true_rule_else_the_else_rule()
    {
        var s = new Scenario("""
            segmentation groups {
              vip     when level >= 3
              regular when level >= 1
              unknown when level is null and name is not null
              else others
            }
            tag is_vip = groups == "vip"
            """)
            .Profile("top", ("level", 5L))
            .Profile("mid", ("level", 1L))
            .Profile("named", ("name", "x"))
            .Profile("zero", ("level", 0L))
            .Profile("nothing")
            .Evaluate(T);
        Assert.Equal("vip", s["groups", "top"]);
        Assert.Equal(true, s["is_vip", "top"]);
        Assert.Equal("regular", s["groups", "mid"]);
        Assert.Equal("unknown", s["groups", "named"]);
        Assert.Equal("others", s["groups", "zero"]);
        Assert.Equal("others", s["groups", "nothing"]);
    }

    [Fact]
    public void A_segment_is_never_null()
    {
        var s = new Scenario("""
            segment coupon_lover = last(order.coupon_used)
            segment not_lover = not coupon_lover
            tag raw = last(order.coupon_used)
            """)
            .Profile("none")
            .Profile("yes")
            .Order("yes", "2025-05-01T00:00:00Z", coupon: true)
            .Evaluate(T);
        Assert.Null(s["raw", "none"]);
        Assert.Equal(false, s["coupon_lover", "none"]);
        Assert.Equal(true, s["not_lover", "none"]);
        Assert.Equal(true, s["coupon_lover", "yes"]);
        Assert.Equal(false, s["not_lover", "yes"]);
    }

    [Fact]
    public void Tags_may_refer_to_each_other_in_any_order_and_columns_follow_the_outputs()
    {
        var s = new Scenario("""
            segment big = doubled > 10
            tag doubled = base * 2
            tag base = count(order) + 5
            """)
            .Profile("u")
            .Order("u", "2025-05-01T00:00:00Z")
            .Evaluate(T);
        Assert.Equal(12L, s["doubled", "u"]);
        Assert.Equal(true, s["big", "u"]);
        Assert.Equal(s.Model.Outputs.Select(o => o.Name), s.Result!.Columns.Select(c => c.Symbol.Name));
        Assert.Equal(["doubled", "base", "big"], s.Result.Columns.Select(c => c.Symbol.Name));
    }

    [Fact]
    public void Orphan_events_are_ignored_and_duplicates_dropped_first_wins()
    {
        var s = new Scenario("""
            tag spend = sum(order.amount)
            tag c = count(order)
            """)
            .Profile("u")
            .Order("u", "2025-05-01T00:00:00Z", 10, id: "o1")
            .Order("u", "2025-05-02T00:00:00Z", 99, id: "o1")      // duplicate id: dropped
            .Order("ghost", "2025-05-02T00:00:00Z", 50, id: "o2")  // no profile: orphan
            .Evaluate(T);
        Assert.Equal(10m, s["spend", "u"]);
        Assert.Equal(1L, s["c", "u"]);
        Assert.Equal(1, s.Data!.UserCount);
        Assert.Equal(1L, s.Data.Report.OrphanEvents);
        Assert.Equal(1L, s.Data.Report.OrderDuplicatesDropped);
    }

    [Fact]
    public void A_model_output_is_empty_until_models_are_trained()
    {
        const string model = """
            model churn_risk {
              predict: not exists(login, within: next 90d)
              features: orders
            }
            tag orders = count(order)

            """;
        var fine = new Scenario(model).Profile("u").Evaluate(T);
        Assert.Equal(0L, fine["orders", "u"]);

        var used = new Scenario(model + "tag risk = churn_risk.probability\n").Profile("u");
        var result = used.Evaluate(T);
        Assert.Null(result["risk", "u"]);
        Assert.Equal(0L, result["orders", "u"]);
    }

    [Fact]
    public void EvaluateExpression_evaluates_any_bound_expression_for_one_user()
    {
        var s = new Scenario("""
            tag spend = sum(order.amount)
            tag probe = spend > 5 and count(order, within: 2d) == 1
            """)
            .Profile("u")
            .Profile("w")
            .Order("u", "2025-05-31T12:00:00Z", 7)
            .Evaluate(T);
        var probe = s.Model.Tags.Single(t => t.Name == "probe").Body;
        var interpreter = new ReferenceInterpreter();
        Assert.Equal(true, interpreter.EvaluateExpression(s.Model, s.Data!, Time(T), s.Data!.IndexOfUser("u"), probe));
        Assert.Equal(false, interpreter.EvaluateExpression(s.Model, s.Data!, Time(T), s.Data!.IndexOfUser("w"), probe));
        Assert.Equal(false, interpreter.EvaluateExpression(s.Model, s.Data!, Time("2025-06-03T00:00:00Z"), s.Data!.IndexOfUser("u"), probe));
    }
}
