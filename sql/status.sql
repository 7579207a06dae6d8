-- Reading certificates: the status view, is_certified, assert_certified.
CREATE SCHEMA st;
SET search_path = st, public;
\set SHOW_CONTEXT never
CREATE TABLE good (id int, amount numeric);
INSERT INTO good SELECT g, g FROM generate_series(1, 10) g;
CREATE TABLE bad (id int, amount numeric);
INSERT INTO bad VALUES (1, -5), (NULL, 3);
CREATE TABLE src (id int);

SELECT dtecert.set_policy('good', $$
tier: medium
checks: [{not_null: id}, {between: {column: amount, min: 0}}]
lineage: {job: load_good, inputs: [st.src]}$$) AS version;
SELECT dtecert.set_policy('bad', $$
tier: low
checks: [{not_null: id}, {between: {column: amount, min: 0}}]$$) AS version;

-- A dataset with a policy but no certificate yet.
SELECT dataset, status, certificate_id, reason FROM dtecert.status
 WHERE dataset LIKE 'st.%' ORDER BY dataset;
SELECT dtecert.is_certified('good');
SELECT dtecert.assert_certified('good');

SELECT status, certified FROM dtecert.certify('good');
SELECT status, certified FROM dtecert.certify('bad');
SELECT dataset, status, tier_required, tier_achieved, quality_score, reason,
       valid_until > issued_at AS has_lifetime
  FROM dtecert.status WHERE dataset LIKE 'st.%' ORDER BY dataset;

SELECT dtecert.is_certified('good') AS good, dtecert.is_certified('bad') AS bad;
SELECT dtecert.is_certified('good', 'low') AS low, dtecert.is_certified('good', 'medium') AS medium,
       dtecert.is_certified('good', 'high') AS high;
SELECT dtecert.is_certified('good', 'gold');
SELECT dtecert.is_certified('src') AS no_policy;
SELECT dtecert.is_certified(NULL) AS null_dataset;

SELECT dtecert.assert_certified('good') = (SELECT certificate_id FROM dtecert.status
											WHERE dataset = 'st.good') AS returns_id;
SELECT dtecert.assert_certified('good', 'high');
SELECT dtecert.assert_certified('bad');
SELECT dtecert.assert_certified('src');
SELECT dtecert.assert_certified(NULL);
SELECT dtecert.assert_certified('good', 'gold');
DO $$
BEGIN
	PERFORM dtecert.assert_certified('st.bad');
EXCEPTION WHEN check_violation THEN
	RAISE NOTICE 'caught SQLSTATE %', SQLSTATE;
END $$;

-- Expiry is computed at read time: no job has to run.
SELECT dtecert.set_policy('good', $$
tier: medium
valid_for: 1 microsecond
checks: [{not_null: id}]
lineage: {job: load_good, inputs: [st.src]}$$) AS version;
SELECT status, certified FROM dtecert.certify('good');
SELECT status, reason
  FROM dtecert.status WHERE dataset = 'st.good';
SELECT dtecert.is_certified('good');
SELECT dtecert.assert_certified('good');

-- A certificate vouches for the relation it saw.  dbt replaces a model by
-- a new relation under the same name: the old certificate no longer counts.
SELECT dtecert.set_policy('good', $$checks: [{not_null: id}]$$) AS version;
SELECT certified FROM dtecert.certify('good');
SELECT dtecert.is_certified('good');
CREATE TABLE good_tmp (LIKE good);
INSERT INTO good_tmp SELECT * FROM good;
ALTER TABLE good RENAME TO good_backup;
ALTER TABLE good_tmp RENAME TO good;
DROP TABLE good_backup;
SELECT status, reason FROM dtecert.status WHERE dataset = 'st.good';
SELECT dtecert.is_certified('good');
-- the policy belongs to the name, so the post-hook certifies the new relation
SELECT certified FROM dtecert.certify('good');
SELECT status FROM dtecert.status WHERE dataset = 'st.good';
DROP TABLE good;
SELECT status, reason FROM dtecert.status WHERE dataset = 'st.good';

-- The view and functions are invoker's rights: they read what the caller may.
SELECT c.relname, c.reloptions FROM pg_class c
 WHERE c.oid = 'dtecert.status'::regclass;

-- History is append-only and kept when the policy goes.
SELECT count(*) AS certificates FROM dtecert.certificates WHERE dataset = 'st.bad';
SELECT dtecert.drop_policy('bad');
SELECT count(*) AS certificates FROM dtecert.certificates WHERE dataset = 'st.bad';
SELECT count(*) AS in_status FROM dtecert.status WHERE dataset = 'st.bad';

DROP SCHEMA st CASCADE;
