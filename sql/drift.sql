-- Robustness: drift against the last certified certificate, on the NYC
-- taxi samples (test/data: January 2019 as the baseline, then February
-- loaded into the same table; the congestion surcharge began in February).
CREATE SCHEMA drift;
SET search_path = drift, public;
\set SHOW_CONTEXT never
\getenv abs_srcdir PG_ABS_SRCDIR

CREATE TABLE taxi (
	vendor_id int, pickup_datetime timestamp, dropoff_datetime timestamp,
	passenger_count int, trip_distance numeric, rate_code_id int,
	store_and_fwd_flag text, pickup_location_id int, dropoff_location_id int,
	payment_type int, fare_amount numeric, extra numeric, mta_tax numeric,
	tip_amount numeric, tolls_amount numeric, improvement_surcharge numeric,
	total_amount numeric, congestion_surcharge numeric);
\set january :abs_srcdir '/test/data/yellow_tripdata_sample_2019-01.csv'
\set february :abs_srcdir '/test/data/yellow_tripdata_sample_2019-02.csv'
COPY taxi FROM :'january' WITH (FORMAT csv, HEADER true);

SELECT dtecert.set_policy('taxi', $$
tier: low
checks: [{not_null: vendor_id}]
robustness:
  columns: [congestion_surcharge, trip_distance, store_and_fwd_flag]
  psi_max: 0.25
  null_rate_change_max: 0.05
  row_count_change_max: 0.5
$$) AS version;
SELECT dtecert.policy('taxi') -> 'robustness' AS normal_form;

CREATE FUNCTION last_robustness() RETURNS TABLE (passed boolean, reason text, observed jsonb)
LANGUAGE sql AS $$
	SELECT passed, reason, observed FROM dtecert.check_results
	 WHERE kind = 'robustness'
	   AND certificate_id = (SELECT max(certificate_id) FROM dtecert.certificates
							  WHERE dataset = 'drift.taxi')
$$;
CREATE FUNCTION column_drift() RETURNS TABLE (col text, psi numeric, null_rate_change numeric)
LANGUAGE sql AS $$
	SELECT c ->> 'column', round((c ->> 'psi')::numeric, 4),
		   round((c ->> 'null_rate_change')::numeric, 4)
	  FROM last_robustness() r, jsonb_array_elements(r.observed -> 'columns') c
$$;

-- January: no baseline yet, so this certificate establishes it.
SELECT status FROM dtecert.certify('taxi');
SELECT passed, observed FROM last_robustness();
-- its distributions: deciles of numbers (with below, above and NULL bins),
-- top values of text (with "other" and NULL bins)
SELECT d.key, d.value -> 'kind' AS kind, d.value -> 'bins' AS bins, d.value -> 'counts' AS counts
  FROM dtecert.certificates c,
	   jsonb_each(c.profile -> 'distributions') d
 WHERE c.dataset = 'drift.taxi'
 ORDER BY c.certificate_id DESC, d.key
 LIMIT 3;

-- The same data again: PSI exactly 0.
SELECT status FROM dtecert.certify('taxi');
SELECT * FROM column_drift();

-- February in the same table: congestion_surcharge drifts (NULL rate and
-- PSI), trip_distance does not.
TRUNCATE taxi;
COPY taxi FROM :'february' WITH (FORMAT csv, HEADER true);
SELECT status FROM dtecert.certify('taxi');
SELECT status, reason FROM dtecert.status WHERE dataset = 'drift.taxi';
SELECT * FROM column_drift();
SELECT observed -> 'row_count_change' AS row_count_change,
	   observed -> 'baseline_certificate_id' = (
		SELECT to_jsonb(min(certificate_id) + 1) FROM dtecert.certificates
		 WHERE dataset = 'drift.taxi') AS baseline_is_last_certified
  FROM last_robustness();
SELECT dtecert.is_certified('taxi');

-- Drift never clears itself: the baseline stays the last certified run.
SELECT status FROM dtecert.certify('taxi');
SELECT * FROM column_drift() WHERE col = 'congestion_surcharge';

-- Fewer rows than the limit allows.
DELETE FROM taxi WHERE vendor_id = 2;
SELECT status FROM dtecert.certify('taxi');
SELECT reason FROM last_robustness();

-- Back to January's data: no drift from the baseline, certified again.
TRUNCATE taxi;
COPY taxi FROM :'january' WITH (FORMAT csv, HEADER true);
SELECT status FROM dtecert.certify('taxi');
SELECT * FROM column_drift();

-- Other kinds of columns: booleans and dates are binned by value or by top
-- value; a column of NULLs and an empty table have nothing to compare.
CREATE TABLE mixed (flag boolean, day date, note text, n int);
INSERT INTO mixed SELECT g % 3 = 0, date '2024-01-01' + g, NULL, NULL FROM generate_series(1, 300) g;
SELECT dtecert.set_policy('mixed', $$
robustness: {columns: [flag, day, note, n], psi_max: 0.1}$$) AS version;
SELECT status FROM dtecert.certify('mixed');
SELECT d.key, d.value -> 'kind' AS kind, jsonb_array_length(d.value -> 'bins') AS bins,
	   d.value -> 'counts' AS counts
  FROM dtecert.certificates c, jsonb_each(c.profile -> 'distributions') d
 WHERE c.dataset = 'drift.mixed' ORDER BY d.key;
UPDATE mixed SET flag = true;
SELECT status FROM dtecert.certify('mixed');
SELECT reason FROM dtecert.status WHERE dataset = 'drift.mixed';
TRUNCATE mixed;
SELECT status FROM dtecert.certify('mixed');
SELECT reason FROM dtecert.status WHERE dataset = 'drift.mixed';

-- Bad policies.
SELECT dtecert.set_policy('mixed', 'robustness: {columns: [nope], psi_max: 0.1}');
SELECT dtecert.set_policy('mixed', 'robustness: {columns: [flag]}');
SELECT dtecert.set_policy('mixed', 'robustness: {columns: [flag], psi_max: 0.1, baseline: drift.other}');
