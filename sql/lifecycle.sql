-- Living certificates: change detection without a scan, due(), revoke(),
-- expiry, waivers.  (recertify_due, NOTIFY, concurrency and pg_cron are in
-- the TAP tests: they need their own database and several sessions.)
CREATE SCHEMA life;
SET search_path = life, public;
\set SHOW_CONTEXT never

-- The statistics system counts a session's changes when it goes idle;
-- pg_stat_force_next_flush() makes that happen after the next statement.
CREATE TABLE orders (id int PRIMARY KEY, amount numeric, region text);
INSERT INTO orders SELECT g, g % 90, 'r' || g % 3 FROM generate_series(1, 100) g;
SELECT pg_stat_force_next_flush();
SELECT dtecert.set_policy('orders', $$
checks: [{not_null: region}, {between: {column: amount, min: 0, max: 100}}]$$) AS version;

CREATE FUNCTION due_here() RETURNS TABLE (dataset text, why text)
LANGUAGE sql AS $$ SELECT * FROM dtecert.due() WHERE dataset LIKE 'life.%' ORDER BY 1 $$;

-- Before any certificate.
SELECT * FROM due_here();
SELECT dtecert.changed_since_certified('orders') IS NULL AS never_certified;
SELECT status FROM dtecert.certify('orders');
SELECT storage_digest IS NOT NULL AS has_storage, modifications, schema_digest IS NOT NULL AS has_schema
  FROM dtecert.certificates WHERE dataset = 'life.orders';
SELECT * FROM due_here();
SELECT dtecert.changed_since_certified('orders') AS changed;

-- Reading is no change; an UPDATE is, even one that writes the same value.
SELECT count(*) FROM orders;
SELECT pg_stat_force_next_flush();
SELECT * FROM due_here();
UPDATE orders SET amount = amount WHERE id = 1;
SELECT pg_stat_force_next_flush();
SELECT * FROM due_here();
SELECT dtecert.changed_since_certified('orders') AS changed;
SELECT dtecert.due('orders');
SELECT status FROM dtecert.certify('orders');
SELECT * FROM due_here();

-- TRUNCATE and VACUUM FULL give the table new files: noticed without counting rows.
CREATE TABLE scratch (id int);
INSERT INTO scratch SELECT generate_series(1, 10);
SELECT pg_stat_force_next_flush();
SELECT dtecert.set_policy('scratch', 'checks: [{not_null: id}]') AS version;
SELECT status FROM dtecert.certify('scratch');
SELECT * FROM due_here();
VACUUM FULL scratch;
SELECT * FROM due_here();
SELECT status FROM dtecert.certify('scratch');
TRUNCATE scratch;
SELECT * FROM due_here();
SELECT status FROM dtecert.certify('scratch');
SELECT * FROM due_here();

-- A new policy version makes the dataset due; so does a column change
-- (the event trigger revokes; due() sees the revocation).
SELECT dtecert.set_policy('scratch', 'checks: [{not_null: id}, {row_count: {min: 0}}]') AS version;
SELECT * FROM due_here();
SELECT status FROM dtecert.certify('scratch');

-- revoke(): owner-only, appends a record, nothing edited.
SELECT dtecert.revoke('orders', 'found bad source data') > 0 AS revoked;
SELECT status, reason FROM dtecert.status WHERE dataset = 'life.orders';
SELECT dtecert.is_certified('orders');
SELECT * FROM due_here();
SELECT status, certified, reason, issued_by = current_user AS by_me
  FROM dtecert.certificates WHERE dataset = 'life.orders' ORDER BY certificate_id DESC LIMIT 1;
SELECT dtecert.revoke('orders', 'again') AS second_revocation;
SELECT dtecert.revoke('orders', '  ');
SELECT dtecert.revoke('orders', NULL);
SELECT dtecert.revoke(NULL, 'why');
SELECT dtecert.revoke('no_such_table', 'why');
CREATE TABLE never (id int);
SELECT dtecert.revoke('never', 'why');
CREATE ROLE regress_life_reader;
GRANT USAGE ON SCHEMA life TO regress_life_reader;
GRANT SELECT ON orders TO regress_life_reader;
SELECT status FROM dtecert.certify('orders');
SET ROLE regress_life_reader;
SELECT dtecert.revoke('orders', 'not mine');
SELECT dtecert.waive('orders', 'not_null(region)', 'r', 'a', now() + interval '1 day');
SELECT dtecert.unwaive('orders', 'not_null(region)');
-- a reader may still read the status and certify
SELECT status FROM dtecert.status WHERE dataset = 'life.orders';
RESET ROLE;

-- Expiry is read at read time; renew_before brings it forward for due().
CREATE TABLE brief (id int);
INSERT INTO brief VALUES (1);
SELECT pg_stat_force_next_flush();
SELECT dtecert.set_policy('brief', $$
valid_for: 4 seconds
checks: [{not_null: id}]$$) AS version;
SELECT status FROM dtecert.certify('brief');
SELECT * FROM due_here();
-- renewal starts renew_before (1 hour) ahead, but not before half the lifetime
SELECT pg_sleep(2.5);
SELECT * FROM due_here();
SET dtecert.renew_before = '0';
SELECT * FROM due_here();
RESET dtecert.renew_before;
SELECT pg_sleep(2);
SELECT status, reason FROM dtecert.status WHERE dataset = 'life.brief';
SELECT * FROM due_here();

-- A failed run is due again only after a change, or once older than valid_for.
CREATE TABLE flawed (id int, region text);
INSERT INTO flawed VALUES (1, 'a'), (2, NULL);
SELECT pg_stat_force_next_flush();
SELECT dtecert.set_policy('flawed', $$
valid_for: 2 seconds
checks: [{not_null: id}, {not_null: region}]$$) AS version;
SELECT status FROM dtecert.certify('flawed');
SELECT status, reason FROM dtecert.status WHERE dataset = 'life.flawed';
SELECT * FROM due_here() WHERE dataset = 'life.flawed';
SELECT pg_sleep(2.5);
SELECT * FROM due_here() WHERE dataset = 'life.flawed';
SELECT dtecert.set_policy('flawed', $$
checks: [{not_null: id}, {not_null: region}]$$) AS version;
SELECT status FROM dtecert.certify('flawed');

-- Waivers: accepted risk, for a limited time.
SELECT dtecert.waive('flawed', 'not_null(region)', 'legacy rows, fixed in Q3',
                     'ciso@example.com', now() + interval '1 day') AS waiver;
SELECT dataset, check_name, reason, approved_by, waived_by = current_user AS by_me, ended_at
  FROM dtecert.waivers;
SELECT * FROM due_here() WHERE dataset = 'life.flawed';
SELECT status, checks_passed, checks_failed FROM dtecert.certify('flawed');
SELECT check_name, passed, waived, waiver_id IS NOT NULL AS has_waiver, unexpected_count
  FROM dtecert.check_results
 WHERE certificate_id = (SELECT max(certificate_id) FROM dtecert.certificates
						  WHERE dataset = 'life.flawed')
 ORDER BY check_index;
-- a passing check is not flagged even when waived
SELECT dtecert.waive('flawed', 'not_null(id)', 'r', 'a', now() + interval '1 day') > 0 AS waived;
SELECT status FROM dtecert.certify('flawed');
SELECT check_name, passed, waived FROM dtecert.check_results
 WHERE certificate_id = (SELECT max(certificate_id) FROM dtecert.certificates
						  WHERE dataset = 'life.flawed')
 ORDER BY check_index;
-- a second waiver of a check replaces the first
SELECT dtecert.waive('flawed', 'not_null(region)', 'extended', 'ciso@example.com',
                     now() + interval '2 days') > 0 AS replaced;
SELECT check_name, reason, ended_at IS NOT NULL AS ended FROM dtecert.waivers
 WHERE check_name = 'not_null(region)' ORDER BY waiver_id;
-- ending a waiver the certificate rests on revokes it
SELECT dtecert.unwaive('flawed', 'not_null(region)');
SELECT status, reason FROM dtecert.status WHERE dataset = 'life.flawed';
SELECT status FROM dtecert.certify('flawed');
-- ending one it does not rest on revokes nothing
SELECT dtecert.unwaive('flawed', 'not_null(id)');
SELECT status FROM dtecert.status WHERE dataset = 'life.flawed';
-- a waiver that expires: the certificate expires with it, and the next run fails
SELECT dtecert.waive('flawed', 'not_null(region)', 'one more second', 'ciso@example.com',
                     now() + interval '2 seconds') > 0 AS waived;
SELECT status FROM dtecert.certify('flawed');
-- the certificate lasts no longer than the waiver it rests on
SELECT c.valid_until = w.expires_at AS capped
  FROM dtecert.certificates c, dtecert.waivers w
 WHERE c.certificate_id = (SELECT max(certificate_id) FROM dtecert.certificates
						    WHERE dataset = 'life.flawed')
   AND w.ended_at IS NULL;
SELECT pg_sleep(2.5);
SELECT status, reason FROM dtecert.status WHERE dataset = 'life.flawed';
SELECT status FROM dtecert.certify('flawed');
-- bad input
SELECT dtecert.waive('flawed', 'no_such_check', 'r', 'a', now() + interval '1 day');
SELECT dtecert.waive('flawed', 'not_null(region)', 'r', 'a', now() - interval '1 day');
SELECT dtecert.waive('flawed', 'not_null(region)', 'r', 'a', 'infinity');
SELECT dtecert.waive('flawed', 'not_null(region)', '', 'a', now() + interval '1 day');
SELECT dtecert.waive('flawed', 'not_null(region)', 'r', NULL, now() + interval '1 day');
SELECT dtecert.waive('flawed', 'not_null(region)', 'r', 'a', NULL);
SELECT dtecert.waive('never', 'x', 'r', 'a', now() + interval '1 day');
SELECT dtecert.unwaive('flawed', 'not_null(id)');
SELECT dtecert.unwaive('flawed', 'no_such_check');

DROP OWNED BY regress_life_reader;
DROP ROLE regress_life_reader;
