/* dtecert 0.1.0: policies as code, certify(), certificates and tiers */

\echo Use "CREATE EXTENSION dtecert" to load this file. \quit

/*
 * Writes to these tables go through dtecert's C functions, which insert as
 * the extension's owner after checking the caller's rights; roles read them
 * (issue 11 adds row-level security by dataset).
 */

-- Every version of every dataset's policy.  A drop appends a version whose
-- spec is NULL, so version numbers never repeat and history stays whole.
CREATE TABLE dtecert.policies (
	dataset		text NOT NULL,
	version		integer NOT NULL CHECK (version > 0),
	relation_oid oid NOT NULL,
	spec		jsonb,
	source		text,
	sha256		text,
	set_by		text NOT NULL,
	set_at		timestamptz NOT NULL,
	PRIMARY KEY (dataset, version),
	CHECK ((spec IS NULL) = (source IS NULL) AND (spec IS NULL) = (sha256 IS NULL))
);
COMMENT ON TABLE dtecert.policies IS
	'every version of every dataset''s policy; spec IS NULL marks a drop';

CREATE SEQUENCE dtecert.certificates_certificate_id_seq;

CREATE TABLE dtecert.certificates (
	certificate_id bigint PRIMARY KEY
		DEFAULT nextval('dtecert.certificates_certificate_id_seq'),
	dataset		text NOT NULL,
	relation_oid oid NOT NULL,
	policy_version integer,
	run_id		uuid,
	issued_at	timestamptz NOT NULL,
	valid_until timestamptz,
	tier_required text CHECK (tier_required IN ('low', 'medium', 'high')),
	tier_achieved text CHECK (tier_achieved IN ('low', 'medium', 'high')),
	certified	boolean NOT NULL,
	quality_score numeric CHECK (quality_score BETWEEN 0 AND 1),
	checks_passed integer NOT NULL DEFAULT 0,
	checks_failed integer NOT NULL DEFAULT 0,
	status		text NOT NULL
		CHECK (status IN ('certified', 'failed', 'drifted', 'revoked')),
	reason		text,
	version_label text,
	issued_by	text NOT NULL,
	core_sha256 text,
	previous_sha256 text,
	profile		jsonb
);
ALTER SEQUENCE dtecert.certificates_certificate_id_seq
	OWNED BY dtecert.certificates.certificate_id;
CREATE INDEX certificates_dataset_idx ON dtecert.certificates (dataset, certificate_id);
COMMENT ON TABLE dtecert.certificates IS
	'append-only history: one row per certification run (and per revocation)';

CREATE TABLE dtecert.check_results (
	certificate_id bigint NOT NULL REFERENCES dtecert.certificates,
	check_index integer NOT NULL,
	check_name	text NOT NULL,
	kind		text NOT NULL,
	column_name text,
	severity	text CHECK (severity IN ('critical', 'error', 'warn')),
	passed		boolean NOT NULL,
	waived		boolean NOT NULL DEFAULT false,
	element_count bigint,
	unexpected_count bigint,
	observed	jsonb,
	expected	jsonb,
	proven_by	text,
	scans		integer NOT NULL DEFAULT 0,
	reason		text,
	PRIMARY KEY (certificate_id, check_name)
);
COMMENT ON TABLE dtecert.check_results IS
	'one row per check (and per tier criterion) of every certificate';

-- Failing samples live apart from the (hashed) history, so that they can be
-- redacted or purged without touching a certificate.
CREATE TABLE dtecert.check_samples (
	certificate_id bigint NOT NULL REFERENCES dtecert.certificates,
	check_name	text NOT NULL,
	ordinal		integer NOT NULL CHECK (ordinal > 0),
	row_key		text,
	value		text,
	PRIMARY KEY (certificate_id, check_name, ordinal)
);
COMMENT ON TABLE dtecert.check_samples IS
	'up to dtecert.sample_size failing values per failed check: the smallest by (primary key, value), or by (value, ctid)';

SELECT pg_catalog.pg_extension_config_dump('dtecert.check_samples', '');
SELECT pg_catalog.pg_extension_config_dump('dtecert.policies', '');
SELECT pg_catalog.pg_extension_config_dump('dtecert.certificates', '');
SELECT pg_catalog.pg_extension_config_dump('dtecert.certificates_certificate_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('dtecert.check_results', '');

GRANT USAGE ON SCHEMA dtecert TO PUBLIC;
REVOKE ALL ON dtecert.policies, dtecert.certificates, dtecert.check_results,
	dtecert.check_samples FROM PUBLIC;
GRANT SELECT ON dtecert.policies, dtecert.certificates, dtecert.check_results,
	dtecert.check_samples TO PUBLIC;

/* ------------------------------------------------------------------------
 * The engine's aggregates.  Each is PARALLEL SAFE with combine, serialize
 * and deserialize functions, so that a certification's one scan can be
 * split across parallel workers.
 */

CREATE TYPE dtecert.unique_result AS (
	unexpected_count bigint,	-- rows whose value occurs more than once
	overflowed boolean,			-- the state outgrew its share of dtecert.exact_mem
	samples		text[],			-- the smallest duplicated values
	distinct_count bigint		-- distinct values (NULL when overflowed)
);

CREATE FUNCTION dtecert.unique_trans(internal, bigint, integer, bigint, VARIADIC "any")
RETURNS internal AS 'MODULE_PATHNAME', 'dtecert_unique_trans'
LANGUAGE C PARALLEL SAFE;
CREATE FUNCTION dtecert.unique_combine(internal, internal)
RETURNS internal AS 'MODULE_PATHNAME', 'dtecert_unique_combine'
LANGUAGE C PARALLEL SAFE;
CREATE FUNCTION dtecert.unique_serialize(internal)
RETURNS bytea AS 'MODULE_PATHNAME', 'dtecert_unique_serialize'
LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dtecert.unique_deserialize(bytea, internal)
RETURNS internal AS 'MODULE_PATHNAME', 'dtecert_unique_deserialize'
LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dtecert.unique_final(internal)
RETURNS dtecert.unique_result AS 'MODULE_PATHNAME', 'dtecert_unique_final'
LANGUAGE C PARALLEL SAFE;
CREATE AGGREGATE dtecert.unique_agg(bigint, integer, bigint, VARIADIC "any") (
	SFUNC = dtecert.unique_trans,
	STYPE = internal,
	COMBINEFUNC = dtecert.unique_combine,
	SERIALFUNC = dtecert.unique_serialize,
	DESERIALFUNC = dtecert.unique_deserialize,
	FINALFUNC = dtecert.unique_final,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE dtecert.unique_agg(bigint, integer, bigint, VARIADIC "any") IS
	'exact uniqueness: (limit_bytes, sample_size, expected_rows, columns...) → rows whose value is duplicated, with a sample';

CREATE TYPE dtecert.sample_result AS (
	matched		bigint,			-- rows that passed the aggregate's filter
	rows		text[]			-- the smallest of them: rows × arguments
);

CREATE FUNCTION dtecert.sample_trans(internal, integer, VARIADIC "any")
RETURNS internal AS 'MODULE_PATHNAME', 'dtecert_sample_trans'
LANGUAGE C PARALLEL SAFE;
CREATE FUNCTION dtecert.sample_combine(internal, internal)
RETURNS internal AS 'MODULE_PATHNAME', 'dtecert_sample_combine'
LANGUAGE C PARALLEL SAFE;
CREATE FUNCTION dtecert.sample_serialize(internal)
RETURNS bytea AS 'MODULE_PATHNAME', 'dtecert_sample_serialize'
LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dtecert.sample_deserialize(bytea, internal)
RETURNS internal AS 'MODULE_PATHNAME', 'dtecert_sample_deserialize'
LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dtecert.sample_final(internal)
RETURNS dtecert.sample_result AS 'MODULE_PATHNAME', 'dtecert_sample_final'
LANGUAGE C PARALLEL SAFE;
CREATE AGGREGATE dtecert.sample_agg(integer, VARIADIC "any") (
	SFUNC = dtecert.sample_trans,
	STYPE = internal,
	COMBINEFUNC = dtecert.sample_combine,
	SERIALFUNC = dtecert.sample_serialize,
	DESERIALFUNC = dtecert.sample_deserialize,
	FINALFUNC = dtecert.sample_final,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE dtecert.sample_agg(integer, VARIADIC "any") IS
	'how many rows passed the filter, and the n smallest (compared in order), as text[][]';

CREATE TYPE dtecert.order_result AS (
	unexpected_count bigint,	-- increasing: rows below the one before them
	considered	bigint,			-- rows the state held
	median		float8,			-- median_agg: the exact median
	overflowed	boolean			-- the state outgrew its share of dtecert.exact_mem
);

CREATE FUNCTION dtecert.median_trans(internal, bigint, float8)
RETURNS internal AS 'MODULE_PATHNAME', 'dtecert_median_trans'
LANGUAGE C PARALLEL SAFE;
CREATE FUNCTION dtecert.increasing_trans(internal, bigint, boolean, VARIADIC "any")
RETURNS internal AS 'MODULE_PATHNAME', 'dtecert_increasing_trans'
LANGUAGE C PARALLEL SAFE;
CREATE FUNCTION dtecert.rows_combine(internal, internal)
RETURNS internal AS 'MODULE_PATHNAME', 'dtecert_rows_combine'
LANGUAGE C PARALLEL SAFE;
CREATE FUNCTION dtecert.rows_serialize(internal)
RETURNS bytea AS 'MODULE_PATHNAME', 'dtecert_rows_serialize'
LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dtecert.rows_deserialize(bytea, internal)
RETURNS internal AS 'MODULE_PATHNAME', 'dtecert_rows_deserialize'
LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dtecert.median_final(internal)
RETURNS dtecert.order_result AS 'MODULE_PATHNAME', 'dtecert_median_final'
LANGUAGE C PARALLEL SAFE;
CREATE FUNCTION dtecert.increasing_final(internal)
RETURNS dtecert.order_result AS 'MODULE_PATHNAME', 'dtecert_increasing_final'
LANGUAGE C PARALLEL SAFE;
CREATE AGGREGATE dtecert.median_agg(bigint, float8) (
	SFUNC = dtecert.median_trans,
	STYPE = internal,
	COMBINEFUNC = dtecert.rows_combine,
	SERIALFUNC = dtecert.rows_serialize,
	DESERIALFUNC = dtecert.rows_deserialize,
	FINALFUNC = dtecert.median_final,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE dtecert.median_agg(bigint, float8) IS
	'the exact median (limit_bytes, value), in memory up to limit_bytes';
CREATE AGGREGATE dtecert.increasing_agg(bigint, boolean, VARIADIC "any") (
	SFUNC = dtecert.increasing_trans,
	STYPE = internal,
	COMBINEFUNC = dtecert.rows_combine,
	SERIALFUNC = dtecert.rows_serialize,
	DESERIALFUNC = dtecert.rows_deserialize,
	FINALFUNC = dtecert.increasing_final,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE dtecert.increasing_agg(bigint, boolean, VARIADIC "any") IS
	'rows whose value (first argument) falls in the order of the others (limit_bytes, strictly, value, keys...)';

CREATE FUNCTION dtecert.profile_trans(internal, VARIADIC "any")
RETURNS internal AS 'MODULE_PATHNAME', 'dtecert_profile_trans'
LANGUAGE C PARALLEL SAFE;
CREATE FUNCTION dtecert.profile_combine(internal, internal)
RETURNS internal AS 'MODULE_PATHNAME', 'dtecert_profile_combine'
LANGUAGE C PARALLEL SAFE;
CREATE FUNCTION dtecert.profile_serialize(internal)
RETURNS bytea AS 'MODULE_PATHNAME', 'dtecert_profile_serialize'
LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dtecert.profile_deserialize(bytea, internal)
RETURNS internal AS 'MODULE_PATHNAME', 'dtecert_profile_deserialize'
LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dtecert.profile_final(internal)
RETURNS text[] AS 'MODULE_PATHNAME', 'dtecert_profile_final'
LANGUAGE C PARALLEL SAFE;
CREATE AGGREGATE dtecert.profile_agg(VARIADIC "any") (
	SFUNC = dtecert.profile_trans,
	STYPE = internal,
	COMBINEFUNC = dtecert.profile_combine,
	SERIALFUNC = dtecert.profile_serialize,
	DESERIALFUNC = dtecert.profile_deserialize,
	FINALFUNC = dtecert.profile_final,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE dtecert.profile_agg(VARIADIC "any") IS
	'the light profile of each column passed (count, min, max, integer sum, distinct estimate), as JSON fragments';

/* ------------------------------------------------------------------------
 * C functions
 */

CREATE FUNCTION dtecert.dataset_name(dataset regclass)
RETURNS text
AS 'MODULE_PATHNAME', 'dtecert_dataset_name_sql'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dtecert.dataset_name(regclass) IS
	'the dataset identity of a relation: its schema-qualified, quoted name';

CREATE FUNCTION dtecert.set_policy(dataset regclass, spec text)
RETURNS integer
AS 'MODULE_PATHNAME', 'dtecert_set_policy'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION dtecert.set_policy(regclass, text) IS
	'validates a YAML or JSON policy and stores it as the dataset''s next policy version';

CREATE FUNCTION dtecert.drop_policy(dataset regclass)
RETURNS void
AS 'MODULE_PATHNAME', 'dtecert_drop_policy'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION dtecert.drop_policy(regclass) IS
	'removes the dataset''s policy; its certificates stay in the history';

CREATE FUNCTION dtecert.certify(
	dataset regclass,
	version_label text DEFAULT NULL,
	OUT certificate_id bigint,
	OUT dataset text,
	OUT status text,
	OUT tier_required text,
	OUT tier_achieved text,
	OUT certified boolean,
	OUT quality_score numeric,
	OUT checks_passed integer,
	OUT checks_failed integer,
	OUT valid_until timestamptz,
	OUT run_id uuid)
RETURNS record
AS 'MODULE_PATHNAME', 'dtecert_certify'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION dtecert.certify(regclass, text) IS
	'runs the dataset''s policy in one scan and records a certificate';

CREATE FUNCTION dtecert.explain(dataset regclass, actual boolean DEFAULT false)
RETURNS SETOF text
AS 'MODULE_PATHNAME', 'dtecert_explain'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION dtecert.explain(regclass, boolean) IS
	'the plan of the certification''s one scan (with analyze: run it, record nothing)';

/* ------------------------------------------------------------------------
 * Reading certificates
 */

CREATE FUNCTION dtecert.policy(dataset regclass)
RETURNS jsonb
LANGUAGE sql STABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT p.spec
	  FROM dtecert.policies p
	 WHERE p.dataset = dtecert.dataset_name($1)
	 ORDER BY p.version DESC
	 LIMIT 1
$$;
COMMENT ON FUNCTION dtecert.policy(regclass) IS
	'the dataset''s current policy, normalised (NULL when it has none)';

CREATE FUNCTION dtecert.tier_rank(tier text)
RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT CASE $1 WHEN 'low' THEN 1 WHEN 'medium' THEN 2 WHEN 'high' THEN 3 END
$$;

/*
 * Status is computed at read time: a certificate past valid_until reads
 * expired without any job running, and one whose relation was dropped or
 * replaced under the same name (dbt's swap) no longer vouches for it.
 */
CREATE VIEW dtecert.status WITH (security_invoker = true) AS
SELECT p.dataset,
	   s.status,
	   c.tier_required,
	   c.tier_achieved,
	   c.quality_score,
	   c.issued_at,
	   c.valid_until,
	   c.certificate_id,
	   s.reason,
	   p.version AS policy_version
  FROM (SELECT DISTINCT ON (dataset) dataset, version, spec
		  FROM dtecert.policies
		 ORDER BY dataset, version DESC) p
  LEFT JOIN LATERAL (SELECT *
					   FROM dtecert.certificates c
					  WHERE c.dataset = p.dataset
					  ORDER BY c.certificate_id DESC
					  LIMIT 1) c ON true
 CROSS JOIN LATERAL (
	SELECT CASE
			 WHEN c.certificate_id IS NULL THEN 'uncertified'
			 WHEN c.status <> 'revoked'
				  AND pg_catalog.to_regclass(p.dataset) IS NULL THEN 'revoked'
			 WHEN c.status <> 'revoked'
				  AND pg_catalog.to_regclass(p.dataset)::oid <> c.relation_oid THEN 'revoked'
			 WHEN c.status = 'certified' AND c.valid_until <= pg_catalog.now() THEN 'expired'
			 ELSE c.status
		   END AS status,
		   CASE
			 WHEN c.certificate_id IS NULL THEN 'never certified'
			 WHEN c.status <> 'revoked'
				  AND pg_catalog.to_regclass(p.dataset) IS NULL THEN 'relation dropped'
			 WHEN c.status <> 'revoked'
				  AND pg_catalog.to_regclass(p.dataset)::oid <> c.relation_oid THEN 'relation replaced'
			 WHEN c.status = 'certified' AND c.valid_until <= pg_catalog.now()
			   THEN 'the certificate expired'
			 ELSE c.reason
		   END AS reason) s
 WHERE p.spec IS NOT NULL;
COMMENT ON VIEW dtecert.status IS
	'one row per dataset with a policy: its current status, computed at read time';

CREATE FUNCTION dtecert.check_tier_name(tier text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF tier IS NOT NULL AND tier NOT IN ('low', 'medium', 'high') THEN
		RAISE EXCEPTION 'unknown tier "%"', tier
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'The tiers are low, medium and high.';
	END IF;
	RETURN tier;
END
$$;

CREATE FUNCTION dtecert.is_certified(dataset regclass, min_tier text DEFAULT NULL)
RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT coalesce(
		(SELECT s.status = 'certified'
				AND (dtecert.check_tier_name($2) IS NULL
					 OR dtecert.tier_rank(s.tier_achieved) >= dtecert.tier_rank($2))
		   FROM dtecert.status s
		  WHERE s.dataset = dtecert.dataset_name($1)),
		false)
$$;
COMMENT ON FUNCTION dtecert.is_certified(regclass, text) IS
	'true when the dataset''s current certificate is valid and at least at min_tier';

CREATE FUNCTION dtecert.assert_certified(dataset regclass, min_tier text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	name		text;
	cur			record;
	failures	text;
	detail		text;
BEGIN
	IF dataset IS NULL THEN
		RAISE EXCEPTION 'dataset must not be null'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	PERFORM dtecert.check_tier_name(min_tier);
	name := dtecert.dataset_name(dataset);

	SELECT * INTO cur FROM dtecert.status s WHERE s.dataset = name;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'dataset % is not certified', name
			USING ERRCODE = 'check_violation',
				  DETAIL = 'It has no policy.',
				  HINT = 'Set one with dtecert.set_policy(), then run dtecert.certify().';
	END IF;

	IF cur.status = 'certified'
	   AND (min_tier IS NULL
			OR dtecert.tier_rank(cur.tier_achieved) >= dtecert.tier_rank(min_tier)) THEN
		RETURN cur.certificate_id;
	END IF;

	SELECT string_agg(format('%s %s%s', r.kind, r.check_name,
							 coalesce(': ' || r.reason, '')),
					  '; ' ORDER BY r.check_index)
	  INTO failures
	  FROM dtecert.check_results r
	 WHERE r.certificate_id = cur.certificate_id
	   AND NOT r.passed AND NOT r.waived;

	detail := concat_ws(E'\n',
		format('Status: %s%s.', cur.status, coalesce(' (' || cur.reason || ')', '')),
		CASE WHEN min_tier IS NOT NULL AND cur.status = 'certified' THEN
			format('Tier achieved: %s; required: %s.',
				   coalesce(cur.tier_achieved, 'none'), min_tier)
		END,
		'Failed: ' || failures || '.');
	IF cur.status IN ('uncertified', 'expired', 'revoked') THEN
		RAISE EXCEPTION 'dataset % is not certified', name
			USING ERRCODE = 'check_violation', DETAIL = detail,
				  HINT = 'Run dtecert.certify() to issue a new certificate.';
	END IF;
	RAISE EXCEPTION 'dataset % is not certified', name
		USING ERRCODE = 'check_violation', DETAIL = detail;
END
$$;
COMMENT ON FUNCTION dtecert.assert_certified(regclass, text) IS
	'raises SQLSTATE 23514 unless the dataset''s current certificate is valid (and at least at min_tier)';

/*
 * The evidence pack.  This first version holds the seed's flat fields, the
 * certificate and its check results; the full pack, with its JSON Schema,
 * profile, lineage delivery and integrity block, comes with evidence_html().
 */
CREATE FUNCTION dtecert.evidence(certificate_id bigint)
RETURNS jsonb
LANGUAGE sql STABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT jsonb_build_object(
		'dataset', c.dataset,
		'quality_score', c.quality_score,
		'certified', c.certified,
		'lineage', p.spec -> 'lineage',
		'certificate', to_jsonb(c),
		'policy', jsonb_build_object('version', p.version, 'sha256', p.sha256,
									 'spec', p.spec),
		'criteria', (SELECT coalesce(jsonb_agg(to_jsonb(r) - 'certificate_id'
											   ORDER BY r.check_index), '[]')
					   FROM dtecert.check_results r
					  WHERE r.certificate_id = c.certificate_id
						AND r.severity IS NULL),
		'checks', (SELECT coalesce(jsonb_agg(
							(to_jsonb(r) - 'certificate_id')
							|| jsonb_build_object('samples',
								(SELECT coalesce(jsonb_agg(jsonb_build_object(
											'row_key', s.row_key, 'value', s.value)
										ORDER BY s.ordinal), '[]')
								   FROM dtecert.check_samples s
								  WHERE s.certificate_id = r.certificate_id
									AND s.check_name = r.check_name))
							ORDER BY r.check_index), '[]')
					 FROM dtecert.check_results r
					WHERE r.certificate_id = c.certificate_id
					  AND r.severity IS NOT NULL),
		'environment', jsonb_build_object(
			'postgresql', current_setting('server_version'),
			'dtecert', (SELECT extversion FROM pg_extension WHERE extname = 'dtecert'),
			'database', current_database()))
	  FROM dtecert.certificates c
	  LEFT JOIN dtecert.policies p
		ON p.dataset = c.dataset AND p.version = c.policy_version
	 WHERE c.certificate_id = $1
$$;
COMMENT ON FUNCTION dtecert.evidence(bigint) IS
	'the evidence pack of a certificate, as JSON';

/* ------------------------------------------------------------------------
 * suggest_policy: a starting point from the catalog and the data
 */

-- A YAML scalar that reads back as exactly this text (JSON strings are
-- YAML double-quoted scalars).
CREATE FUNCTION dtecert.yaml_text(value text)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT to_json($1)::text $$;

CREATE FUNCTION dtecert.suggest_policy(dataset regclass, tier text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	name		text;
	rel_kind	"char";
	rows		bigint;
	schema_y	text := '';
	checks_y	text := '';
	fresh_y		text;
	lineage_y	text;
	col			record;
	stat		record;
	inputs		text[];
	fresh_col	text;
	fresh_max	timestamptz;
	latest		timestamptz;
	distinct_n	bigint;
	vals		text[];
BEGIN
	IF dataset IS NULL THEN
		RAISE EXCEPTION 'dataset must not be null' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	PERFORM dtecert.check_tier_name(tier);
	IF tier = 'high' THEN
		RAISE EXCEPTION 'suggest_policy cannot suggest tier high yet'
			USING ERRCODE = 'feature_not_supported',
				  HINT = 'Fairness, robustness and explainability need judgement: start from tier medium.';
	END IF;
	name := dtecert.dataset_name(dataset);
	SELECT c.relkind INTO rel_kind FROM pg_class c WHERE c.oid = dataset;
	EXECUTE format('SELECT count(*) FROM %s', name) INTO rows;

	FOR col IN
		SELECT a.attname::text AS attname, a.attnum, a.attnotnull,
			   format_type(a.atttypid, a.atttypmod) AS typename,
			   t.typcategory, a.atttypid
		  FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
		 WHERE a.attrelid = dataset AND a.attnum > 0 AND NOT a.attisdropped
		 ORDER BY a.attnum
	LOOP
		-- the schema contract: every column with its type and nullability
		schema_y := schema_y || format(E'    %s: {type: %s%s}\n',
			dtecert.yaml_text(col.attname), dtecert.yaml_text(col.typename),
			CASE WHEN col.attnotnull THEN ', nullable: false' ELSE '' END);

		IF col.attnotnull THEN
			checks_y := checks_y || format(E'  - not_null: %s\n', dtecert.yaml_text(col.attname));
		END IF;
		CONTINUE WHEN rows = 0;

		-- numbers: their range with a margin of a tenth of it (at least 1)
		IF col.typcategory = 'N' AND col.atttypid IN
		   ('int2'::regtype, 'int4'::regtype, 'int8'::regtype, 'numeric'::regtype,
			'float4'::regtype, 'float8'::regtype) THEN
			EXECUTE format($q$
				SELECT min(v) AS lo, max(v) AS hi
				  FROM (SELECT %I::numeric AS v FROM %s
						 WHERE %I IS NOT NULL AND %I::float8 NOT IN ('NaN', 'Infinity', '-Infinity')) d
			$q$, col.attname, name, col.attname, col.attname) INTO stat;
			IF stat.lo IS NOT NULL THEN
				checks_y := checks_y || format(E'  - between: {column: %s, min: %s, max: %s}\n',
					dtecert.yaml_text(col.attname),
					dtecert.yaml_text((floor(stat.lo - greatest(1, (stat.hi - stat.lo) / 10)))::text),
					dtecert.yaml_text((ceil(stat.hi + greatest(1, (stat.hi - stat.lo) / 10)))::text));
			END IF;
		END IF;

		-- text of few values: those values
		IF col.typcategory = 'S' THEN
			EXECUTE format('SELECT count(DISTINCT %I) FROM %s', col.attname, name) INTO distinct_n;
			IF distinct_n BETWEEN 1 AND 12 AND distinct_n * 10 <= rows THEN
				EXECUTE format('SELECT array_agg(DISTINCT %I::text ORDER BY %I::text) FROM %s WHERE %I IS NOT NULL',
							   col.attname, col.attname, name, col.attname) INTO vals;
				checks_y := checks_y || format(E'  - accepted_values: {column: %s, values: [%s]}\n',
					dtecert.yaml_text(col.attname),
					(SELECT string_agg(dtecert.yaml_text(v), ', ') FROM unnest(vals) v));
			END IF;
		END IF;

		-- the newest date or timestamp column dates the data
		IF col.atttypid IN ('date'::regtype, 'timestamp'::regtype, 'timestamptz'::regtype) THEN
			EXECUTE format('SELECT max(%I::timestamptz) FILTER (WHERE isfinite(%I)) FROM %s',
						   col.attname, col.attname, name) INTO latest;
			IF latest IS NOT NULL AND (fresh_max IS NULL OR latest > fresh_max) THEN
				fresh_max := latest;
				fresh_col := col.attname;
			END IF;
		END IF;
	END LOOP;

	-- uniqueness that indexes guarantee (proven by them at certification)
	FOR col IN
		SELECT array_agg(a.attname::text ORDER BY k.ord) AS cols
		  FROM pg_index i
		  CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
		  JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
		 WHERE i.indrelid = dataset AND i.indisunique AND i.indisvalid AND i.indimmediate
		   AND i.indpred IS NULL AND i.indexprs IS NULL
		 GROUP BY i.indexrelid
		 ORDER BY i.indexrelid
	LOOP
		checks_y := checks_y || CASE WHEN cardinality(col.cols) = 1
			THEN format(E'  - unique: %s\n', dtecert.yaml_text(col.cols[1]))
			ELSE format(E'  - unique: {columns: [%s], ignore_row_if: any_value_is_missing}\n',
						(SELECT string_agg(dtecert.yaml_text(c), ', ') FROM unnest(col.cols) c))
		END;
	END LOOP;

	-- references that single-column foreign keys declare
	FOR col IN
		SELECT a.attname::text AS attname, dtecert.dataset_name(c.confrelid::regclass) AS ref,
			   r.attname::text AS refcol
		  FROM pg_constraint c
		  JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
		  JOIN pg_attribute r ON r.attrelid = c.confrelid AND r.attnum = c.confkey[1]
		 WHERE c.conrelid = dataset AND c.contype = 'f' AND cardinality(c.conkey) = 1
		 ORDER BY c.conname
	LOOP
		checks_y := checks_y || format(E'  - references: {column: %s, table: %s, to: %s}\n',
			dtecert.yaml_text(col.attname), dtecert.yaml_text(col.ref), dtecert.yaml_text(col.refcol));
	END LOOP;

	IF rows > 0 THEN
		checks_y := checks_y || E'  - row_count: {min: 1}\n';
	END IF;

	IF tier IS NOT NULL AND fresh_col IS NOT NULL THEN
		-- the data's age now, plus half of it and a day
		fresh_y := format(E'freshness: {column: %s, max_age: %s}\n', dtecert.yaml_text(fresh_col),
			dtecert.yaml_text(ceil(greatest(extract(epoch FROM now() - fresh_max), 0) * 1.5 / 3600 + 24)::bigint
							  || ' hours'));
	END IF;

	IF tier = 'medium' THEN
		-- inputs the catalog knows: a view's relations, a table's referenced tables
		SELECT array_agg(DISTINCT dtecert.dataset_name(d.refobjid::regclass) ORDER BY dtecert.dataset_name(d.refobjid::regclass))
		  INTO inputs
		  FROM pg_rewrite r
		  JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
						  AND d.refclassid = 'pg_class'::regclass
		 WHERE r.ev_class = dataset AND d.refobjid <> dataset;
		IF inputs IS NULL THEN
			SELECT array_agg(DISTINCT dtecert.dataset_name(c.confrelid::regclass) ORDER BY dtecert.dataset_name(c.confrelid::regclass))
			  INTO inputs
			  FROM pg_constraint c WHERE c.conrelid = dataset AND c.contype = 'f';
		END IF;
		IF inputs IS NULL THEN
			RAISE EXCEPTION 'tier medium needs a lineage section, and the catalog knows no inputs of %', name
				USING ERRCODE = 'invalid_parameter_value',
					  HINT = 'Ask for tier low, then add lineage.job and lineage.inputs by hand.';
		END IF;
		lineage_y := format(E'lineage:   # review: derived from the catalog\n  job: %s\n  inputs: [%s]\n',
			dtecert.yaml_text(name || '_pipeline'),
			(SELECT string_agg(dtecert.yaml_text(i), ', ') FROM unnest(inputs) i));
	END IF;

	RETURN '# Suggested by dtecert.suggest_policy from the catalog and the data: review it.' || E'\n'
		|| format(E'dataset: %s\n', dtecert.yaml_text(name))
		|| CASE WHEN tier IS NOT NULL THEN format(E'tier: %s\n', tier) ELSE '' END
		|| E'schema:\n  columns:\n' || schema_y || E'  extra_columns: forbid\n'
		|| coalesce(fresh_y, '')
		|| CASE WHEN checks_y <> '' THEN E'checks:\n' || checks_y ELSE '' END
		|| coalesce(lineage_y, '');
END
$$;
COMMENT ON FUNCTION dtecert.suggest_policy(regclass, text) IS
	'a YAML policy suggested from the catalog and the data, which certifies the data as it is now';
