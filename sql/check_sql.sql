--
-- sql: a named check whose failing_rows expression is true for the rows
-- that fail.  It considers every row (of the where: filter); a row where
-- the expression is NULL does not fail.
--
CREATE SCHEMA check_sql;
SET search_path = check_sql, public;
SET TimeZone = 'UTC';

CREATE TABLE blocklist (email text);
INSERT INTO blocklist VALUES ('eve@evil.example');
CREATE FUNCTION is_negative(numeric) RETURNS boolean
    LANGUAGE sql IMMUTABLE AS 'SELECT $1 < 0';

CREATE TABLE payments (
    id          integer,
    amount      numeric,
    status      text,
    email       text,
    ordered_at  timestamptz,
    shipped_at  timestamptz
);
INSERT INTO payments VALUES
    (1, 10,     'shipped', 'ann@example.com',  '2024-01-01 10:00+00', '2024-01-02 10:00+00'),
    (2, -5,     'shipped', 'Bob@Example.com',  '2024-01-03 10:00+00', '2024-01-02 10:00+00'),
    (3, 0,      'pending', 'eve@evil.example', '2024-01-04 10:00+00', NULL),
    (4, NULL,   'pending', NULL,               '2024-01-05 10:00+00', NULL),
    (5, -1,     'refund',  'cécile@example.fr', '2024-01-06 10:00+00', '2024-01-06 09:00+00'),
    (6, 'NaN',  'shipped', 'dan@example.com',  '2099-01-01 00:00+00', '2099-01-02 00:00+00');

-- the independent counts
SELECT count(*) AS total,
       count(*) FILTER (WHERE amount < 0) AS negative,
       count(*) FILTER (WHERE amount IS NULL) AS amount_null,
       count(*) FILTER (WHERE shipped_at < ordered_at) AS shipped_before_ordered,
       count(*) FILTER (WHERE status = 'shipped') AS shipped,
       count(*) FILTER (WHERE status = 'shipped' AND shipped_at < ordered_at)
           AS shipped_and_before
  FROM payments;

-- Pass and fail; NULL amounts do not fail (they are still counted as rows
-- considered); mostly over every row: 4/6 = 0.666...: 0.66 passes, 0.67
-- fails; where:; built-in functions unqualified; a subquery on a qualified
-- table; a function of one's own, qualified; a multi-line expression.
SELECT dtecert.set_policy('payments', $$
checks:
  - sql: {name: no_negative, failing_rows: "amount < 0"}
  - sql: {name: no_negative_66, failing_rows: "amount < 0", mostly: 0.66}
  - sql: {name: no_negative_67, failing_rows: "amount < 0", mostly: 0.67}
  - sql: {name: refunds_may_be_negative, failing_rows: "amount < 0", where: "status <> 'refund'"}
  - sql:
      name: shipped_after_ordered
      failing_rows: "shipped_at < ordered_at"
      where: "status = 'shipped'"
  - sql: {name: no_future_orders, failing_rows: "ordered_at > now()"}
  - sql: {name: lower_case_email, failing_rows: "lower(email) <> email"}
  - sql:
      name: not_blocked
      failing_rows: "EXISTS (SELECT 1 FROM check_sql.blocklist b WHERE b.email = payments.email)"
  - sql: {name: own_function, failing_rows: "check_sql.is_negative(amount)"}
  - sql:
      name: nan_amount
      failing_rows: |
        amount = 'NaN'  -- a comment ends at the line's end
        OR amount IS NULL
  - sql: {name: nothing_fails, failing_rows: "false"}
  - sql: {name: nothing_considered, failing_rows: "true", where: "id > 100"}
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('payments');
SELECT * FROM results('payments');
SELECT * FROM documents('payments') WHERE check_name IN ('no_negative_67', 'shipped_after_ordered');

-- Severity: a warn failure is reported, not counted; a critical one fails
-- the certificate whatever the score.
SELECT dtecert.set_policy('payments', $$
min_score: 0.5
checks:
  - sql: {name: no_future_orders, failing_rows: "ordered_at > now()", severity: warn}
  - sql: {name: has_status, failing_rows: "status IS NULL"}
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('payments');
SELECT * FROM results('payments');
SELECT dtecert.set_policy('payments', $$
min_score: 0.5
checks:
  - sql: {name: no_future_orders, failing_rows: "ordered_at > now()", severity: critical}
  - sql: {name: has_status, failing_rows: "status IS NULL"}
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('payments');

-- mostly on 100 rows: 99/100 passes mostly 0.99, 98/100 fails.
CREATE TABLE hundred (i integer);
INSERT INTO hundred SELECT generate_series(1, 100);
SELECT dtecert.set_policy('hundred', $$
checks:
  - sql: {name: one_fails, failing_rows: "i = 100", mostly: 0.99}
  - sql: {name: two_fail, failing_rows: "i >= 99", mostly: 0.99}
  - sql: {name: two_fail_98, failing_rows: "i >= 99", mostly: 0.98}
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('hundred');
SELECT * FROM results('hundred');

-- Only NULLs: the expression is NULL, no row fails.  An empty table passes.
CREATE TABLE nothing (id integer, x numeric);
INSERT INTO nothing SELECT i, NULL FROM generate_series(1, 3) AS i;
SELECT dtecert.set_policy('nothing', $$
checks:
  - sql: {name: x_negative, failing_rows: "x < 0"}
  - sql: {name: x_null, failing_rows: "x IS NULL", mostly: 0.5}
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('nothing');
SELECT * FROM results('nothing');
TRUNCATE nothing;
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('nothing');
SELECT * FROM results('nothing');

-- Refused when stored: no name, not boolean, not one expression, an
-- aggregate, an unknown column, an unqualified function of one's own (the
-- expression is compiled with search_path = pg_catalog, pg_temp).
SELECT dtecert.set_policy('payments', $$
checks:
  - sql: {failing_rows: "amount < 0"}
$$);
SELECT dtecert.set_policy('payments', $$
checks:
  - sql: {name: not_boolean, failing_rows: "amount"}
$$);
SELECT dtecert.set_policy('payments', $$
checks:
  - sql: {name: two_statements, failing_rows: "amount < 0; SELECT 1"}
$$);
SELECT dtecert.set_policy('payments', $$
checks:
  - sql: {name: aggregate, failing_rows: "count(*) > 1"}
$$);
SELECT dtecert.set_policy('payments', $$
checks:
  - sql: {name: unknown_column, failing_rows: "price < 0"}
$$);
SELECT dtecert.set_policy('payments', $$
checks:
  - sql: {name: unqualified, failing_rows: "is_negative(amount)"}
$$);
SELECT dtecert.set_policy('payments', $$
checks:
  - sql: {name: bad_where, failing_rows: "amount < 0", where: "status"}
$$);

DROP SCHEMA check_sql CASCADE;
