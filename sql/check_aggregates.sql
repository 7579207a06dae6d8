--
-- Aggregate checks: min_between, max_between, sum_between, mean_between,
-- median_between, stdev_between, distinct_count_between,
-- distinct_ratio_between.  One value over the column's non-NULL values
-- against inclusive bounds (strict_min / strict_max exclude them); no value
-- (an empty table, a column of only NULLs) fails.  min/max/sum compare in
-- the aggregate's own type, mean/median/stdev/distinct ratio as numbers.
-- stdev is the sample standard deviation; the median of an even count is
-- the mean of the two middle values.  All in the shared scan (scans = 0);
-- the exact states of distinct values and the median take one pass of their
-- own (scans = 1) past dtecert.exact_mem.
--
CREATE SCHEMA check_aggregates;
SET search_path = check_aggregates, public;
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';


-- x: 2 4 4 4 5 5 7 9 and two NULLs.  min 2, max 9, sum 40, mean 5, median
-- (4 + 5) / 2 = 4.5, sample stdev sqrt(32 / 7) = 2.138... (the population
-- one is exactly 2), 5 distinct values of 8: ratio 0.625.  nothing: NULLs.
CREATE TABLE m (id integer PRIMARY KEY, x integer, nothing integer);
INSERT INTO m VALUES (1, 2, NULL), (2, 4, NULL), (3, 4, NULL), (4, 4, NULL),
    (5, 5, NULL), (6, 5, NULL), (7, 7, NULL), (8, 9, NULL), (9, NULL, NULL),
    (10, NULL, NULL);
SELECT count(x) AS values, min(x), max(x), sum(x), avg(x),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY x) AS median,
       stddev_samp(x), stddev_pop(x), count(DISTINCT x) AS distinct,
       count(DISTINCT x)::numeric / count(x) AS ratio
  FROM m;

-- Every kind, at its bound (passes: bounds are inclusive) and past it.
SELECT dtecert.set_policy('m', $$
checks:
  - min_between: {column: x, min: 2}
  - min_between: {column: x, name: min_strict, min: 2, strict_min: true}
  - min_between: {column: x, name: min_at_most_1, max: 1}
  - max_between: {column: x, max: 9}
  - max_between: {column: x, name: max_strict, min: 1, max: 9, strict_max: true}
  - max_between: {column: x, name: max_at_least_10, min: 10}
  - sum_between: {column: x, min: 40, max: 40}
  - sum_between: {column: x, name: sum_strict, max: 40, strict_max: true}
  - sum_between: {column: x, name: sum_at_least_41, min: 41}
  - mean_between: {column: x, min: 5, max: 5}
  - mean_between: {column: x, name: mean_strict, min: 5, strict_min: true}
  - mean_between: {column: x, name: mean_above_5, min: 5.0001}
  - stdev_between: {column: x, min: 2.138, max: 2.139}
  - stdev_between: {column: x, name: stdev_at_most_2, max: 2}
  - stdev_between: {column: x, name: stdev_tight, min: 2.1380899352, max: 2.1380899353, strict_max: true}
  - distinct_count_between: {column: x, min: 5, max: 5}
  - distinct_count_between: {column: x, name: distinct_strict, max: 5, strict_max: true}
  - distinct_count_between: {column: x, name: distinct_at_least_6, min: 6}
  - distinct_ratio_between: {column: x, min: 0.625, max: 0.625}
  - distinct_ratio_between: {column: x, name: ratio_strict, min: 0.625, strict_min: true}
  - distinct_ratio_between: {column: x, name: ratio_at_most_0_62, max: 0.62}
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('m');
SELECT * FROM results('m');
SELECT * FROM documents('m')
 WHERE check_name IN ('min_between(x)', 'max_between(x)', 'sum_between(x)',
                      'mean_between(x)', 'stdev_between(x)', 'stdev_tight',
                      'distinct_count_between(x)', 'distinct_ratio_between(x)');

-- where: limits the rows.  id <= 4 leaves 2 4 4 4: min 2, max 4, sum 14,
-- mean 3.5, stdev 1, 2 distinct of 4.  A filter that leaves no value fails.
SELECT min(x), max(x), sum(x), avg(x), stddev_samp(x),
       count(DISTINCT x) AS distinct, count(x) AS values
  FROM m WHERE id <= 4;
SELECT dtecert.set_policy('m', $$
checks:
  - min_between: {column: x, name: min_w, min: 2, max: 2, where: "id <= 4"}
  - max_between: {column: x, name: max_w, min: 4, max: 4, where: "id <= 4"}
  - sum_between: {column: x, name: sum_w, min: 14, max: 14, where: "id <= 4"}
  - mean_between: {column: x, name: mean_w, min: 3.5, max: 3.5, where: "id <= 4"}
  - stdev_between: {column: x, name: stdev_w, min: 1, max: 1, where: "id <= 4"}
  - distinct_count_between: {column: x, name: distinct_w, min: 2, max: 2, where: "id <= 4"}
  - distinct_ratio_between: {column: x, name: ratio_w, min: 0.5, max: 0.5, where: "id <= 4"}
  - max_between: {column: x, name: max_no_rows, max: 100, where: "id > 100"}
  - mean_between: {column: x, name: mean_only_nulls, min: 0, where: "x IS NULL"}
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('m');
SELECT * FROM results('m');
SELECT * FROM documents('m') WHERE check_name IN ('mean_w', 'ratio_w', 'max_no_rows');

-- One value: its stdev (a sample stdev of one value) is undefined, and fails;
-- the other aggregates have it.
SELECT stddev_samp(x) IS NULL AS stdev_undefined FROM m WHERE id = 1;
SELECT dtecert.set_policy('m', $$
checks:
  - stdev_between: {column: x, name: stdev_one, min: 0, where: "id = 1"}
  - mean_between: {column: x, name: mean_one, min: 2, max: 2, where: "id = 1"}
  - distinct_ratio_between: {column: x, name: ratio_one, min: 1, max: 1, where: "id = 1"}
$$);
SELECT status, checks_passed, checks_failed FROM dtecert.certify('m');
SELECT r.check_name, r.passed, r.element_count, d.observed
  FROM results('m') r JOIN documents('m') d USING (check_name)
 ORDER BY r.check_name;

-- A column of only NULLs has no value: every aggregate fails, observed null.
-- distinct_count is a count, and counts 0 distinct values (as GE's
-- count(DISTINCT) does); the ratio of 0 of 0 has no value.
SELECT dtecert.set_policy('m', $$
checks:
  - min_between: {column: nothing, min: 0}
  - max_between: {column: nothing, max: 0}
  - sum_between: {column: nothing, min: 0}
  - mean_between: {column: nothing, min: 0}
  - stdev_between: {column: nothing, min: 0}
  - distinct_count_between: {column: nothing, max: 10}
  - distinct_ratio_between: {column: nothing, min: 0}
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('m');
SELECT * FROM results('m');
SELECT * FROM documents('m');

-- An empty table: the same.
CREATE TABLE empty (id integer, x integer);
SELECT dtecert.set_policy('empty', $$
checks:
  - min_between: {column: x, min: 0}
  - max_between: {column: x, max: 0}
  - sum_between: {column: x, min: 0}
  - mean_between: {column: x, min: 0}
  - stdev_between: {column: x, min: 0}
  - distinct_count_between: {column: x, min: 1}
  - distinct_ratio_between: {column: x, min: 0}
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('empty');
SELECT * FROM results('empty');
SELECT * FROM documents('empty') WHERE check_name = 'distinct_count_between(x)';

-- Types.  sum compares in the aggregate's type: numeric 0.1 + 0.2 + 0 is
-- exactly 0.3, double precision is not.  Dates and timestamps compare as
-- such (a bound in another time zone is the same instant); text in the
-- column's collation ("C": 'Banana' < 'apple' < 'cherry', and 'cherry' >
-- 'c').  mean and stdev of numeric: 0.1 and 0.1.
CREATE TABLE typed (
    id   integer,
    n    numeric,
    f    double precision,
    day  date,
    at   timestamptz,
    s    text COLLATE "C"
);
INSERT INTO typed VALUES
    (1, 0.1,  0.1,  '2024-03-01', '2024-03-01 12:00:00+00', 'apple'),
    (2, 0.2,  0.2,  '2024-01-15', '2024-01-15 00:00:00+00', 'Banana'),
    (3, NULL, NULL, NULL,         NULL,                     NULL),
    (4, 0,    0,    '2024-12-31', '2024-12-31 23:59:59+00', 'cherry');
SELECT sum(n) AS sum_n, sum(f) AS sum_f, sum(f) > 0.3 AS sum_f_above,
       avg(n) AS mean_n, stddev_samp(n) AS stdev_n,
       min(day), max(at), min(s), max(s), count(DISTINCT s) AS distinct_s
  FROM typed;
SELECT dtecert.set_policy('typed', $$
checks:
  - sum_between: {column: n, min: 0.3, max: 0.3}
  - sum_between: {column: f, max: 0.3}
  - mean_between: {column: n, min: 0.1, max: 0.1}
  - stdev_between: {column: n, min: 0.1, max: 0.1}
  - min_between: {column: day, min: 2024-01-15}
  - min_between: {column: day, name: day_strict, min: 2024-01-15, strict_min: true}
  - max_between: {column: at, max: "2024-12-31 23:59:59+00"}
  - max_between: {column: at, name: at_other_zone, max: "2025-01-01 00:59:59+01"}
  - max_between: {column: at, name: at_a_second_less, max: "2024-12-31 23:59:58+00"}
  - min_between: {column: s, min: B, max: C}
  - max_between: {column: s, max: c}
  - max_between: {column: s, name: s_max_cherry, max: cherry}
  - distinct_count_between: {column: s, min: 3, max: 3}
  - distinct_ratio_between: {column: day, min: 1, max: 1}
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('typed');
SELECT * FROM results('typed');
SELECT * FROM documents('typed')
 WHERE check_name IN ('sum_between(n)', 'sum_between(f)', 'mean_between(n)',
                      'min_between(day)', 'max_between(at)', 'min_between(s)');

-- Past dtecert.exact_mem the distinct and median states give up and one
-- exact pass each counts (scans = 1): the same values.  40000 distinct of
-- 50000; 30000 of the first 30000; median 14999.5 (0 once, 1..10000 twice,
-- 10001..39999 once: the 25000th and 25001st values are 14999 and 15000).
CREATE TABLE many AS SELECT i, i % 40000 AS v FROM generate_series(1, 50000) AS i;
SELECT count(DISTINCT v) AS distinct_v,
       count(DISTINCT v) FILTER (WHERE i <= 30000) AS distinct_first,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY v) AS median,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY v) FILTER (WHERE i <= 30000) AS median_first
  FROM many;
SELECT dtecert.set_policy('many', $$
checks:
  - distinct_count_between: {column: v, min: 40000, max: 40000}
  - distinct_ratio_between: {column: v, min: 0.8, max: 0.8}
  - distinct_count_between: {column: v, name: first, min: 30000, max: 30000, where: "i <= 30000"}
  - median_between: {column: v, min: 14999.5, max: 14999.5}
  - median_between: {column: v, name: median_first, min: 15000, max: 15000.5, where: "i <= 30000"}
  - sum_between: {column: v, min: 1, name: sum_in_scan}
$$);
SELECT status, checks_passed, checks_failed FROM dtecert.certify('many');
SELECT check_name, passed, element_count, scans FROM results('many');
SET dtecert.exact_mem = '64kB';
SELECT status, checks_passed, checks_failed FROM dtecert.certify('many');
SELECT check_name, passed, element_count, scans FROM results('many');
SELECT * FROM documents('many');
RESET dtecert.exact_mem;

-- median_between: odd counts take the middle value (2 5 9: 5), even ones
-- the mean of the two middle values (4.5); NULLs are skipped; no value
-- fails.
SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x) AS median,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY x) FILTER (WHERE id IN (1, 5, 8)) AS odd,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY x) FILTER (WHERE id <= 4) AS first_four
  FROM m;
SELECT dtecert.set_policy('m', $$
checks:
  - median_between: {column: x, min: 4.5, max: 4.5}
  - median_between: {column: x, name: median_strict, min: 4.5, strict_min: true}
  - median_between: {column: x, name: median_below, max: 4.49}
  - median_between: {column: x, name: median_odd, min: 5, max: 5, where: "id IN (1, 5, 8)"}
  - median_between: {column: x, name: median_first_four, min: 4, max: 4, where: "id <= 4"}
  - median_between: {column: nothing, min: 0}
  - median_between: {column: x, name: median_no_rows, min: 0, where: "id > 100"}
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('m');
SELECT * FROM results('m');
SELECT * FROM documents('m');
SELECT dtecert.set_policy('typed', $$
checks:
  - median_between: {column: n, min: 0.1, max: 0.1}
$$);
SELECT status, checks_passed, checks_failed FROM dtecert.certify('typed');
SELECT r.check_name, r.passed, r.scans, d.observed
  FROM results('typed') r JOIN documents('typed') d USING (check_name)
 ORDER BY r.check_name;
SELECT dtecert.set_policy('empty', $$
checks:
  - median_between: {column: x, min: 0}
$$);
SELECT status, checks_passed, checks_failed FROM dtecert.certify('empty');
SELECT * FROM results('empty');

-- A column dropped, renamed or retyped after set_policy: certify records
-- the failure with its reason and goes on with the other checks.
CREATE TABLE drift (id integer, x integer, y integer, z integer);
INSERT INTO drift VALUES (1, 1, 1, 1), (2, 2, 2, 2);
SELECT dtecert.set_policy('drift', $$
checks:
  - min_between: {column: x, min: 1}
  - mean_between: {column: y, min: 1}
  - stdev_between: {column: z, min: 0}
  - median_between: {column: x, min: 0}
  - distinct_count_between: {column: y, min: 1}
  - sum_between: {column: id, min: 3, max: 3}
$$);
ALTER TABLE drift DROP COLUMN x;
ALTER TABLE drift RENAME COLUMN y TO yy;
ALTER TABLE drift ALTER COLUMN z TYPE text;
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('drift');
SELECT * FROM results('drift');

-- Bad input is refused by set_policy (22023): an aggregate the column's type
-- does not have, bounds that are no value of the type or cannot hold, no
-- bound, mostly (an aggregate passes or fails as a whole), a column that
-- does not exist, distinct values of a type without equality.
CREATE TABLE bad (id integer, x integer, s text, day date, j json);
SELECT sqlstate_of($$SELECT dtecert.set_policy('bad', 'checks: [{mean_between: {column: s, min: 0}}]')$$) AS mean_text,
       sqlstate_of($$SELECT dtecert.set_policy('bad', 'checks: [{median_between: {column: s, min: 0}}]')$$) AS median_text,
       sqlstate_of($$SELECT dtecert.set_policy('bad', 'checks: [{stdev_between: {column: day, min: 0}}]')$$) AS stdev_date,
       sqlstate_of($$SELECT dtecert.set_policy('bad', 'checks: [{sum_between: {column: day, min: 2024-01-01}}]')$$) AS sum_date,
       sqlstate_of($$SELECT dtecert.set_policy('bad', 'checks: [{mean_between: {column: day, min: 0}}]')$$) AS mean_date,
       sqlstate_of($$SELECT dtecert.set_policy('bad', 'checks: [{distinct_count_between: {column: j, min: 1}}]')$$) AS distinct_json;
SELECT sqlstate_of($$SELECT dtecert.set_policy('bad', 'checks: [{min_between: {column: x, min: abc}}]')$$) AS min_not_int,
       sqlstate_of($$SELECT dtecert.set_policy('bad', 'checks: [{max_between: {column: x, min: 5, max: 1}}]')$$) AS max_min_above_max,
       sqlstate_of($$SELECT dtecert.set_policy('bad', 'checks: [{mean_between: {column: x, min: 2, max: 1}}]')$$) AS mean_min_above_max,
       sqlstate_of($$SELECT dtecert.set_policy('bad', 'checks: [{stdev_between: {column: x, max: abc}}]')$$) AS stdev_not_number,
       sqlstate_of($$SELECT dtecert.set_policy('bad', 'checks: [{distinct_count_between: {column: x, min: 1.5}}]')$$) AS count_not_integer,
       sqlstate_of($$SELECT dtecert.set_policy('bad', 'checks: [{distinct_ratio_between: {column: x, min: .nan}}]')$$) AS ratio_nan;
SELECT sqlstate_of($$SELECT dtecert.set_policy('bad', 'checks: [{median_between: {column: x}}]')$$) AS no_bound,
       sqlstate_of($$SELECT dtecert.set_policy('bad', 'checks: [{sum_between: {column: x, min: 0, mostly: 0.5}}]')$$) AS mostly,
       sqlstate_of($$SELECT dtecert.set_policy('bad', 'checks: [{min_between: {column: x, strict_min: true, max: 1}}]')$$) AS strict_without_bound,
       sqlstate_of($$SELECT dtecert.set_policy('bad', 'checks: [{max_between: {column: nosuch, max: 1}}]')$$) AS no_column,
       sqlstate_of($$SELECT dtecert.set_policy('bad', 'checks: [{min_between: x}]')$$) AS short_form,
       sqlstate_of($$SELECT dtecert.set_policy('bad', 'checks: [{mean_between: {column: x, min: 0, where: "nosuch > 0"}}]')$$) AS bad_where;
SELECT dtecert.set_policy('bad', $$
checks:
  - mean_between: {column: s, min: 0}
$$);
SELECT dtecert.set_policy('bad', $$
checks:
  - min_between: {column: x, min: abc}
$$);
SELECT dtecert.set_policy('bad', $$
checks:
  - stdev_between: {column: x, min: 0, mostly: 0.9}
$$);
SELECT dtecert.policy('bad') IS NULL AS nothing_stored;

-- NaN: numeric and double precision sort it above every number, so a
-- value of NaN is above any max (as GE's comparisons have it, it does not
-- pass).  Mean, median and stdev of 1 and NaN are NaN: each fails.  The
-- control without NaN passes.
CREATE TABLE nans (id integer, n numeric, f double precision);
INSERT INTO nans VALUES (1, 1, 1), (2, 'NaN', 'NaN');
SELECT avg(n) AS mean_n, stddev_samp(f) AS stdev_f,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY n) AS median_n,
       'NaN'::numeric > 1e1000 AS nan_above_numbers
  FROM nans;
SELECT dtecert.set_policy('nans', $$
checks:
  - mean_between: {column: n, max: 1}
  - stdev_between: {column: f, max: 0}
  - median_between: {column: n, max: 0}
  - mean_between: {column: n, name: mean_n_without_nan, max: 1, where: "id = 1"}
$$);
SELECT status, checks_passed, checks_failed FROM dtecert.certify('nans');
SELECT * FROM results('nans');
SELECT * FROM documents('nans');

-- min and max of text compare in the column's collation.  ICU ("und-x-icu")
-- sorts 'a' before 'B', "C" (and the database default here) 'B' before
-- 'a': the min of {a, B} is 'a', below B, and the max is 'B', above a.
CREATE TABLE coll (id integer, s text COLLATE "und-x-icu");
INSERT INTO coll VALUES (1, 'a'), (2, 'B');
SELECT min(s) AS min_s, max(s) AS max_s, min(s COLLATE "C") AS min_s_c,
       'a' < 'B' COLLATE "und-x-icu" AS a_below_b_icu,
       'a' < 'B' COLLATE "C" AS a_below_b_c
  FROM coll;
SELECT dtecert.set_policy('coll', $$
checks:
  - min_between: {column: s, min: B}
  - max_between: {column: s, max: a}
  - min_between: {column: s, name: min_a_to_a, min: a, max: a}
  - max_between: {column: s, name: max_b_to_b, min: B, max: B}
$$);
SELECT status, checks_passed, checks_failed FROM dtecert.certify('coll');
SELECT * FROM results('coll');
SELECT * FROM documents('coll');

-- The mean of a bigint compares exactly as numeric: 9007199254740993 is no
-- double precision (it would round to 9007199254740992 and pass).
CREATE TABLE big (id integer, b bigint);
INSERT INTO big VALUES (1, 9007199254740993);
SELECT avg(b) AS mean_b, avg(b) > 9007199254740992 AS above,
       avg(b)::float8 > 9007199254740992 AS above_as_float8
  FROM big;
SELECT dtecert.set_policy('big', $$
checks:
  - mean_between: {column: b, max: 9007199254740992}
  - mean_between: {column: b, name: mean_exact, min: 9007199254740993, max: 9007199254740993}
$$);
SELECT status, checks_passed, checks_failed FROM dtecert.certify('big');
SELECT * FROM results('big');
SELECT * FROM documents('big');

-- More bad input refused by set_policy (22023): min of boolean and of uuid
-- (PostgreSQL has no min for them), mean and median of interval (no
-- number), a sum bound that is no value, sum bounds that cannot hold.  The
-- controls next to them are accepted.
CREATE TABLE bad2 (id integer, x integer, ok boolean, u uuid, span interval);
SELECT sqlstate_of($$SELECT dtecert.set_policy('bad2', 'checks: [{min_between: {column: ok, min: false}}]')$$) AS min_boolean,
       sqlstate_of($$SELECT dtecert.set_policy('bad2', 'checks: [{min_between: {column: u, min: 00000000-0000-0000-0000-000000000000}}]')$$) AS min_uuid,
       sqlstate_of($$SELECT dtecert.set_policy('bad2', 'checks: [{mean_between: {column: span, min: 0}}]')$$) AS mean_interval,
       sqlstate_of($$SELECT dtecert.set_policy('bad2', 'checks: [{median_between: {column: span, min: 0}}]')$$) AS median_interval,
       sqlstate_of($$SELECT dtecert.set_policy('bad2', 'checks: [{sum_between: {column: x, min: abc}}]')$$) AS sum_not_int,
       sqlstate_of($$SELECT dtecert.set_policy('bad2', 'checks: [{sum_between: {column: x, min: 10, max: 1}}]')$$) AS sum_min_above_max;
SELECT sqlstate_of($$SELECT dtecert.set_policy('bad2', 'checks: [{min_between: {column: span, min: 1 day}}]')$$) AS min_interval,
       sqlstate_of($$SELECT dtecert.set_policy('bad2', 'checks: [{sum_between: {column: x, min: 1, max: 10}}]')$$) AS sum_1_to_10;
SELECT dtecert.set_policy('bad2', $$
checks:
  - min_between: {column: ok, min: false}
$$);
SELECT dtecert.set_policy('bad2', $$
checks:
  - mean_between: {column: span, min: 0}
$$);

-- observed_value does not depend on the session's DateStyle: ISO under
-- 'Postgres, MDY' too.
SET DateStyle = 'Postgres, MDY';
SELECT max(day) AS max_day_here FROM typed WHERE id <= 2;
SELECT dtecert.set_policy('typed', $$
checks:
  - max_between: {column: day, max: 2024-03-01, where: "id <= 2"}
  - min_between: {column: day, min: 2024-01-15}
$$);
SELECT status, checks_passed, checks_failed FROM dtecert.certify('typed');
SELECT * FROM documents('typed');
SELECT check_name, observed->>'observed_value' AS observed_value
  FROM documents('typed') WHERE check_name = 'max_between(day)';
SET DateStyle = 'ISO, YMD';

-- The stdev of one value fails with its reason.
SELECT dtecert.set_policy('m', $$
checks:
  - stdev_between: {column: x, name: stdev_one, min: 0, where: "id = 1"}
  - stdev_between: {column: x, name: stdev_two, min: 0, where: "id IN (1, 2)"}
$$);
SELECT status, checks_passed, checks_failed FROM dtecert.certify('m');
SELECT * FROM results('m');

DROP SCHEMA check_aggregates CASCADE;
