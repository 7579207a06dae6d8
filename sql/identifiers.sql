-- Names are names, never SQL: upper case, spaces, quotes, unicode, and a
-- column literally named x"; drop table t; -- all work as identifiers.
CREATE SCHEMA "Sales Data";
CREATE TABLE "Sales Data".t (id int);  -- the table an injection would drop
CREATE TABLE "Sales Data"."Customer Orders" (
	"Order ID" bigint,
	"Straße ✓" text,
	"x""; drop table t; --" numeric,
	"UPPER" int,
	lower int
);
INSERT INTO "Sales Data"."Customer Orders" VALUES
	(1, 'München', 1, 1, 1), (2, 'Zürich', 2, 2, 2), (2, 'ünïcødé', NULL, 3, NULL),
	(NULL, 'O''Brien', -1, NULL, 4);

SELECT dtecert.set_policy('"Sales Data"."Customer Orders"', $$
dataset: '"Sales Data"."Customer Orders"'
schema:
  columns:
    Order ID: {type: bigint}
    Straße ✓: {type: text}
    'x"; drop table t; --': {type: numeric}
    UPPER: {type: integer}
  extra_columns: forbid
checks:
  - not_null: Order ID
  - unique: Order ID
  - accepted_values: {column: Straße ✓, values: [München, Zürich, ünïcødé, "O'Brien"]}
  - between: {column: 'x"; drop table t; --', min: 0, where: '"UPPER" > 0'}
  - not_null: UPPER
  - sql: {name: "quoted \"name\"", failing_rows: '"x""; drop table t; --" < 0'}
$$) AS version;
SELECT dataset, status, certified, checks_passed, checks_failed
  FROM dtecert.certify('"Sales Data"."Customer Orders"');
SELECT r.check_name, r.column_name, r.passed, r.element_count, r.unexpected_count, r.reason
  FROM dtecert.check_results r
 WHERE r.certificate_id = (SELECT max(certificate_id) FROM dtecert.certificates)
 ORDER BY r.check_index;
SELECT r.observed FROM dtecert.check_results r
 WHERE r.kind = 'schema'
   AND r.certificate_id = (SELECT max(certificate_id) FROM dtecert.certificates);
-- the table an injection would have dropped is still there
SELECT count(*) AS t_still_there FROM "Sales Data".t;

-- Column names are taken literally: "order id" is not "Order ID".
SELECT dtecert.set_policy('"Sales Data"."Customer Orders"', 'checks: [{not_null: order id}]');
SELECT dtecert.set_policy('"Sales Data"."Customer Orders"', 'checks: [{not_null: LOWER}]');

-- dbt names relations "db"."schema"."table"; regclass takes that form too.
SELECT format('%I.%I.%I', current_database(), 'Sales Data', 'Customer Orders') AS dbt_name \gset
SELECT dataset, certified FROM dtecert.certify(:'dbt_name');
SELECT dtecert.is_certified(:'dbt_name') AS is_certified,
       dtecert.dataset_name(:'dbt_name') AS dataset;

-- The dataset identity is the quoted, qualified name, whatever the search_path.
SET search_path = "Sales Data";
SELECT dataset FROM dtecert.status WHERE dataset LIKE '%Customer%';
SELECT dtecert.is_certified('"Customer Orders"');
RESET search_path;

-- Long and multibyte names: 63 bytes, the most PostgreSQL keeps.
CREATE TABLE "Sales Data"."ééééééééééééééééééééééééééééééé" (
	"ççççççççççççççççççççççççççççççç" int);
INSERT INTO "Sales Data"."ééééééééééééééééééééééééééééééé" VALUES (1);
SELECT dtecert.set_policy('"Sales Data"."ééééééééééééééééééééééééééééééé"',
	'checks: [{not_null: ççççççççççççççççççççççççççççççç}]') AS version;
SELECT dataset, certified FROM dtecert.certify('"Sales Data"."ééééééééééééééééééééééééééééééé"');

DROP SCHEMA "Sales Data" CASCADE;
