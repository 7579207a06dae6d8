--
-- The schema contract (types, typmods, nullable: false, extra_columns) and
-- freshness (timestamptz, timestamp and date columns).  Both are tier
-- criteria: rows of kind schema and freshness in check_results, outside
-- quality_score.
--
CREATE SCHEMA check_schema_freshness;
SET search_path = check_schema_freshness, public;
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';

CREATE DOMAIN positive_int AS integer CHECK (VALUE > 0);
CREATE TABLE orders (
    id           bigint NOT NULL,
    code         varchar(10),
    amount       numeric(10,2),
    ordered_at   timestamptz,
    note         text,
    tags         text[],
    qty          positive_int,
    "Amount EUR" numeric,
    legacy       integer
);
INSERT INTO orders VALUES
    (1, 'A1', 10.50, '2024-01-01 10:00+00', 'first',  '{a,b}', 1, 9.5,  NULL),
    (2, 'B2', 20.00, '2024-01-02 10:00+00', 'second', '{}',    2, NULL, NULL),
    (3, NULL, NULL,  NULL,                  'third',  NULL,    3, 1.25, NULL);
ALTER TABLE orders DROP COLUMN legacy;

-- A contract that holds.  Type names resolve as the server resolves them
-- (int8 is bigint, character varying is varchar, timestamp with time zone
-- is timestamptz); a type without a modifier matches any modifier;
-- nullable: false is proven by id's NOT NULL constraint and verified on
-- note's data (no NULLs); quoted names; a domain named with its schema;
-- the columns as a list.  A dropped column is no extra column.
SELECT dtecert.set_policy('orders', $$
schema:
  columns:
    - {name: id, type: int8, nullable: false}
    - {name: code, type: character varying(10)}
    - {name: amount, type: numeric}
    - {name: ordered_at, type: timestamp with time zone}
    - {name: note, type: text, nullable: false}
    - {name: tags, type: "text[]"}
    - {name: qty, type: check_schema_freshness.positive_int}
    - {name: Amount EUR, type: numeric}
  extra_columns: forbid
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('orders');
SELECT * FROM results('orders');
SELECT * FROM documents('orders');

-- The mapping form, with exact typmods, nullable: false verified on data
-- that has NULLs, and extra_columns forbid with columns left out.
-- Mismatches: a bigint is no integer, varchar(10) no varchar(20),
-- numeric(10,2) no numeric(12,2), timestamptz no timestamp, the domain no
-- integer; code and "Amount EUR" hold NULLs; tags and note are not listed.
SELECT count(*) FILTER (WHERE code IS NULL) AS code_nulls,
       count(*) FILTER (WHERE "Amount EUR" IS NULL) AS amount_eur_nulls
  FROM orders;
SELECT dtecert.set_policy('orders', $$
schema:
  columns:
    id:           {type: integer, nullable: false}
    code:         {type: varchar(20), nullable: false}
    amount:       {type: "numeric(12,2)"}
    ordered_at:   {type: timestamp}
    qty:          {type: integer}
    Amount EUR:   {nullable: false}
  extra_columns: forbid
checks:
  - not_null: id
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('orders');
SELECT * FROM results('orders');
SELECT * FROM documents('orders');
SELECT reason FROM dtecert.certificates
 WHERE certificate_id = (SELECT max(certificate_id) FROM dtecert.certificates
                          WHERE dataset = 'check_schema_freshness.orders');

-- Exact typmods that match; a column declared with no type must only exist;
-- extra_columns allow (the default) ignores the rest.
SELECT dtecert.set_policy('orders', $$
schema:
  columns:
    code:         {type: varchar(10)}
    amount:       {type: "numeric(10,2)"}
    Amount EUR:
    ordered_at:   {}
checks:
  - not_null: id
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('orders');
SELECT * FROM results('orders');
SELECT * FROM documents('orders') WHERE check_name = 'schema';

-- The NULLs go away: nullable: false now holds on the data.
UPDATE orders SET code = 'C3' WHERE id = 3;
SELECT dtecert.set_policy('orders', $$
schema:
  columns:
    code: {type: varchar(10), nullable: false}
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('orders');
SELECT * FROM results('orders');
SELECT * FROM documents('orders');

-- A column that disappears after the policy was set: missing.
ALTER TABLE orders DROP COLUMN code;
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('orders');
SELECT * FROM results('orders');
SELECT * FROM documents('orders');

-- An empty table: the contract is about the catalog, and nullable: false
-- holds on no rows.
CREATE TABLE empty (id integer, name text);
SELECT dtecert.set_policy('empty', $$
schema:
  columns:
    id: {type: integer, nullable: false}
    name: {type: text, nullable: false}
  extra_columns: forbid
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('empty');
SELECT * FROM results('empty');

-- Refused when stored: a column that does not exist, a type that does not
-- exist, a type of one's own without its schema.
SELECT dtecert.set_policy('orders', $$
schema:
  columns:
    nope: {type: integer}
$$);
SELECT dtecert.set_policy('orders', $$
schema:
  columns:
    id: {type: bigbigint}
$$);
SELECT dtecert.set_policy('orders', $$
schema:
  columns:
    qty: {type: positive_int}
$$);

--
-- Freshness: the newest value of the column is at most max_age old.  Rows
-- are dated relative to now(); the observed age varies, so the observed
-- document is not shown.
--
CREATE TABLE events (
    id    integer,
    at_tz timestamptz,
    at_ts timestamp,
    day   date
);
INSERT INTO events VALUES
    (1, now() - interval '3 hours', localtimestamp - interval '3 hours', current_date - 10),
    (2, now() - interval '2 hours', localtimestamp - interval '2 hours', current_date),
    (3, NULL, NULL, NULL);

CREATE FUNCTION freshness(ds regclass)
RETURNS TABLE (check_name text, kind text, passed boolean, expected jsonb, reason text)
LANGUAGE sql AS $$
  SELECT r.check_name, r.kind, r.passed, r.expected, r.reason
    FROM dtecert.check_results r
   WHERE r.certificate_id = (SELECT max(c.certificate_id)
                               FROM dtecert.certificates c
                              WHERE c.dataset = dtecert.dataset_name(ds))
     AND r.kind = 'freshness'
$$;

-- timestamptz: 2 hours old
SELECT dtecert.set_policy('events', $$
freshness: {column: at_tz, max_age: 1 day}
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('events');
SELECT * FROM freshness('events');
SELECT dtecert.set_policy('events', $$
freshness: {column: at_tz, max_age: 1 hour}
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('events');
SELECT * FROM freshness('events');

-- timestamp (without time zone) is read as UTC whatever the session's
-- TimeZone, so every certifier gets the same verdict: wall-clock values
-- written at UTC-11 ten minutes ago are eleven hours old in UTC.
SET TimeZone = 'Pacific/Pago_Pago';
UPDATE events SET at_ts = localtimestamp - interval '3 hours' WHERE id = 1;
UPDATE events SET at_ts = localtimestamp - interval '10 minutes' WHERE id = 2;
SELECT dtecert.set_policy('events', $$
freshness: {column: at_ts, max_age: 1 hour}
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('events');
SELECT * FROM freshness('events');
SET TimeZone = 'UTC';
SELECT dtecert.set_policy('events', $$
freshness: {column: at_ts, max_age: 5 minutes}
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('events');
SELECT * FROM freshness('events');

-- date: today's rows date from midnight, so less than 2 days old; 10 days
-- ago is not.
SELECT dtecert.set_policy('events', $$
freshness: {column: day, max_age: 2 days}
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('events');
SELECT * FROM freshness('events');
DELETE FROM events WHERE id = 2;
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('events');
SELECT * FROM freshness('events');

-- Freshness and a passing check: the check makes the score, freshness
-- decides the certificate.
SELECT dtecert.set_policy('events', $$
freshness: {column: day, max_age: 2 days}
checks:
  - not_null: id
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('events');

-- A column of only NULLs, and an empty table, are not fresh.  (NULLs are
-- ignored otherwise: row 3 has none above.)
UPDATE events SET day = NULL;
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('events');
SELECT * FROM freshness('events');
TRUNCATE events;
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('events');
SELECT * FROM freshness('events');

-- Schema and freshness together.
INSERT INTO events VALUES (1, now(), localtimestamp, current_date);
SELECT dtecert.set_policy('events', $$
schema:
  columns:
    id: {type: integer}
    at_tz: {type: timestamptz}
    at_ts: {type: timestamp}
    day: {type: date}
  extra_columns: forbid
freshness: {column: at_tz, max_age: 1 hour}
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('events');
SELECT r.check_name, r.kind, r.passed, r.reason
  FROM dtecert.check_results r
 WHERE r.certificate_id = (SELECT max(certificate_id) FROM dtecert.certificates
                            WHERE dataset = 'check_schema_freshness.events')
 ORDER BY r.check_index;

-- Refused when stored: a column of another type, a max_age that is no
-- positive interval, a column that does not exist.
SELECT dtecert.set_policy('events', $$
freshness: {column: id, max_age: 1 day}
$$);
SELECT dtecert.set_policy('events', $$
freshness: {column: at_tz, max_age: -1 day}
$$);
SELECT dtecert.set_policy('events', $$
freshness: {column: at_tz, max_age: soon}
$$);
SELECT dtecert.set_policy('events', $$
freshness: {column: created_at, max_age: 1 day}
$$);

-- nullable: true, or no nullable, accepts either: it does not require the
-- column to be nullable.  id is NOT NULL; "Amount EUR", amount and tags
-- hold a NULL; note holds none, so nullable: false on note holds on its
-- data (it has no NOT NULL).
SELECT count(*) FILTER (WHERE "Amount EUR" IS NULL) AS amount_eur_nulls,
       count(*) FILTER (WHERE amount IS NULL) AS amount_nulls,
       count(*) FILTER (WHERE tags IS NULL) AS tags_nulls,
       count(*) FILTER (WHERE note IS NULL) AS note_nulls
  FROM orders;
SELECT dtecert.set_policy('orders', $$
schema:
  columns:
    id:         {type: bigint, nullable: true}
    Amount EUR: {type: numeric, nullable: true}
    note:       {type: text, nullable: false}
    amount:     {nullable: true}
    tags:       {type: "text[]"}
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('orders');
SELECT * FROM results('orders');
SELECT * FROM documents('orders');

-- nullable: false on a NOT NULL column holds whatever the rest of the data;
-- on a column without one it fails as soon as one NULL appears.
INSERT INTO orders (id, amount, note) VALUES (4, 1.00, NULL);
SELECT dtecert.set_policy('orders', $$
schema:
  columns:
    id:   {nullable: false}
    note: {nullable: false}
    tags: {nullable: true}
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('orders');
SELECT * FROM results('orders');
SELECT * FROM documents('orders');

--
-- Freshness ignores 'infinity' and '-infinity': they are sentinels, not
-- dates.  The newest finite value dates the data; a column of only
-- infinities (and NULLs) has no value to date it by.
--
CREATE TABLE sentinels (
    id    integer,
    at_tz timestamptz,
    at_ts timestamp,
    day   date
);
INSERT INTO sentinels VALUES
    (1, now() - interval '2 hours', localtimestamp - interval '2 hours', current_date - 1),
    (2, 'infinity', 'infinity', 'infinity'),
    (3, '-infinity', '-infinity', '-infinity'),
    (4, NULL, NULL, NULL);
SELECT max(at_tz) = 'infinity' AS max_tz_is_infinity,
       max(at_ts) = 'infinity' AS max_ts_is_infinity,
       max(day) = 'infinity' AS max_day_is_infinity
  FROM sentinels;

-- the newest finite value is 2 hours old: fresh within 1 day, not within
-- 1 hour ('infinity' would make it fresh within any max_age).  The observed
-- latest value is the finite row's.
SELECT dtecert.set_policy('sentinels', $$
freshness: {column: at_tz, max_age: 1 day}
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('sentinels');
SELECT * FROM freshness('sentinels');
SELECT (r.observed->>'latest')::timestamptz = (SELECT at_tz FROM sentinels WHERE id = 1)
           AS latest_is_the_finite_row
  FROM dtecert.check_results r
 WHERE r.certificate_id = (SELECT max(c.certificate_id) FROM dtecert.certificates c
                            WHERE c.dataset = 'check_schema_freshness.sentinels')
   AND r.kind = 'freshness';
SELECT dtecert.set_policy('sentinels', $$
freshness: {column: at_tz, max_age: 1 hour}
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('sentinels');
SELECT * FROM freshness('sentinels');
SELECT dtecert.set_policy('sentinels', $$
freshness: {column: at_ts, max_age: 3 hours}
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('sentinels');
SELECT * FROM freshness('sentinels');
SELECT (r.observed->>'latest')::timestamptz = (SELECT at_ts::timestamptz FROM sentinels WHERE id = 1)
           AS latest_is_the_finite_row
  FROM dtecert.check_results r
 WHERE r.certificate_id = (SELECT max(c.certificate_id) FROM dtecert.certificates c
                            WHERE c.dataset = 'check_schema_freshness.sentinels')
   AND r.kind = 'freshness';
SELECT dtecert.set_policy('sentinels', $$
freshness: {column: at_ts, max_age: 1 hour}
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('sentinels');
SELECT * FROM freshness('sentinels');
-- yesterday's date is from yesterday's midnight: within 2 days, not 12 hours
SELECT dtecert.set_policy('sentinels', $$
freshness: {column: day, max_age: 2 days}
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('sentinels');
SELECT * FROM freshness('sentinels');
SELECT (r.observed->>'latest')::timestamptz = (SELECT day::timestamptz FROM sentinels WHERE id = 1)
           AS latest_is_the_finite_row
  FROM dtecert.check_results r
 WHERE r.certificate_id = (SELECT max(c.certificate_id) FROM dtecert.certificates c
                            WHERE c.dataset = 'check_schema_freshness.sentinels')
   AND r.kind = 'freshness';
SELECT dtecert.set_policy('sentinels', $$
freshness: {column: day, max_age: 12 hours}
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('sentinels');
SELECT * FROM freshness('sentinels');

-- Without 'infinity', '-infinity' does not date the data either: the
-- finite row does.
DELETE FROM sentinels WHERE id = 2;
SELECT dtecert.set_policy('sentinels', $$
freshness: {column: at_tz, max_age: 1 day}
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('sentinels');
SELECT * FROM freshness('sentinels');

-- Only infinities (and a NULL): no value to date the data by, for each
-- type; certify does not raise.
DELETE FROM sentinels WHERE id = 1;
INSERT INTO sentinels VALUES (2, 'infinity', 'infinity', 'infinity');
SELECT dtecert.set_policy('sentinels', $$
freshness: {column: at_tz, max_age: 100 years}
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('sentinels');
SELECT * FROM freshness('sentinels');
SELECT dtecert.set_policy('sentinels', $$
freshness: {column: at_ts, max_age: 100 years}
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('sentinels');
SELECT * FROM freshness('sentinels');
SELECT dtecert.set_policy('sentinels', $$
freshness: {column: day, max_age: 100 years}
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('sentinels');
SELECT * FROM freshness('sentinels');
-- only 'infinity'; then only '-infinity'
DELETE FROM sentinels WHERE id = 3;
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('sentinels');
SELECT * FROM freshness('sentinels');
UPDATE sentinels SET day = '-infinity' WHERE id = 2;
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('sentinels');
SELECT * FROM freshness('sentinels');
SELECT * FROM documents('sentinels');

DROP SCHEMA check_schema_freshness CASCADE;
