#!/usr/bin/env python3
"""Writes the input files of tests/baselines/<Case>/ (run once to seed cases; expected outputs
come from the test itself with MDSL_UPDATE_BASELINES=1). Cases that need the schema get a copy
of the retail schema so each folder is self-contained."""
import os, sys
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
INPUTS = os.path.join(ROOT, "tests", "MarketingDsl.Core.Tests", "Inputs")
SCHEMA = open(os.path.join(INPUTS, "schema.mdsl"), encoding="utf-8").read()
TAGS = open(os.path.join(INPUTS, "tags.mdsl"), encoding="utf-8").read()
SEGMENTS = open(os.path.join(INPUTS, "segments.mdsl"), encoding="utf-8").read()
OUT = os.path.join(ROOT, "tests", "baselines")

CHANNELS = """channel sms      { cost: 0.05  cap: 2 per 7d  quiet: 22:00-08:00 }
channel app_push { cost: 0.001 cap: 3 per 1d }
channel wechat   { cost: 0.01 }
"""
JOURNEY = """journey cart_recovery "加购未支付提醒" {
  trigger: cart_add                       // or: cart_add where price > 100 | every day at 10:00
                                          //   | enters segment wake_up
  audience: not churned
  reentry: once per 7d
  goal: order within 2d                   // conversion
  holdout: 10%                            // control group, deterministic by user
  steps {
    wait 30m until order                  // an order ends the wait and the journey (goal met)
    send app_push "cart_reminder" offer "coupon_5_off"
    wait 1d until order
    if high_value {
      send sms "vip_cart_reminder"
    } else {
      split "copy_test" {
        50%: send wechat "reminder_a"
        50%: send wechat "reminder_b"
      }
    }
  }
}
"""
MODELS = """model churn_risk {
  predict: not exists(login, within: next 90d)        // label looks forward from the cutoff
  features: recency_days, orders_365d, annual_spend, last_login_days, coupon_ratio
  algorithm: fasttree                                 // fasttree | lightgbm | logistic
}
clusters value_clusters { features: r_score, f_score, m_score  k: 8 }   // k-means++
tag churn_prob = churn_risk.probability
tag value_cluster = value_clusters.cluster
"""
TEST = """test "big spender is high value" {
  given profile { user_id: "u1", birthday: 1990-01-01 }
  given order { user_id: "u1", ts: 2025-05-01T10:00:00Z, amount: 6000, category: "tv" }
  as of 2025-06-01T00:00:00Z
  expect high_value == true
  expect core_groups == "high_value_repeat"    // fails: only one order
}
"""

def journey(body, channels="channel sms { cost: 0.05 }\n"):
    return channels + body

# name -> (main text, extra files, expected code or None for valid)
S = {"schema.mdsl": SCHEMA}
ST = {"schema.mdsl": SCHEMA, "tags.mdsl": TAGS}
STS = {"schema.mdsl": SCHEMA, "tags.mdsl": TAGS, "segments.mdsl": SEGMENTS}
deep = "(" * 70 + "1" + ")" * 70
cases = {
  # ---------------------------------------------------------------- valid
  "Schema": (SCHEMA, {}, None),
  "Tags": (TAGS, S, None),
  "Segments": (SEGMENTS, ST, None),
  "Models": (MODELS, ST, None),
  "ChannelsAndJourney": (CHANNELS + "\n" + JOURNEY, ST, None),
  "TestBlock": (TEST, STS, None),
  "UnicodeNames": ("""/// 年消费额 in yuan
tag 年消费额 "年消费额" = sum(order.amount, within: 365d)
tag 高价值用户 = 年消费额 > 5000
segment 忠实顾客 "忠实顾客" = 高价值用户 and count(order, within: 90d) >= 3
segmentation 客群 {
  高价值 "高价值" when 忠实顾客
  城市_上海 when city == "上海"
  else 其他 "其他"
}
""", S, None),
  "Settings": ('settings { timezone: "Asia/Shanghai" }\ntag registered_hour = hour(registered_at)\n', S, None),
  "Expressions": ("""tag lit_int = 12
tag lit_dec = 3.5
tag lit_dur = 30d 12h 30m 45s
tag lit_date = 2025-06-01
tag lit_instant = 2025-06-01T10:00:00Z
tag neg = -5
tag arith = (member_level + 2) * 3 / 4 - 1
tag in_list = city in ["Shanghai", "Beijing"]
tag not_in = city not in ["Shanghai"]
tag band = member_level between 1 and 3
tag nul = birthday is null
tag notnul = birthday is not null
tag coalesced = last(order.amount) ?? 0
tag helpers = upper(lower(city)) == "X" and contains(city, "a") and starts_with(city, "S")
tag rounded = round(abs(-2.567), 2)
tag firsts = first(order.category) ?? coalesce(last(order.sku), "none")
tag distinct_skus = distinct(order.sku, within: 30d)
tag avg_view = avg(view.duration_s, where: duration_s > 3 and category != "x")
tag hours = hours_since(registered_at) + weekday(registered_at) + hour(registered_at)
tag d = date(registered_at)
""", S, None),

  # ---------------------------------------------------------------- MD1xxx
  "InvalidUnexpectedToken": ("tag x = 1 +* 2\n", S, "MD1000"),
  "InvalidBadCharacter": ("tag x = 1 # 2\n", S, "MD1001"),
  "InvalidUnterminatedString": ('tag x "label = 1\n', S, "MD1002"),
  "InvalidNestingTooDeep": ("tag x = " + deep + "\n", S, "MD1003"),
  "InvalidNumberOutOfRange": ("tag x = member_level + 99999999999999999999\n", S, "MD1004"),
  "InvalidBadEscape": ('tag x = city == "a\\qb"\n', S, "MD1005"),
  "InvalidBadDate": ("tag x = days_since(2025-13-45)\n", S, "MD1006"),
  "InvalidBadDateTime": ("tag x = registered_at > 2025-06-01T25:61:00Z\n", S, "MD1006"),
  "InvalidBadTimeInQuiet": ("channel sms { cost: 0.05 quiet: 25:00-08:00 }\n", {}, "MD1007"),
  "InvalidBadDuration": ("tag x = count(order, within: 99999999999999999999d)\n", S, "MD1008"),
  "InvalidBadPercent": (journey('journey j {\n  trigger: order\n  holdout: 150%\n  steps { send sms "a" }\n}\n'), S, "MD1009"),
  "InvalidMissingToken": ("tag x = (member_level + 1\ntag y = 2\n", S, "MD1010"),

  # ---------------------------------------------------------------- MD2xxx
  "InvalidUnknownNameDidYouMean": ("tag annual_spend = sum(order.amount, within: 365d)\ntag big = anual_spend > 5000\n", S, "MD2001"),
  "InvalidDuplicateAcrossKinds": ("tag vip = member_level > 3\nsegment vip = member_level > 5\n", S, "MD2002"),
  "InvalidDuplicateProfileFieldName": ("tag city = 1\n", S, "MD2002"),
  "InvalidUnknownEvent": ("tag x = count(orders, within: 30d)\n", S, "MD2003"),
  "InvalidUnknownField": ("tag x = sum(order.amout, within: 30d)\n", S, "MD2004"),
  "InvalidUnknownFunction": ("tag x = dayz_since(registered_at)\n", S, "MD2005"),
  "InvalidUnknownNamedArgument": ("tag x = count(order, whithin: 30d)\n", S, "MD2006"),
  "InvalidUnknownChannelInSend": ('channel email { cost: 0.01 }\njourney j {\n  trigger: order\n  steps { send emial "welcome" }\n}\n', S, "MD2007"),
  "InvalidUnknownSegmentInTrigger": ('segment wake_up = member_level > 1\njourney j {\n  trigger: enters segment wakeup\n  steps { send sms "hi" }\n}\nchannel sms { cost: 0.05 }\n', S, "MD2008"),
  "InvalidUnknownTypeInSchema": (SCHEMA.replace("amount: decimal", "amount: money"), {}, "MD2009"),
  "InvalidProfileFieldInWhere": ('tag x = count(order, where: city == "Shanghai")\n', S, "MD2010"),
  "InvalidEventAsValue": ("tag x = order\n", S, "MD2011"),
  "InvalidUnknownModelMember": (MODELS.replace("churn_risk.probability", "churn_risk.probabilty"), ST, "MD2012"),
  "InvalidCycle": ("tag a = b + 1\ntag b = a + 1\n", S, "MD2013"),
  "InvalidSelfReference": ("tag a = a + 1\n", S, "MD2013"),
  "InvalidUnknownSetting": ('settings { timezon: "UTC" }\n', {}, "MD2014"),
  "InvalidTimeZoneFolder": ('settings { timezone: "Asia/" }\n', {}, "MD4010"),
  "InvalidUnknownChannelProperty": (journey('journey j {\n  trigger: order\n  steps { send sms "a" }\n}\n', 'channel sms { costs: 0.05 }\n'), S, "MD2014"),
  "InvalidReservedEventFieldUserId": (SCHEMA.replace("order_id: string unique", "order_id: string unique\n    user_id: string"), {}, "MD2015"),
  "InvalidReservedEventFieldTs": (SCHEMA.replace("event login    { platform: string }", "event login    { platform: string, ts: datetime }"), {}, "MD2015"),
  "InvalidModelWithoutOutput": (MODELS.replace("tag churn_prob = churn_risk.probability", "tag churn_prob = churn_risk"), ST, "MD2016"),

  # ---------------------------------------------------------------- MD3xxx
  "InvalidCompareDecimalWithString": ('tag x = sum(order.amount, within: 365d) > "5000"\n', S, "MD3001"),
  "InvalidCaseBranchTypes": ('tag x = case when member_level > 2 then 1 else "low" end\n', S, "MD3001"),
  "InvalidSegmentNotBool": ("segment s = count(order, within: 30d)\n", S, "MD3002"),
  "InvalidStringPlusInt": ('tag x = "a" + 1\n', S, "MD3003"),
  "InvalidSumOfString": ("tag x = sum(order.category, within: 30d)\n", S, "MD3003"),
  "InvalidArgumentCount": ("tag x = days_since(registered_at, now())\n", S, "MD3004"),
  "InvalidAggregateArgumentCount": ("tag x = top(order.category, within: 30d)\n", S, "MD3004"),
  "InvalidArgumentType": ("tag x = lower(member_level)\n", S, "MD3005"),
  "InvalidAggregateTarget": ("tag x = sum(order, within: 30d)\n", S, "MD3006"),
  "InvalidNextWindowInTag": ("tag x = exists(login, within: next 90d)\n", S, "MD3007"),
  "InvalidTopNonLiteralK": ("tag x = top(order.category, member_level, within: 30d)\n", S, "MD3008"),
  "InvalidMinOfBool": ("tag x = min(order.coupon_used)\n", S, "MD3009"),
  "InvalidInNotList": ('tag x = city in "Shanghai"\n', S, "MD3010"),
  "InvalidNestedAggregateInWhere": ("tag x = count(order, where: count(view) > 1, within: 30d)\n", S, "MD3011"),
  "InvalidQuantileScoreInJourneyAudience": (journey('journey j {\n  trigger: order\n  audience: quantile_score(member_level, 5) > 3\n  steps { send sms "a" }\n}\n'), S, "MD3012"),
  "InvalidPositionalAfterNamed": ("tag x = count(within: 30d, order)\n", S, "MD3013"),
  "InvalidDuplicateNamedArgument": ("tag x = count(order, within: 30d, within: 7d)\n", S, "MD3014"),
  "InvalidZeroWindow": ("tag x = count(order, within: 0d)\n", S, "MD3015"),
  "InvalidComparisonWithNull": ("tag x = birthday == null\n", S, "MD3016"),

  # ---------------------------------------------------------------- MD4xxx
  "InvalidSegmentationMissingElse": ("segmentation groups {\n  vip when member_level > 3\n  rest when member_level <= 3\n}\n", S, "MD4001"),
  "InvalidRuleAfterElse": ("segmentation groups {\n  vip when member_level > 3\n  else others\n  late when member_level > 1\n}\n", S, "MD4002"),
  "InvalidUnreachableAfterWhenTrue": ("segmentation groups {\n  everyone when true\n  vip when member_level > 3\n  else others\n}\n", S, "MD4003"),
  "InvalidDuplicateGroupName": ("segmentation groups {\n  vip when member_level > 3\n  vip when member_level > 1\n  else others\n}\n", S, "MD4004"),
  "InvalidSplitShares90": (journey('journey j {\n  trigger: order\n  steps {\n    split "t" {\n      50%: send sms "a"\n      40%: send sms "b"\n    }\n  }\n}\n'), S, "MD4005"),
  "InvalidStepAfterExit": (journey('journey j {\n  trigger: order\n  steps {\n    send sms "a"\n    exit\n    send sms "b"\n  }\n}\n'), S, "MD4006"),
  "InvalidDeadStepUnknownChannel": (journey('journey j {\n  trigger: order\n  steps {\n    send sms "a"\n    exit\n    send emial "b"\n  }\n}\n'), S, "MD2007"),
  "InvalidJourneyMissingTrigger": (journey('journey j {\n  audience: member_level > 1\n  steps { send sms "a" }\n}\n'), S, "MD4007"),
  "InvalidDuplicateProperty": (journey('journey j {\n  trigger: order\n  audience: member_level > 1\n  audience: member_level > 2\n  steps { send sms "a" }\n}\n'), S, "MD4008"),
  "InvalidModelStringFeature": ("model m {\n  predict: not exists(login, within: next 90d)\n  features: city, member_level\n}\ntag p = m.probability\n", S, "MD4009"),
  "InvalidBadAlgorithm": ("model m {\n  predict: not exists(login, within: next 90d)\n  features: member_level\n  algorithm: xgboost\n}\ntag p = m.probability\n", S, "MD4010"),
  "InvalidSchemaTwoKeys": (SCHEMA.replace("gender: string", "gender: string key"), {}, "MD4011"),
  "InvalidSchemaUniqueOnProfile": (SCHEMA.replace("city: string", "city: string unique"), {}, "MD4011"),
  "InvalidTestWithoutExpect": ('test "nothing expected" {\n  given profile { user_id: "u1" }\n  as of 2025-06-01T00:00:00Z\n}\n', S, "MD4012"),
  "InvalidEmptyIfBlock": (journey('journey j {\n  trigger: order\n  steps {\n    if member_level > 1 { }\n    send sms "a"\n  }\n}\n'), S, "MD4013"),
  "InvalidModelLabelNotForward": ("model m {\n  predict: not exists(login, within: 90d)\n  features: member_level\n}\ntag p = m.probability\n", S, "MD4014"),

  # ---------------------------------------------------------------- MD5xxx
  "InvalidUnusedChannel": ('channel sms { cost: 0.05 }\nchannel email { cost: 0.01 }\njourney j {\n  trigger: order\n  steps { send sms "a" }\n}\n', S, "MD5001"),
  "InvalidUnusedModel": ("model m {\n  predict: not exists(login, within: next 90d)\n  features: member_level\n}\n", S, "MD5002"),
  "InvalidDuplicateIdentityKey": (SCHEMA.replace("identity { member_id, open_id, phone }", "identity { member_id, open_id, phone, open_id }"), {}, "MD5003"),
  "InvalidJourneyWithoutSteps": ("journey j {\n  trigger: order\n}\n", S, "MD5004"),
}

only = set(sys.argv[1:])
for name, (main, extra, code) in cases.items():
    if only and name not in only: continue
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "main.mdsl"), "w", encoding="utf-8", newline="\n") as f: f.write(main)
    for fn, text in extra.items():
        with open(os.path.join(d, fn), "w", encoding="utf-8", newline="\n") as f: f.write(text)
    # `code` is the intended first diagnostic; expect.txt (code and span) is reviewed by hand.
    exp = os.path.join(d, "expect.txt")
    if code and os.path.exists(exp) and not open(exp).read().startswith(code + " "):
        print(f"{name}: expect.txt does not start with the intended {code}")
print(len(cases), "cases")
