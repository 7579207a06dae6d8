-- The engine: every row-level check, the samples and the profile in one
-- scan, which parallel query can split; exact uniqueness within
-- dtecert.exact_mem, else one extra pass recorded in scans.
CREATE SCHEMA engine;
SET search_path = engine, public;
\set SHOW_CONTEXT never

-- 1M orders; order_id is a permutation of 1..1M except two rows that copy
-- another's id; no index at all.
CREATE TABLE orders (order_id bigint, customer_id int, status text,
					 amount numeric(10,2), currency text, email text,
					 region text, ordered_at timestamptz);
INSERT INTO orders
SELECT g, g % 5000, (ARRAY['pending','shipped','delivered','cancelled','returned'])[1 + g % 5],
	   (g % 50000) / 100.0, (ARRAY['EUR','USD','GBP'])[1 + g % 3],
	   'user' || g || '@example.com',
	   CASE WHEN g % 100 = 0 THEN NULL ELSE (ARRAY['north','south','east','west'])[1 + g % 4] END,
	   now() - (g % 100000) * interval '1 minute'
  FROM generate_series(1, 1000000) g;
UPDATE orders SET order_id = 424242 WHERE order_id = 999999;
UPDATE orders SET order_id = 7 WHERE order_id = 1000000;
ANALYZE orders;

SELECT dtecert.set_policy('orders', $$
tier: low
schema: {columns: {order_id: {type: bigint, nullable: false}}}
freshness: {column: ordered_at, max_age: 1 day}
checks:
  - not_null: order_id
  - not_null: customer_id
  - not_null: amount
  - not_null: ordered_at
  - not_null: {column: region, mostly: 0.95}
  - unique: order_id
  - accepted_values: {column: status, values: [pending, shipped, delivered, cancelled, returned]}
  - accepted_values: {column: currency, values: [EUR, USD, GBP]}
  - between: {column: amount, min: 0, max: 10000}
  - matches: {column: email, regex: '^[^@]+@[^@]+\.[a-z]+$'}
  - row_count: {min: 1}
  - length_between: {column: currency, min: 3, max: 3}
$$) AS version;

-- Serial: the table is read exactly once for all twelve checks, the
-- schema contract, freshness, samples and profile.
SET max_parallel_workers_per_gather = 0;
BEGIN;
SELECT seq_scan AS scans_before FROM pg_stat_xact_user_tables WHERE relid = 'orders'::regclass \gset
SELECT status, certified, checks_passed, checks_failed FROM dtecert.certify('orders');
SELECT seq_scan - :scans_before AS table_scans
  FROM pg_stat_xact_user_tables WHERE relid = 'orders'::regclass;
COMMIT;
SELECT max(certificate_id) AS serial_id FROM dtecert.certificates \gset
SELECT check_name, passed, element_count, unexpected_count, scans
  FROM dtecert.check_results WHERE certificate_id = :serial_id ORDER BY check_index;
-- the duplicates are found with their values
SELECT check_name, ordinal, row_key, value
  FROM dtecert.check_samples WHERE certificate_id = :serial_id ORDER BY check_name, ordinal;
SELECT (SELECT count(*) FROM orders o
		 WHERE o.order_id IN (SELECT order_id FROM orders GROUP BY 1 HAVING count(*) > 1))
		 AS independent_duplicate_rows;

-- Parallel: forced, the scan splits into partial aggregates under a Gather
-- with workers, and the certificate says exactly what the serial one said.
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SELECT regexp_replace(regexp_replace(line, '^\s*(->\s*)?', ''), '\s+\(cost=.*$', '') AS plan_node
  FROM dtecert.explain('orders', actual => true) line
 WHERE line ~ '(Gather|Partial Aggregate|Finalize Aggregate|Workers Launched: 2)';
SELECT status, certified, checks_passed, checks_failed FROM dtecert.certify('orders');
SELECT max(certificate_id) AS parallel_id FROM dtecert.certificates \gset
SELECT s.check_name, s.passed = p.passed AS passed_same,
       s.element_count = p.element_count AS elements_same,
       s.unexpected_count = p.unexpected_count AS unexpected_same,
       s.observed = p.observed AS observed_same
  FROM dtecert.check_results s JOIN dtecert.check_results p USING (check_name)
 WHERE s.certificate_id = :serial_id AND p.certificate_id = :parallel_id
   AND s.kind <> 'freshness'	-- its observed age moves with the clock
 ORDER BY s.check_index;
SELECT count(*) AS differing_samples FROM (
	(SELECT check_name, ordinal, row_key, value FROM dtecert.check_samples WHERE certificate_id = :serial_id
	 EXCEPT ALL
	 SELECT check_name, ordinal, row_key, value FROM dtecert.check_samples WHERE certificate_id = :parallel_id)
	UNION ALL
	(SELECT check_name, ordinal, row_key, value FROM dtecert.check_samples WHERE certificate_id = :parallel_id
	 EXCEPT ALL
	 SELECT check_name, ordinal, row_key, value FROM dtecert.check_samples WHERE certificate_id = :serial_id)) d;
-- the profile: counts equal, floats to 1e-12 relative
SELECT s.col ->> 'name' AS column_name,
       s.col - 'mean' = p.col - 'mean' AS exact_fields_same,
       COALESCE(abs((s.col ->> 'mean')::float8 - (p.col ->> 'mean')::float8)
				<= 1e-12 * abs((s.col ->> 'mean')::float8), true) AS mean_same
  FROM jsonb_array_elements((SELECT profile -> 'columns' FROM dtecert.certificates
							 WHERE certificate_id = :serial_id)) WITH ORDINALITY s(col, n)
  JOIN jsonb_array_elements((SELECT profile -> 'columns' FROM dtecert.certificates
							 WHERE certificate_id = :parallel_id)) WITH ORDINALITY p(col, n) USING (n)
 ORDER BY n;

-- Past dtecert.exact_mem the uniqueness state gives up and one exact pass
-- over order_id counts it: the same result, scans = 1.
SET dtecert.exact_mem = '64kB';
SELECT status, checks_failed FROM dtecert.certify('orders');
SELECT check_name, unexpected_count, scans FROM dtecert.check_results
 WHERE certificate_id = (SELECT max(certificate_id) FROM dtecert.certificates)
   AND kind = 'unique';
SELECT ordinal, value FROM dtecert.check_samples
 WHERE certificate_id = (SELECT max(certificate_id) FROM dtecert.certificates)
 ORDER BY ordinal;
RESET dtecert.exact_mem;
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;

-- Uniqueness: NULLs are never duplicates; several columns, with
-- ignore_row_if; samples of several columns read (a, b).
CREATE TABLE pairs (a int, b text, c int);
INSERT INTO pairs VALUES (1, 'x', 1), (1, 'x', 2), (1, 'y', 3), (NULL, 'z', 4),
	(NULL, 'z', 5), (NULL, NULL, 6), (NULL, NULL, 7), (2, NULL, 8), (2, NULL, 9);
SELECT dtecert.set_policy('pairs', $$
checks:
  - unique: a
  - unique: {columns: [a, b], name: ab_all}
  - unique: {columns: [a, b], ignore_row_if: any_value_is_missing, name: ab_any}
  - unique: {columns: [a, b], ignore_row_if: never, name: ab_never}
  - unique: c
$$) AS version;
SELECT checks_passed, checks_failed FROM dtecert.certify('pairs');
SELECT r.check_name, r.element_count, r.unexpected_count, r.scans,
       array_agg(s.value ORDER BY s.ordinal) AS samples
  FROM dtecert.check_results r
  LEFT JOIN dtecert.check_samples s USING (certificate_id, check_name)
 WHERE r.certificate_id = (SELECT max(certificate_id) FROM dtecert.certificates)
 GROUP BY r.check_name, r.element_count, r.unexpected_count, r.scans, r.check_index
 ORDER BY r.check_index;
-- the same, exactly, past exact_mem and in parallel
SET dtecert.exact_mem = '64kB';
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SELECT checks_passed, checks_failed FROM dtecert.certify('pairs');
SELECT r.check_name, r.unexpected_count FROM dtecert.check_results r
 WHERE r.certificate_id = (SELECT max(certificate_id) FROM dtecert.certificates)
 ORDER BY r.check_index;
RESET ALL;
SET search_path = engine, public;

-- Every kind of check but an unproven references reads the table once,
-- exact states included.
CREATE TABLE every (id int, a int, b int, s text, x numeric, d date, n int);
INSERT INTO every SELECT g, g % 100, g % 50, 'v' || (g % 7), g / 10.0,
	DATE '2026-01-01' + g / 1000, CASE WHEN g % 3 = 0 THEN NULL ELSE 1 END
  FROM generate_series(1, 100000) g;
SELECT dtecert.set_policy('every', $$
checks:
  - not_null: id
  - be_null: {column: n, mostly: 0.3}
  - unique: id
  - unique: {columns: [id, a]}
  - accepted_values: {column: s, values: [v0, v1, v2, v3, v4, v5, v6]}
  - rejected_values: {column: s, values: [v9]}
  - between: {column: a, min: 0, max: 99}
  - matches: {column: s, regex: '^v[0-9]$'}
  - not_matches: {column: s, regex: 'x'}
  - length_between: {column: s, min: 2, max: 2}
  - row_count: {min: 1}
  - sql: {name: positive, failing_rows: "x < 0"}
  - min_between: {column: x, min: 0}
  - max_between: {column: d, max: '2026-12-31'}
  - sum_between: {column: a, min: 0}
  - mean_between: {column: a, min: 49, max: 50}
  - median_between: {column: x, min: 0}
  - stdev_between: {column: a, min: 0}
  - distinct_count_between: {column: s, min: 7, max: 7}
  - distinct_ratio_between: {column: id, min: 1, max: 1}
  - column_count: {equals: 7}
  - columns_in_order: {columns: [id, a, b, s, x, d, n]}
  - column_exists: {column: d, position: 6}
  - column_type: {column: x, type: numeric}
  - pair_greater: {a: id, b: a, or_equal: true}
  - multicolumn_sum: {columns: [a, b], equals: 0, mostly: 0.001}
  - increasing: {column: d, order_by: id}
$$) AS version;
SET max_parallel_workers_per_gather = 0;
BEGIN;
SELECT seq_scan AS every_before FROM pg_stat_xact_user_tables WHERE relid = 'every'::regclass \gset
SELECT status, checks_passed, checks_failed FROM dtecert.certify('every');
SELECT seq_scan - :every_before AS table_scans
  FROM pg_stat_xact_user_tables WHERE relid = 'every'::regclass;
COMMIT;
SELECT count(*) AS checks, sum(scans) AS extra_scans, count(*) FILTER (WHERE NOT passed) AS failed
  FROM dtecert.check_results
 WHERE certificate_id = (SELECT max(certificate_id) FROM dtecert.certificates) AND severity IS NOT NULL;
-- past a tiny exact_mem, the exact states each take their recorded pass
SET dtecert.exact_mem = '64kB';
BEGIN;
SELECT seq_scan AS every_before FROM pg_stat_xact_user_tables WHERE relid = 'every'::regclass \gset
SELECT status, checks_passed, checks_failed FROM dtecert.certify('every');
SELECT seq_scan - :every_before AS table_scans
  FROM pg_stat_xact_user_tables WHERE relid = 'every'::regclass;
COMMIT;
SELECT check_name, scans FROM dtecert.check_results
 WHERE certificate_id = (SELECT max(certificate_id) FROM dtecert.certificates) AND scans > 0
 ORDER BY check_index;
RESET dtecert.exact_mem;
RESET max_parallel_workers_per_gather;

-- Partial states that are empty (no row passes a check's filter) or hold only
-- NULLs cross the parallel boundary intact: the parallel certificate equals
-- the serial one.
CREATE TABLE nulls (id int, nothing text, one int);
INSERT INTO nulls SELECT g, NULL, 1 FROM generate_series(1, 200000) g;
SELECT dtecert.set_policy('nulls', $$
checks:
  - not_null: nothing
  - unique: nothing
  - unique: {columns: [nothing, one], ignore_row_if: never, name: nothing_one}
  - accepted_values: {column: nothing, values: [a]}
  - between: {column: id, min: 1}
$$) AS version;
SET dtecert.sample_size = 3;
SET max_parallel_workers_per_gather = 0;
SELECT certificate_id AS nulls_serial FROM dtecert.certify('nulls') \gset
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SELECT certificate_id AS nulls_parallel FROM dtecert.certify('nulls') \gset
RESET ALL;
SET search_path = engine, public;
SELECT s.check_name, s.element_count, s.unexpected_count,
       (s.passed, s.element_count, s.unexpected_count, s.observed)
       = (p.passed, p.element_count, p.unexpected_count, p.observed) AS same
  FROM dtecert.check_results s JOIN dtecert.check_results p USING (check_name)
 WHERE s.certificate_id = :nulls_serial AND p.certificate_id = :nulls_parallel
 ORDER BY s.check_index;
SELECT check_name, array_agg(coalesce(row_key, '-') || ':' || coalesce(value, 'NULL') ORDER BY ordinal) AS samples
  FROM dtecert.check_samples WHERE certificate_id IN (:nulls_serial, :nulls_parallel)
 GROUP BY certificate_id, check_name ORDER BY check_name, certificate_id;

-- Samples follow the policy: values, masked (a digest), none; and the
-- smallest by primary key when there is one.
CREATE TABLE people (id int PRIMARY KEY, email text);
INSERT INTO people SELECT g, CASE WHEN g % 3 = 0 THEN 'bad-' || g ELSE 'p' || g || '@x.org' END
  FROM generate_series(1, 100) g;
SET dtecert.sample_size = 3;
SELECT dtecert.set_policy('people', $$
checks: [{matches: {column: email, regex: '@'}}]$$) AS version;
SELECT certified FROM dtecert.certify('people');
SELECT ordinal, row_key, value FROM dtecert.check_samples
 WHERE certificate_id = (SELECT max(certificate_id) FROM dtecert.certificates) ORDER BY ordinal;
SELECT dtecert.set_policy('people', $$
samples: masked
checks: [{matches: {column: email, regex: '@'}}]$$) AS version;
SELECT certified FROM dtecert.certify('people');
SELECT ordinal, row_key, value = 'masked:' || left(encode(sha256('bad-3'), 'hex'), 16) AS is_digest_of_value,
       value LIKE 'bad%' AS shows_value
  FROM dtecert.check_samples
 WHERE certificate_id = (SELECT max(certificate_id) FROM dtecert.certificates) ORDER BY ordinal;
SELECT dtecert.set_policy('people', $$
samples: none
checks: [{matches: {column: email, regex: '@'}}]$$) AS version;
SELECT certified FROM dtecert.certify('people');
SELECT count(*) AS samples FROM dtecert.check_samples
 WHERE certificate_id = (SELECT max(certificate_id) FROM dtecert.certificates);
RESET dtecert.sample_size;

-- Where row-level security would hide rows from the caller, no samples.
CREATE ROLE regress_engine_reader;
GRANT USAGE ON SCHEMA engine TO regress_engine_reader;
GRANT SELECT ON people TO regress_engine_reader;
ALTER TABLE people ENABLE ROW LEVEL SECURITY;
CREATE POLICY only_small ON people FOR SELECT USING (id < 10);
SELECT dtecert.set_policy('people', $$
checks: [{matches: {column: email, regex: '@'}}]$$) AS version;
SET ROLE regress_engine_reader;
SELECT certified, checks_failed FROM dtecert.certify('engine.people');
RESET ROLE;
SELECT r.unexpected_count AS whole_table_counted,
       (SELECT count(*) FROM dtecert.check_samples s WHERE s.certificate_id = r.certificate_id) AS samples
  FROM dtecert.check_results r
 WHERE r.certificate_id = (SELECT max(certificate_id) FROM dtecert.certificates);

-- The profile: counts, nulls, min/max, mean, distinct estimate.
SELECT c ->> 'name' AS name, c ->> 'type' AS type, c -> 'count' AS count,
       c -> 'null_count' AS nulls, c ->> 'min' AS min, c ->> 'max' AS max,
       round((c ->> 'mean')::numeric, 4) AS mean,
       abs((c ->> 'distinct_estimate')::int - 100) <= 3 AS distinct_close
  FROM jsonb_array_elements((SELECT profile -> 'columns' FROM dtecert.certificates
							 WHERE certificate_id = (SELECT max(certificate_id) FROM dtecert.certificates))) c;

-- A wide table is profiled in chunks (a function takes at most 100
-- arguments); a dropped last column is skipped.
DO $$
BEGIN
	EXECUTE (SELECT format('CREATE TABLE engine.wide (%s)', string_agg(format('c%s int', g), ', '))
			   FROM generate_series(1, 250) g);
END $$;
INSERT INTO wide (c1, c125, c250) VALUES (1, 2, 3), (4, NULL, 6);
ALTER TABLE wide DROP COLUMN c250;
SELECT dtecert.set_policy('wide', 'checks: [{not_null: c1}]') AS version;
SELECT certified FROM dtecert.certify('wide');
SELECT jsonb_array_length(profile -> 'columns') AS columns,
       profile -> 'columns' -> 0 ->> 'max' AS c1_max,
       profile -> 'columns' -> 124 -> 'null_count' AS c125_nulls,
       profile -> 'columns' -> 248 ->> 'name' AS last
  FROM dtecert.certificates WHERE certificate_id = (SELECT max(certificate_id) FROM dtecert.certificates);

DROP SCHEMA engine CASCADE;
DROP ROLE regress_engine_reader;
