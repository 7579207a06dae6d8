--
-- Checks of the table's shape, read from the catalog alone (no scan, no
-- rows): column_count, columns_in_order, column_exists, column_type.  Only
-- live columns count (a dropped column leaves no gap); names are exact
-- (case-sensitive); a type is resolved as PostgreSQL resolves it (int =
-- integer = int4), its typmod compared only when written.  They pass or
-- fail as a whole and read no rows: no mostly, no where.
--
CREATE SCHEMA check_shape;
SET search_path = check_shape, public;


CREATE DOMAIN check_shape.code_t AS varchar(5);

-- Eight columns, the third dropped before the policy: seven live ones.
CREATE TABLE shape (
    id           integer,
    name         text,
    gone         text,
    price        numeric(10,2),
    code         varchar(5),
    at           timestamptz,
    tags         text[],
    "Mixed Case" check_shape.code_t
);
ALTER TABLE shape DROP COLUMN gone;
INSERT INTO shape VALUES (1, 'a', 9.99, 'x', '2024-01-01 00:00:00+00', '{a}', 'm');
SELECT attnum, attname, format_type(atttypid, atttypmod) AS type, attisdropped
  FROM pg_attribute WHERE attrelid = 'shape'::regclass AND attnum > 0 ORDER BY attnum;

SELECT dtecert.set_policy('shape', $$
checks:
  - column_count: {equals: 7}
  - column_count: {name: cc_min_7, min: 7}
  - column_count: {name: cc_1_to_10, min: 1, max: 10}
  - column_count: {name: cc_max_6, max: 6}
  - column_count: {name: cc_equals_8, equals: 8}
  - column_count: {name: cc_min_8, min: 8, max: 100}
  - columns_in_order: {columns: [id, name, price, code, at, tags, Mixed Case]}
  - columns_in_order: {name: cio_missing_one, columns: [id, name, price, code, at, tags]}
  - columns_in_order: {name: cio_one_too_many, columns: [id, name, price, code, at, tags, Mixed Case, extra]}
  - columns_in_order: {name: cio_swapped, columns: [id, name, code, price, at, tags, Mixed Case]}
  - columns_in_order: {name: cio_case, columns: [id, name, price, code, at, tags, mixed case]}
  - columns_in_order: {name: cio_dropped, columns: [id, name, gone, price, code, at, tags, Mixed Case]}
  - column_exists: id
  - column_exists: {column: price, name: price_at_3, position: 3}
  - column_exists: {column: price, name: price_at_4, position: 4}
  - column_exists: {column: Mixed Case, name: mixed_at_7, position: 7}
  - column_exists: {column: mixed case, name: mixed_lower}
  - column_exists: {column: ID, name: id_upper}
  - column_exists: {column: gone, name: dropped}
  - column_exists: {column: nosuch, name: nosuch_at_1, position: 1}
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('shape');
SELECT * FROM results('shape');
SELECT * FROM documents('shape')
 WHERE check_name IN ('column_count', 'cc_max_6', 'columns_in_order(id,name,price,code,at,tags,Mixed Case)',
                      'cio_swapped', 'price_at_3', 'price_at_4', 'id_upper');

-- column_type: aliases resolve (int, integer, int4, pg_catalog.int4); a
-- typmod is compared when written; arrays; a domain by its qualified name.
SELECT dtecert.set_policy('shape', $$
checks:
  - column_type: {column: id, type: integer}
  - column_type: {column: id, name: id_int, type: int}
  - column_type: {column: id, name: id_int4, type: int4}
  - column_type: {column: id, name: id_qualified, type: pg_catalog.int4}
  - column_type: {column: id, name: id_bigint, type: bigint}
  - column_type: {column: id, name: id_text, type: text}
  - column_type: {column: price, type: numeric}
  - column_type: {column: price, name: price_10_2, type: "numeric(10,2)"}
  - column_type: {column: price, name: price_10_2_spaced, type: "NUMERIC( 10 , 2 )"}
  - column_type: {column: price, name: price_12_2, type: "numeric(12,2)"}
  - column_type: {column: price, name: price_10_3, type: "numeric(10,3)"}
  - column_type: {column: code, type: varchar}
  - column_type: {column: code, name: code_long_name, type: character varying}
  - column_type: {column: code, name: code_5, type: varchar(5)}
  - column_type: {column: code, name: code_6, type: varchar(6)}
  - column_type: {column: code, name: code_text, type: text}
  - column_type: {column: at, type: timestamptz}
  - column_type: {column: at, name: at_long_name, type: timestamp with time zone}
  - column_type: {column: at, name: at_without_zone, type: timestamp}
  - column_type: {column: tags, type: "text[]"}
  - column_type: {column: tags, name: tags_text, type: text}
  - column_type: {column: tags, name: tags_int_array, type: "integer[]"}
  - column_type: {column: Mixed Case, type: check_shape.code_t}
  - column_type: {column: name, type: text}
  - column_type: {column: name, name: name_varchar, type: varchar}
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('shape');
SELECT * FROM results('shape');
SELECT * FROM documents('shape')
 WHERE check_name IN ('column_type(id)', 'id_bigint', 'price_10_2', 'price_12_2',
                      'column_type(code)', 'code_6', 'column_type(tags)',
                      'column_type(Mixed Case)');

-- The shape is read from the catalog: an empty table has the same shape,
-- and no check reads a row (element_count is null, scans 0).
TRUNCATE shape;
SELECT dtecert.set_policy('shape', $$
checks:
  - column_count: {equals: 7}
  - columns_in_order: {columns: [id, name, price, code, at, tags, Mixed Case]}
  - column_exists: {column: tags, position: 6}
  - column_type: {column: at, type: timestamptz}
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('shape');
SELECT * FROM results('shape');

-- The table changes after set_policy: a column dropped, one renamed, one
-- added, one retyped.  The counts, the order and the positions follow the
-- live columns; a column that no longer exists is a failed column_exists,
-- and a column_type on it fails with its reason.
SELECT dtecert.set_policy('shape', $$
checks:
  - column_count: {equals: 7}
  - columns_in_order: {columns: [id, name, price, code, at, tags, Mixed Case]}
  - column_exists: {column: code, position: 4}
  - column_exists: {column: at, name: at_at_5, position: 5}
  - column_exists: {column: tags, name: tags_at_6, position: 6}
  - column_exists: {column: name, name: name_exists}
  - column_type: {column: price, type: "numeric(10,2)"}
  - column_type: {column: name, type: text}
  - column_type: {column: tags, type: "text[]"}
$$);
ALTER TABLE shape DROP COLUMN code;
ALTER TABLE shape RENAME COLUMN name TO full_name;
ALTER TABLE shape ADD COLUMN added integer;
ALTER TABLE shape ALTER COLUMN price TYPE numeric(12,2);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('shape');
SELECT * FROM results('shape');
SELECT * FROM documents('shape');

-- Bad input is refused by set_policy (22023): where and mostly (a shape
-- check reads no rows and passes or fails as a whole), a type that does not
-- exist (or is not in pg_catalog and not qualified), column_type on a
-- column that does not exist, positions below 1, counts that are no
-- non-negative integers or cannot hold, lists that are empty or repeat.
CREATE TABLE bad (id integer, x integer);
SELECT sqlstate_of($$SELECT dtecert.set_policy('bad', 'checks: [{column_count: {equals: 2, where: "x > 0"}}]')$$) AS count_where,
       sqlstate_of($$SELECT dtecert.set_policy('bad', 'checks: [{columns_in_order: {columns: [id, x], where: "x > 0"}}]')$$) AS order_where,
       sqlstate_of($$SELECT dtecert.set_policy('bad', 'checks: [{column_exists: {column: x, where: "x > 0"}}]')$$) AS exists_where,
       sqlstate_of($$SELECT dtecert.set_policy('bad', 'checks: [{column_type: {column: x, type: int, where: "x > 0"}}]')$$) AS type_where,
       sqlstate_of($$SELECT dtecert.set_policy('bad', 'checks: [{column_exists: {column: x, mostly: 0.5}}]')$$) AS exists_mostly,
       sqlstate_of($$SELECT dtecert.set_policy('bad', 'checks: [{column_count: {min: 1, mostly: 0.5}}]')$$) AS count_mostly;
SELECT sqlstate_of($$SELECT dtecert.set_policy('bad', 'checks: [{column_type: {column: x, type: nosuchtype}}]')$$) AS unknown_type,
       sqlstate_of($$SELECT dtecert.set_policy('bad', 'checks: [{column_type: {column: x, type: code_t}}]')$$) AS unqualified_domain,
       sqlstate_of($$SELECT dtecert.set_policy('bad', 'checks: [{column_type: {column: x, type: "int; DROP TABLE bad"}}]')$$) AS not_a_type,
       sqlstate_of($$SELECT dtecert.set_policy('bad', 'checks: [{column_type: {column: nosuch, type: int}}]')$$) AS type_no_column,
       sqlstate_of($$SELECT dtecert.set_policy('bad', 'checks: [{column_type: {column: x}}]')$$) AS type_missing;
SELECT sqlstate_of($$SELECT dtecert.set_policy('bad', 'checks: [{column_exists: {column: x, position: 0}}]')$$) AS position_0,
       sqlstate_of($$SELECT dtecert.set_policy('bad', 'checks: [{column_exists: {column: x, position: -1}}]')$$) AS position_negative,
       sqlstate_of($$SELECT dtecert.set_policy('bad', 'checks: [{column_exists: {column: x, position: 1.5}}]')$$) AS position_fraction,
       sqlstate_of($$SELECT dtecert.set_policy('bad', 'checks: [{column_count: {equals: -1}}]')$$) AS count_negative,
       sqlstate_of($$SELECT dtecert.set_policy('bad', 'checks: [{column_count: {equals: hello}}]')$$) AS count_hello,
       sqlstate_of($$SELECT dtecert.set_policy('bad', 'checks: [{column_count: {min: 5, max: 1}}]')$$) AS count_min_above_max,
       sqlstate_of($$SELECT dtecert.set_policy('bad', 'checks: [{column_count: {equals: 2, min: 1}}]')$$) AS count_equals_and_min,
       sqlstate_of($$SELECT dtecert.set_policy('bad', 'checks: [{column_count: {}}]')$$) AS count_no_bound;
SELECT sqlstate_of($$SELECT dtecert.set_policy('bad', 'checks: [{columns_in_order: {columns: []}}]')$$) AS order_empty,
       sqlstate_of($$SELECT dtecert.set_policy('bad', 'checks: [{columns_in_order: {columns: [id, id]}}]')$$) AS order_repeated,
       sqlstate_of($$SELECT dtecert.set_policy('bad', 'checks: [{columns_in_order: {}}]')$$) AS order_missing,
       sqlstate_of($$SELECT dtecert.set_policy('bad', 'checks: [{column_exists: {position: 1}}]')$$) AS exists_no_column;
SELECT dtecert.set_policy('bad', $$
checks:
  - column_count: {equals: 2, where: "x > 0"}
$$);
SELECT dtecert.set_policy('bad', $$
checks:
  - column_type: {column: x, type: nosuchtype}
$$);
SELECT dtecert.set_policy('bad', $$
checks:
  - column_exists: {column: x, position: 0}
$$);
SELECT dtecert.policy('bad') IS NULL AS nothing_stored;

-- column_type compares the exact type: a domain is not its base type, nor
-- the base type the domain.
CREATE DOMAIN check_shape.pos AS integer;
CREATE TABLE dom (p check_shape.pos, i integer);
SELECT attname, format_type(atttypid, atttypmod) AS type
  FROM pg_attribute WHERE attrelid = 'dom'::regclass AND attnum > 0 ORDER BY attnum;
SELECT dtecert.set_policy('dom', $$
checks:
  - column_type: {column: p, name: pos_is_integer, type: integer}
  - column_type: {column: i, name: integer_is_pos, type: check_shape.pos}
  - column_type: {column: p, name: pos_is_pos, type: check_shape.pos}
  - column_type: {column: i, name: integer_is_integer, type: integer}
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('dom');
SELECT * FROM results('dom');
SELECT * FROM documents('dom');

DROP SCHEMA check_shape CASCADE;
