-- certify(): what it records, on every kind of relation, and how it copes
-- with a schema that changed under its policy.
CREATE SCHEMA cert;
SET search_path = cert, public;
\set SHOW_CONTEXT never
CREATE TABLE orders (id bigint, status text, amount numeric);
INSERT INTO orders VALUES (1, 'new', 10), (2, 'new', 20), (3, 'old', NULL);

SELECT dtecert.set_policy('orders', $$
checks:
  - not_null: id
  - accepted_values: {column: status, values: [new, old]}
  - between: {column: amount, min: 0, max: 100}
$$) AS version;
SELECT certificate_id > 0 AS has_id, dataset, status, tier_required, tier_achieved,
       certified, quality_score, checks_passed, checks_failed,
       valid_until > now() AS valid_in_future,
       substr(run_id::text, 15, 1) AS uuid_version
  FROM dtecert.certify('orders', 'v1.2.3');
SELECT dataset, relation_oid = 'cert.orders'::regclass AS same_oid, policy_version,
       version_label, issued_by, status, reason
  FROM dtecert.certificates ORDER BY certificate_id DESC LIMIT 1;
SELECT check_index, check_name, kind, column_name, severity, passed, waived,
       element_count, unexpected_count, observed, expected, proven_by, scans, reason
  FROM dtecert.check_results
 WHERE certificate_id = (SELECT max(certificate_id) FROM dtecert.certificates)
 ORDER BY check_index;
-- run ids are UUIDv7: version 7, RFC 9562 variant, Unix milliseconds first
SELECT substr(run_id::text, 15, 1) AS version,
       substr(run_id::text, 20, 1) IN ('8', '9', 'a', 'b') AS rfc_variant,
       abs(('x' || substr(replace(run_id::text, '-', ''), 1, 12))::bit(48)::bigint
           - (extract(epoch FROM clock_timestamp()) * 1000)::bigint) < 60000 AS time_is_now
  FROM dtecert.certify('orders');

-- A column dropped after set_policy: the check is recorded as failed with
-- the reason; the other checks still run.
ALTER TABLE orders DROP COLUMN status;
SELECT status, certified, checks_passed, checks_failed FROM dtecert.certify('orders');
SELECT check_name, passed, element_count, reason
  FROM dtecert.check_results
 WHERE certificate_id = (SELECT max(certificate_id) FROM dtecert.certificates)
 ORDER BY check_index;
-- a retyped column whose values no longer cast
ALTER TABLE orders ALTER COLUMN amount TYPE int USING amount::int;
SELECT dtecert.set_policy('orders', 'checks: [{between: {column: amount, min: 0, max: 100}}]') AS version;
ALTER TABLE orders ALTER COLUMN amount TYPE date USING DATE '2026-01-01' + amount;
SELECT status, certified FROM dtecert.certify('orders');
SELECT check_name, passed, reason
  FROM dtecert.check_results
 WHERE certificate_id = (SELECT max(certificate_id) FROM dtecert.certificates);

-- Views, materialized views and partitioned tables can be certified too.
CREATE VIEW big_orders AS SELECT id, amount FROM orders WHERE id > 1;
SELECT dtecert.set_policy('big_orders', 'checks: [{not_null: id}, {row_count: {equals: 2}}]') AS version;
SELECT status, certified FROM dtecert.certify('big_orders');
CREATE MATERIALIZED VIEW order_ids AS SELECT id FROM orders;
SELECT dtecert.set_policy('order_ids', 'checks: [{unique: id}]') AS version;
SELECT status, certified FROM dtecert.certify('order_ids');
CREATE TABLE events (id int NOT NULL, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
INSERT INTO events VALUES (1, '2025-06-01'), (2, '2026-06-01'), (2, '2026-07-01');
SELECT dtecert.set_policy('events', $$
checks: [{unique: id}, {not_null: at}, {row_count: {min: 3}}]$$) AS version;
SELECT status, certified, checks_failed FROM dtecert.certify('events');
SELECT check_name, passed, unexpected_count, proven_by
  FROM dtecert.check_results
 WHERE certificate_id = (SELECT max(certificate_id) FROM dtecert.certificates)
 ORDER BY check_index;
-- Sequences, indexes and composite types are not datasets.
CREATE SEQUENCE seq;
SELECT dtecert.set_policy('seq', 'checks: [{not_null: x}]');
SELECT dtecert.certify('seq');
SELECT dtecert.certify(NULL);
SELECT dtecert.certify(0::regclass);

-- A runtime error in a policy expression raises (and records nothing).
SELECT dtecert.set_policy('orders', $$checks: [{sql: {name: divides, failing_rows: "1 / (id - id) > 0"}}]$$) AS version;
SELECT count(*) AS before FROM dtecert.certificates WHERE dataset = 'cert.orders' \gset
SELECT dtecert.certify('orders');
SELECT count(*) = :before AS nothing_recorded FROM dtecert.certificates WHERE dataset = 'cert.orders';

-- A cancel during the scan leaves no certificate behind.
SELECT dtecert.set_policy('orders', $$checks: [{sql: {name: slow, failing_rows: "pg_catalog.pg_sleep(0.2) IS NULL"}}]$$) AS version;
SET statement_timeout = '100ms';
SELECT dtecert.certify('orders');
RESET statement_timeout;
SELECT count(*) = :before AS nothing_recorded FROM dtecert.certificates WHERE dataset = 'cert.orders';

-- The evidence pack holds the seed's flat fields, the certificate, the
-- policy, every criterion and check, and each failed check's samples.
CREATE TABLE ev (id int PRIMARY KEY, amount numeric);
INSERT INTO ev VALUES (1, 5), (2, -1), (3, -2);
SELECT dtecert.set_policy('ev', $$
checks: [{between: {column: amount, min: 0}}]
lineage: {job: load_ev, inputs: ['s3://raw/ev']}$$) AS version;
SELECT certificate_id AS ev_id FROM dtecert.certify('ev') \gset
SELECT e ->> 'dataset' AS dataset, e -> 'quality_score' AS quality_score,
       e -> 'certified' AS certified, e -> 'lineage' AS lineage,
       e -> 'certificate' ->> 'status' AS status,
       e -> 'policy' -> 'version' AS policy_version,
       jsonb_array_length(e -> 'criteria') AS criteria,
       e -> 'checks' -> 0 ->> 'name' AS check_name,
       (SELECT jsonb_agg(s - 'sha256' - 'redacted')
          FROM jsonb_array_elements(e -> 'checks' -> 0 -> 'samples') s) AS samples,
       e -> 'profile' -> 'row_count' AS profiled_rows,
       e -> 'environment' ->> 'dtecert' AS version
  FROM dtecert.evidence(:ev_id) e;
SELECT dtecert.evidence(-1) IS NULL AS unknown_certificate;

DROP SCHEMA cert CASCADE;
