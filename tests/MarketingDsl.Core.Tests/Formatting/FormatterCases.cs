namespace MarketingDsl.Core.Tests.Formatting;

/// <summary>Golden formatter cases: messy input and the exact canonical output (generated once, reviewed by hand).</summary>
public static class FormatterCases
{
    public static readonly IReadOnlyList<(string Name, string Input, string Expected)> Golden =
    [
        ("schema",
        """
        schema{
            profile{user_id:string key,
          tags : list < string >?   ,birthday: date?,}


          identity{member_id,open_id ,phone,}
          identity {
          a,
          b, }
          event order{
          order_id:string unique,
          amount :decimal
          }
          event view{sku:string category:string,duration_s:int,}
          event empty {}
        }
        """ + "\n",
        """
        schema {
          profile {
            user_id: string key
            tags: list<string>?
            birthday: date?
          }

          identity { member_id, open_id, phone }
          identity {
            a,
            b
          }
          event order {
            order_id: string unique
            amount: decimal
          }
          event view { sku: string, category: string, duration_s: int }
          event empty {}
        }
        """ + "\n"),
        ("settings",
        """
        settings{timezone:"Asia/Shanghai",}
        """ + "\n",
        """
        settings {
          timezone: "Asia/Shanghai"
        }
        """ + "\n"),
        ("tags",
        """
        /// Spend over the last 12 months
        tag annual_spend "年消费额"=sum( order.amount ,within:365d)
        tag   orders_365d   =count(order,within:365d)
        tag fav=top(order.category,3,within:180d)
        tag neg = - annual_spend + -3 * ( 2 - 1 )
        tag flags = [ "a" , "b" ,]
        tag c = count(order, where: category in ["formula", "diapers"] and not coupon_used, within: 30d 12h)
        tag w = exists(order, where: ts > 2025-06-01T10:00:00Z and birthday < 2000-01-01)
        tag q = birthday is not null and city ?? "x" != "y" and member_level not between 1 and 3
        tag churn_prob = churn_risk.probability
        tag mom_baby "母婴刚需" = exists(order, where: category in ["formula", "diapers"], within: 180d)
                                and years_between(child_birthday, now()) < 3
        tag value_tier = case when annual_spend > 5000 then "high"
                              when annual_spend > 1000 then "mid"
                              else "low" end
        tag nested = coalesce(
              round(annual_spend / 12,
                    2),
              0
            )
        """ + "\n",
        """
        /// Spend over the last 12 months
        tag annual_spend "年消费额" = sum(order.amount, within: 365d)
        tag orders_365d = count(order, within: 365d)
        tag fav = top(order.category, 3, within: 180d)
        tag neg = -annual_spend + -3 * (2 - 1)
        tag flags = ["a", "b"]
        tag c = count(order, where: category in ["formula", "diapers"] and not coupon_used, within: 30d 12h)
        tag w = exists(order, where: ts > 2025-06-01T10:00:00Z and birthday < 2000-01-01)
        tag q = birthday is not null and city ?? "x" != "y" and member_level not between 1 and 3
        tag churn_prob = churn_risk.probability
        tag mom_baby "母婴刚需" = exists(order, where: category in ["formula", "diapers"], within: 180d)
          and years_between(child_birthday, now()) < 3
        tag value_tier = case when annual_spend > 5000 then "high"
          when annual_spend > 1000 then "mid"
          else "low" end
        tag nested = coalesce(
          round(annual_spend / 12,
            2),
          0
        )
        """ + "\n"),
        ("segment",
        """
        segment vip_repeat "高价值复购"=high_value and orders_365d>=2
        segment wake_up "待唤醒" =last_login_days between 30 and 89
        """ + "\n",
        """
        segment vip_repeat "高价值复购" = high_value and orders_365d >= 2
        segment wake_up "待唤醒" = last_login_days between 30 and 89
        """ + "\n"),
        ("segmentation",
        """
        segmentation core_groups "八大核心客群" { high_value_repeat "高价值复购用户" when high_value and orders_365d >= 2
          about_to_churn    "即将流失用户"   when last_login_days between 30 and 89

          else others       "其他" }
        """ + "\n",
        """
        segmentation core_groups "八大核心客群" {
          high_value_repeat "高价值复购用户" when high_value and orders_365d >= 2
          about_to_churn "即将流失用户" when last_login_days between 30 and 89

          else others "其他"
        }
        """ + "\n"),
        ("model",
        """
        model churn_risk "流失风险" { predict: not exists(login, within: next 90d)
          features: recency_days, orders_365d,
                    annual_spend
          algorithm: fasttree }
        clusters value_clusters { features: r_score, f_score, m_score  k: 8 }
        """ + "\n",
        """
        model churn_risk "流失风险" {
          predict: not exists(login, within: next 90d)
          features: recency_days, orders_365d,
            annual_spend
          algorithm: fasttree
        }

        clusters value_clusters {
          features: r_score, f_score, m_score
          k: 8
        }
        """ + "\n"),
        ("channel",
        """
        channel sms      { cost: 0.05  cap: 2 per 7d  quiet: 22:00 - 08:00 }
        channel app_push "推送" { cost: 0.001 cap: 3 per 1d }
        channel wechat   { cost: 0.01 }
        """ + "\n",
        """
        channel sms {
          cost: 0.05
          cap: 2 per 7d
          quiet: 22:00-08:00
        }

        channel app_push "推送" {
          cost: 0.001
          cap: 3 per 1d
        }

        channel wechat {
          cost: 0.01
        }
        """ + "\n"),
        ("journey",
        """
        journey cart_recovery "加购未支付提醒" { trigger: cart_add where price > 100
          audience: not churned  reentry: once per 7d
          goal: order where amount > 0 within 2d
          holdout: 10%
          steps { wait 30m until order where amount > 1
            send app_push "cart_reminder" offer "coupon_5_off"
            wait 1d
            if high_value { send sms "vip" } else if potential { send sms "p" }
            else { split "copy_test" winner after 3d {
                50%: send wechat "reminder_a"
                50%: { send wechat "reminder_b"  wait 1d  exit }
              }
            }
            exit
          }
        }
        journey daily { trigger: every day at 10:00 reentry: always steps { send sms "d" } }
        journey weekly { trigger: every 7d }
        journey enter { trigger: enters segment wake_up }
        journey leave { trigger: leaves segment wake_up
          steps {} }
        """ + "\n",
        """
        journey cart_recovery "加购未支付提醒" {
          trigger: cart_add where price > 100
          audience: not churned
          reentry: once per 7d
          goal: order where amount > 0 within 2d
          holdout: 10%
          steps {
            wait 30m until order where amount > 1
            send app_push "cart_reminder" offer "coupon_5_off"
            wait 1d
            if high_value {
              send sms "vip"
            } else if potential {
              send sms "p"
            } else {
              split "copy_test" winner after 3d {
                50%: send wechat "reminder_a"
                50%: {
                  send wechat "reminder_b"
                  wait 1d
                  exit
                }
              }
            }
            exit
          }
        }

        journey daily {
          trigger: every day at 10:00
          reentry: always
          steps {
            send sms "d"
          }
        }

        journey weekly {
          trigger: every 7d
        }

        journey enter {
          trigger: enters segment wake_up
        }

        journey leave {
          trigger: leaves segment wake_up
          steps {}
        }
        """ + "\n"),
        ("test",
        """
        test "big spender is high value"{given profile{user_id:"u1",birthday:1990-01-01,}
          given order {
            user_id: "u1", ts: 2025-05-01T10:00:00Z,
            amount: 6000, category: "tv"
          }
          as of 2025-06-01T00:00:00Z
          expect high_value==true
          expect core_groups == "high_value_repeat"}
        test "empty" {}
        """ + "\n",
        """
        test "big spender is high value" {
          given profile { user_id: "u1", birthday: 1990-01-01 }
          given order {
            user_id: "u1",
            ts: 2025-05-01T10:00:00Z,
            amount: 6000,
            category: "tv"
          }
          as of 2025-06-01T00:00:00Z
          expect high_value == true
          expect core_groups == "high_value_repeat"
        }

        test "empty" {}
        """ + "\n"),
        ("comments",
        """
        // File header.
        /* A block
           comment over two lines. */

        /// Doc of a.

        /// Second doc line of a.
        tag a = 1   // trailing on a tag
        // Above b, directly.
        tag b = a + /* inline */ 2
        tag c = a and // trailing inside an expression
          b > 1
        schema { // after the brace
          // first in the block
          profile {
            user_id: string key // key field
            // own line between fields
            city: string /* block at end */

            // before the closing brace
          }
          event order { amount: decimal } // after a one-line event
        }
        // between declarations
        journey j {
          trigger: order
          steps {
            if a { send sms "x" } // after the then block
            // before else
            else { exit }
          }
        }
        // last comment
        """ + "\n",
        """
        // File header.
        /* A block
           comment over two lines. */

        /// Doc of a.
        /// Second doc line of a.
        tag a = 1  // trailing on a tag
        // Above b, directly.
        tag b = a + /* inline */ 2
        tag c = a and  // trailing inside an expression
          b > 1

        schema {  // after the brace
          // first in the block
          profile {
            user_id: string key  // key field
            // own line between fields
            city: string /* block at end */

            // before the closing brace
          }
          event order { amount: decimal }  // after a one-line event
        }

        // between declarations
        journey j {
          trigger: order
          steps {
            if a {
              send sms "x"
            }  // after the then block
            // before else
            else {
              exit
            }
          }
        }
        // last comment
        """ + "\n"),
        ("blanks",
        """



        tag a = 1
        tag b = 2


        tag c = 3



        segment s = a > 1
        schema { profile { user_id: string key } }
        tag d = 4
        channel sms {

          cost: 0.05


          cap: 2 per 7d

        }
        tag e = 5
        """ + "\n",
        """
        tag a = 1
        tag b = 2

        tag c = 3

        segment s = a > 1

        schema {
          profile { user_id: string key }
        }

        tag d = 4

        channel sms {
          cost: 0.05

          cap: 2 per 7d
        }

        tag e = 5
        """ + "\n"),
        ("unicode",
        """
        tag 高价值用户 "高价值用户 ✨" = 年消费额 > 5000
        tag 年消费额="年\"消费\"额 \u00e9"=="x"
        segment café "Café 😀" = 高价值用户 and contains(city, "北京")
        """ + "\n",
        """
        tag 高价值用户 "高价值用户 ✨" = 年消费额 > 5000
        tag 年消费额 = "年\"消费\"额 \u00e9" == "x"
        segment café "Café 😀" = 高价值用户 and contains(city, "北京")
        """ + "\n"),
        ("crlf",
        "tag a = 1\r\ntag b =\r\n  a + 1\r\n/* x\r\n y */\r\n",
        """
        tag a = 1
        tag b =
          a + 1
        /* x
         y */
        """ + "\n"),
        ("empty",
        "",
        ""),
        ("onlycomment",
        """
        // only a comment
        """,
        """
        // only a comment
        """ + "\n"),
        ("retail_workspace",
        """
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
          identity { member_id, open_id, phone }        // optional string fields on any profile or event
                                                        // row; rows sharing a value are one person

          event order {                                   // every event also has user_id and ts: datetime
            order_id: string unique                       // duplicate ids are dropped on import, counted
            channel: string                               // pos, app, miniapp, tmall, jd ...
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

        model churn_risk {
          predict: not exists(login, within: next 90d)        // label looks forward from the cutoff
          features: recency_days, orders_365d, annual_spend, last_login_days, coupon_ratio
          algorithm: fasttree                                 // fasttree | lightgbm | logistic
        }
        clusters value_clusters { features: r_score, f_score, m_score  k: 8 }   // k-means++
        tag churn_prob = churn_risk.probability
        tag value_cluster = value_clusters.cluster

        channel sms      { cost: 0.05  cap: 2 per 7d  quiet: 22:00-08:00 }
        channel app_push { cost: 0.001 cap: 3 per 1d }
        channel wechat   { cost: 0.01 }

        journey cart_recovery "加购未支付提醒" {
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

        test "big spender is high value" {
          given profile { user_id: "u1", birthday: 1990-01-01 }
          given order { user_id: "u1", ts: 2025-05-01T10:00:00Z, amount: 6000, category: "tv" }
          as of 2025-06-01T00:00:00Z
          expect high_value == true
          expect core_groups == "high_value_repeat"    // fails: only one order
        }
        """ + "\n",
        """
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
          identity { member_id, open_id, phone }  // optional string fields on any profile or event
          // row; rows sharing a value are one person

          event order {  // every event also has user_id and ts: datetime
            order_id: string unique  // duplicate ids are dropped on import, counted
            channel: string  // pos, app, miniapp, tmall, jd ...
            amount: decimal
            category: string
            sku: string
            coupon_used: bool
          }
          event view { sku: string, category: string, duration_s: int }
          event cart_add { sku: string, category: string, price: decimal }
          event login { platform: string }
          event message_opened { journey: string, channel: string }
        }

        /// Spend over the last 12 months
        tag annual_spend "年消费额" = sum(order.amount, within: 365d)
        tag orders_30d = count(order, within: 30d)
        tag orders_90d = count(order, within: 90d)
        tag orders_365d = count(order, within: 365d)
        tag recency_days = days_since(last(order.ts))
        tag last_login_days = days_since(last(login.ts))
        tag fav_categories = top(order.category, 3, within: 180d)
        tag high_value "高价值用户" = annual_spend > 5000
        tag potential "潜力用户" = exists(login, within: 30d) and orders_30d == 0
        tag churned "流失用户" = last_login_days >= 90 or last_login_days is null
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

        segment vip_repeat "高价值复购" = high_value and orders_365d >= 2
        segment wake_up "待唤醒" = last_login_days between 30 and 89

        /// 8 core groups: each user is in exactly one, the first rule that matches
        segmentation core_groups "八大核心客群" {
          high_value_repeat "高价值复购用户" when high_value and orders_365d >= 2
          about_to_churn "即将流失用户" when last_login_days between 30 and 89
          price_sensitive "价格敏感用户" when coupon_ratio >= 0.5
          mom_baby_group "母婴用户" when mom_baby
          appliance_group "家电用户" when "appliance" in fav_categories
          potential_new "潜力新客" when orders_365d <= 1 and days_since(registered_at) <= 90
          churned_group "流失用户" when churned
          else others "其他"
        }

        model churn_risk {
          predict: not exists(login, within: next 90d)  // label looks forward from the cutoff
          features: recency_days, orders_365d, annual_spend, last_login_days, coupon_ratio
          algorithm: fasttree  // fasttree | lightgbm | logistic
        }

        clusters value_clusters {
          features: r_score, f_score, m_score
          k: 8
        }  // k-means++

        tag churn_prob = churn_risk.probability
        tag value_cluster = value_clusters.cluster

        channel sms {
          cost: 0.05
          cap: 2 per 7d
          quiet: 22:00-08:00
        }

        channel app_push {
          cost: 0.001
          cap: 3 per 1d
        }

        channel wechat {
          cost: 0.01
        }

        journey cart_recovery "加购未支付提醒" {
          trigger: cart_add  // or: cart_add where price > 100 | every day at 10:00
          //   | enters segment wake_up
          audience: not churned
          reentry: once per 7d
          goal: order within 2d  // conversion
          holdout: 10%  // control group, deterministic by user
          steps {
            wait 30m until order  // an order ends the wait and the journey (goal met)
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

        test "big spender is high value" {
          given profile { user_id: "u1", birthday: 1990-01-01 }
          given order { user_id: "u1", ts: 2025-05-01T10:00:00Z, amount: 6000, category: "tv" }
          as of 2025-06-01T00:00:00Z
          expect high_value == true
          expect core_groups == "high_value_repeat"  // fails: only one order
        }
        """ + "\n"),
        ("comment_edges",
        """
        /* start */ tag /* c1 */ a /* c2 */ = /* c3 */ 1 /* c4 */
        tag b = x and
          // why
          y and // t1
          // t2

          z
        tag c = f(
          // first arg
          a, /* second */ b
          // before close
        )
        schema {
          event v { a: int /* c */ }
          identity { // keys
            member_id, // m
            phone // p
          }
          profile
          // odd
          { user_id: string key }
        }
        journey j
        // own line before brace
        {
          trigger: order
          steps {
            if a { exit } // t
            // c
            else if b { exit }
            /* block */ else { exit }
            split {
              50%: // after colon
                send sms "a"
              50%:
                send sms "b"
            }
          }
        }
        tag d = 1 /// trailing doc
        tag e = 2
        test "x" { given profile {} given order { /* c */ } expect a }
        /* end */
        """ + "\n",
        """
        /* start */
        tag /* c1 */ a /* c2 */ = /* c3 */ 1 /* c4 */
        tag b = x and
          // why
          y and  // t1
          // t2
          z
        tag c = f(
          // first arg
          a, /* second */ b
          // before close
        )

        schema {
          event v {
            a: int /* c */
          }
          identity {  // keys
            member_id,  // m
            phone  // p
          }
          profile
          // odd
          { user_id: string key }
        }

        journey j
        // own line before brace
        {
          trigger: order
          steps {
            if a {
              exit
            }  // t
            // c
            else if b {
              exit
            }
            /* block */ else {
              exit
            }
            split {
              50%:  // after colon
                send sms "a"
              50%: send sms "b"
            }
          }
        }

        tag d = 1  /// trailing doc
        tag e = 2

        test "x" {
          given profile {}
          given order { /* c */
          }
          expect a
        }
        /* end */
        """ + "\n"),
        ("signs",
        """
        tag a = - - 1
        tag b = - -1.5 + - 2
        tag c = -(- 1)
        tag d = 3 - - 1
        tag e = - - - x
        """ + "\n",
        """
        tag a = - -1
        tag b = - -1.5 + -2
        tag c = -(-1)
        tag d = 3 - -1
        tag e = - - -x
        """ + "\n"),
    ];
}
