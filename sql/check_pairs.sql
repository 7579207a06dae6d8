--
-- Row-level checks over several columns or over the row order:
-- pair_greater (a > b, or a >= b with or_equal), multicolumn_sum (the row's
-- columns add up to equals, a NULL adding nothing) and increasing (each
-- non-NULL value against the previous one in the row order).  Rows are
-- skipped as ignore_row_if says; mostly is the passing fraction of the rows
-- considered; no row considered is a pass.
--
CREATE SCHEMA check_pairs;
SET search_path = check_pairs, public;


-- pair_greater.  a integer, b numeric (compared as numeric).  A comparison
-- with a NULL fails the row unless ignore_row_if skips it:
-- both_values_are_missing (the default) skips row 5 only,
-- either_value_is_missing rows 4, 5 and 6, neither none.
CREATE TABLE pg (id integer PRIMARY KEY, a integer, b numeric);
INSERT INTO pg VALUES (1, 2, 1), (2, 2, 2), (3, 1, 2), (4, NULL, 1),
    (5, NULL, NULL), (6, 5, NULL), (7, 10, 9.5), (8, 3, 2.999);
SELECT id, a, b, a > b AS greater, a >= b AS greater_or_equal FROM pg ORDER BY id;
SELECT dtecert.set_policy('pg', $$
checks:
  - pair_greater: {a: a, b: b}
  - pair_greater: {a: a, b: b, name: or_equal, or_equal: true}
  - pair_greater: {a: a, b: b, name: either, ignore_row_if: either_value_is_missing}
  - pair_greater: {a: a, b: b, name: neither, ignore_row_if: neither}
  - pair_greater: {a: a, b: b, name: both, ignore_row_if: both_values_are_missing}
  - pair_greater: {a: a, b: b, name: either_or_equal, or_equal: true,
                   ignore_row_if: either_value_is_missing}
  - pair_greater: {a: a, b: b, name: mostly_80, or_equal: true,
                   ignore_row_if: either_value_is_missing, mostly: 0.8}
  - pair_greater: {a: a, b: b, name: mostly_81, or_equal: true,
                   ignore_row_if: either_value_is_missing, mostly: 0.81}
  - pair_greater: {a: a, b: b, name: where_pass, where: "id IN (1, 7, 8)"}
  - pair_greater: {a: a, b: b, name: where_fail, where: "id <= 3"}
  - pair_greater: {a: b, b: a, name: reversed, ignore_row_if: either_value_is_missing}
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('pg');
SELECT * FROM results('pg');
SELECT * FROM documents('pg')
 WHERE check_name IN ('pair_greater(a,b)', 'either', 'mostly_80', 'mostly_81', 'where_fail');
-- the failing rows, by primary key
SELECT check_name, ordinal, row_key, value FROM dtecert.check_samples
 WHERE certificate_id = (SELECT max(certificate_id) FROM dtecert.certificates
                          WHERE dataset = 'check_pairs.pg')
   AND check_name IN ('pair_greater(a,b)', 'neither')
 ORDER BY check_name, ordinal;

-- Text compares in the columns' collation ("C": 'B' < 'a'); dates with
-- timestamps as PostgreSQL's cross-type operators do.
CREATE TABLE pg_text (id integer, t1 text COLLATE "C", t2 text COLLATE "C",
                      d date, ts timestamp);
INSERT INTO pg_text VALUES
    (1, 'b',     'a',     '2024-01-02', '2024-01-01 23:59:59'),
    (2, 'B',     'a',     '2024-01-01', '2024-01-01 00:00:00'),
    (3, 'apple', 'apple', '2024-01-01', '2024-01-01 00:00:01');
SELECT id, t1 > t2 AS t_greater, t1 >= t2 AS t_greater_or_equal,
       d > ts AS d_greater, d >= ts AS d_greater_or_equal
  FROM pg_text ORDER BY id;
SELECT dtecert.set_policy('pg_text', $$
checks:
  - pair_greater: {a: t1, b: t2}
  - pair_greater: {a: t1, b: t2, name: t_or_equal, or_equal: true}
  - pair_greater: {a: d, b: ts}
  - pair_greater: {a: d, b: ts, name: d_or_equal, or_equal: true}
$$);
SELECT status, checks_passed, checks_failed FROM dtecert.certify('pg_text');
SELECT * FROM results('pg_text');

-- multicolumn_sum.  a + b = 4, a NULL adding nothing: row 3 (4 + NULL)
-- passes, row 4 (NULL + NULL) is skipped by all_values_are_missing (the
-- default) and fails with never (0), row 6 (NULL + 1) fails unless
-- any_value_is_missing skips it.  a + b + c = 4 holds on every row
-- (4.0 = 4); two bigints add up past bigint as numbers.
CREATE TABLE ms (id integer PRIMARY KEY, a integer, b integer, c numeric,
                 big1 bigint, big2 bigint);
INSERT INTO ms VALUES
    (1, 1,    3,    0,     9223372036854775807, 9223372036854775807),
    (2, 2,    2,    0.0,   NULL, NULL),
    (3, 4,    NULL, NULL,  NULL, NULL),
    (4, NULL, NULL, NULL,  NULL, NULL),
    (5, 5,    0,    -1,    NULL, NULL),
    (6, NULL, 1,    3,     NULL, NULL),
    (7, 3,    1,    NULL,  NULL, NULL),
    (8, -1,   5,    0.000, NULL, NULL);
SELECT id, coalesce(a, 0) + coalesce(b, 0) AS a_b,
       coalesce(a, 0) + coalesce(b, 0) + coalesce(c, 0) AS a_b_c,
       big1::numeric + big2 AS bigs
  FROM ms ORDER BY id;
SELECT dtecert.set_policy('ms', $$
checks:
  - multicolumn_sum: {columns: [a, b], equals: 4}
  - multicolumn_sum: {columns: [a, b], name: all_missing, equals: 4,
                      ignore_row_if: all_values_are_missing}
  - multicolumn_sum: {columns: [a, b], name: any_missing, equals: 4,
                      ignore_row_if: any_value_is_missing}
  - multicolumn_sum: {columns: [a, b], name: never, equals: 4, ignore_row_if: never}
  - multicolumn_sum: {columns: [a, b], name: mostly_80, equals: 4,
                      ignore_row_if: any_value_is_missing, mostly: 0.8}
  - multicolumn_sum: {columns: [a, b], name: mostly_81, equals: 4,
                      ignore_row_if: any_value_is_missing, mostly: 0.81}
  - multicolumn_sum: {columns: [a, b, c], equals: 4.0}
  - multicolumn_sum: {columns: [big1, big2], equals: 18446744073709551614}
  - multicolumn_sum: {columns: [a, b], name: where_pass, equals: 4, where: "id <= 3"}
  - multicolumn_sum: {columns: [a, b], name: where_fail, equals: 4, where: "id >= 5"}
  - multicolumn_sum: {columns: [a, b], name: equals_5, equals: 5}
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('ms');
SELECT * FROM results('ms');
SELECT * FROM documents('ms')
 WHERE check_name IN ('multicolumn_sum(a,b)', 'any_missing', 'mostly_80',
                      'multicolumn_sum(big1,big2)');
SELECT check_name, ordinal, row_key, value FROM dtecert.check_samples
 WHERE certificate_id = (SELECT max(certificate_id) FROM dtecert.certificates
                          WHERE dataset = 'check_pairs.ms')
   AND check_name IN ('multicolumn_sum(a,b)', 'never')
 ORDER BY check_name, ordinal;

-- increasing, in the order of the primary key unless order_by says
-- otherwise.  v by id: 1 2 2 NULL 1 3 4 5 6.  NULLs are skipped (each value
-- is compared with the previous non-NULL one); the first row passes.  One
-- decrease (2 -> 1): 7 of 8 pass; strictly the repeated 2 fails too: 6 of
-- 8.  o orders the rows so that v never decreases; ordering by (d, id) does
-- the same.  Text in its collation ("C": 'b' -> 'B' decreases).
CREATE TABLE inc (id integer PRIMARY KEY, v integer, s text COLLATE "C",
                  d date, o integer);
INSERT INTO inc VALUES
    (1, 1,    'a',  '2024-01-01', 1),
    (2, 2,    'b',  '2024-01-02', 3),
    (3, 2,    'b',  '2024-01-02', 4),
    (4, NULL, NULL, NULL,         9),
    (5, 1,    'B',  '2023-12-31', 2),
    (6, 3,    'c',  '2024-02-01', 5),
    (7, 4,    'd',  '2024-03-01', 6),
    (8, 5,    'e',  '2024-04-01', 7),
    (9, 6,    'f',  '2024-05-01', 8);
SELECT id, v, lag(v) OVER w AS prev, v < lag(v) OVER w AS decreases,
       v <= lag(v) OVER w AS not_increasing, s < lag(s) OVER w AS s_decreases
  FROM inc WHERE v IS NOT NULL WINDOW w AS (ORDER BY id) ORDER BY id;
SELECT string_agg(v::text, ' ' ORDER BY o) AS by_o,
       string_agg(v::text, ' ' ORDER BY d, id) AS by_d_id
  FROM inc WHERE v IS NOT NULL;
SELECT dtecert.set_policy('inc', $$
checks:
  - increasing: v
  - increasing: {column: v, name: strictly, strictly: true}
  - increasing: {column: v, name: mostly_875, mostly: 0.875}
  - increasing: {column: v, name: mostly_876, mostly: 0.876}
  - increasing: {column: v, name: strictly_mostly_75, strictly: true, mostly: 0.75}
  - increasing: {column: v, name: strictly_mostly_76, strictly: true, mostly: 0.76}
  - increasing: {column: v, name: by_o, order_by: o}
  - increasing: {column: v, name: by_o_strictly, order_by: [o], strictly: true}
  - increasing: {column: v, name: by_d_id, order_by: [d, id]}
  - increasing: {column: v, name: where_pass, where: "id <> 5"}
  - increasing: {column: v, name: where_one_row, strictly: true, where: "id = 2"}
  - increasing: {column: v, name: where_no_rows, where: "id > 100"}
  - increasing: s
  - increasing: d
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('inc');
SELECT * FROM results('inc');
SELECT * FROM documents('inc')
 WHERE check_name IN ('increasing(v)', 'mostly_876', 'by_d_id', 'where_pass');

-- A column of only NULLs and an empty table: no row considered, a pass.
CREATE TABLE nothing (id integer PRIMARY KEY, a integer, b integer);
INSERT INTO nothing SELECT i, NULL, NULL FROM generate_series(1, 3) AS i;
SELECT dtecert.set_policy('nothing', $$
checks:
  - pair_greater: {a: a, b: b}
  - pair_greater: {a: a, b: b, name: pair_either, ignore_row_if: either_value_is_missing}
  - multicolumn_sum: {columns: [a, b], equals: 1}
  - multicolumn_sum: {columns: [a, b], name: sum_any, equals: 1, ignore_row_if: any_value_is_missing}
  - increasing: a
  - increasing: {column: b, strictly: true, mostly: 0.5}
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('nothing');
SELECT * FROM results('nothing');
TRUNCATE nothing;
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('nothing');
SELECT * FROM results('nothing');
-- ... but with ignore_row_if neither / never a row of NULLs is considered,
-- and fails.
INSERT INTO nothing VALUES (1, NULL, NULL);
SELECT dtecert.set_policy('nothing', $$
checks:
  - pair_greater: {a: a, b: b, ignore_row_if: neither}
  - multicolumn_sum: {columns: [a, b], equals: 1, ignore_row_if: never}
  - multicolumn_sum: {columns: [a, b], name: sum_zero, equals: 0, ignore_row_if: never}
$$);
SELECT status, checks_passed, checks_failed FROM dtecert.certify('nothing');
SELECT * FROM results('nothing');

-- Past dtecert.exact_mem the increasing state gives up and one exact pass
-- counts (scans = 1): the same count.  v = i except every 10000th row,
-- which is 0: 5 decreases in 50000 rows.
CREATE TABLE long (i integer PRIMARY KEY, v integer);
INSERT INTO long SELECT i, CASE WHEN i % 10000 = 0 THEN 0 ELSE i END
  FROM generate_series(1, 50000) AS i;
SELECT count(*) FILTER (WHERE v < prev) AS decreases, count(*) AS values
  FROM (SELECT v, lag(v) OVER (ORDER BY i) AS prev FROM long) d;
SELECT dtecert.set_policy('long', $$
checks:
  - increasing: v
  - increasing: {column: v, name: strictly, strictly: true}
  - increasing: {column: v, name: first_half, where: "i < 25000"}
$$);
SELECT status, checks_passed, checks_failed FROM dtecert.certify('long');
SELECT check_name, passed, element_count, unexpected_count, scans FROM results('long');
SET dtecert.exact_mem = '64kB';
SELECT status, checks_passed, checks_failed FROM dtecert.certify('long');
SELECT check_name, passed, element_count, unexpected_count, scans FROM results('long');
RESET dtecert.exact_mem;

-- Columns dropped or renamed after set_policy, and the primary key that
-- gave increasing its order: certify records each failure with its reason
-- and goes on with the other checks.
CREATE TABLE drift (id integer PRIMARY KEY, a integer, b integer, c integer, o integer);
INSERT INTO drift VALUES (1, 2, 1, 1, 1), (2, 3, 2, 2, 2);
SELECT dtecert.set_policy('drift', $$
checks:
  - pair_greater: {a: a, b: b}
  - pair_greater: {a: c, b: b, or_equal: true}
  - multicolumn_sum: {columns: [a, b], equals: 3}
  - multicolumn_sum: {columns: [b, c], equals: 2, mostly: 0.5}
  - increasing: c
  - increasing: {column: b, order_by: [o]}
  - increasing: {column: c, name: by_o, order_by: [o]}
$$);
ALTER TABLE drift DROP COLUMN a;
ALTER TABLE drift RENAME COLUMN o TO ord;
ALTER TABLE drift DROP CONSTRAINT drift_pkey;
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('drift');
SELECT * FROM results('drift');

-- Bad input is refused by set_policy (22023).
CREATE TABLE bad (id integer PRIMARY KEY, x integer, y integer, t text, j json);
CREATE TABLE nopk (x integer, y integer);
SELECT sqlstate_of($$SELECT dtecert.set_policy('bad', 'checks: [{pair_greater: {a: x, b: t}}]')$$) AS pair_int_text,
       sqlstate_of($$SELECT dtecert.set_policy('bad', 'checks: [{pair_greater: {a: j, b: j}}]')$$) AS pair_same_column,
       sqlstate_of($$SELECT dtecert.set_policy('bad', 'checks: [{pair_greater: {a: x, b: j}}]')$$) AS pair_json,
       sqlstate_of($$SELECT dtecert.set_policy('bad', 'checks: [{pair_greater: {a: x}}]')$$) AS pair_no_b,
       sqlstate_of($$SELECT dtecert.set_policy('bad', 'checks: [{pair_greater: {a: x, b: nosuch}}]')$$) AS pair_no_column,
       sqlstate_of($$SELECT dtecert.set_policy('bad', 'checks: [{pair_greater: {a: x, b: y, ignore_row_if: all_values_are_missing}}]')$$) AS pair_ignore_spelling,
       sqlstate_of($$SELECT dtecert.set_policy('bad', 'checks: [{pair_greater: {a: x, b: y, or_equal: maybe}}]')$$) AS pair_or_equal,
       sqlstate_of($$SELECT dtecert.set_policy('bad', 'checks: [{pair_greater: {a: x, b: y, mostly: 0}}]')$$) AS pair_mostly_0;
SELECT sqlstate_of($$SELECT dtecert.set_policy('bad', 'checks: [{multicolumn_sum: {columns: [x, t], equals: 1}}]')$$) AS sum_text,
       sqlstate_of($$SELECT dtecert.set_policy('bad', 'checks: [{multicolumn_sum: {columns: [x, j], equals: 1}}]')$$) AS sum_json,
       sqlstate_of($$SELECT dtecert.set_policy('bad', 'checks: [{multicolumn_sum: {columns: [x, y]}}]')$$) AS sum_no_equals,
       sqlstate_of($$SELECT dtecert.set_policy('bad', 'checks: [{multicolumn_sum: {columns: [x, y], equals: abc}}]')$$) AS sum_equals_abc,
       sqlstate_of($$SELECT dtecert.set_policy('bad', 'checks: [{multicolumn_sum: {columns: [x, x], equals: 1}}]')$$) AS sum_repeated,
       sqlstate_of($$SELECT dtecert.set_policy('bad', 'checks: [{multicolumn_sum: {columns: [x, nosuch], equals: 1}}]')$$) AS sum_no_column,
       sqlstate_of($$SELECT dtecert.set_policy('bad', 'checks: [{multicolumn_sum: {columns: [x, y], equals: 1, ignore_row_if: either_value_is_missing}}]')$$) AS sum_ignore_spelling,
       sqlstate_of($$SELECT dtecert.set_policy('bad', 'checks: [{multicolumn_sum: {columns: [x, y], equals: 1, mostly: 1.5}}]')$$) AS sum_mostly_1_5;
SELECT sqlstate_of($$SELECT dtecert.set_policy('nopk', 'checks: [{increasing: x}]')$$) AS increasing_no_pk,
       sqlstate_of($$SELECT dtecert.set_policy('nopk', 'checks: [{increasing: {column: x, order_by: y}}]')$$) AS increasing_no_pk_order_by,
       sqlstate_of($$SELECT dtecert.set_policy('bad', 'checks: [{increasing: j}]')$$) AS increasing_json,
       sqlstate_of($$SELECT dtecert.set_policy('bad', 'checks: [{increasing: {column: x, order_by: [nosuch]}}]')$$) AS increasing_no_order_column,
       sqlstate_of($$SELECT dtecert.set_policy('bad', 'checks: [{increasing: {column: x, strictly: maybe}}]')$$) AS increasing_strictly,
       sqlstate_of($$SELECT dtecert.set_policy('bad', 'checks: [{increasing: {column: x, mostly: 0}}]')$$) AS increasing_mostly_0,
       sqlstate_of($$SELECT dtecert.set_policy('bad', 'checks: [{increasing: {column: x, where: "nosuch > 0"}}]')$$) AS increasing_bad_where;
SELECT dtecert.set_policy('bad', $$
checks:
  - pair_greater: {a: x, b: t}
$$);
SELECT dtecert.set_policy('bad', $$
checks:
  - multicolumn_sum: {columns: [x, t], equals: 1}
$$);
SELECT dtecert.set_policy('nopk', $$
checks:
  - increasing: x
$$);
SELECT dtecert.policy('bad') IS NULL AS bad_nothing_stored,
       dtecert.policy('nopk') IS NOT NULL AS nopk_stored;

-- Columns of different collations (a "C", b ICU) in one check: certify
-- raises no "could not determine which collation" error.  The values are
-- lowercase letters, which every collation orders alike.  pair_greater:
-- p > m, q > n, z > y pass, y > z fails.  increasing a ordered by b
-- (m n y z): p q z y, one decrease.
CREATE TABLE colls (id integer PRIMARY KEY, a text COLLATE "C", b text COLLATE "und-x-icu");
INSERT INTO colls VALUES (1, 'p', 'm'), (2, 'q', 'n'), (3, 'z', 'y'), (4, 'y', 'z');
SELECT string_agg(a, ' ' ORDER BY b) AS a_by_b,
       count(*) FILTER (WHERE a > b COLLATE "C") AS a_greater
  FROM colls;
SELECT dtecert.set_policy('colls', $$
checks:
  - pair_greater: {a: a, b: b}
  - pair_greater: {a: a, b: b, name: pair_pass, where: "id <= 3"}
  - increasing: {column: a, order_by: [b]}
  - increasing: {column: a, name: by_b_pass, order_by: [b], strictly: true, where: "id <= 3"}
$$);
SELECT status, checks_passed, checks_failed FROM dtecert.certify('colls');
SELECT * FROM results('colls');

-- increasing with a NULL order key: the row takes the same place in memory
-- and past dtecert.exact_mem (NULLs first: v 0 1 2 3 ... 20002, no
-- decrease; ORDER BY k, NULLS LAST, would see one).  k, v: (1, 1), (2, 2),
-- (NULL, 0), then 3..20002 for both.
CREATE TABLE nullkey (id integer PRIMARY KEY, k integer, v integer);
INSERT INTO nullkey VALUES (1, 1, 1), (2, 2, 2), (3, NULL, 0);
INSERT INTO nullkey SELECT i, i - 1, i - 1 FROM generate_series(4, 20003) AS i;
SELECT count(*) FILTER (WHERE v < prev_nulls_first) AS decreases_nulls_first,
       count(*) FILTER (WHERE v < prev_nulls_last) AS decreases_nulls_last,
       count(*) AS values
  FROM (SELECT v, lag(v) OVER (ORDER BY k NULLS FIRST) AS prev_nulls_first,
               lag(v) OVER (ORDER BY k NULLS LAST) AS prev_nulls_last
          FROM nullkey) d;
SELECT dtecert.set_policy('nullkey', $$
checks:
  - increasing: {column: v, order_by: [k]}
  - increasing: {column: v, name: by_k_strictly, order_by: [k], strictly: true}
$$);
SELECT status, checks_passed, checks_failed FROM dtecert.certify('nullkey');
SELECT check_name, passed, element_count, unexpected_count, scans FROM results('nullkey');
SET dtecert.exact_mem = '64kB';
SELECT status, checks_passed, checks_failed FROM dtecert.certify('nullkey');
SELECT check_name, passed, element_count, unexpected_count, scans FROM results('nullkey');
RESET dtecert.exact_mem;

-- The failing samples of pair_greater and multicolumn_sum show the row's
-- values as "(a, b)", NULL as NULL, text and dates as they read (dates in
-- ISO, whatever the session's DateStyle).
CREATE TABLE samp (id integer PRIMARY KEY, t1 text, t2 text, d1 date, d2 date,
                   x integer, y integer, z numeric);
INSERT INTO samp VALUES
    (1, 'pear',  'plum',  '2024-01-01', '2024-02-01', 1,    2,    NULL),
    (2, NULL,    'apple', '2024-03-01', NULL,         NULL, NULL, NULL),
    (3, 'zebra', 'ant',   '2024-05-01', '2024-04-01', 1,    1,    1.5),
    (4, 'b c',   'b c',   '2024-06-01', '2024-06-01', 0,    3,    0);
SELECT dtecert.set_policy('samp', $$
checks:
  - pair_greater: {a: t1, b: t2, ignore_row_if: neither}
  - pair_greater: {a: d1, b: d2, ignore_row_if: neither}
  - multicolumn_sum: {columns: [x, y, z], equals: 3, ignore_row_if: never}
$$);
SELECT status, checks_passed, checks_failed FROM dtecert.certify('samp');
SELECT * FROM results('samp');
SELECT check_name, ordinal, row_key, value FROM dtecert.check_samples
 WHERE certificate_id = (SELECT max(certificate_id) FROM dtecert.certificates
                          WHERE dataset = 'check_pairs.samp')
 ORDER BY check_name, ordinal;

DROP SCHEMA check_pairs CASCADE;
