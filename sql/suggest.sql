-- suggest_policy: a policy from the catalog and the data that set_policy
-- accepts as it is and that certifies the data it came from.  Tried on the
-- NYC taxi samples and on COMPAS (test/data, see its README).
CREATE SCHEMA suggest;
SET search_path = suggest, public;
\set SHOW_CONTEXT never
\getenv abs_srcdir PG_ABS_SRCDIR

CREATE TABLE taxi_2019_01 (
	vendor_id int, pickup_datetime timestamp, dropoff_datetime timestamp,
	passenger_count int, trip_distance numeric, rate_code_id int,
	store_and_fwd_flag text, pickup_location_id int, dropoff_location_id int,
	payment_type int, fare_amount numeric, extra numeric, mta_tax numeric,
	tip_amount numeric, tolls_amount numeric, improvement_surcharge numeric,
	total_amount numeric, congestion_surcharge numeric);
CREATE TABLE taxi_2019_02 (LIKE taxi_2019_01);
CREATE TABLE taxi_2019_03 (LIKE taxi_2019_01);
\set file :abs_srcdir '/test/data/yellow_tripdata_sample_2019-01.csv'
COPY taxi_2019_01 FROM :'file' WITH (FORMAT csv, HEADER true);
\set file :abs_srcdir '/test/data/yellow_tripdata_sample_2019-02.csv'
COPY taxi_2019_02 FROM :'file' WITH (FORMAT csv, HEADER true);
\set file :abs_srcdir '/test/data/yellow_tripdata_sample_2019-03.csv'
COPY taxi_2019_03 FROM :'file' WITH (FORMAT csv, HEADER true);

CREATE TABLE compas (
	id int PRIMARY KEY, compas_screening_date date, sex text, age int, age_cat text,
	race text, juv_fel_count int, decile_score int, juv_misd_count int,
	juv_other_count int, priors_count int, days_b_screening_arrest int,
	c_jail_in timestamp, c_jail_out timestamp, c_offense_date date, c_arrest_date date,
	c_days_from_compas int, c_charge_degree text, c_charge_desc text, is_recid int,
	r_charge_degree text, r_days_from_arrest int, r_offense_date date,
	r_charge_desc text, r_jail_in date, r_jail_out date, violent_recid text,
	is_violent_recid int, vr_charge_degree text, vr_offense_date date,
	vr_charge_desc text, type_of_assessment text, score_text text,
	screening_date date, v_type_of_assessment text, v_decile_score int,
	v_score_text text, v_screening_date date, in_custody date, out_custody date,
	start int, "end" int, event int, two_year_recid int);
\set file :abs_srcdir '/test/data/compas-two-years.csv'
COPY compas FROM :'file' WITH (FORMAT csv, HEADER true);
SELECT (SELECT count(*) FROM taxi_2019_01) AS jan, (SELECT count(*) FROM taxi_2019_02) AS feb,
       (SELECT count(*) FROM taxi_2019_03) AS mar, (SELECT count(*) FROM compas) AS compas;

-- What it suggests for January, without a tier (a quality gate).
SELECT dtecert.suggest_policy('taxi_2019_01');

-- Every suggestion, without a tier and at tier low, is accepted as it is
-- and certifies the data it came from.
CREATE FUNCTION try_suggestion(ds regclass, for_tier text) RETURNS TABLE (
	dataset text, tier text, version int, certified boolean, tier_achieved text,
	checks_passed int, checks_failed int)
LANGUAGE plpgsql AS $$
DECLARE
	v int;
	c record;
BEGIN
	v := dtecert.set_policy(ds, dtecert.suggest_policy(ds, for_tier));
	SELECT * INTO c FROM dtecert.certify(ds);
	RETURN QUERY SELECT c.dataset, for_tier, v, c.certified, c.tier_achieved,
						c.checks_passed, c.checks_failed;
END $$;
SELECT s.* FROM unnest(ARRAY['taxi_2019_01', 'taxi_2019_02', 'taxi_2019_03', 'compas']::regclass[]) ds,
	 unnest(ARRAY[NULL, 'low']::text[]) t, try_suggestion(ds, t) s
 ORDER BY 1, 2 NULLS FIRST;

-- COMPAS at tier low: freshness from its newest date column.
-- (max_age grows with the data's age: its number is masked here)
SELECT regexp_replace(line, 'max_age: "[0-9]+ hours"', 'max_age: "N hours"') AS line
  FROM regexp_split_to_table(dtecert.suggest_policy('compas', 'low'), E'\n') line
 WHERE line ~ '^(tier|freshness|dataset)' OR line ~ '(race|sex|score_text)';

-- Medium needs lineage: from a view's relations, or a table's foreign keys.
CREATE TABLE customers (id int PRIMARY KEY, name text);
INSERT INTO customers VALUES (1, 'a'), (2, 'b');
CREATE TABLE orders (id int PRIMARY KEY, customer_id int REFERENCES customers, amount numeric);
INSERT INTO orders VALUES (1, 1, 10), (2, 2, 20), (3, 1, 30);
CREATE VIEW big_orders AS SELECT o.id, o.amount, c.name FROM orders o JOIN customers c ON c.id = o.customer_id;
SELECT dtecert.suggest_policy('orders', 'medium');
SELECT s.* FROM unnest(ARRAY['orders', 'big_orders']::regclass[]) ds, try_suggestion(ds, 'medium') s;
SELECT line FROM regexp_split_to_table(dtecert.suggest_policy('big_orders', 'medium'), E'\n') line
 WHERE line ~ '(lineage|inputs|job)';
SELECT dtecert.suggest_policy('customers', 'medium');
SELECT dtecert.suggest_policy('customers', 'high');
SELECT dtecert.suggest_policy('customers', 'gold');
SELECT dtecert.suggest_policy(NULL);

-- Hostile names survive the round trip.
CREATE TABLE "we""ird Ñame" ("Col ""q""" text, "x"": drop" int NOT NULL);
INSERT INTO "we""ird Ñame" VALUES ('a', 1), ('a', 2), ('b', 3), ('a', 4), ('b', 5),
	('a', 6), ('b', 7), ('a', 8), ('b', 9), ('a', 10), ('a', 11), ('b', 12), ('a', 13),
	('b', 14), ('a', 15), ('b', 16), ('a', 17), ('b', 18), ('a', 19), ('b', 20);
SELECT dtecert.suggest_policy('"we""ird Ñame"');
SELECT s.* FROM try_suggestion('"we""ird Ñame"', NULL::text) s;

-- An empty table: the schema contract alone.
CREATE TABLE nothing (a int, b text);
SELECT dtecert.suggest_policy('nothing');
SELECT s.* FROM try_suggestion('nothing', NULL::text) s;

DROP SCHEMA suggest CASCADE;
