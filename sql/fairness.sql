-- The high tier: fairness and explainability on COMPAS and Adult
-- (test/data).  Every per-group rate is checked against an independent
-- plain-SQL computation.
CREATE SCHEMA fair;
SET search_path = fair, public;
\set SHOW_CONTEXT never
\getenv abs_srcdir PG_ABS_SRCDIR

CREATE TABLE compas (id int PRIMARY KEY, compas_screening_date date, sex text, age int,
	age_cat text, race text, juv_fel_count int, decile_score int, juv_misd_count int,
	juv_other_count int, priors_count int, days_b_screening_arrest int,
	c_jail_in timestamp, c_jail_out timestamp, c_offense_date date, c_arrest_date date,
	c_days_from_compas int, c_charge_degree text, c_charge_desc text, is_recid int,
	r_charge_degree text, r_days_from_arrest int, r_offense_date date, r_charge_desc text,
	r_jail_in date, r_jail_out date, violent_recid int, is_violent_recid int,
	vr_charge_degree text, vr_offense_date date, vr_charge_desc text,
	type_of_assessment text, score_text text, screening_date date,
	v_type_of_assessment text, v_decile_score int, v_score_text text,
	v_screening_date date, in_custody date, out_custody date, start int, "end" int,
	event int, two_year_recid int);
\set compas_csv :abs_srcdir '/test/data/compas-two-years.csv'
COPY compas FROM :'compas_csv' WITH (FORMAT csv, HEADER true);
CREATE TABLE src (id int);

-- the fairness criterion's row of the dataset's last certificate
CREATE FUNCTION fairness_of(ds text) RETURNS TABLE (passed boolean, reason text, observed jsonb)
LANGUAGE sql AS $$
	SELECT passed, reason, observed FROM dtecert.check_results
	 WHERE kind = 'fairness'
	   AND certificate_id = (SELECT max(certificate_id) FROM dtecert.certificates
							  WHERE dataset = ds)
$$;
-- its per-group table, entry i
CREATE FUNCTION groups_of(ds text, i int DEFAULT 0) RETURNS SETOF jsonb
LANGUAGE sql AS $$
	SELECT g FROM fairness_of(ds) f,
		   jsonb_array_elements(f.observed -> 'protected' -> i -> 'groups') g
$$;

SELECT dtecert.set_policy('compas', $$
tier: high
checks: [{not_null: id}, {accepted_values: {column: two_year_recid, values: [0, 1]}}]
lineage: {job: propublica_compas, inputs: [src]}
robustness: {columns: [age, priors_count], psi_max: 0.25}
fairness:
  protected: [race]
  label: two_year_recid
  prediction: "decile_score >= 5"
  limits: {false_positive_rate_difference: {max: 0.1}}
explainability:
  model_card: https://github.com/propublica/compas-analysis
  features: [priors_count, age, juv_fel_count, sex]
$$) AS version;
SELECT dtecert.policy('compas') -> 'fairness' AS fairness_normal_form;

-- FPR 0.448 for African-American defendants against 0.235 for Caucasian
-- ones: not certified at high, while every lower-tier criterion passes.
SELECT status, tier_required, tier_achieved, certified FROM dtecert.certify('compas');
SELECT check_name, kind, passed, reason FROM results('compas');

-- The per-group table equals a plain-SQL computation to 1e-9.
CREATE VIEW compas_expected AS
SELECT race,
	   count(*) AS size,
	   count(*) FILTER (WHERE two_year_recid = 1 AND decile_score >= 5) AS tp,
	   count(*) FILTER (WHERE two_year_recid = 0 AND decile_score >= 5) AS fp,
	   count(*) FILTER (WHERE two_year_recid = 0 AND decile_score < 5) AS tn,
	   count(*) FILTER (WHERE two_year_recid = 1 AND decile_score < 5) AS fn,
	   avg(two_year_recid::float8) AS base_rate,
	   avg((decile_score >= 5)::int::float8) AS selection_rate,
	   avg((decile_score >= 5)::int::float8) FILTER (WHERE two_year_recid = 1) AS tpr,
	   avg((decile_score >= 5)::int::float8) FILTER (WHERE two_year_recid = 0) AS fpr,
	   avg((decile_score < 5)::int::float8) FILTER (WHERE two_year_recid = 0) AS tnr,
	   avg((decile_score < 5)::int::float8) FILTER (WHERE two_year_recid = 1) AS fnr,
	   avg(two_year_recid::float8) FILTER (WHERE decile_score >= 5) AS ppv
  FROM compas GROUP BY race;
SELECT e.race, e.size, e.tp, e.fp, e.tn, e.fn,
	   round(e.fpr::numeric, 4) AS fpr, round(e.tpr::numeric, 4) AS tpr,
	   (g ->> 'size')::bigint = e.size AND (g ->> 'tp')::bigint = e.tp AND
	   (g ->> 'fp')::bigint = e.fp AND (g ->> 'tn')::bigint = e.tn AND
	   (g ->> 'fn')::bigint = e.fn AS counts_equal,
	   abs((g ->> 'base_rate')::float8 - e.base_rate) < 1e-9 AND
	   abs((g ->> 'selection_rate')::float8 - e.selection_rate) < 1e-9 AND
	   abs((g ->> 'tpr')::float8 - e.tpr) < 1e-9 AND
	   abs((g ->> 'fpr')::float8 - e.fpr) < 1e-9 AND
	   abs((g ->> 'tnr')::float8 - e.tnr) < 1e-9 AND
	   abs((g ->> 'fnr')::float8 - e.fnr) < 1e-9 AND
	   abs((g ->> 'ppv')::float8 - e.ppv) < 1e-9 AS rates_equal
  FROM groups_of('fair.compas') g
  JOIN compas_expected e ON e.race = g -> 'group' ->> 'race'
 ORDER BY e.race;
-- the summary metrics, against their definitions over the same rates
WITH r AS (SELECT * FROM compas_expected)
SELECT m.key AS metric, round(m.value::numeric, 6) AS value,
	   abs(m.value::float8 - CASE m.key
		 WHEN 'demographic_parity_difference' THEN (SELECT max(selection_rate) - min(selection_rate) FROM r)
		 WHEN 'disparate_impact' THEN (SELECT min(selection_rate) / max(selection_rate) FROM r)
		 WHEN 'equal_opportunity_difference' THEN (SELECT max(tpr) - min(tpr) FROM r)
		 WHEN 'false_positive_rate_difference' THEN (SELECT max(fpr) - min(fpr) FROM r)
		 WHEN 'false_negative_rate_difference' THEN (SELECT max(fnr) - min(fnr) FROM r)
		 WHEN 'equalized_odds_difference' THEN (SELECT greatest(max(tpr) - min(tpr), max(fpr) - min(fpr)) FROM r)
		 WHEN 'average_odds_difference' THEN (SELECT max(abs(((a.fpr - b.fpr) + (a.tpr - b.tpr)) / 2)) FROM r a, r b)
	   END) < 1e-9 AS equal
  FROM fairness_of('fair.compas') f,
	   jsonb_each_text(f.observed -> 'protected' -> 0 -> 'metrics') m
 ORDER BY 1;

-- Explainability: features ranked by mutual information (bits) with the
-- prediction; the point-biserial r is Pearson's r with the prediction as 0/1.
SELECT x ->> 'feature' AS feature, x ->> 'kind' AS kind,
	   round((x ->> 'mutual_information')::numeric, 4) AS bits,
	   round((x ->> 'point_biserial')::numeric, 4) AS r, x -> 'explained' AS explained
  FROM dtecert.check_results c, jsonb_array_elements(c.observed -> 'features') x
 WHERE c.kind = 'explainability'
   AND c.certificate_id = (SELECT max(certificate_id) FROM dtecert.certificates
							WHERE dataset = 'fair.compas');
SELECT round(corr((decile_score >= 5)::int::float8, priors_count)::numeric, 4) AS r_priors
  FROM compas;

-- With a reference group, a minimum group size and a loose limit it
-- certifies at high.  A group below 30 rows (Native American, 18) is
-- reported but left out of the gaps.
SELECT dtecert.set_policy('compas', $$
tier: high
checks: [{not_null: id}]
lineage: {job: propublica_compas, inputs: [src]}
robustness: {columns: [age], psi_max: 0.25}
fairness:
  protected: [race, sex]
  label: two_year_recid
  prediction: "decile_score >= 5"
  reference_group: {race: Caucasian}
  min_group_size: 30
  limits: {disparate_impact: {min: 0.3}, false_positive_rate_difference: {max: 0.25}}
explainability:
  model_card: https://github.com/propublica/compas-analysis
  features: [priors_count]
$$) AS version;
SELECT status, tier_achieved, certified FROM dtecert.certify('compas');
SELECT g -> 'group' ->> 'race' AS race, g -> 'included' AS included,
	   g ->> 'excluded_because' AS excluded_because, g -> 'reference' AS reference
  FROM groups_of('fair.compas') g;
SELECT e -> 'columns' AS entry, e -> 'reference_group' AS reference,
	   round((e -> 'metrics' ->> 'disparate_impact')::numeric, 6) AS di,
	   round((e -> 'metrics' ->> 'false_positive_rate_difference')::numeric, 6) AS fprd
  FROM fairness_of('fair.compas') f, jsonb_array_elements(f.observed -> 'protected') e;
-- against Caucasian: the smallest selection-rate ratio and the largest FPR gap
SELECT round((min(selection_rate) / (SELECT selection_rate FROM compas_expected
									   WHERE race = 'Caucasian'))::numeric, 6) AS di,
	   round(max(abs(fpr - (SELECT fpr FROM compas_expected
							WHERE race = 'Caucasian')))::numeric, 6) AS fprd
  FROM compas_expected WHERE size >= 30;

-- Adult: demographic parity by sex, and race x sex with min_group_size.
CREATE TABLE adult (age int, workclass text, fnlwgt int, education text,
	education_num int, marital_status text, occupation text, relationship text,
	race text, sex text, capital_gain int, capital_loss int, hours_per_week int,
	native_country text, income text);
\set adult_csv :abs_srcdir '/test/data/adult.csv'
COPY adult FROM :'adult_csv' WITH (FORMAT csv, HEADER true, NULL '?');
ALTER TABLE adult ADD COLUMN high_income boolean;
UPDATE adult SET high_income = income = '>50K';
SELECT dtecert.set_policy('adult', $$
fairness:
  protected: [sex, [race, sex]]
  label: high_income
  prediction: "education_num >= 13 AND hours_per_week >= 40"
  min_group_size: 150
  limits: {demographic_parity_difference: {max: 0.1}}
$$) AS version;
SELECT status, certified FROM dtecert.certify('adult');
SELECT reason FROM fairness_of('fair.adult');
SELECT g -> 'group' ->> 'sex' AS sex, g ->> 'size' AS size,
	   round((g ->> 'selection_rate')::numeric, 6) AS selection_rate,
	   abs((g ->> 'selection_rate')::float8 -
		   (SELECT avg((education_num >= 13 AND hours_per_week >= 40)::int::float8)
			  FROM adult a WHERE a.sex = g -> 'group' ->> 'sex')) < 1e-9 AS equal
  FROM groups_of('fair.adult') g;
SELECT round((f.observed -> 'protected' -> 0 -> 'metrics' ->> 'demographic_parity_difference')::numeric, 6) AS dpd
  FROM fairness_of('fair.adult') f;
-- race x sex: ten groups, two of them below 150 rows
SELECT g -> 'group' ->> 'race' AS race, g -> 'group' ->> 'sex' AS sex,
	   (g ->> 'size')::int AS size, g -> 'included' AS included,
	   round((g ->> 'selection_rate')::numeric, 4) AS selection_rate
  FROM groups_of('fair.adult', 1) g;
WITH r AS (SELECT race, sex, avg((education_num >= 13 AND hours_per_week >= 40)::int::float8) AS s
			 FROM adult GROUP BY race, sex HAVING count(*) >= 150)
SELECT abs((f.observed -> 'protected' -> 1 -> 'metrics' ->> 'demographic_parity_difference')::float8 -
		   (SELECT max(s) - min(s) FROM r)) < 1e-9 AS intersectional_dpd_equal
  FROM fairness_of('fair.adult') f;

-- Bad input: each a clear error when the policy is set, or a recorded failure.
CREATE TABLE bad (g text, g_null text, y int, y_text text, score int, p boolean);
SELECT dtecert.set_policy('bad', $$
fairness: {protected: [nope], label: y, prediction: p, limits: {disparate_impact: {min: 0.8}}}
$$);
SELECT dtecert.set_policy('bad', $$
fairness: {protected: [g], label: y_text, prediction: p, limits: {disparate_impact: {min: 0.8}}}
$$);
SELECT dtecert.set_policy('bad', $$
fairness: {protected: [g], label: y, prediction: score, limits: {disparate_impact: {min: 0.8}}}
$$);
SELECT dtecert.set_policy('bad', $$
fairness: {protected: [g], label: y, prediction: "nope > 1", limits: {disparate_impact: {min: 0.8}}}
$$);
SELECT dtecert.set_policy('bad', $$
explainability: {model_card: x, features: [nope], prediction: p}
$$);
-- an empty table: a recorded failure
SELECT dtecert.set_policy('bad', $$
fairness: {protected: [g], label: y, prediction: "10 / score > 1", limits: {disparate_impact: {min: 0.8}}}
$$) AS version;
SELECT status FROM dtecert.certify('bad');
SELECT passed, reason FROM fairness_of('fair.bad');
-- one group only
INSERT INTO bad VALUES ('a', NULL, 1, 'x', 5, true), ('a', NULL, 0, 'x', 3, false);
SELECT status FROM dtecert.certify('bad');
SELECT passed, reason FROM fairness_of('fair.bad');
-- a group column of only NULLs: one group, excluded, never compared
SELECT dtecert.set_policy('bad', $$
fairness: {protected: [g_null], label: y, prediction: p, limits: {disparate_impact: {min: 0.8}}}
$$) AS version;
SELECT status FROM dtecert.certify('bad');
SELECT passed, reason FROM fairness_of('fair.bad');
SELECT g ->> 'excluded_because' AS excluded_because FROM groups_of('fair.bad') g;
-- a label of 2 and a group with no negative label (its FPR is undefined)
SELECT dtecert.set_policy('bad', $$
fairness: {protected: [g], label: y, prediction: p, limits: {false_positive_rate_difference: {max: 0.5}}}
$$) AS version;
INSERT INTO bad VALUES ('b', NULL, 2, 'x', 5, true), ('b', NULL, 1, 'x', 5, false);
SELECT status FROM dtecert.certify('bad');
SELECT passed, reason FROM fairness_of('fair.bad');
SELECT g -> 'group' ->> 'g' AS g, g -> 'fpr' AS fpr, g -> 'tpr' AS tpr FROM groups_of('fair.bad') g;
-- a prediction expression that errors on a row: certify raises the error
SELECT dtecert.set_policy('bad', $$
fairness: {protected: [g], label: y, prediction: "10 / (score - 5) > 1", limits: {disparate_impact: {min: 0.8}}}
$$) AS version;
SELECT dtecert.certify('bad');
-- explainability of a table with no rows: no feature carries information
TRUNCATE bad;
SELECT dtecert.set_policy('bad', $$
explainability: {model_card: x, features: [score, g], prediction: p}
$$) AS version;
SELECT status FROM dtecert.certify('bad');
SELECT passed, reason FROM dtecert.check_results WHERE kind = 'explainability'
   AND certificate_id = (SELECT max(certificate_id) FROM dtecert.certificates WHERE dataset = 'fair.bad');

-- The aggregate is parallel safe and merges partial states.
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SELECT dtecert.group_counts_agg(ARRAY[race], two_year_recid::bigint, decile_score >= 5)
	   = (SELECT dtecert.group_counts_agg(ARRAY[race], two_year_recid::bigint, decile_score >= 5)
			FROM (SELECT * FROM compas ORDER BY id) s) AS parallel_equals_serial
  FROM compas;
RESET ALL;
