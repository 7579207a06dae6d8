-- Revocation at DDL time (DESIGN section 4).  The event triggers append a
-- revocation, in the DDL's own transaction, for every change that makes a
-- certificate vouch for something that no longer is, and for nothing else.
CREATE SCHEMA "DDL Revoke";
SET search_path = "DDL Revoke", public;
\set SHOW_CONTEXT never

-- recertify(ds): a fresh certificate, or an error.
CREATE PROCEDURE recertify(ds regclass) LANGUAGE plpgsql AS $$
DECLARE
	verdict text;
BEGIN
	SELECT status INTO verdict FROM dtecert.certify(ds);
	IF verdict IS DISTINCT FROM 'certified' THEN
		RAISE EXCEPTION '% did not certify: %', ds, verdict;
	END IF;
END $$;

-- revoked(): the revocations recorded since the last call, oldest first.
CREATE TABLE seen (last_id bigint NOT NULL);
INSERT INTO seen SELECT coalesce(max(certificate_id), 0) FROM dtecert.certificates;
CREATE FUNCTION revoked() RETURNS TABLE (dataset text, reason text)
LANGUAGE plpgsql AS $$
BEGIN
	RETURN QUERY
	SELECT c.dataset, c.reason FROM dtecert.certificates c
	 WHERE c.certificate_id > (SELECT s.last_id FROM seen s)
	   AND c.status = 'revoked'
	 ORDER BY c.certificate_id;
	UPDATE seen SET last_id = (SELECT coalesce(max(c.certificate_id), 0)
								 FROM dtecert.certificates c);
END $$;

-- state(ds): what dtecert.status reads.
CREATE FUNCTION state(ds text) RETURNS TABLE (status text, reason text)
LANGUAGE sql AS $$
	SELECT s.status, s.reason FROM dtecert.status s WHERE s.dataset = ds
$$;

CREATE TABLE customers (id int PRIMARY KEY);
INSERT INTO customers VALUES (1), (2);
CREATE TABLE "Orders" (
	id int CONSTRAINT "Orders PK" PRIMARY KEY,
	"Amount" numeric NOT NULL,
	code varchar(10) CONSTRAINT "code is unique" UNIQUE,
	sku text,
	"customer ID" int CONSTRAINT "Orders→customers" REFERENCES customers,
	note varchar(10),
	spare int);
CREATE UNIQUE INDEX "Orders by sku" ON "Orders" (sku);
INSERT INTO "Orders" VALUES (1, 10, 'a', 'x1', 1, 'n', 0), (2, 20, 'b', 'x2', 2, 'm', 0);
SELECT dtecert.set_policy('"Orders"', $$
checks:
  - not_null: Amount
  - unique: id
  - unique: code
  - unique: sku
  - references: {column: customer ID, table: customers, to: id}
  - row_count: {min: 1}
$$) AS version;
CALL recertify('"Orders"');
-- the catalog proves four checks: losing one of those proofs revokes
SELECT check_name, proven_by FROM results('"Orders"') WHERE proven_by IS NOT NULL;
SELECT * FROM revoked();

--------------------------------------------------------------------------
-- Columns: added, dropped, retyped (binary-coercible too), renamed.
ALTER TABLE "Orders" ADD COLUMN "Ünï col" int;
SELECT * FROM revoked();
SELECT * FROM state('"DDL Revoke"."Orders"');
SELECT dtecert.is_certified('"Orders"');
CALL recertify('"Orders"');
ALTER TABLE "Orders" DROP COLUMN "Ünï col";
SELECT * FROM revoked();
CALL recertify('"Orders"');
ALTER TABLE "Orders" ALTER COLUMN spare TYPE bigint;
SELECT * FROM revoked();
CALL recertify('"Orders"');
-- varchar(10) to varchar(20) and varchar to text rewrite nothing: the table
-- keeps its file, yet the column is not what was certified
SELECT pg_relation_filenode('"Orders"') AS filenode \gset
ALTER TABLE "Orders" ALTER COLUMN note TYPE varchar(20);
SELECT * FROM revoked();
CALL recertify('"Orders"');
ALTER TABLE "Orders" ALTER COLUMN note TYPE text;
SELECT * FROM revoked();
SELECT pg_relation_filenode('"Orders"') = :filenode AS not_rewritten;
CALL recertify('"Orders"');
ALTER TABLE "Orders" RENAME COLUMN spare TO "Spare ""2""";
SELECT * FROM revoked();
CALL recertify('"Orders"');
-- several subcommands: one revocation that gives every reason
ALTER TABLE "Orders" ADD COLUMN a int, ADD COLUMN b int,
	ALTER COLUMN "Amount" DROP NOT NULL;
SELECT * FROM revoked();
ALTER TABLE "Orders" DROP COLUMN a, DROP COLUMN b, ALTER COLUMN "Amount" SET NOT NULL;
-- an already revoked dataset is not revoked again
SELECT * FROM revoked();

--------------------------------------------------------------------------
-- A constraint, unique index or NOT NULL that proved a check, dropped.
CALL recertify('"Orders"');
ALTER TABLE "Orders" ALTER COLUMN "Amount" DROP NOT NULL;
SELECT * FROM revoked();
ALTER TABLE "Orders" ALTER COLUMN "Amount" SET NOT NULL;
CALL recertify('"Orders"');
ALTER TABLE "Orders" DROP CONSTRAINT "code is unique";
SELECT * FROM revoked();
CALL recertify('"Orders"');
DROP INDEX "Orders by sku";
SELECT * FROM revoked();
CALL recertify('"Orders"');
ALTER TABLE "Orders" DROP CONSTRAINT "Orders→customers";
SELECT * FROM revoked();
ALTER TABLE "Orders" ADD CONSTRAINT "Orders→customers"
	FOREIGN KEY ("customer ID") REFERENCES customers;
CALL recertify('"Orders"');
-- the foreign key goes with the key it references
ALTER TABLE customers DROP CONSTRAINT customers_pkey CASCADE;
SELECT * FROM revoked();
CALL recertify('"Orders"');
ALTER TABLE "Orders" DROP CONSTRAINT "Orders PK";
SELECT * FROM revoked();
-- the checks still pass, now by scanning
CALL recertify('"Orders"');
SELECT check_name, proven_by FROM results('"Orders"') WHERE proven_by IS NOT NULL;
SELECT * FROM revoked();

--------------------------------------------------------------------------
-- What does not revoke: DDL that leaves the certified columns and data as
-- they were, and drops of constraints and indexes that proved nothing.
CREATE ROLE regress_ddl_owner;
GRANT USAGE ON SCHEMA "DDL Revoke" TO regress_ddl_owner;
GRANT SELECT ON customers TO regress_ddl_owner;
CREATE FUNCTION noop() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
COMMENT ON TABLE "Orders" IS 'orders';
COMMENT ON COLUMN "Orders".note IS 'free text';
ALTER TABLE "Orders" ALTER COLUMN note SET STATISTICS 500;
ALTER TABLE "Orders" ALTER COLUMN note SET STORAGE EXTERNAL;
CREATE INDEX "Orders by note" ON "Orders" (note);
CREATE UNIQUE INDEX ON "Orders" (id, note);
ALTER INDEX "Orders by note" RENAME TO "Orders by note, renamed";
DROP INDEX "Orders by note, renamed";
GRANT SELECT ON "Orders" TO PUBLIC;
REVOKE SELECT ON "Orders" FROM PUBLIC;
ALTER TABLE "Orders" ADD CONSTRAINT "non-negative" CHECK ("Amount" >= 0);
ALTER TABLE "Orders" RENAME CONSTRAINT "non-negative" TO "not negative";
ALTER TABLE "Orders" DROP CONSTRAINT "not negative";
ALTER TABLE "Orders" ADD CONSTRAINT "Orders PK" PRIMARY KEY (id);
ALTER TABLE "Orders" ALTER COLUMN note SET DEFAULT 'none';
ALTER TABLE "Orders" ALTER COLUMN note DROP DEFAULT;
ALTER TABLE "Orders" ALTER COLUMN note SET NOT NULL;
ALTER TABLE "Orders" ALTER COLUMN note DROP NOT NULL;
ALTER TABLE "Orders" ALTER COLUMN note DROP NOT NULL;
ALTER TABLE "Orders" ADD COLUMN IF NOT EXISTS note text;
ALTER TABLE "Orders" ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY;
ALTER TABLE "Orders" SET (fillfactor = 90);
ALTER TABLE "Orders" CLUSTER ON "Orders PK";
ALTER TABLE "Orders" SET WITHOUT CLUSTER;
ALTER TABLE "Orders" REPLICA IDENTITY FULL;
ALTER TABLE "Orders" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "Orders" DISABLE ROW LEVEL SECURITY;
CREATE POLICY everyone ON "Orders" USING (true);
DROP POLICY everyone ON "Orders";
CREATE TRIGGER "touch" BEFORE UPDATE ON "Orders" FOR EACH ROW EXECUTE FUNCTION noop();
ALTER TABLE "Orders" DISABLE TRIGGER "touch";
DROP TRIGGER "touch" ON "Orders";
CREATE STATISTICS "Orders stats" ON id, note FROM "Orders";
DROP STATISTICS "Orders stats";
CREATE VIEW "Orders view" AS SELECT id FROM "Orders";
CREATE OR REPLACE VIEW "Orders view" AS SELECT id, note FROM "Orders";
DROP VIEW "Orders view";
ALTER TABLE "Orders" OWNER TO regress_ddl_owner;
-- DDL on relations that are not datasets
ALTER TABLE customers ADD COLUMN name text;
ALTER TABLE customers RENAME TO "Customers ✓";
ALTER TABLE "Customers ✓" RENAME TO customers;
CREATE TABLE scratch (id int);
ALTER TABLE scratch ALTER COLUMN id TYPE bigint;
DROP TABLE scratch;
-- DDL on dtecert's own tables
ALTER TABLE dtecert.waivers RENAME COLUMN approved_by TO approver;
ALTER TABLE dtecert.waivers RENAME COLUMN approver TO approved_by;
SELECT * FROM revoked();
SELECT * FROM state('"DDL Revoke"."Orders"');

--------------------------------------------------------------------------
-- The revocation is part of the DDL's transaction, and records who ran it.
BEGIN;
ALTER TABLE "Orders" ADD COLUMN "in a transaction" int;
SELECT * FROM state('"DDL Revoke"."Orders"');
ROLLBACK;
SELECT * FROM state('"DDL Revoke"."Orders"');
SELECT * FROM revoked();
SET ROLE regress_ddl_owner;
ALTER TABLE "Orders" ADD COLUMN "by its owner" int;
RESET ROLE;
SELECT c.dataset, c.reason, c.issued_by FROM dtecert.certificates c
 WHERE c.certificate_id = (SELECT max(certificate_id) FROM dtecert.certificates);
SELECT * FROM revoked();
ALTER TABLE "Orders" DROP COLUMN "by its owner";

--------------------------------------------------------------------------
-- The relation renamed, moved to another schema, dropped, replaced.
CALL recertify('"Orders"');
ALTER TABLE "Orders" RENAME TO "Orders 2024";
SELECT * FROM revoked();
SELECT * FROM state('"DDL Revoke"."Orders"');
-- renamed back: the name's certificate was revoked; the relation under it
-- is certified again only by a new certification
ALTER TABLE "Orders 2024" RENAME TO "Orders";
SELECT * FROM revoked();
SELECT * FROM state('"DDL Revoke"."Orders"');
CALL recertify('"Orders"');
-- SET SCHEMA, with the old schema written and not
CREATE SCHEMA "Säle ""Q""";
ALTER TABLE "Orders" SET SCHEMA "Säle ""Q""";
SELECT * FROM revoked();
ALTER TABLE "Säle ""Q"""."Orders" SET SCHEMA "DDL Revoke";
SELECT * FROM revoked();
CALL recertify('"Orders"');
ALTER TABLE "DDL Revoke"."Orders" SET SCHEMA "Säle ""Q""";
SELECT * FROM revoked();
ALTER TABLE "Säle ""Q"""."Orders" SET SCHEMA "DDL Revoke";
-- a schema renamed renames every dataset in it
CREATE TABLE "Säle ""Q""".ledger (id int);
SELECT dtecert.set_policy('"Säle ""Q""".ledger', 'checks: [{row_count: {min: 0}}]') AS version;
CALL recertify('"Säle ""Q""".ledger');
ALTER SCHEMA "Säle ""Q""" RENAME TO "Sales Q";
SELECT * FROM revoked();
SELECT * FROM state('"Säle ""Q""".ledger');

-- dbt's swap: build the new relation aside, rename the old one away, rename
-- the new one into place, drop the old one.
CREATE TABLE "dbt model" (id int);
INSERT INTO "dbt model" VALUES (1);
SELECT dtecert.set_policy('"dbt model"', 'checks: [{not_null: id}]') AS version;
CALL recertify('"dbt model"');
BEGIN;
CREATE TABLE "dbt model__dbt_tmp" AS SELECT * FROM "dbt model";
ALTER TABLE "dbt model" RENAME TO "dbt model__dbt_backup";
ALTER TABLE "dbt model__dbt_tmp" RENAME TO "dbt model";
DROP TABLE "dbt model__dbt_backup" CASCADE;
COMMIT;
SELECT * FROM revoked();
SELECT * FROM state('"DDL Revoke"."dbt model"');
SELECT dtecert.is_certified('"dbt model"');
-- the relation in place is certified when it is certified
CALL recertify('"dbt model"');
SELECT * FROM state('"DDL Revoke"."dbt model"');
-- a rename into a dataset's name replaces what the certificate was about;
-- here the old relation went while the triggers were off (in replica mode
-- event triggers do not fire), so it is the rename that revokes
SET session_replication_role = replica;
DROP TABLE "dbt model";
RESET session_replication_role;
CREATE TABLE "dbt model, next" (id int);
ALTER TABLE "dbt model, next" RENAME TO "dbt model";
SELECT * FROM revoked();
-- a certificate is also found by the OID of the relation it is about: here
-- the relation was renamed while the triggers were off, then altered
CREATE TABLE "by OID" (id int);
SELECT dtecert.set_policy('"by OID"', 'checks: [{row_count: {min: 0}}]') AS version;
CALL recertify('"by OID"');
SET session_replication_role = replica;
ALTER TABLE "by OID" RENAME TO "by OID, renamed";
RESET session_replication_role;
SELECT * FROM revoked();
ALTER TABLE "by OID, renamed" ADD COLUMN x int;
SELECT * FROM revoked();
-- DROP, then CREATE under the same name
CALL recertify('"dbt model"');
DROP TABLE "dbt model";
SELECT * FROM revoked();
CREATE TABLE "dbt model" (id int);
SELECT * FROM revoked();
SELECT * FROM state('"DDL Revoke"."dbt model"');

-- Views and materialized views.
CREATE VIEW "Order totals" AS SELECT "customer ID", sum("Amount") AS total
  FROM "Orders" GROUP BY "customer ID";
SELECT dtecert.set_policy('"Order totals"', 'checks: [{row_count: {min: 1}}]') AS version;
CALL recertify('"Order totals"');
CREATE OR REPLACE VIEW "Order totals" AS SELECT "customer ID", sum("Amount") AS total
  FROM "Orders" GROUP BY "customer ID";
SELECT * FROM revoked();
CALL recertify('"Order totals"');
CREATE OR REPLACE VIEW "Order totals" AS SELECT "customer ID", sum("Amount") AS total,
  count(*) AS orders FROM "Orders" GROUP BY "customer ID";
SELECT * FROM revoked();
CALL recertify('"Order totals"');
ALTER VIEW "Order totals" RENAME COLUMN orders TO "order count";
SELECT * FROM revoked();
CALL recertify('"Order totals"');
ALTER VIEW "Order totals" RENAME TO "Totals";
SELECT * FROM revoked();
-- the certificate went with the rename: the drop has nothing left to revoke
DROP VIEW "Totals";
SELECT * FROM revoked();
CREATE MATERIALIZED VIEW "Order sums" AS SELECT sum("Amount") AS s FROM "Orders";
SELECT dtecert.set_policy('"Order sums"', 'checks: [{not_null: s}]') AS version;
CALL recertify('"Order sums"');
REFRESH MATERIALIZED VIEW "Order sums";
SELECT * FROM revoked();
ALTER MATERIALIZED VIEW "Order sums" RENAME COLUMN s TO "Sum";
SELECT * FROM revoked();
SELECT dtecert.set_policy('"Order sums"', 'checks: [{not_null: Sum}]') AS version;
CALL recertify('"Order sums"');
DROP MATERIALIZED VIEW "Order sums";
SELECT * FROM revoked();

-- Foreign tables (file_fdw reading an empty file).
CREATE EXTENSION file_fdw;
CREATE SERVER "ddl files" FOREIGN DATA WRAPPER file_fdw;
CREATE FOREIGN TABLE "Feed" (id int) SERVER "ddl files"
	OPTIONS (filename '/dev/null', format 'csv');
SELECT dtecert.set_policy('"Feed"', 'checks: [{row_count: {min: 0}}]') AS version;
CALL recertify('"Feed"');
ALTER FOREIGN TABLE "Feed" ADD COLUMN extra text;
SELECT * FROM revoked();
CALL recertify('"Feed"');
ALTER FOREIGN TABLE "Feed" ALTER COLUMN extra TYPE varchar(5);
SELECT * FROM revoked();
CALL recertify('"Feed"');
DROP FOREIGN TABLE "Feed";
SELECT * FROM revoked();
DROP SERVER "ddl files";
DROP EXTENSION file_fdw;

-- A table typed by a composite type: ALTER TYPE ... CASCADE changes it.
CREATE TYPE "Point ✓" AS (x int, y int);
CREATE TABLE "typed points" OF "Point ✓";
SELECT dtecert.set_policy('"typed points"', 'checks: [{row_count: {min: 0}}]') AS version;
CALL recertify('"typed points"');
ALTER TYPE "Point ✓" ADD ATTRIBUTE z int CASCADE;
SELECT * FROM revoked();
CALL recertify('"typed points"');
ALTER TYPE "Point ✓" RENAME ATTRIBUTE z TO "Z" CASCADE;
SELECT * FROM revoked();
CALL recertify('"typed points"');
ALTER TYPE "Point ✓" DROP ATTRIBUTE "Z" CASCADE;
SELECT * FROM revoked();

--------------------------------------------------------------------------
-- Partitions attached, detached, created, dropped: the partitioned dataset
-- and its ancestors are revoked, not the partitions.
CREATE TABLE "Sales ✓" (y int, region text, amount numeric) PARTITION BY RANGE (y);
CREATE TABLE "Sales 2024" PARTITION OF "Sales ✓" FOR VALUES FROM (2024) TO (2025)
	PARTITION BY LIST (region);
CREATE TABLE "Sales 2024 EU" PARTITION OF "Sales 2024" FOR VALUES IN ('eu');
INSERT INTO "Sales ✓" VALUES (2024, 'eu', 1);
SELECT dtecert.set_policy('"Sales ✓"', 'checks: [{row_count: {min: 1}}]') AS version;
SELECT dtecert.set_policy('"Sales 2024"', 'checks: [{row_count: {min: 1}}]') AS version;
SELECT dtecert.set_policy('"Sales 2024 EU"', 'checks: [{row_count: {min: 1}}]') AS version;
CREATE PROCEDURE recertify_sales() LANGUAGE sql AS $$
	CALL recertify('"Sales ✓"');
	CALL recertify('"Sales 2024"');
	CALL recertify('"Sales 2024 EU"');
$$;
CALL recertify_sales();
CREATE TABLE "Sales 2024 US" PARTITION OF "Sales 2024" FOR VALUES IN ('us');
SELECT * FROM revoked();
CALL recertify_sales();
ALTER TABLE "Sales 2024" DETACH PARTITION "Sales 2024 US";
SELECT * FROM revoked();
CALL recertify_sales();
ALTER TABLE "Sales 2024" ATTACH PARTITION "Sales 2024 US" FOR VALUES IN ('us');
SELECT * FROM revoked();
CALL recertify_sales();
ALTER TABLE "Sales 2024" DETACH PARTITION "Sales 2024 US" CONCURRENTLY;
SELECT * FROM revoked();
ALTER TABLE "Sales 2024" ATTACH PARTITION "Sales 2024 US" FOR VALUES IN ('us');
CALL recertify_sales();
DROP TABLE "Sales 2024 US";
SELECT * FROM revoked();
CALL recertify_sales();
-- a column added to the root reaches every partition
ALTER TABLE "Sales ✓" ADD COLUMN channel text;
SELECT * FROM revoked();
CALL recertify_sales();
-- partitioned indexes and their partitions change no rows
CREATE INDEX "Sales by region" ON ONLY "Sales ✓" (region);
CREATE INDEX "Sales 2024 by region" ON ONLY "Sales 2024" (region);
CREATE INDEX "Sales 2024 EU by region" ON "Sales 2024 EU" (region);
ALTER INDEX "Sales 2024 by region" ATTACH PARTITION "Sales 2024 EU by region";
ALTER INDEX "Sales by region" ATTACH PARTITION "Sales 2024 by region";
SELECT * FROM revoked();

--------------------------------------------------------------------------
-- DROP SCHEMA ... CASCADE drops every dataset in it.
CREATE SCHEMA "Gone ✗";
CREATE TABLE "Gone ✗".t (id int);
CREATE VIEW "Gone ✗"."T view" AS SELECT id FROM "Gone ✗".t;
SELECT dtecert.set_policy('"Gone ✗".t', 'checks: [{row_count: {min: 0}}]') AS version;
SELECT dtecert.set_policy('"Gone ✗"."T view"', 'checks: [{row_count: {min: 0}}]') AS version;
CALL recertify('"Gone ✗".t');
CALL recertify('"Gone ✗"."T view"');
DROP SCHEMA "Gone ✗" CASCADE;
SELECT * FROM revoked();
SELECT dataset, status, reason FROM dtecert.status
 WHERE dataset LIKE '"Gone ✗".%' ORDER BY dataset;

--------------------------------------------------------------------------
-- Each revocation is announced on dtecert_status with the old and new
-- status.  psql prints a notification with the sender's PID, so they are
-- written to a file and read back without it.
CREATE TABLE "Expiring" (id int);
SELECT dtecert.set_policy('"Expiring"', $$
valid_for: 1 microsecond
checks: [{row_count: {min: 0}}]$$) AS version;
CREATE TABLE "Failing" (id int);
SELECT dtecert.set_policy('"Failing"', 'checks: [{row_count: {min: 1}}]') AS version;
SELECT status FROM dtecert.certify('"Expiring"');
SELECT status FROM dtecert.certify('"Failing"');
CALL recertify('"Orders"');
CALL recertify('"dbt model"');
CALL recertify('"Sales ✓"');
LISTEN dtecert_status;
\o results/ddl_revoke_notifications.txt
ALTER TABLE "Orders" ADD COLUMN "announced" int;
ALTER TABLE "Expiring" ADD COLUMN x int;
ALTER TABLE "Failing" ADD COLUMN x int;
ALTER TABLE "dbt model" RENAME TO "dbt model, old";
DROP TABLE "Sales 2024 EU";
COMMENT ON TABLE "Orders" IS 'no announcement';
\o
UNLISTEN dtecert_status;
CREATE TEMP TABLE notifications (n serial, line text);
\copy notifications (line) FROM 'results/ddl_revoke_notifications.txt' WITH (FORMAT csv, DELIMITER E'\x1f', QUOTE E'\x1e')
SELECT regexp_replace(line, 'PID \d+', 'PID ...') AS notification
  FROM notifications WHERE line <> '' ORDER BY n;
SELECT * FROM revoked();

--------------------------------------------------------------------------
-- The triggers never stop DDL: when dtecert's tables are broken the DDL goes
-- ahead with a WARNING.  (test/t/005_ddl_trigger.pl shows the same for
-- tables another session holds locked.)  DDL on dtecert's own tables
-- revokes nothing.
CALL recertify('"Orders"');
ALTER TABLE dtecert.check_results RENAME COLUMN proven_by TO proven_by_renamed;
ALTER TABLE "Orders" DROP CONSTRAINT "Orders PK";
ALTER TABLE dtecert.check_results RENAME COLUMN proven_by_renamed TO proven_by;
SELECT count(*) AS "Orders PK" FROM pg_constraint WHERE conname = 'Orders PK';
ALTER TABLE dtecert.certificates RENAME COLUMN reason TO reason_renamed;
ALTER TABLE "Orders" ADD COLUMN "while broken" int;
ALTER TABLE dtecert.certificates RENAME COLUMN reason_renamed TO reason;
SELECT attname FROM pg_attribute
 WHERE attrelid = '"Orders"'::regclass AND attname = 'while broken';
SELECT * FROM revoked();
-- and once the tables are whole again, DDL revokes as before
ALTER TABLE "Orders" DROP COLUMN "while broken";
SELECT * FROM revoked();

SET client_min_messages = warning;
DROP SCHEMA "DDL Revoke" CASCADE;
DROP SCHEMA "Sales Q" CASCADE;
RESET client_min_messages;
DROP ROLE regress_ddl_owner;
