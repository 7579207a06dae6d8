-- Privileges and hostile objects (DESIGN sections 5 and 8).
CREATE SCHEMA sec;
\set SHOW_CONTEXT never
CREATE ROLE regress_sec_owner;
CREATE ROLE regress_sec_reader;
CREATE ROLE regress_sec_nobody;
GRANT USAGE, CREATE ON SCHEMA sec TO regress_sec_owner;
GRANT USAGE ON SCHEMA sec TO regress_sec_reader, regress_sec_nobody;

SET ROLE regress_sec_owner;
CREATE TABLE sec.orders (id int, status text, amount numeric);
INSERT INTO sec.orders VALUES (1, 'new', 5), (2, 'new', 7), (3, 'old', -1);
CREATE TABLE sec.customers (id int);
-- who runs a policy's expressions?
CREATE FUNCTION sec.whoami() RETURNS text LANGUAGE sql AS 'SELECT current_user::text';
CREATE FUNCTION sec.escalate() RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
	ALTER ROLE regress_sec_owner SUPERUSER;
	RETURN false;
END $$;
GRANT SELECT ON sec.orders TO regress_sec_reader;
SELECT dtecert.set_policy('sec.orders', $$
checks:
  - accepted_values: {column: status, values: [new, old]}
  - sql: {name: runs_as_owner, failing_rows: "sec.whoami() <> 'regress_sec_owner'"}
  - sql: {name: safe_search_path, failing_rows: "pg_catalog.current_setting('search_path') <> 'pg_catalog, pg_temp'"}
$$) AS version;
RESET ROLE;

-- The scan runs as the table's owner, even when a superuser certifies.
SELECT certified, checks_passed, checks_failed FROM dtecert.certify('sec.orders');
SELECT issued_by FROM dtecert.certificates ORDER BY certificate_id DESC LIMIT 1;
-- A reader may certify; a role without SELECT may not.
SET ROLE regress_sec_reader;
SELECT certified FROM dtecert.certify('sec.orders');
SET ROLE regress_sec_nobody;
SELECT certified FROM dtecert.certify('sec.orders');
-- and nobody but the extension writes dtecert's tables
UPDATE dtecert.certificates SET certified = true;
DELETE FROM dtecert.check_results;
INSERT INTO dtecert.certificates (dataset, relation_oid, issued_at, certified, status, issued_by)
VALUES ('sec.orders', 0, now(), true, 'certified', 'me');
RESET ROLE;

-- A policy expression cannot gain the certifier's rights: the owner's
-- function tries to make its owner a superuser while a superuser certifies.
SET ROLE regress_sec_owner;
SELECT dtecert.set_policy('sec.orders', $$
checks: [{sql: {name: evil, failing_rows: "sec.escalate()"}}]$$) AS version;
RESET ROLE;
SELECT certified FROM dtecert.certify('sec.orders');
SELECT rolsuper FROM pg_roles WHERE rolname = 'regress_sec_owner';
-- nor change a setting for the rest of the session
SET ROLE regress_sec_owner;
SELECT dtecert.set_policy('sec.orders', $$
checks: [{sql: {name: settings, failing_rows: "pg_catalog.set_config('work_mem', '1MB', false) IS NULL"}}]$$) AS version;
RESET ROLE;
SET work_mem = '4MB';
SELECT certified FROM dtecert.certify('sec.orders');
SHOW work_mem;
SHOW search_path;

-- Objects planted on a search path cannot change a verdict: generated SQL
-- names pg_catalog's functions and operators, and expressions run with
-- search_path = pg_catalog, pg_temp.
CREATE FUNCTION public.count(anyelement) RETURNS bigint LANGUAGE sql AS 'SELECT 0::bigint';
CREATE FUNCTION public.lower(text) RETURNS text LANGUAGE sql AS 'SELECT ''new''';
CREATE FUNCTION public.text_eq_always(text, text) RETURNS boolean LANGUAGE sql AS 'SELECT true';
CREATE OPERATOR public.= (LEFTARG = text, RIGHTARG = text, FUNCTION = public.text_eq_always);
CREATE FUNCTION public.num_lt_never(numeric, numeric) RETURNS boolean LANGUAGE sql AS 'SELECT false';
CREATE OPERATOR public.< (LEFTARG = numeric, RIGHTARG = numeric, FUNCTION = public.num_lt_never);
SET search_path = public, pg_catalog;
SET ROLE regress_sec_owner;
SELECT dtecert.set_policy('sec.orders', $$
checks:
  - accepted_values: {column: status, values: [new]}
  - between: {column: amount, min: 0}
  - sql: {name: lower_is_builtin, failing_rows: "lower(status) = 'new'"}
$$) AS version;
RESET ROLE;
SELECT certified, checks_failed FROM dtecert.certify('sec.orders');
SELECT r.check_name, r.passed, r.unexpected_count
  FROM dtecert.check_results r
 WHERE r.certificate_id = (SELECT max(certificate_id) FROM dtecert.certificates)
 ORDER BY r.check_index;
RESET search_path;
DROP OPERATOR public.= (text, text);
DROP OPERATOR public.< (numeric, numeric);
DROP FUNCTION public.count(anyelement), public.lower(text),
	public.text_eq_always(text, text), public.num_lt_never(numeric, numeric);

-- A referenced table the caller may not read stops the certification.
SET ROLE regress_sec_owner;
SELECT dtecert.set_policy('sec.orders', $$
checks: [{references: {column: id, table: sec.customers, to: id}}]$$) AS version;
RESET ROLE;
SET ROLE regress_sec_reader;
SELECT certified FROM dtecert.certify('sec.orders');
RESET ROLE;

DROP SCHEMA sec CASCADE;
DROP ROLE regress_sec_owner, regress_sec_reader, regress_sec_nobody;
