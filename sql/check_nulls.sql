--
-- not_null and be_null: measured over every row (of the where: filter),
-- NULL is the unexpected value of not_null and a value that of be_null.
--
CREATE SCHEMA check_nulls;
SET search_path = check_nulls, public;

-- Ten people: two without a name, one with a nick, two deleted.
CREATE TABLE people (
    id          integer NOT NULL,
    name        text,
    nick        text,
    kind        text,
    deleted_at  date
);
INSERT INTO people VALUES
    (1,  'Ann',   NULL,  'active',  NULL),
    (2,  'Bob',   'bobby', 'active', NULL),
    (3,  'Cécile', NULL, 'active',  NULL),
    (4,  NULL,    NULL,  'active',  NULL),
    (5,  'Dan',   NULL,  'active',  NULL),
    (6,  'Eve',   NULL,  'active',  NULL),
    (7,  NULL,    NULL,  'active',  NULL),
    (8,  'Fay',   NULL,  'active',  NULL),
    (9,  'Gus',   NULL,  'deleted', '2024-01-01'),
    (10, 'Hal',   NULL,  'deleted', '2024-02-01');

-- the independent counts: 2 names and 9 nicks are NULL
SELECT count(*) AS total,
       count(*) FILTER (WHERE name IS NULL) AS name_nulls,
       count(*) FILTER (WHERE nick IS NOT NULL) AS nick_values,
       count(*) FILTER (WHERE id > 3 AND name IS NULL) AS name_nulls_after_3
  FROM people;

-- Pass, fail, mostly at its exact boundary (8/10 = 0.8), where:, and a
-- NOT NULL constraint that proves not_null without reading the data.
SELECT dtecert.set_policy('people', $$
checks:
  - not_null: id
  - not_null: name
  - not_null: {column: name, name: name_mostly_80, mostly: 0.8}
  - not_null: {column: name, name: name_mostly_81, mostly: 0.81}
  - not_null: {column: name, name: name_after_3, where: "id > 3"}
  - not_null: {column: deleted_at, name: deleted_have_date, where: "kind = 'deleted'"}
  - be_null: nick
  - be_null: {column: nick, name: nick_mostly_90, mostly: 0.9}
  - be_null: {column: nick, name: nick_mostly_91, mostly: 0.91}
  - be_null: {column: deleted_at, name: active_not_deleted, where: "kind = 'active'"}
  - be_null: {column: id, name: id_be_null}
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('people');
SELECT * FROM results('people');

-- What the checks observed and expected.
SELECT * FROM documents('people');

-- A mostly boundary on 100 rows: 99/100 passes mostly 0.99, 98/100 fails.
CREATE TABLE hundred (i integer, one_null integer, two_nulls integer,
                      one_value integer, two_values integer);
INSERT INTO hundred
SELECT i,
       CASE WHEN i = 50 THEN NULL ELSE i END,
       CASE WHEN i IN (10, 90) THEN NULL ELSE i END,
       CASE WHEN i = 50 THEN i END,
       CASE WHEN i IN (10, 90) THEN i END
  FROM generate_series(1, 100) AS i;
SELECT dtecert.set_policy('hundred', $$
checks:
  - not_null: {column: one_null, mostly: 0.99}
  - not_null: {column: two_nulls, mostly: 0.99}
  - be_null: {column: one_value, mostly: 0.99}
  - be_null: {column: two_values, mostly: 0.99}
  - not_null: {column: two_nulls, name: two_nulls_mostly_98, mostly: 0.98}
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('hundred');
SELECT * FROM results('hundred');

-- A column of only NULLs: not_null fails on every row, be_null passes.
-- (NULL handling is the subject here: not_null and be_null count all rows.)
-- NaN is a value, not a NULL.
CREATE TABLE all_null (id integer, x numeric, y numeric);
INSERT INTO all_null SELECT i, NULL, 'NaN' FROM generate_series(1, 4) AS i;
SELECT dtecert.set_policy('all_null', $$
checks:
  - not_null: x
  - be_null: x
  - not_null: {column: x, name: x_mostly, mostly: 0.5}
  - not_null: y
  - be_null: y
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('all_null');
SELECT * FROM results('all_null');

-- An empty table: no row considered, every check passes.
CREATE TABLE empty (id integer, x text);
SELECT dtecert.set_policy('empty', $$
checks:
  - not_null: x
  - be_null: x
  - not_null: {column: x, name: x_mostly, mostly: 0.9}
  - be_null: {column: id, name: id_where, where: "x = 'a'"}
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('empty');
SELECT * FROM results('empty');

-- A where: filter that no row satisfies passes too.
SELECT dtecert.set_policy('people', $$
checks:
  - not_null: {column: name, where: "kind = 'none'"}
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('people');
SELECT * FROM results('people');

-- Severity.  warn: a failing warn check is reported, not counted.
SELECT dtecert.set_policy('people', $$
checks:
  - not_null: id
  - not_null: {column: name, severity: warn}
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('people');
SELECT * FROM results('people');

-- error: with min_score 0.5, one failure in two checks still certifies ...
SELECT dtecert.set_policy('people', $$
min_score: 0.5
checks:
  - not_null: id
  - not_null: name
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('people');

-- ... critical: the same failure fails the certificate whatever the score.
SELECT dtecert.set_policy('people', $$
min_score: 0.5
checks:
  - not_null: id
  - not_null: {column: name, severity: critical}
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('people');
SELECT status, certified, reason FROM dtecert.certificates
 WHERE certificate_id = (SELECT max(certificate_id) FROM dtecert.certificates
                          WHERE dataset = 'check_nulls.people');

-- The data changes; the checks see it.
UPDATE people SET name = 'Ivy' WHERE id IN (4, 7);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('people');
SELECT * FROM results('people');

DROP SCHEMA check_nulls CASCADE;
