--
-- between, length_between (value checks: NULLs skipped) and row_count.
--
CREATE SCHEMA check_ranges;
SET search_path = check_ranges, public;
SET TimeZone = 'UTC';

-- Ten measurements.  NaN sorts above every number in PostgreSQL.
CREATE TABLE m (
    id      integer,
    amount  numeric,
    ratio   double precision,
    grade   text COLLATE "C",
    code    text COLLATE "C",
    at_tz   timestamptz,
    at_ts   timestamp,
    day     date
);
INSERT INTO m VALUES
    (1,  0,      0,           'A',  '01',  '2024-01-01 00:00:00+00',    '2024-01-01 00:00:00', '2024-01-01'),
    (2,  10,     0.5,         'B',  '02',  '2023-12-31 23:30:00-01',    '2024-06-30 12:00:00', '2024-06-30'),
    (3,  50,     1,           'C',  '1',   '2023-12-31 23:59:59.999+00', '2024-12-31 23:59:59', '2024-12-31'),
    (4,  99.99,  'Infinity',  'D',  '10',  '2024-12-31 23:59:59+00',    '2025-01-01 00:00:00', '2025-01-01'),
    (5,  100,    '-Infinity', 'a',  '100', '2025-01-01 00:00:00+00',    '2023-12-31 23:59:59', '2023-12-31'),
    (6,  100.01, 'NaN',       'É',  '9',   NULL,                        NULL,                  NULL),
    (7,  -5,     -0.5,        NULL, NULL,  '2024-07-01 00:00:00+02',    '2024-07-01 00:00:00', '2024-07-01'),
    (8,  'NaN',  2,           'Ab', '011', '2024-03-01 00:00:00+00',    '2024-03-01 00:00:00', '2024-03-01'),
    (9,  NULL,   NULL,        'C',  '001', '2024-01-01 00:00:00+00',    '2024-01-01 00:00:00', '2024-01-01'),
    (10, NULL,   NULL,        'BB', '10',  NULL,                        NULL,                  NULL);

-- between on numeric, with NaN, strict bounds, one bound, mostly (3 of 8
-- values are strictly inside: 0.375 passes, 0.376 fails), where:.
SELECT count(amount) AS amount_values,
       count(*) FILTER (WHERE amount < 0 OR amount > 100) AS outside_0_100,
       count(*) FILTER (WHERE amount <= 0 OR amount >= 100) AS outside_strict,
       count(*) FILTER (WHERE amount < 0) AS below_0,
       count(*) FILTER (WHERE amount > 100) AS above_100,
       count(*) FILTER (WHERE amount = 'NaN') AS nan
  FROM m;
SELECT dtecert.set_policy('m', $$
checks:
  - between: {column: amount, min: 0, max: 100}
  - between: {column: amount, name: strict_min, min: 0, strict_min: true, max: 100}
  - between: {column: amount, name: strict_max, min: 0, max: 100, strict_max: true}
  - between: {column: amount, name: strict_both, min: 0, max: 100,
              strict_min: true, strict_max: true}
  - between: {column: amount, name: strict_mostly_375, min: 0, max: 100,
              strict_min: true, strict_max: true, mostly: 0.375}
  - between: {column: amount, name: strict_mostly_376, min: 0, max: 100,
              strict_min: true, strict_max: true, mostly: 0.376}
  - between: {column: amount, name: min_only, min: 0}
  - between: {column: amount, name: max_only, max: 100}
  - between: {column: amount, name: max_nan, max: NaN}
  - between: {column: amount, name: min_nan, min: NaN}
  - between: {column: amount, name: first_five, min: 0, max: 100, where: "id <= 5"}
  - between: {column: amount, name: decimals_as_written, min: 0.00, max: 99.990}
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('m');
SELECT * FROM results('m');
SELECT * FROM documents('m') WHERE check_name IN ('strict_both', 'decimals_as_written');

-- between on double precision (infinities, NaN), on text in the column's
-- collation ("C": 'a' and 'É' sort after 'C'), with bounds as written
-- (min: 01 is the string '01', not the number 1), and on timestamps.
SELECT count(*) FILTER (WHERE ratio < -1 OR ratio > 1) AS ratio_outside,
       count(*) FILTER (WHERE grade < 'A' OR grade > 'C') AS grade_outside,
       count(*) FILTER (WHERE code < '01' OR code > '10') AS code_outside,
       count(*) FILTER (WHERE at_tz < '2024-01-01 00:00:00+00'
                           OR at_tz > '2024-12-31 23:59:59+00') AS at_tz_outside,
       count(*) FILTER (WHERE at_ts < '2024-01-01' OR at_ts >= '2025-01-01') AS at_ts_outside,
       count(*) FILTER (WHERE day <= '2024-01-01' OR day > '2024-12-31') AS day_outside
  FROM m;
SELECT dtecert.set_policy('m', $$
checks:
  - between: {column: ratio, min: -1, max: 1}
  - between: {column: ratio, name: ratio_infinite, min: -Infinity, max: Infinity}
  - between: {column: grade, min: A, max: C}
  - between: {column: code, min: '01', max: '10'}
  - between: {column: at_tz, min: "2024-01-01 00:00:00+00", max: "2024-12-31 23:59:59+00"}
  - between: {column: at_ts, min: 2024-01-01, max: 2025-01-01, strict_max: true}
  - between: {column: day, min: 2024-01-01, strict_min: true, max: 2024-12-31}
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('m');
SELECT * FROM results('m');

-- length_between: the length in characters ('Cécile' is 6 characters, 7
-- bytes) of text, NULLs skipped; other types are refused.
CREATE TABLE names (id integer, name text, zip integer);
INSERT INTO names VALUES
    (1, 'Ann',         12345),
    (2, 'Cécile',      1234),
    (3, '日本',         NULL),
    (4, '',            99999),
    (5, NULL,          123456),
    (6, 'Bartholomew', 10000),
    (7, 'ab  ',        54321);
SELECT id, name, char_length(name) AS chars, octet_length(name) AS bytes,
       char_length(zip::text) AS zip_digits
  FROM names ORDER BY id;
SELECT dtecert.set_policy('names', $$
checks:
  - length_between: {column: name, min: 2, max: 6}
  - length_between: {column: name, name: min_only, min: 1}
  - length_between: {column: name, name: max_only, max: 6}
  - length_between: {column: name, name: strict, min: 2, max: 6, strict_min: true, strict_max: true}
  - length_between: {column: name, name: mostly_66, min: 2, max: 6, mostly: 0.66}
  - length_between: {column: name, name: mostly_67, min: 2, max: 6, mostly: 0.67}
  - length_between: {column: name, name: exactly_two_to_six, min: 2, max: 6, where: "id <> 4 AND id <> 6"}
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('names');
SELECT * FROM results('names');
SELECT * FROM documents('names') WHERE check_name = 'strict';
-- the digits of an integer are not its length: refused
SELECT dtecert.set_policy('names', 'checks: [{length_between: {column: zip, min: 5, max: 5}}]');
-- a number bound on a text column would compare as text ('10' < '9'): refused unless quoted
SELECT dtecert.set_policy('m', 'checks: [{between: {column: code, min: 1, max: 10}}]');

-- row_count: the rows of the table, or of the where: filter; no mostly.
-- A warn check that fails leaves the certificate certified.
SELECT dtecert.set_policy('names', $$
checks:
  - row_count: {min: 7}
  - row_count: {name: at_most_7, max: 7}
  - row_count: {name: equals_7, equals: 7}
  - row_count: {name: between_1_and_10, min: 1, max: 10}
  - row_count: {name: with_zip, equals: 6, where: "zip IS NOT NULL"}
  - row_count: {name: none_long, equals: 0, where: "char_length(name) > 20"}
  - row_count: {name: at_least_8, min: 8, severity: warn}
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('names');
SELECT * FROM results('names');
SELECT * FROM documents('names');
SELECT dtecert.set_policy('names', $$
checks:
  - row_count: {name: at_least_8, min: 8}
  - row_count: {name: at_most_6, max: 6}
  - row_count: {name: equals_6, equals: 6}
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('names');
SELECT * FROM results('names');

-- mostly on 100 rows: 99/100 passes mostly 0.99, 98/100 fails.
CREATE TABLE hundred (i integer, s text);
INSERT INTO hundred SELECT i, repeat('x', i) FROM generate_series(1, 100) AS i;
SELECT dtecert.set_policy('hundred', $$
checks:
  - between: {column: i, name: between_99, min: 1, max: 99, mostly: 0.99}
  - between: {column: i, name: between_98, min: 2, max: 99, mostly: 0.99}
  - length_between: {column: s, name: length_99, max: 99, mostly: 0.99}
  - length_between: {column: s, name: length_98, min: 2, max: 99, mostly: 0.99}
  - row_count: {equals: 100}
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('hundred');
SELECT * FROM results('hundred');

-- A column of only NULLs passes between and length_between; an empty table
-- passes them too, and row_count sees 0 rows.  A critical row_count that
-- fails fails the certificate.
CREATE TABLE nothing (id integer, x numeric, s text);
INSERT INTO nothing SELECT i, NULL, NULL FROM generate_series(1, 3) AS i;
SELECT dtecert.set_policy('nothing', $$
checks:
  - between: {column: x, min: 0, max: 1}
  - between: {column: x, name: x_mostly, min: 0, mostly: 0.5}
  - length_between: {column: s, min: 1, max: 2}
  - row_count: {equals: 3}
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('nothing');
SELECT * FROM results('nothing');
TRUNCATE nothing;
SELECT dtecert.set_policy('nothing', $$
min_score: 0.5
checks:
  - between: {column: x, min: 0, max: 1}
  - length_between: {column: s, min: 1, max: 2}
  - row_count: {name: empty, equals: 0}
  - row_count: {name: not_empty, min: 1, severity: critical}
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('nothing');
SELECT * FROM results('nothing');

-- Bounds that cannot hold, or are missing, are refused.
SELECT dtecert.set_policy('m', $$
checks:
  - between: {column: amount, min: 10, max: 1}
$$);
SELECT dtecert.set_policy('m', $$
checks:
  - between: {column: grade, min: b, max: B}
$$);
SELECT dtecert.set_policy('m', $$
checks:
  - between: {column: amount}
$$);
SELECT dtecert.set_policy('names', $$
checks:
  - row_count: {min: 1, mostly: 0.5}
$$);
-- An empty range of lengths is accepted, as Great Expectations has it: it
-- fails every non-NULL value.
SELECT dtecert.set_policy('names', $$
checks:
  - length_between: {column: name, min: 3, max: 2}
$$) AS version;
SELECT status, checks_failed FROM dtecert.certify('names');
SELECT * FROM results('names');

DROP SCHEMA check_ranges CASCADE;
