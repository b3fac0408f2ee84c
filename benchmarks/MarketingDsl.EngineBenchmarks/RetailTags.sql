-- The tags of tests/conformance/retail-core/workspace written by hand as DuckDB SQL, with the
-- semantics of tests/conformance/README.md. Placeholders (substituted by DuckDbTags.cs):
-- {profiles}, {events}, {out} (quoted SQL string literals) and {as_of_us} (UTC microseconds since
-- the epoch, or NULL for "the latest kept event").
-- Two phases, timed separately: everything before the @compute marker line loads the JSON into
-- tables; the rest computes the tags and writes tags.csv.

-- Insertion order must be kept: rowid of the loaded tables is the line in the file, which the
-- order_id de-duplication (first row in file order wins) relies on.
SET preserve_insertion_order = true;

CREATE TABLE profiles_raw AS
SELECT user_id, child_birthday, epoch_us(registered_at) AS registered_us
FROM read_json({profiles}, format = 'newline_delimited', columns = {
    user_id: 'VARCHAR', gender: 'VARCHAR', birthday: 'DATE', city: 'VARCHAR',
    member_level: 'BIGINT', registered_at: 'TIMESTAMPTZ', child_birthday: 'DATE'});

CREATE TABLE events AS
SELECT type, user_id, epoch_us(ts) AS ts_us, order_id, amount, category, coupon_used
FROM read_json({events}, format = 'newline_delimited', columns = {
    type: 'VARCHAR', user_id: 'VARCHAR', ts: 'TIMESTAMPTZ',
    order_id: 'VARCHAR', channel: 'VARCHAR', amount: 'DECIMAL(18,2)', category: 'VARCHAR',
    sku: 'VARCHAR', coupon_used: 'BOOLEAN', duration_s: 'BIGINT', price: 'DECIMAL(18,2)',
    platform: 'VARCHAR', journey: 'VARCHAR'});

-- @compute

-- floor division on BIGINT (DuckDB's // truncates toward zero).
CREATE TEMP MACRO floor_div(a, b) AS CASE WHEN a >= 0 THEN a // b ELSE -((-a + b - 1) // b) END;
CREATE TEMP MACRO is_leap(y) AS (y % 4 = 0 AND y % 100 <> 0) OR y % 400 = 0;
-- a + n years; Feb 29 clamps to Feb 28 in a common year.
CREATE TEMP MACRO add_years(a, n) AS make_date(year(a) + n, month(a),
    CASE WHEN month(a) = 2 AND day(a) = 29 AND NOT is_leap(year(a) + n) THEN 28 ELSE day(a) END);
-- Whole years from a to b by adding years to a, truncated toward zero (README rule 5).
CREATE TEMP MACRO years_between(a, b) AS year(b) - year(a) - CASE
    WHEN year(b) > year(a) AND add_years(a, year(b) - year(a)) > b THEN 1
    WHEN year(b) < year(a) AND add_years(a, year(b) - year(a)) < b THEN -1
    ELSE 0 END;
CREATE TEMP MACRO day_us() AS 86400000000::BIGINT;

-- A duplicate profile id: the first row wins.
CREATE TEMP TABLE profiles AS
SELECT user_id, child_birthday, registered_us FROM profiles_raw
QUALIFY row_number() OVER (PARTITION BY user_id ORDER BY rowid) = 1;

-- order_id is unique: the first order row in file order wins, over the whole file and before
-- the as-of filter; a null id is one id (GROUP BY groups nulls).
CREATE TEMP TABLE kept_order_rows AS
SELECT min(rowid) AS line FROM events WHERE type = 'order' GROUP BY order_id;

-- T: the given instant, else the latest ts among kept rows (all types and unknown users).
CREATE TEMP TABLE as_of AS
SELECT t_us, CAST(make_timestamp(t_us) AS DATE) AS t_date
FROM (SELECT coalesce({as_of_us}, (
    SELECT max(ts_us) FROM events e
    WHERE e.type IS DISTINCT FROM 'order' OR e.rowid IN (SELECT line FROM kept_order_rows))) AS t_us);

COPY (
WITH
orders AS (
    SELECT e.user_id, e.ts_us, e.amount, e.category, e.coupon_used
    FROM events e, as_of
    WHERE e.type = 'order' AND e.ts_us <= as_of.t_us
      AND e.rowid IN (SELECT line FROM kept_order_rows)),
order_tags AS (
    SELECT o.user_id,
        sum(o.amount) FILTER (WHERE o.ts_us > t_us - 365 * day_us()) AS annual_spend,
        count(*) FILTER (WHERE o.ts_us > t_us - 30 * day_us()) AS orders_30d,
        count(*) FILTER (WHERE o.ts_us > t_us - 90 * day_us()) AS orders_90d,
        count(*) FILTER (WHERE o.ts_us > t_us - 365 * day_us()) AS orders_365d,
        count(*) FILTER (WHERE o.coupon_used AND o.ts_us > t_us - 365 * day_us()) AS coupon_orders_365d,
        count(*) FILTER (WHERE o.category IN ('formula', 'diapers') AND o.ts_us > t_us - 180 * day_us()) > 0 AS mom_baby_order_180d,
        max(o.ts_us) AS last_order_us
    FROM orders o, as_of GROUP BY o.user_id),
-- top(order.category, 3, within: 180d): count descending, then code point order (DuckDB
-- compares VARCHAR by UTF-8 bytes, which is code point order); nulls skipped.
category_counts AS (
    SELECT o.user_id, o.category, count(*) AS n
    FROM orders o, as_of
    WHERE o.ts_us > t_us - 180 * day_us() AND o.category IS NOT NULL
    GROUP BY o.user_id, o.category),
fav AS (
    SELECT user_id, list(category ORDER BY n DESC, category) AS fav_categories
    FROM (SELECT * FROM category_counts QUALIFY row_number() OVER (PARTITION BY user_id ORDER BY n DESC, category) <= 3)
    GROUP BY user_id),
login_tags AS (
    SELECT e.user_id, max(e.ts_us) AS last_login_us,
        count(*) FILTER (WHERE e.ts_us > t_us - 30 * day_us()) > 0 AS login_30d
    FROM events e, as_of
    WHERE e.type = 'login' AND e.ts_us <= t_us GROUP BY e.user_id),
view_tags AS (
    SELECT e.user_id, true AS cooling_need
    FROM events e, as_of
    WHERE e.type = 'view' AND e.ts_us <= t_us AND e.ts_us > t_us - 14 * day_us()
      AND e.category IN ('air_conditioner', 'fan')
    GROUP BY e.user_id),
-- One row per profile; events of unknown users (orphans) drop out of these left joins.
base AS (
    SELECT p.user_id, p.child_birthday, p.registered_us,
        coalesce(o.annual_spend, 0) AS annual_spend,
        coalesce(o.orders_30d, 0) AS orders_30d,
        coalesce(o.orders_90d, 0) AS orders_90d,
        coalesce(o.orders_365d, 0) AS orders_365d,
        coalesce(o.coupon_orders_365d, 0) AS coupon_orders_365d,
        coalesce(o.mom_baby_order_180d, false) AS mom_baby_order_180d,
        floor_div(a.t_us - o.last_order_us, day_us()) AS recency_days,
        floor_div(a.t_us - l.last_login_us, day_us()) AS last_login_days,
        coalesce(l.login_30d, false) AS login_30d,
        coalesce(v.cooling_need, false) AS cooling_need,
        f.fav_categories,
        a.t_us, a.t_date
    FROM profiles p CROSS JOIN as_of a
    LEFT JOIN order_tags o USING (user_id)
    LEFT JOIN login_tags l USING (user_id)
    LEFT JOIN view_tags v USING (user_id)
    LEFT JOIN fav f USING (user_id)),
tags AS (
    SELECT *,
        annual_spend > 5000 AS high_value,
        login_30d AND orders_30d = 0 AS potential,
        coalesce(last_login_days >= 90, false) OR last_login_days IS NULL AS churned,
        mom_baby_order_180d AND coalesce(years_between(child_birthday, t_date) < 3, false) AS mom_baby,
        -- coupon_ratio is exact: kept as the fraction coupon_orders_365d / orders_365d.
        CASE WHEN orders_365d > 0 THEN (20000 * coupon_orders_365d + orders_365d) // (2 * orders_365d) END AS coupon_ratio_e4,
        CASE WHEN annual_spend > 5000 THEN 'high' WHEN annual_spend > 1000 THEN 'mid' ELSE 'low' END AS value_tier,
        floor_div(t_us - registered_us, day_us()) AS days_since_registered
    FROM base),
-- quantile_score(x, 5) = min(5, 1 + floor(5 · L / N)): L values strictly below (above when
-- descending) among the N non-null values; rank() − 1 is exactly L.
scored AS (
    SELECT *,
        CASE WHEN recency_days IS NOT NULL THEN least(5, 1 + 5 * (rank() OVER (ORDER BY recency_days DESC) - 1)
            // count(recency_days) OVER ()) END AS r_score,
        least(5, 1 + 5 * (rank() OVER (ORDER BY orders_365d) - 1) // count(*) OVER ()) AS f_score,
        least(5, 1 + 5 * (rank() OVER (ORDER BY annual_spend) - 1) // count(*) OVER ()) AS m_score
    FROM tags)
SELECT user_id,
    CAST(annual_spend AS DECIMAL(38, 4)) AS annual_spend,
    orders_30d, orders_90d, orders_365d, recency_days, last_login_days,
    array_to_string(fav_categories, '|') AS fav_categories,
    high_value, potential, churned, cooling_need, mom_baby,
    printf('%d.%04d', coupon_ratio_e4 // 10000, coupon_ratio_e4 % 10000) AS coupon_ratio,
    r_score, f_score, m_score, value_tier,
    high_value AND orders_365d >= 2 AS vip_repeat,
    coalesce(last_login_days BETWEEN 30 AND 89, false) AS wake_up,
    CASE
        WHEN high_value AND orders_365d >= 2 THEN 'high_value_repeat'
        WHEN last_login_days BETWEEN 30 AND 89 THEN 'about_to_churn'
        WHEN orders_365d > 0 AND 2 * coupon_orders_365d >= orders_365d THEN 'price_sensitive'
        WHEN mom_baby THEN 'mom_baby_group'
        WHEN list_contains(fav_categories, 'appliance') THEN 'appliance_group'
        WHEN orders_365d <= 1 AND days_since_registered <= 90 THEN 'potential_new'
        WHEN churned THEN 'churned_group'
        ELSE 'others'
    END AS core_groups
FROM scored
ORDER BY user_id
) TO {out} (FORMAT csv, HEADER true);
