-- Lineage: the OpenLineage events certify() queues in dtecert.lineage_outbox
-- (their shape, volatile fields masked), who may touch the outbox, and the
-- lineage criterion for views.  No worker serves this database: the events
-- stay pending.
CREATE SCHEMA lin;
CREATE TABLE lin.src (id int PRIMARY KEY, amount numeric(8,2), note text, ratio float8);
INSERT INTO lin.src
SELECT g, g * 1.5, CASE WHEN g % 4 = 0 THEN NULL ELSE 'n' || g END,
       CASE WHEN g = 7 THEN 'NaN' ELSE g / 10.0 END
  FROM generate_series(1, 20) g;
CREATE VIEW lin.v AS SELECT id, amount FROM lin.src WHERE amount > 3;
CREATE MATERIALIZED VIEW lin.mv AS SELECT s.id, v.amount FROM lin.src s JOIN lin.v v USING (id);

-- The event with what changes from run to run masked.
CREATE FUNCTION lin.shape(e jsonb) RETURNS jsonb LANGUAGE sql AS $$
  SELECT regexp_replace(regexp_replace(regexp_replace(regexp_replace(
           replace(e::text, '"' || current_database() || '.', '"<db>.'),
           '"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"', '"<uuidv7>"', 'g'),
           '"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"', '"<time>"', 'g'),
           'postgres://localhost:\d+', 'postgres://localhost:<port>', 'g'),
           '"(version|openlineageAdapterVersion|certificateId|chainHead)": ("[^"]*"|\d+)', '"\1": "<masked>"', 'g')::jsonb
$$;

-- Events of the certifications of one dataset, in order.
CREATE FUNCTION lin.events(ds text)
RETURNS TABLE (event_type text, state text, event jsonb) LANGUAGE sql AS $$
  SELECT o.event_type, o.state, lin.shape(o.event)
    FROM dtecert.lineage_outbox o WHERE o.dataset = ds ORDER BY o.event_id
$$;

SELECT dtecert.set_policy('lin.src', $$
tier: medium
checks:
  - not_null: note
  - unique: id
  - between: {column: amount, min: 0, max: 20}
  - not_null: {column: ratio, severity: warn}
lineage: {job: 'etl/load_src', inputs: ['s3://raw/src.csv', lin.v]}
$$);
SELECT status, certified FROM dtecert.certify('lin.src');

-- START, FAIL (with an errorMessage naming what failed), and the JobEvent
\a
\t on
SELECT event_type || ' (' || state || E')\n' || jsonb_pretty(event) FROM lin.events('lin.src');
\a
\t off

-- One run: START and its end share the certificate's UUIDv7 run id; times
-- are RFC 3339 UTC; no JSON null anywhere.
SELECT count(DISTINCT o.run_id) AS runs,
       bool_and(o.run_id = c.run_id) AS run_id_of_certificate,
       bool_and(o.event->'run'->>'runId' = c.run_id::text) AS in_the_event,
       bool_and(substr(c.run_id::text, 15, 1) = '7') AS uuidv7,
       bool_and(o.event->>'eventTime' ~ '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$') AS rfc3339,
       bool_and(NOT jsonb_path_exists(o.event, 'strict $.** ? (@ == null)')) AS no_nulls
  FROM dtecert.lineage_outbox o
  JOIN dtecert.certificates c USING (certificate_id)
 WHERE o.dataset = 'lin.src';

-- A certified run ends with COMPLETE.
SELECT dtecert.set_policy('lin.src', $$
checks: [{unique: id}]
lineage: {job: load_src, inputs: ['s3://raw/src.csv']}
$$);
SELECT status, certified FROM dtecert.certify('lin.src');
SELECT event_type, state, event->'run'->'facets'->'dtecert_certificate'->>'status' AS status,
       event->'run'->'facets' ? 'errorMessage' AS error_message
  FROM dtecert.lineage_outbox WHERE dataset = 'lin.src' ORDER BY event_id;

-- Views: inputs derived from the catalog, or declared and checked against it.
SELECT dtecert.set_policy('lin.v', $$
checks: [{not_null: id}]
lineage: {job: v_job, inputs: []}
$$);
SELECT status, certified FROM dtecert.certify('lin.v');
SELECT r.observed, r.reason FROM dtecert.check_results r
 WHERE r.kind = 'lineage' AND r.certificate_id = (SELECT max(certificate_id) FROM dtecert.certificates);
\a
\t on
SELECT jsonb_pretty(event) FROM lin.events('lin.v') WHERE event_type = 'JOB';
\a
\t off

SELECT dtecert.set_policy('lin.mv', $$
checks: [{not_null: id}]
lineage: {job: mv_job, inputs: [lin.src, 'kafka://broker:9092/orders']}
$$);
SELECT status, certified FROM dtecert.certify('lin.mv');
SELECT r.reason FROM dtecert.check_results r
 WHERE r.kind = 'lineage' AND r.certificate_id = (SELECT max(certificate_id) FROM dtecert.certificates);
SELECT dtecert.set_policy('lin.mv', $$
checks: [{not_null: id}]
lineage: {job: mv_job, inputs: [lin.src, lin.v]}
$$);
SELECT status, certified FROM dtecert.certify('lin.mv');
SELECT jsonb_path_query(lin.shape(event), '$.inputs[*]') AS inputs_of_the_job
  FROM (SELECT event FROM dtecert.lineage_outbox WHERE dataset = 'lin.mv' AND event_type = 'JOB'
         ORDER BY event_id DESC LIMIT 1) e;

-- A table must name its inputs.
CREATE TABLE lin.orphan (id int);
SELECT dtecert.set_policy('lin.orphan', $$
checks: [{not_null: id}]
lineage: {job: j, inputs: []}
$$);
SELECT status FROM dtecert.certify('lin.orphan');
SELECT reason FROM dtecert.certificates WHERE dataset = 'lin.orphan';

-- A certification rolled back leaves no event behind.
SELECT count(*) AS before FROM dtecert.lineage_outbox WHERE dataset = 'lin.src';
BEGIN;
SELECT status FROM dtecert.certify('lin.src');
ROLLBACK;
SELECT count(*) AS after FROM dtecert.lineage_outbox WHERE dataset = 'lin.src';

-- The status view, and retry_lineage (nothing failed here).
SELECT pending > 0 AS pending, delivered, failed FROM dtecert.lineage_status;
SELECT dtecert.retry_lineage();

-- Everyone reads the outbox; nobody writes it directly.
CREATE ROLE lineage_reader;
SET ROLE lineage_reader;
SELECT count(*) > 0 AS readable FROM dtecert.lineage_outbox;
SELECT sqlstate_of($$DELETE FROM dtecert.lineage_outbox$$) AS delete,
       sqlstate_of($$UPDATE dtecert.lineage_outbox SET state = 'delivered'$$) AS update,
       sqlstate_of($$INSERT INTO dtecert.lineage_outbox (dataset, event_type, event)
                     VALUES ('x', 'JOB', '{}')$$) AS insert,
       sqlstate_of($$SELECT dtecert.retry_lineage()$$) AS retry,
       sqlstate_of($$SHOW dtecert.lineage_api_key$$) AS show_key;
RESET ROLE;
DROP ROLE lineage_reader;

-- Settings (their defaults: a server's configuration may differ)
SELECT name, boot_val, unit, context FROM pg_settings
 WHERE name LIKE 'dtecert.lineage%' OR name = 'dtecert.database' ORDER BY name;
SELECT sqlstate_of($$SET dtecert.lineage_url = 'ftp://x'$$) AS not_settable_here;

-- The outbox is kept by pg_dump (pending and failed events).
SELECT c.relname, x.cfg IS NOT NULL AS dumped, x.cond
  FROM pg_extension e
  CROSS JOIN LATERAL unnest(e.extconfig, e.extcondition) AS x(cfg, cond)
  JOIN pg_class c ON c.oid = x.cfg
 WHERE e.extname = 'dtecert' AND c.relname LIKE 'lineage%' ORDER BY 1;

DROP SCHEMA lin CASCADE;
