--
-- references: every non-null value exists in table.to (a foreign key
-- check).  A validated foreign key with enabled triggers proves it;
-- otherwise it runs its own anti-join (scans = 1).
--
CREATE SCHEMA check_references;
SET search_path = check_references, public;

CREATE TABLE customers (id integer PRIMARY KEY, code varchar(10));
INSERT INTO customers VALUES (1, 'AB'), (2, 'cd'), (3, 'Éf'), (4, NULL);
CREATE TABLE orders (
    id        integer PRIMARY KEY,
    cust_id   integer,
    cust_code text,
    big_cust  bigint,
    parent_id integer
);
INSERT INTO orders VALUES
    (10, 1,    'AB',  1,    NULL),
    (11, 2,    'ab',  2,    10),
    (12, 3,    'Éf',  3,    10),
    (13, 99,   'cd',  5000000000, 11),
    (14, NULL, NULL,  NULL, 99),
    (15, 2,    'CD',  2,    NULL);

-- the independent anti-joins
SELECT count(o.cust_id) AS cust_ids,
       count(*) FILTER (WHERE o.cust_id IS NOT NULL AND NOT EXISTS
           (SELECT 1 FROM customers c WHERE c.id = o.cust_id)) AS missing_id,
       count(*) FILTER (WHERE o.cust_code IS NOT NULL AND NOT EXISTS
           (SELECT 1 FROM customers c WHERE c.code = o.cust_code)) AS missing_code,
       count(*) FILTER (WHERE o.big_cust IS NOT NULL AND NOT EXISTS
           (SELECT 1 FROM customers c WHERE c.id = o.big_cust)) AS missing_big,
       count(*) FILTER (WHERE o.parent_id IS NOT NULL AND NOT EXISTS
           (SELECT 1 FROM orders p WHERE p.id = o.parent_id)) AS missing_parent
  FROM orders o;

-- No foreign key: anti-joins.  mostly over the 5 non-null cust_ids: 4/5 =
-- 0.8 passes 0.8 and fails 0.81.  Text compares case-sensitively (text
-- against varchar); bigint against integer; a table referencing itself.
SELECT dtecert.set_policy('orders', $$
checks:
  - references: {column: cust_id, table: customers, to: id}
  - references: {column: cust_id, name: cust_mostly_80, table: customers, to: id, mostly: 0.8}
  - references: {column: cust_id, name: cust_mostly_81, table: customers, to: id, mostly: 0.81}
  - references: {column: cust_id, name: cust_where, table: customers, to: id, where: "id <> 13"}
  - references: {column: cust_code, table: customers, to: code}
  - references: {column: big_cust, table: check_references.customers, to: id}
  - references: {column: parent_id, table: orders, to: id}
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('orders');
SELECT * FROM results('orders');
SELECT * FROM documents('orders') WHERE check_name IN ('references(cust_id)', 'cust_mostly_81');

-- An unqualified table resolves in the dataset's own schema, never on the
-- search_path; a qualified name reaches another schema.
CREATE SCHEMA check_references_other;
CREATE TABLE check_references_other.customers (id integer);
INSERT INTO check_references_other.customers VALUES (1), (2), (3), (99);
SET search_path = check_references_other, check_references, public;
SELECT dtecert.set_policy('check_references.orders', $$
checks:
  - references: {column: cust_id, table: customers, to: id}
  - references: {column: cust_id, name: other_schema, table: check_references_other.customers, to: id}
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('check_references.orders');
SELECT * FROM check_references.results('check_references.orders');
SET search_path = check_references, public;
DROP SCHEMA check_references_other CASCADE;

-- Foreign keys.  NOT VALID proves nothing (the anti-join still finds 99) ...
ALTER TABLE orders ADD CONSTRAINT orders_cust_fk
    FOREIGN KEY (cust_id) REFERENCES customers (id) NOT VALID;
SELECT dtecert.set_policy('orders', $$
checks:
  - references: {column: cust_id, table: customers, to: id}
  - references: {column: parent_id, table: orders, to: id}
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('orders');
SELECT * FROM results('orders');

-- ... a validated one proves the check without reading the data ...
UPDATE orders SET cust_id = 3 WHERE id = 13;
UPDATE orders SET parent_id = 12 WHERE id = 14;
ALTER TABLE orders VALIDATE CONSTRAINT orders_cust_fk;
ALTER TABLE orders ADD CONSTRAINT orders_parent_fk
    FOREIGN KEY (parent_id) REFERENCES orders (id);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('orders');
SELECT * FROM results('orders');

-- ... unless its triggers are disabled: then the data is read again.
ALTER TABLE orders DISABLE TRIGGER ALL;
INSERT INTO orders VALUES (16, 42, NULL, NULL, 77);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('orders');
SELECT * FROM results('orders');
DELETE FROM orders WHERE id = 16;
ALTER TABLE orders ENABLE TRIGGER ALL;

-- A foreign key to another column proves nothing for this one.
SELECT dtecert.set_policy('orders', $$
checks:
  - references: {column: big_cust, table: customers, to: id}
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('orders');
SELECT * FROM results('orders');

-- mostly on 100 rows: 99/100 passes mostly 0.99, 98/100 fails.
CREATE TABLE keys (k integer);
INSERT INTO keys SELECT generate_series(1, 98);
CREATE TABLE hundred (i integer, one_missing integer, two_missing integer);
INSERT INTO hundred
SELECT i, CASE WHEN i = 99 THEN 1 WHEN i = 100 THEN 1000 ELSE i END,
       CASE WHEN i >= 99 THEN 1000 + i ELSE i END
  FROM generate_series(1, 100) AS i;
SELECT dtecert.set_policy('hundred', $$
checks:
  - references: {column: one_missing, table: keys, to: k, mostly: 0.99}
  - references: {column: two_missing, table: keys, to: k, mostly: 0.99}
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('hundred');
SELECT * FROM results('hundred');

-- Only NULLs, an empty table, and an empty referenced table.
CREATE TABLE nothing (id integer, ref integer);
INSERT INTO nothing SELECT i, NULL FROM generate_series(1, 3) AS i;
CREATE TABLE no_keys (k integer);
SELECT dtecert.set_policy('nothing', $$
checks:
  - references: {column: ref, table: keys, to: k}
  - references: {column: ref, name: ref_no_keys, table: no_keys, to: k}
  - references: {column: id, name: id_no_keys, table: no_keys, to: k}
  - references: {column: id, name: id_no_keys_warn, table: no_keys, to: k, severity: warn}
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('nothing');
SELECT * FROM results('nothing');
TRUNCATE nothing;
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('nothing');
SELECT * FROM results('nothing');

-- A referenced table or column that does not exist is refused.
SELECT dtecert.set_policy('orders', $$
checks:
  - references: {column: cust_id, table: clients, to: id}
$$);
SELECT dtecert.set_policy('orders', $$
checks:
  - references: {column: cust_id, table: customers, to: customer_id}
$$);

-- Columns of different types compare with pg_catalog's = as the parser
-- resolves it with implicit casts: a numeric column against an integer
-- column compares as numeric, so 1.5 is missing (it is not rounded to 2)
-- and 2.0 is 2; an integer column against a numeric column, likewise (2 is
-- 2.0, 1 is not 1.5).
CREATE TABLE measures (id integer, amount numeric, code text);
INSERT INTO measures VALUES
    (1, 1,    '1'),
    (2, 1.5,  '2'),
    (3, 2.0,  '3'),
    (4, 3.00, 'x'),
    (5, NULL, NULL),
    (6, 4.5,  '4');
CREATE TABLE rates (r numeric);
INSERT INTO rates VALUES (1.5), (2.0), (3), (4.50), (6);
SELECT count(m.amount) AS amounts,
       count(*) FILTER (WHERE m.amount IS NOT NULL AND NOT EXISTS
           (SELECT 1 FROM customers c WHERE c.id = m.amount)) AS amount_missing,
       count(m.id) AS ids,
       count(*) FILTER (WHERE NOT EXISTS
           (SELECT 1 FROM rates r WHERE r.r = m.id)) AS id_missing,
       count(*) FILTER (WHERE m.amount IS NOT NULL AND NOT EXISTS
           (SELECT 1 FROM rates r WHERE r.r = m.amount)) AS amount_rate_missing
  FROM measures m;
SELECT dtecert.set_policy('measures', $$
checks:
  - references: {column: amount, table: customers, to: id}
  - references: {column: id, table: rates, to: r}
  - references: {column: amount, name: amount_rates, table: rates, to: r}
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('measures');
SELECT * FROM results('measures');

-- Types that cannot be compared are refused when stored: text has no = with
-- integer (and no implicit cast between them).
SELECT dtecert.set_policy('measures', $$
checks:
  - references: {column: code, table: customers, to: id}
$$);
SELECT dtecert.set_policy('measures', $$
checks:
  - references: {column: id, table: customers, to: code}
$$);
SELECT sqlstate_of($q$SELECT dtecert.set_policy('measures',
    'checks: [{references: {column: code, table: customers, to: id}}]')$q$) AS text_to_int;
-- nothing was stored: the last policy still holds
SELECT count(*) AS measures_versions FROM dtecert.policies
 WHERE dataset = 'check_references.measures';

DROP SCHEMA check_references CASCADE;
