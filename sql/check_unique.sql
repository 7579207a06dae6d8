--
-- unique: every copy of a duplicated value is unexpected; NULLs are skipped
-- (several NULLs are no duplicates).  Several columns: the combination is
-- unique, rows skipped as ignore_row_if says.  A unique index or constraint
-- that covers the check proves it without reading the data.
--
CREATE SCHEMA check_unique;
SET search_path = check_unique, public;

-- One column.  ids: 2 twice and 3 three times give 5 unexpected rows of the
-- 7 non-null ones.  Text: case, accents and the two spellings of 'é'
-- (U+00E9, and 'e' + U+0301) differ; the same 'é' twice is a duplicate.
-- numeric: 1.1 = 1.10 and NaN = NaN; double precision: 0 = -0.
CREATE TABLE things (
    id    integer,
    code  text,
    price numeric,
    ratio double precision,
    mark  text
);
INSERT INTO things VALUES
    (1,    'a',                    1.1,   0,     NULL),
    (2,    'A',                    1.10,  '-0',  NULL),
    (2,    U&'\00E9',              2,     1,     NULL),
    (3,    U&'e\0301',             'NaN', 2,     NULL),
    (3,    U&'\00E9',              'NaN', 3,     NULL),
    (3,    'b',                    NULL,  'NaN', NULL),
    (4,    NULL,                   NULL,  NULL,  NULL),
    (NULL, NULL,                   3,     NULL,  NULL),
    (NULL, 'c',                    4,     NULL,  NULL);

SELECT 'id' AS col, count(id) AS non_null,
       (SELECT coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM things
         WHERE id IS NOT NULL GROUP BY id HAVING count(*) > 1) d) AS duplicated
  FROM things
UNION ALL
SELECT 'code', count(code),
       (SELECT coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM things
         WHERE code IS NOT NULL GROUP BY code HAVING count(*) > 1) d)
  FROM things
UNION ALL
SELECT 'price', count(price),
       (SELECT coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM things
         WHERE price IS NOT NULL GROUP BY price HAVING count(*) > 1) d)
  FROM things
UNION ALL
SELECT 'ratio', count(ratio),
       (SELECT coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM things
         WHERE ratio IS NOT NULL GROUP BY ratio HAVING count(*) > 1) d)
  FROM things;

-- mostly over the non-null rows: id has 2/7 unique, so 0.28 passes and 0.29
-- fails; where: limits the rows before duplicates are looked for.
SELECT dtecert.set_policy('things', $$
checks:
  - unique: id
  - unique: {column: id, name: id_mostly_28, mostly: 0.28}
  - unique: {column: id, name: id_mostly_29, mostly: 0.29}
  - unique: {column: id, name: id_where, where: "code <> 'a' AND code <> 'b'"}
  - unique: {column: id, name: id_where_pass, where: "code IN ('a', 'b', 'c')"}
  - unique: code
  - unique: price
  - unique: ratio
  - unique: mark
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('things');
SELECT * FROM results('things');
SELECT * FROM documents('things') WHERE check_name IN ('unique(id)', 'id_mostly_29');

-- mostly on 100 rows: copies come at least in pairs, so the boundary is
-- 98/100: mostly 0.98 passes, 0.99 fails.
CREATE TABLE hundred (i integer, v integer);
INSERT INTO hundred SELECT i, CASE WHEN i = 100 THEN 1 ELSE i END
  FROM generate_series(1, 100) AS i;
SELECT dtecert.set_policy('hundred', $$
checks:
  - unique: i
  - unique: {column: v, name: v_mostly_98, mostly: 0.98}
  - unique: {column: v, name: v_mostly_99, mostly: 0.99}
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('hundred');
SELECT * FROM results('hundred');

-- A column of only NULLs and an empty table pass.
CREATE TABLE nothing (id integer, x text, y text);
INSERT INTO nothing SELECT i, NULL, NULL FROM generate_series(1, 3) AS i;
SELECT dtecert.set_policy('nothing', $$
checks:
  - unique: x
  - unique: {column: x, name: x_mostly, mostly: 0.5}
  - unique: {columns: [x, y]}
  - unique: {columns: [x, y], name: xy_any, ignore_row_if: any_value_is_missing}
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('nothing');
SELECT * FROM results('nothing');
TRUNCATE nothing;
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('nothing');
SELECT * FROM results('nothing');

-- Several columns.  NULLs in a combination compare equal (two (1, NULL)
-- rows are duplicates); ignore_row_if decides which rows are considered:
--   all_values_are_missing (the default) skips (NULL, NULL): 6 rows,
--     duplicates (1, x) x2 and (1, NULL) x2: 4 unexpected;
--   any_value_is_missing skips every row with a NULL: 3 rows, 2 unexpected;
--   never skips nothing: 8 rows, (NULL, NULL) x2 too: 6 unexpected.
CREATE TABLE pairs (id integer, a integer, b text);
INSERT INTO pairs VALUES
    (1, 1,    'x'),
    (2, 1,    'x'),
    (3, 1,    'y'),
    (4, 1,    NULL),
    (5, 1,    NULL),
    (6, NULL, NULL),
    (7, NULL, NULL),
    (8, 2,    NULL);
SELECT count(*) FILTER (WHERE NOT (a IS NULL AND b IS NULL)) AS considered_all_missing,
       count(*) FILTER (WHERE a IS NOT NULL AND b IS NOT NULL) AS considered_any_missing,
       count(*) AS considered_never
  FROM pairs;
SELECT a, b, count(*) FROM pairs GROUP BY a, b HAVING count(*) > 1 ORDER BY a, b;
SELECT dtecert.set_policy('pairs', $$
checks:
  - unique: {columns: [a, b]}
  - unique: {columns: [a, b], name: ab_any_missing, ignore_row_if: any_value_is_missing}
  - unique: {columns: [a, b], name: ab_never, ignore_row_if: never}
  - unique: {columns: [a, b], name: ab_explicit_default, ignore_row_if: all_values_are_missing}
  - unique: {columns: [a, b], name: ab_mostly_33, mostly: 0.33}
  - unique: {columns: [a, b], name: ab_mostly_34, mostly: 0.34}
  - unique: {columns: [a, b], name: ab_where, where: "id >= 2"}
  - unique: {columns: [id, a, b], name: with_id}
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('pairs');
SELECT * FROM results('pairs');
SELECT * FROM documents('pairs') WHERE check_name IN ('unique(a,b)', 'ab_never');

-- Proofs.  A primary key or unique constraint proves its column; a unique
-- index proves a check whose columns include all its keys (for several
-- columns, keys that cannot be NULL, or rows with a NULL ignored).  A
-- partial index, an expression index, a deferrable constraint, or an index
-- with a key the check does not read proves nothing: those checks read the
-- data; lot alone is not unique.
CREATE TABLE keyed (
    id       integer PRIMARY KEY,
    email    text UNIQUE,
    sku      text,
    lot      integer,
    slot     integer,
    ref      integer UNIQUE DEFERRABLE,
    nick     text,
    handle   text
);
CREATE UNIQUE INDEX keyed_sku ON keyed (sku);
CREATE UNIQUE INDEX keyed_lot_slot ON keyed (lot, slot);
CREATE UNIQUE INDEX keyed_nick_partial ON keyed (nick) WHERE id > 0;
CREATE UNIQUE INDEX keyed_lower_handle ON keyed (lower(handle));
INSERT INTO keyed VALUES
    (1, 'a@x', 'S1', 1, 1, 1, 'n1', 'h1'),
    (2, 'b@x', 'S2', 1, 2, 2, 'n2', 'h2'),
    (3, 'c@x', NULL, 2, 1, 3, 'n3', 'h3');
SELECT dtecert.set_policy('keyed', $$
checks:
  - unique: id
  - unique: email
  - unique: sku
  - unique: {columns: [id, lot]}
  - unique: {columns: [slot, lot]}
  - unique: {columns: [slot, lot], name: slot_lot_any, ignore_row_if: any_value_is_missing}
  - unique: lot
  - unique: {columns: [lot, nick]}
  - unique: ref
  - unique: nick
  - unique: handle
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('keyed');
SELECT * FROM results('keyed');

-- Several nullable columns: a plain unique index on (a, b) allows two
-- (1, NULL) rows, which the check counts as duplicates, so it proves the
-- check only with ignore_row_if: any_value_is_missing ...
CREATE TABLE nullable_pairs (id integer, a integer, b text);
CREATE UNIQUE INDEX nullable_pairs_a_b ON nullable_pairs (a, b);
INSERT INTO nullable_pairs VALUES
    (1, 1,    'x'),
    (2, 1,    NULL),
    (3, 1,    NULL),
    (4, NULL, NULL),
    (5, NULL, NULL);
SELECT dtecert.set_policy('nullable_pairs', $$
checks:
  - unique: {columns: [a, b]}
  - unique: {columns: [a, b], name: ab_any_missing, ignore_row_if: any_value_is_missing}
  - unique: {columns: [a, b], name: ab_never, ignore_row_if: never}
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('nullable_pairs');
SELECT * FROM results('nullable_pairs');

-- ... and a NULLS NOT DISTINCT index proves it whatever ignore_row_if says.
DELETE FROM nullable_pairs WHERE id IN (3, 5);
DROP INDEX nullable_pairs_a_b;
CREATE UNIQUE INDEX nullable_pairs_a_b_nnd ON nullable_pairs (a, b) NULLS NOT DISTINCT;
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('nullable_pairs');
SELECT * FROM results('nullable_pairs');

-- Severity: a failing warn is reported, not counted.
SELECT dtecert.set_policy('things', $$
checks:
  - unique: {column: id, severity: warn}
  - unique: mark
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('things');
SELECT * FROM results('things');

-- ignore_row_if belongs to columns:, not to column:.
SELECT dtecert.set_policy('pairs', $$
checks:
  - unique: {column: a, ignore_row_if: never}
$$);

DROP SCHEMA check_unique CASCADE;
