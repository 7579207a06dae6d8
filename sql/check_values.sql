--
-- accepted_values and rejected_values: value checks, NULLs skipped; the
-- policy's values are cast as written with the column type's input function.
--
CREATE SCHEMA check_values;
SET search_path = check_values, public;

CREATE TYPE mood AS ENUM ('happy', 'ok', 'sad');
CREATE TABLE orders (
    id       integer,
    status   text,
    code     text,
    amount   numeric,
    flag     boolean,
    country  varchar(2),
    feeling  mood
);
INSERT INTO orders VALUES
    (1,  'pending',   '01',   1.10,  true,  'FR', 'happy'),
    (2,  'shipped',   'no',   1.1,   true,  'DE', 'ok'),
    (3,  'Shipped',   '1',    2,     true,  'fr', 'sad'),
    (4,  'délivré',   '1.10', 'NaN', true,  'DE', 'ok'),
    (5,  NULL,        NULL,   NULL,  NULL,  NULL, NULL),
    (6,  'pending',   '01',   3,     true,  'FR', 'happy'),
    (7,  'cancelled', 'yes',  1.100, true,  'FR', NULL),
    (8,  'shipped',   '1.1',  0,     true,  'DE', 'happy'),
    (9,  NULL,        'NO',   NULL,  false, 'ES', 'ok'),
    (10, 'returned',  '01',   -1,    true,  'FR', 'sad');

-- the independent counts of the first checks below
SELECT count(status) AS status_values,
       count(*) FILTER (WHERE status NOT IN ('pending', 'shipped', 'délivré', 'cancelled'))
           AS status_not_accepted,
       count(code) AS code_values,
       count(*) FILTER (WHERE code NOT IN ('no', '01', '1.10')) AS code_not_accepted,
       count(amount) AS amount_values,
       count(*) FILTER (WHERE amount NOT IN (1.10, 0, 'NaN')) AS amount_not_accepted
  FROM orders;

-- accepted_values: case and accents matter for text; NULLs are skipped, so
-- mostly is measured over the 8 non-null statuses: 6/8 = 0.75 passes 0.75
-- and fails 0.76 (it would pass if the 2 NULLs counted as passing rows).
-- values are taken as written: on text, no, '01' and 1.10 stay the strings
-- 'no', '01' and '1.10'; on numeric, 1.10 = 1.1 = 1.100, and NaN = NaN.
SELECT dtecert.set_policy('orders', $$
checks:
  - accepted_values: {column: status, values: [pending, shipped, délivré, cancelled]}
  - accepted_values: {column: status, name: status_mostly_75, mostly: 0.75,
                      values: [pending, shipped, délivré, cancelled]}
  - accepted_values: {column: status, name: status_mostly_76, mostly: 0.76,
                      values: [pending, shipped, délivré, cancelled]}
  - accepted_values: {column: status, name: status_first_four, where: "id <= 4",
                      values: [pending, shipped, délivré, cancelled]}
  - accepted_values: {column: status, name: status_where_pass, where: "id <> 3 AND id <> 10",
                      values: [pending, shipped, délivré, cancelled]}
  - accepted_values: {column: code, values: [no, '01', 1.10]}
  - accepted_values: {column: amount, values: [1.10, 0, NaN]}
  - accepted_values: {column: flag, values: [yes]}
  - accepted_values: {column: country, values: [FR, DE, ES]}
  - accepted_values: {column: feeling, values: [happy, ok]}
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('orders');
SELECT * FROM results('orders');
SELECT * FROM documents('orders') WHERE check_name IN
    ('status_mostly_76', 'accepted_values(code)', 'accepted_values(amount)');

-- rejected_values: the same rules, the other way round.  The quoted string
-- 'null' is a value like any other, never SQL NULL; on boolean, no is false.
SELECT count(*) FILTER (WHERE status IN ('Shipped', 'returned')) AS status_rejected,
       count(*) FILTER (WHERE code IN ('no')) AS code_rejected,
       count(*) FILTER (WHERE amount = 'NaN') AS amount_nan,
       count(*) FILTER (WHERE NOT flag) AS flag_false
  FROM orders;
SELECT dtecert.set_policy('orders', $$
checks:
  - rejected_values: {column: status, values: [Shipped, returned]}
  - rejected_values: {column: status, name: status_mostly_75, mostly: 0.75,
                      values: [Shipped, returned]}
  - rejected_values: {column: status, name: status_mostly_76, mostly: 0.76,
                      values: [Shipped, returned]}
  - rejected_values: {column: status, name: status_where, where: "id < 3",
                      values: [Shipped, returned]}
  - rejected_values: {column: code, values: [no]}
  - rejected_values: {column: code, name: code_null_strings, values: ['null', NULL2]}
  - rejected_values: {column: amount, values: [NaN]}
  - rejected_values: {column: amount, name: amount_1_1, values: [1.1]}
  - rejected_values: {column: flag, values: [no]}
  - rejected_values: {column: country, values: [fr]}
  - rejected_values: {column: feeling, values: [sad]}
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('orders');
SELECT * FROM results('orders');

-- A value that the column's type does not accept is refused when stored.
SELECT dtecert.set_policy('orders', $$
checks:
  - accepted_values: {column: amount, values: [1, one]}
$$);
SELECT dtecert.set_policy('orders', $$
checks:
  - rejected_values: {column: feeling, values: [angry]}
$$);

-- mostly on 100 rows: 99/100 passes mostly 0.99, 98/100 fails.
CREATE TABLE hundred (i integer, one_bad text, two_bad text);
INSERT INTO hundred
SELECT i,
       CASE WHEN i = 7 THEN 'bad' ELSE 'ok' END,
       CASE WHEN i IN (7, 70) THEN 'bad' ELSE 'ok' END
  FROM generate_series(1, 100) AS i;
SELECT dtecert.set_policy('hundred', $$
checks:
  - accepted_values: {column: one_bad, values: [ok], mostly: 0.99}
  - accepted_values: {column: two_bad, values: [ok], mostly: 0.99}
  - rejected_values: {column: one_bad, values: [bad], mostly: 0.99}
  - rejected_values: {column: two_bad, values: [bad], mostly: 0.99}
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('hundred');
SELECT * FROM results('hundred');

-- A column of only NULLs passes both; so does an empty table.
CREATE TABLE nulls_and_empty (id integer, x text, n numeric);
INSERT INTO nulls_and_empty SELECT i, NULL, NULL FROM generate_series(1, 3) AS i;
SELECT dtecert.set_policy('nulls_and_empty', $$
checks:
  - accepted_values: {column: x, values: [a]}
  - rejected_values: {column: x, values: [a]}
  - accepted_values: {column: n, values: [1], mostly: 0.5}
  - rejected_values: {column: n, values: [1], mostly: 0.5}
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('nulls_and_empty');
SELECT * FROM results('nulls_and_empty');
TRUNCATE nulls_and_empty;
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('nulls_and_empty');
SELECT * FROM results('nulls_and_empty');

-- Values are cast without the column's typmod, so they stay as written:
-- on numeric(10,2), 1.005 and 10.005 are not rounded to 1.01 and 10.01
-- (rounded, between max: 10.005 would pass 10.01, accepted_values would
-- accept 1.01 and rejected_values would reject it); on varchar(2), FRA is
-- accepted in a policy and never matches (nor is it cut to FR).
CREATE TABLE typmods (id integer, price numeric(10,2), cc varchar(2));
INSERT INTO typmods VALUES
    (1, 1.00,  'FR'),
    (2, 1.01,  'DE'),
    (3, 10.00, 'FR'),
    (4, 10.01, 'ES'),
    (5, NULL,  NULL);
SELECT count(price) AS price_values,
       count(*) FILTER (WHERE price > 10.005) AS above_10_005,
       count(*) FILTER (WHERE price < 1.005) AS below_1_005,
       count(*) FILTER (WHERE price NOT IN (1.005, 10.01)) AS price_not_accepted,
       count(*) FILTER (WHERE price IN (1.005)) AS price_rejected,
       count(cc) AS cc_values,
       count(*) FILTER (WHERE cc::text IN ('FRA')) AS cc_rejected,
       count(*) FILTER (WHERE cc::text NOT IN ('FR', 'DE', 'FRA')) AS cc_not_accepted
  FROM typmods;
SELECT dtecert.set_policy('typmods', $$
checks:
  - between: {column: price, max: 10.005}
  - between: {column: price, name: price_min, min: 1.005}
  - between: {column: price, name: price_both, min: 1.00, max: 10.01}
  - accepted_values: {column: price, values: [1.005, 10.01]}
  - rejected_values: {column: price, values: [1.005]}
  - rejected_values: {column: cc, values: [FRA]}
  - accepted_values: {column: cc, values: [FR, DE, FRA]}
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('typmods');
SELECT * FROM results('typmods');
SELECT * FROM documents('typmods') WHERE check_name IN
    ('between(price)', 'accepted_values(price)', 'rejected_values(cc)');

DROP SCHEMA check_values CASCADE;
