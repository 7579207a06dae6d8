/* dtecert 0.1.0 → 0.2.0: living certificates (revocation at DDL time, change
 * detection, scheduling, drift, waivers).  A fresh install runs the 0.1.0
 * script and then this one, so both paths build the same objects. */

\echo Use "ALTER EXTENSION dtecert UPDATE TO '0.2.0'" to load this file. \quit

/* ------------------------------------------------------------------------
 * What a certificate records of the relation it read, so that a change of
 * data or schema is noticed without a scan (DESIGN section 4).
 */
ALTER TABLE dtecert.certificates
	ADD COLUMN storage_digest text,
	ADD COLUMN modifications bigint,
	ADD COLUMN schema_digest text;
-- the DDL triggers look certificates up by the relation they read
CREATE INDEX certificates_relation_oid_idx ON dtecert.certificates (relation_oid);
COMMENT ON COLUMN dtecert.certificates.storage_digest IS
	'digest of the file nodes of the relations read (TRUNCATE, VACUUM FULL, CLUSTER and REFRESH change it)';
COMMENT ON COLUMN dtecert.certificates.modifications IS
	'rows inserted, updated and deleted in the relations read, as the statistics system counted them';
COMMENT ON COLUMN dtecert.certificates.schema_digest IS
	'digest of the columns, their types and nullability';

/*
 * The relations a dataset's rows come from: itself, its partitions and
 * inheritance children, and for a view the relations it reads, recursively.
 */
CREATE FUNCTION dtecert.relation_state(
	dataset regclass,
	OUT storage_digest text,
	OUT modifications bigint,
	OUT schema_digest text)
RETURNS record
LANGUAGE sql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
	WITH RECURSIVE reached(oid) AS (
		SELECT $1::oid
		UNION
		SELECT x.child
		  FROM reached
		 CROSS JOIN LATERAL (
			SELECT d.refobjid AS child
			  FROM pg_rewrite r
			  JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass
							  AND d.objid = r.oid
							  AND d.refclassid = 'pg_class'::regclass
							  AND d.refobjid <> r.ev_class
			 WHERE r.ev_class = reached.oid
			UNION ALL
			SELECT i.inhrelid FROM pg_inherits i WHERE i.inhparent = reached.oid) x
	)
	SELECT md5(string_agg(c.oid::text || ':' || c.relfilenode::text, ','
						  ORDER BY c.oid) FILTER (WHERE c.relkind IN ('r', 'm'))),
		   sum(pg_stat_get_tuples_inserted(c.oid) + pg_stat_get_tuples_updated(c.oid)
			   + pg_stat_get_tuples_deleted(c.oid)) FILTER (WHERE c.relkind IN ('r', 'm')),
		   (SELECT md5(string_agg(quote_ident(a.attname) || ' '
								  || format_type(a.atttypid, a.atttypmod)
								  || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END,
								  ', ' ORDER BY a.attnum))
			  FROM pg_attribute a
			 WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped)
	  FROM reached
	  JOIN pg_class c ON c.oid = reached.oid
$$;
COMMENT ON FUNCTION dtecert.relation_state(regclass) IS
	'what certificates record to notice changes without a scan: file nodes, modification counters, columns';

CREATE FUNCTION dtecert.changed_since_certified(dataset regclass)
RETURNS boolean
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	cur		record;
	now_state record;
BEGIN
	SELECT c.* INTO cur
	  FROM dtecert.certificates c
	 WHERE c.dataset = dtecert.dataset_name($1) AND c.status <> 'revoked'
	 ORDER BY c.certificate_id DESC
	 LIMIT 1;
	IF NOT FOUND THEN
		RETURN NULL;
	END IF;
	-- counters are read fresh, not from this transaction's snapshot of them
	PERFORM pg_stat_clear_snapshot();
	SELECT * INTO now_state FROM dtecert.relation_state($1);
	RETURN cur.relation_oid <> $1::oid
		OR cur.storage_digest IS DISTINCT FROM now_state.storage_digest
		OR cur.modifications IS DISTINCT FROM now_state.modifications
		OR cur.schema_digest IS DISTINCT FROM now_state.schema_digest;
END
$$;
COMMENT ON FUNCTION dtecert.changed_since_certified(regclass) IS
	'whether data or columns changed since the last certification run (NULL: never run); no scan';

/* ------------------------------------------------------------------------
 * Waivers: accepted risk, for a limited time, with its approver.
 */
CREATE SEQUENCE dtecert.waivers_waiver_id_seq;
CREATE TABLE dtecert.waivers (
	waiver_id	bigint PRIMARY KEY DEFAULT nextval('dtecert.waivers_waiver_id_seq'),
	dataset		text NOT NULL,
	check_name	text NOT NULL,
	reason		text NOT NULL,
	approved_by text NOT NULL,
	expires_at	timestamptz NOT NULL,
	waived_by	text NOT NULL,
	waived_at	timestamptz NOT NULL,
	ended_at	timestamptz,
	ended_by	text,
	CHECK (expires_at > waived_at),
	CHECK ((ended_at IS NULL) = (ended_by IS NULL))
);
ALTER SEQUENCE dtecert.waivers_waiver_id_seq OWNED BY dtecert.waivers.waiver_id;
CREATE UNIQUE INDEX waivers_active_idx ON dtecert.waivers (dataset, check_name)
	WHERE ended_at IS NULL;
COMMENT ON TABLE dtecert.waivers IS
	'accepted risks: a failed check counts as passed until expires_at, unless ended earlier';
SELECT pg_catalog.pg_extension_config_dump('dtecert.waivers', '');
SELECT pg_catalog.pg_extension_config_dump('dtecert.waivers_waiver_id_seq', '');
REVOKE ALL ON dtecert.waivers FROM PUBLIC;
GRANT SELECT ON dtecert.waivers TO PUBLIC;

ALTER TABLE dtecert.check_results
	ADD COLUMN waiver_id bigint REFERENCES dtecert.waivers;

CREATE FUNCTION dtecert.waive(
	dataset regclass,
	check_name text,
	reason text,
	approved_by text,
	until timestamptz)
RETURNS bigint
AS 'MODULE_PATHNAME', 'dtecert_waive'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION dtecert.waive(regclass, text, text, text, timestamptz) IS
	'accepts the risk of a failing check until a time: it counts as passed, flagged waived (owner only)';

CREATE FUNCTION dtecert.unwaive(dataset regclass, check_name text)
RETURNS void
AS 'MODULE_PATHNAME', 'dtecert_unwaive'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION dtecert.unwaive(regclass, text) IS
	'ends the waiver of a check (owner only)';

/* ------------------------------------------------------------------------
 * Revocation: by hand, and by DDL that changes what a certificate vouched for.
 */
CREATE FUNCTION dtecert.revoke(dataset regclass, reason text)
RETURNS bigint
AS 'MODULE_PATHNAME', 'dtecert_revoke'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION dtecert.revoke(regclass, text) IS
	'revokes the current certificate, appending a revocation record (owner only)';

CREATE FUNCTION dtecert.on_ddl_command_end()
RETURNS event_trigger
AS 'MODULE_PATHNAME', 'dtecert_on_ddl_command_end'
LANGUAGE C;
CREATE FUNCTION dtecert.on_sql_drop()
RETURNS event_trigger
AS 'MODULE_PATHNAME', 'dtecert_on_sql_drop'
LANGUAGE C;
CREATE EVENT TRIGGER dtecert_ddl_command_end ON ddl_command_end
	EXECUTE FUNCTION dtecert.on_ddl_command_end();
CREATE EVENT TRIGGER dtecert_sql_drop ON sql_drop
	EXECUTE FUNCTION dtecert.on_sql_drop();

/*
 * Status, computed at read time.  Revocations are recorded by the event
 * triggers when DDL changes a dataset; a dataset whose relation is gone
 * reads revoked even if no trigger ran (a drop while triggers were off).
 */
CREATE OR REPLACE VIEW dtecert.status WITH (security_invoker = true) AS
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
			 WHEN c.status = 'certified' AND c.valid_until <= pg_catalog.now() THEN 'expired'
			 ELSE c.status
		   END AS status,
		   CASE
			 WHEN c.certificate_id IS NULL THEN 'never certified'
			 WHEN c.status <> 'revoked'
				  AND pg_catalog.to_regclass(p.dataset) IS NULL THEN 'relation dropped'
			 WHEN c.status = 'certified' AND c.valid_until <= pg_catalog.now()
			   THEN 'the certificate expired'
			 ELSE c.reason
		   END AS reason) s
 WHERE p.spec IS NOT NULL;
-- 0.1.0 left it to superusers; every role that may certify reads it
GRANT SELECT ON dtecert.status TO PUBLIC;

/* ------------------------------------------------------------------------
 * Scheduling: what is due, and a procedure that re-certifies it.
 */
CREATE FUNCTION dtecert.due(for_dataset regclass DEFAULT NULL)
RETURNS TABLE (dataset text, why text)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	renew_before interval :=
		coalesce(nullif(current_setting('dtecert.renew_before', true), ''), '1 hour')::interval;
	default_valid_for interval :=
		coalesce(nullif(current_setting('dtecert.default_valid_for', true), ''), '7 days')::interval;
BEGIN
	-- counters are read fresh, not from this transaction's snapshot of them
	PERFORM pg_stat_clear_snapshot();
	RETURN QUERY
	SELECT p.dataset, w.why
	  FROM (SELECT DISTINCT ON (pol.dataset) pol.dataset, pol.version, pol.spec
			  FROM dtecert.policies pol
			 ORDER BY pol.dataset, pol.version DESC) p
	 CROSS JOIN LATERAL (SELECT to_regclass(p.dataset) AS rel) r
	  LEFT JOIN LATERAL (SELECT *
						   FROM dtecert.certificates c
						  WHERE c.dataset = p.dataset
						  ORDER BY c.certificate_id DESC
						  LIMIT 1) c ON true
	  LEFT JOIN LATERAL dtecert.relation_state(r.rel) s ON c.status <> 'revoked'
	 CROSS JOIN LATERAL (
		SELECT CASE
				 WHEN c.certificate_id IS NULL THEN 'never certified'
				 WHEN c.status = 'revoked' THEN 'revoked: ' || c.reason
				 WHEN c.policy_version IS DISTINCT FROM p.version THEN 'policy changed'
				 WHEN c.relation_oid <> r.rel THEN 'relation replaced'
				 WHEN c.storage_digest IS NULL AND c.modifications IS NULL
					  AND c.schema_digest IS NULL
				   THEN 'recorded without change digests (dtecert 0.1.0)'
				 WHEN c.schema_digest IS DISTINCT FROM s.schema_digest THEN 'columns changed'
				 WHEN c.storage_digest IS DISTINCT FROM s.storage_digest THEN 'data rewritten'
				 WHEN c.modifications IS DISTINCT FROM s.modifications THEN 'data changed'
				 WHEN c.status <> 'certified' AND EXISTS (
						SELECT 1
						  FROM dtecert.waivers wv
						  JOIN dtecert.check_results cr
							ON cr.certificate_id = c.certificate_id
						   AND cr.check_name = wv.check_name AND NOT cr.passed
						 WHERE wv.dataset = p.dataset AND wv.ended_at IS NULL
						   AND wv.expires_at > now() AND wv.waived_at > c.issued_at)
				   THEN 'waiver granted'
				 WHEN c.status = 'certified' AND c.valid_until <= now() THEN 'expired'
				 -- renewal starts renew_before ahead, but not before half the lifetime
				 WHEN c.status = 'certified'
					  AND c.valid_until - least(renew_before, (c.valid_until - c.issued_at) / 2) <= now()
				   THEN 'expires within dtecert.renew_before'
				 WHEN c.status <> 'certified'
					  AND c.issued_at + coalesce((p.spec ->> 'valid_for')::interval,
												 default_valid_for) <= now()
				   THEN 'last run older than valid_for'
			   END AS why) w
	 WHERE p.spec IS NOT NULL
	   AND r.rel IS NOT NULL
	   AND (for_dataset IS NULL OR r.rel = for_dataset)
	   AND w.why IS NOT NULL
	 ORDER BY p.dataset;
END
$$;
COMMENT ON FUNCTION dtecert.due(regclass) IS
	'datasets a scheduler should re-certify now, and why (reads no table data); for_dataset: just that one';

CREATE PROCEDURE dtecert.recertify_due(max_datasets integer DEFAULT NULL)
AS 'MODULE_PATHNAME', 'dtecert_recertify_due'
LANGUAGE C;
COMMENT ON PROCEDURE dtecert.recertify_due(integer) IS
	're-certifies what due() lists, committing after each dataset; skips datasets being certified';

/* ------------------------------------------------------------------------
 * Drift: distributions counted in the shared scan against bins fixed
 * before it (the baseline's, and this run's own from a sample).
 */
CREATE FUNCTION dtecert.bins_trans(internal, float8, float8[])
RETURNS internal AS 'MODULE_PATHNAME', 'dtecert_bins_trans'
LANGUAGE C PARALLEL SAFE;
CREATE FUNCTION dtecert.categories_trans(internal, text, text[])
RETURNS internal AS 'MODULE_PATHNAME', 'dtecert_categories_trans'
LANGUAGE C PARALLEL SAFE;
CREATE FUNCTION dtecert.bins_combine(internal, internal)
RETURNS internal AS 'MODULE_PATHNAME', 'dtecert_bins_combine'
LANGUAGE C PARALLEL SAFE;
CREATE FUNCTION dtecert.bins_serialize(internal)
RETURNS bytea AS 'MODULE_PATHNAME', 'dtecert_bins_serialize'
LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dtecert.bins_deserialize(bytea, internal)
RETURNS internal AS 'MODULE_PATHNAME', 'dtecert_bins_deserialize'
LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dtecert.bins_final(internal)
RETURNS bigint[] AS 'MODULE_PATHNAME', 'dtecert_bins_final'
LANGUAGE C PARALLEL SAFE;

CREATE AGGREGATE dtecert.bins_agg(float8, float8[]) (
	SFUNC = dtecert.bins_trans,
	STYPE = internal,
	COMBINEFUNC = dtecert.bins_combine,
	SERIALFUNC = dtecert.bins_serialize,
	DESERIALFUNC = dtecert.bins_deserialize,
	FINALFUNC = dtecert.bins_final,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE dtecert.bins_agg(float8, float8[]) IS
	'counts [NULL, below e1, [e1,e2), ..., [e(m-1),em], above em] for edges e1 < ... < em';

CREATE AGGREGATE dtecert.categories_agg(text, text[]) (
	SFUNC = dtecert.categories_trans,
	STYPE = internal,
	COMBINEFUNC = dtecert.bins_combine,
	SERIALFUNC = dtecert.bins_serialize,
	DESERIALFUNC = dtecert.bins_deserialize,
	FINALFUNC = dtecert.bins_final,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE dtecert.categories_agg(text, text[]) IS
	'counts [NULL, any other value, c1, ..., ck] for categories c1 ... ck';

/* ------------------------------------------------------------------------
 * Tamper evidence (DESIGN section 6).  Every record of a dataset's history
 * (certification runs, revocations, failures, checkpoints) is sealed with
 * core_sha256, the SHA-256 of its immutable core in RFC 8785 canonical JSON,
 * and chained to the record before it through previous_sha256.  The history
 * is append-only; samples live apart and only their digests are sealed, so
 * they can be redacted without breaking the chain.
 */
CREATE FUNCTION dtecert.canonical_json(value jsonb)
RETURNS text
AS 'MODULE_PATHNAME', 'dtecert_canonical_json'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dtecert.canonical_json(jsonb) IS
	'the JSON Canonicalization Scheme (RFC 8785) text of a value';

ALTER TABLE dtecert.certificates DROP CONSTRAINT certificates_status_check;
ALTER TABLE dtecert.certificates ADD CONSTRAINT certificates_status_check
	CHECK (status IN ('certified', 'failed', 'drifted', 'revoked', 'checkpoint'));

ALTER TABLE dtecert.check_samples
	ADD COLUMN sha256 text,
	ADD COLUMN redacted_at timestamptz;
COMMENT ON COLUMN dtecert.check_samples.sha256 IS
	'SHA-256 of the canonical {"row_key", "value"}: sealed in the certificate, kept when the sample is redacted';

CREATE FUNCTION dtecert.sample_sha256(row_key text, value text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT encode(sha256(convert_to(dtecert.canonical_json(
		jsonb_build_object('row_key', $1, 'value', $2)), 'UTF8')), 'hex')
$$;
UPDATE dtecert.check_samples SET sha256 = dtecert.sample_sha256(row_key, value);
ALTER TABLE dtecert.check_samples ALTER COLUMN sha256 SET NOT NULL;

/*
 * What a record's seal covers, version 1: the certificate's columns, its
 * policy's hash, its results and its samples' digests.  Fixed field lists,
 * so that columns added later do not change old seals; TimeZone fixed, so
 * that timestamps read the same in every session.
 */
CREATE FUNCTION dtecert.certificate_core(certificate_id bigint)
RETURNS jsonb
LANGUAGE sql STABLE STRICT
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
	SELECT jsonb_build_object(
		'core_version', 1,
		'certificate', jsonb_build_object(
			'certificate_id', c.certificate_id, 'dataset', c.dataset,
			'relation_oid', c.relation_oid, 'policy_version', c.policy_version,
			'run_id', c.run_id, 'issued_at', c.issued_at, 'valid_until', c.valid_until,
			'tier_required', c.tier_required, 'tier_achieved', c.tier_achieved,
			'certified', c.certified, 'quality_score', c.quality_score,
			'checks_passed', c.checks_passed, 'checks_failed', c.checks_failed,
			'status', c.status, 'reason', c.reason, 'version_label', c.version_label,
			'issued_by', c.issued_by, 'previous_sha256', c.previous_sha256,
			'profile', c.profile, 'storage_digest', c.storage_digest,
			'modifications', c.modifications, 'schema_digest', c.schema_digest),
		'policy_sha256', (SELECT p.sha256 FROM dtecert.policies p
						   WHERE p.dataset = c.dataset AND p.version = c.policy_version),
		'check_results', (SELECT coalesce(jsonb_agg(jsonb_build_object(
				'check_index', r.check_index, 'check_name', r.check_name, 'kind', r.kind,
				'column_name', r.column_name, 'severity', r.severity, 'passed', r.passed,
				'waived', r.waived, 'waiver_id', r.waiver_id,
				'element_count', r.element_count, 'unexpected_count', r.unexpected_count,
				'observed', r.observed, 'expected', r.expected, 'proven_by', r.proven_by,
				'scans', r.scans, 'reason', r.reason) ORDER BY r.check_index), '[]')
			FROM dtecert.check_results r WHERE r.certificate_id = c.certificate_id),
		'sample_digests', (SELECT coalesce(jsonb_agg(jsonb_build_array(
				s.check_name, s.ordinal, s.sha256) ORDER BY s.check_name, s.ordinal), '[]')
			FROM dtecert.check_samples s WHERE s.certificate_id = c.certificate_id))
	  FROM dtecert.certificates c
	 WHERE c.certificate_id = $1
$$;
COMMENT ON FUNCTION dtecert.certificate_core(bigint) IS
	'the immutable core of a history record, which core_sha256 seals (canonical_json, then SHA-256)';

CREATE FUNCTION dtecert.core_sha256(certificate_id bigint)
RETURNS text
LANGUAGE sql STABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT encode(sha256(convert_to(dtecert.canonical_json(dtecert.certificate_core($1)),
									'UTF8')), 'hex')
$$;

-- The seal of the dataset's latest record: what a new record chains to.
CREATE FUNCTION dtecert.chain_head(dataset text)
RETURNS text
LANGUAGE sql STABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT c.core_sha256 FROM dtecert.certificates c
	 WHERE c.dataset = $1 ORDER BY c.certificate_id DESC LIMIT 1
$$;

-- Seal the history 0.1.0 wrote, record by record, in chain order.
DO $$
DECLARE
	r record;
BEGIN
	FOR r IN SELECT certificate_id, dataset FROM dtecert.certificates
			  ORDER BY dataset, certificate_id
	LOOP
		UPDATE dtecert.certificates
		   SET previous_sha256 = dtecert.chain_head(r.dataset)
		 WHERE certificate_id = r.certificate_id;
		UPDATE dtecert.certificates
		   SET core_sha256 = dtecert.core_sha256(r.certificate_id)
		 WHERE certificate_id = r.certificate_id;
	END LOOP;
END
$$;

/*
 * Append-only: no UPDATE, DELETE or TRUNCATE of the history, but for the
 * one step of sealing a record (core_sha256 set once, nothing else changed).
 * prune_history() disables these triggers for its own transaction.
 */
CREATE FUNCTION dtecert.refuse_history_change()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	unsealed dtecert.certificates;
BEGIN
	IF TG_OP = 'UPDATE' AND TG_TABLE_NAME = 'certificates' THEN
		IF OLD.core_sha256 IS NULL AND NEW.core_sha256 IS NOT NULL THEN
			unsealed := NEW;
			unsealed.core_sha256 := NULL;
			IF unsealed IS NOT DISTINCT FROM OLD THEN
				RETURN NEW;
			END IF;
		END IF;
	END IF;
	RAISE EXCEPTION 'dtecert.% is append-only: % refused', TG_TABLE_NAME, TG_OP
		USING ERRCODE = 'insufficient_privilege',
			  HINT = 'Certificates are evidence: revoke with dtecert.revoke(), redact samples with dtecert.purge_samples(), shorten history with dtecert.prune_history().';
END
$$;
DO $$
DECLARE
	history text;
BEGIN
	FOREACH history IN ARRAY ARRAY['certificates', 'check_results', 'policies'] LOOP
		EXECUTE format('CREATE TRIGGER history_is_append_only BEFORE UPDATE OR DELETE ON dtecert.%I'
					   ' FOR EACH ROW EXECUTE FUNCTION dtecert.refuse_history_change()', history);
		EXECUTE format('CREATE TRIGGER history_is_append_only_truncate BEFORE TRUNCATE ON dtecert.%I'
					   ' FOR EACH STATEMENT EXECUTE FUNCTION dtecert.refuse_history_change()', history);
	END LOOP;
END
$$;

CREATE FUNCTION dtecert.verify_chain_of(of_dataset text)
RETURNS TABLE (dataset text, certificates bigint, ok boolean,
			   first_bad_certificate bigint, problem text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	d		text;
	r		record;
	prev	text;
	n		bigint;
	bad		bigint;
	why		text;
BEGIN
	FOR d IN SELECT DISTINCT c.dataset FROM dtecert.certificates c
			  WHERE of_dataset IS NULL OR c.dataset = of_dataset
			  ORDER BY 1
	LOOP
		prev := NULL; n := 0; bad := NULL; why := NULL;
		FOR r IN SELECT c.* FROM dtecert.certificates c
				  WHERE c.dataset = d ORDER BY c.certificate_id
		LOOP
			n := n + 1;
			CONTINUE WHEN bad IS NOT NULL;
			IF r.core_sha256 IS NULL THEN
				bad := r.certificate_id; why := 'the record is not sealed';
			ELSIF r.previous_sha256 IS DISTINCT FROM prev THEN
				bad := r.certificate_id;
				why := 'previous_sha256 does not match the seal of the record before it';
			ELSIF r.status = 'checkpoint' THEN
				-- a pruned segment: its last removed seal continues the chain
				IF r.core_sha256 IS DISTINCT FROM
				   r.profile -> 'removed' -> -1 ->> 'core_sha256' THEN
					bad := r.certificate_id;
					why := 'the checkpoint does not end with the seal it carries';
				END IF;
			ELSIF r.core_sha256 <> dtecert.core_sha256(r.certificate_id) THEN
				bad := r.certificate_id;
				why := 'core_sha256 does not match the record''s contents';
			END IF;
			prev := r.core_sha256;
		END LOOP;
		dataset := d; certificates := n; ok := bad IS NULL;
		first_bad_certificate := bad; problem := why;
		RETURN NEXT;
	END LOOP;
END
$$;
-- verify_chain(dataset) names its parameter like its first column, which
-- PL/pgSQL cannot compile: a SQL function passes it on.
CREATE FUNCTION dtecert.verify_chain(dataset text DEFAULT NULL)
RETURNS TABLE (dataset text, certificates bigint, ok boolean,
			   first_bad_certificate bigint, problem text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT * FROM dtecert.verify_chain_of($1) $$;
COMMENT ON FUNCTION dtecert.verify_chain(text) IS
	'recomputes every seal and link of the history (all datasets, or one by name, dropped ones too)';

CREATE FUNCTION dtecert.purge_samples(older_than interval)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n bigint;
BEGIN
	IF older_than IS NULL OR older_than < interval '0' THEN
		RAISE EXCEPTION 'older_than must be a non-negative interval'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	UPDATE dtecert.check_samples s
	   SET row_key = NULL, value = NULL, redacted_at = now()
	  FROM dtecert.certificates c
	 WHERE c.certificate_id = s.certificate_id
	   AND c.issued_at < now() - older_than
	   AND s.redacted_at IS NULL;
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END
$$;
COMMENT ON FUNCTION dtecert.purge_samples(interval) IS
	'redacts failing samples of certificates older than older_than (their digests stay sealed); returns how many';
REVOKE ALL ON FUNCTION dtecert.purge_samples(interval) FROM PUBLIC;

CREATE FUNCTION dtecert.prune_history(before timestamptz)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	d		record;
	removed	jsonb;
	last	record;
	total	bigint := 0;
	n		bigint;
BEGIN
	IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
		RAISE EXCEPTION 'permission denied to prune dtecert''s history'
			USING ERRCODE = 'insufficient_privilege',
				  DETAIL = 'Only a superuser may shorten the history.';
	END IF;
	IF before IS NULL OR before > now() THEN
		RAISE EXCEPTION 'before must be a time in the past'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	ALTER TABLE dtecert.certificates DISABLE TRIGGER history_is_append_only;
	ALTER TABLE dtecert.check_results DISABLE TRIGGER history_is_append_only;
	-- per dataset, the records issued before `before`, but never its latest
	FOR d IN SELECT c.dataset, max(c.certificate_id) AS upto
			   FROM dtecert.certificates c
			  WHERE c.issued_at < before
				AND c.certificate_id < (SELECT max(x.certificate_id) FROM dtecert.certificates x
										 WHERE x.dataset = c.dataset)
			  GROUP BY c.dataset
	LOOP
		-- the segment's seals, an earlier checkpoint's included
		SELECT jsonb_agg(e ORDER BY (e ->> 'certificate_id')::bigint) INTO removed
		  FROM (SELECT jsonb_build_object('certificate_id', c.certificate_id,
										  'core_sha256', c.core_sha256) AS e
				  FROM dtecert.certificates c
				 WHERE c.dataset = d.dataset AND c.certificate_id <= d.upto
				   AND c.status <> 'checkpoint'
				UNION ALL
				SELECT jsonb_array_elements(c.profile -> 'removed')
				  FROM dtecert.certificates c
				 WHERE c.dataset = d.dataset AND c.certificate_id <= d.upto
				   AND c.status = 'checkpoint') s;
		SELECT * INTO last FROM dtecert.certificates c WHERE c.certificate_id = d.upto;
		DELETE FROM dtecert.check_samples s USING dtecert.certificates c
		 WHERE s.certificate_id = c.certificate_id AND c.dataset = d.dataset
		   AND c.certificate_id <= d.upto;
		DELETE FROM dtecert.check_results r USING dtecert.certificates c
		 WHERE r.certificate_id = c.certificate_id AND c.dataset = d.dataset
		   AND c.certificate_id <= d.upto;
		DELETE FROM dtecert.certificates c
		 WHERE c.dataset = d.dataset AND c.certificate_id <= d.upto;
		GET DIAGNOSTICS n = ROW_COUNT;
		-- the checkpoint takes the last removed record's place in the chain
		INSERT INTO dtecert.certificates
			(certificate_id, dataset, relation_oid, policy_version, issued_at, certified,
			 status, reason, issued_by, previous_sha256, core_sha256, profile)
		VALUES (last.certificate_id, d.dataset, last.relation_oid, last.policy_version,
				last.issued_at, false, 'checkpoint',
				format('%s records issued before %s pruned', jsonb_array_length(removed), before),
				current_user, NULL, last.core_sha256,
				jsonb_build_object('removed', removed));
		total := total + n;
	END LOOP;
	ALTER TABLE dtecert.certificates ENABLE TRIGGER history_is_append_only;
	ALTER TABLE dtecert.check_results ENABLE TRIGGER history_is_append_only;
	RETURN total;
END
$$;
COMMENT ON FUNCTION dtecert.prune_history(timestamptz) IS
	'removes history records issued before a time (never a dataset''s latest), leaving a checkpoint that keeps the chain verifiable (superuser)';
REVOKE ALL ON FUNCTION dtecert.prune_history(timestamptz) FROM PUBLIC;

/* ------------------------------------------------------------------------
 * The evidence pack (DESIGN section 6), published as a JSON Schema in
 * docs/evidence-pack.schema.json.  Only roles that may read the dataset get
 * it (a dropped dataset's packs: superusers).
 */
CREATE FUNCTION dtecert.evidence_allowed(dataset text)
RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	-- looked up by name parts, so that a role without USAGE gets false, not an error
	SELECT coalesce(
		(SELECT has_schema_privilege(n.oid, 'USAGE') AND has_table_privilege(c.oid, 'SELECT')
		   FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		  WHERE n.nspname = (parse_ident($1))[1] AND c.relname = (parse_ident($1))[2]),
		(SELECT rolsuper FROM pg_roles WHERE rolname = current_user))
$$;

DROP FUNCTION dtecert.evidence(bigint);
CREATE FUNCTION dtecert.evidence(certificate_id bigint)
RETURNS jsonb
LANGUAGE plpgsql STABLE STRICT
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
DECLARE
	c		dtecert.certificates;
	p		dtecert.policies;
	pack	jsonb;
BEGIN
	SELECT * INTO c FROM dtecert.certificates k WHERE k.certificate_id = $1;
	IF NOT FOUND THEN
		RETURN NULL;
	END IF;
	IF NOT dtecert.evidence_allowed(c.dataset) THEN
		RAISE EXCEPTION 'permission denied for the evidence of %', c.dataset
			USING ERRCODE = 'insufficient_privilege',
				  DETAIL = 'The evidence shows the data: it needs SELECT on the dataset.';
	END IF;
	SELECT * INTO p FROM dtecert.policies k
	 WHERE k.dataset = c.dataset AND k.version = c.policy_version;

	pack := jsonb_build_object(
		'evidence_version', 1,
		-- the seed's flat fields
		'dataset', c.dataset,
		'quality_score', c.quality_score,
		'certified', c.certified,
		'lineage', p.spec -> 'lineage',
		'certificate', jsonb_build_object(
			'certificate_id', c.certificate_id, 'dataset', c.dataset,
			'relation_oid', c.relation_oid::bigint, 'status', c.status,
			'status_now', (SELECT s.status FROM dtecert.status s
							WHERE s.dataset = c.dataset AND s.certificate_id = c.certificate_id),
			'reason', c.reason, 'tier_required', c.tier_required,
			'tier_achieved', c.tier_achieved, 'certified', c.certified,
			'quality_score', c.quality_score, 'min_score', p.spec -> 'min_score',
			'checks_passed', c.checks_passed, 'checks_failed', c.checks_failed,
			'issued_at', c.issued_at, 'valid_until', c.valid_until,
			'run_id', c.run_id, 'version_label', c.version_label,
			'issued_by', c.issued_by, 'policy_version', c.policy_version),
		'policy', CASE WHEN p.version IS NULL THEN NULL ELSE
			jsonb_build_object('version', p.version, 'sha256', p.sha256,
							   'set_by', p.set_by, 'set_at', p.set_at, 'spec', p.spec) END,
		'criteria', (SELECT coalesce(jsonb_agg(jsonb_build_object(
				'name', r.check_name, 'kind', r.kind, 'passed', r.passed,
				'observed', r.observed, 'expected', r.expected, 'reason', r.reason)
				ORDER BY r.check_index), '[]')
			FROM dtecert.check_results r
			WHERE r.certificate_id = c.certificate_id AND r.severity IS NULL),
		'checks', (SELECT coalesce(jsonb_agg(jsonb_build_object(
				'name', r.check_name, 'kind', r.kind, 'column', r.column_name,
				'severity', r.severity, 'passed', r.passed, 'waived', r.waived,
				'waiver_id', r.waiver_id, 'element_count', r.element_count,
				'unexpected_count', r.unexpected_count,
				'observed', r.observed, 'expected', r.expected,
				'proven_by', r.proven_by, 'scans', r.scans, 'reason', r.reason,
				'samples', (SELECT coalesce(jsonb_agg(jsonb_build_object(
						'row_key', s.row_key, 'value', s.value, 'sha256', s.sha256,
						'redacted', s.redacted_at IS NOT NULL) ORDER BY s.ordinal), '[]')
					FROM dtecert.check_samples s
					WHERE s.certificate_id = r.certificate_id AND s.check_name = r.check_name))
				ORDER BY r.check_index), '[]')
			FROM dtecert.check_results r
			WHERE r.certificate_id = c.certificate_id AND r.severity IS NOT NULL),
		'waivers', (SELECT coalesce(jsonb_agg(jsonb_build_object(
				'waiver_id', w.waiver_id, 'check_name', w.check_name, 'reason', w.reason,
				'approved_by', w.approved_by, 'expires_at', w.expires_at,
				'waived_by', w.waived_by, 'waived_at', w.waived_at,
				'ended_at', w.ended_at, 'ended_by', w.ended_by) ORDER BY w.waiver_id), '[]')
			FROM dtecert.waivers w
			WHERE w.waiver_id IN (SELECT r.waiver_id FROM dtecert.check_results r
								   WHERE r.certificate_id = c.certificate_id)),
		'profile', c.profile,
		'run', jsonb_build_object(
			'run_id', c.run_id,
			'job', p.spec #> '{lineage,job}',
			'inputs', coalesce(p.spec #> '{lineage,inputs}', '[]')),
		'environment', jsonb_build_object(
			'postgresql', current_setting('server_version'),
			'dtecert', (SELECT extversion FROM pg_extension WHERE extname = 'dtecert'),
			'database', current_database()),
		'integrity', jsonb_build_object(
			'algorithm', 'SHA-256 of the RFC 8785 canonical JSON of dtecert.certificate_core(certificate_id)',
			'core_version', 1,
			'core_sha256', c.core_sha256,
			'previous_sha256', c.previous_sha256,
			'chain_head', dtecert.chain_head(c.dataset),
			'chain_length', (SELECT count(*) FROM dtecert.certificates k WHERE k.dataset = c.dataset)));
	RETURN pack;
END
$$;
COMMENT ON FUNCTION dtecert.evidence(bigint) IS
	'the evidence pack of a certificate, as JSON (schema: docs/evidence-pack.schema.json); needs SELECT on the dataset';

/* ------------------------------------------------------------------------
 * evidence_html: the same pack as one self-contained page for people: no
 * scripts, no external assets, charts as inline SVG; every value escaped.
 */
CREATE FUNCTION dtecert.html_escape(value text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT coalesce(replace(replace(replace(replace(replace($1,
		'&', '&amp;'), '<', '&lt;'), '>', '&gt;'), '"', '&quot;'), '''', '&#39;'), '')
$$;

-- A JSON value as short readable text (strings without their quotes).
CREATE FUNCTION dtecert.html_value(value jsonb)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT dtecert.html_escape(CASE
		WHEN $1 IS NULL OR $1 = 'null'::jsonb OR $1 = '{}'::jsonb THEN ''
		WHEN jsonb_typeof($1) = 'string' THEN $1 #>> '{}'
		ELSE $1::text END)
$$;

-- A horizontal bar: share in [0, 1], with an optional marker (the SLO).
CREATE FUNCTION dtecert.html_bar(share numeric, marker numeric, colour text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT format('<svg class="bar" width="120" height="12" viewBox="0 0 120 12" role="img">'
				  '<rect width="120" height="12" fill="#eee"/>'
				  '<rect width="%s" height="12" fill="%s"/>%s</svg>',
				  round(120 * greatest(0, least(1, coalesce($1, 0))), 1),
				  dtecert.html_escape($3),
				  CASE WHEN $2 IS NULL THEN '' ELSE
					format('<line x1="%1$s" x2="%1$s" y1="0" y2="12" stroke="#000" stroke-width="2"/>',
						   round(120 * greatest(0, least(1, $2)), 1)) END)
$$;

-- Small bars of a distribution's counts, the first (NULL) bin in grey.
CREATE FUNCTION dtecert.html_histogram(counts jsonb)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT format('<svg class="hist" width="%s" height="40" viewBox="0 0 %1$s 40" role="img">%s</svg>',
				  8 * count(*),
				  string_agg(format('<rect x="%s" y="%s" width="7" height="%s" fill="%s"><title>%s</title></rect>',
									8 * (i - 1),
									round(40 - 40 * c / greatest(m, 1), 1),
									round(40 * c / greatest(m, 1), 1),
									CASE WHEN i = 1 THEN '#aaa' ELSE '#4a7bb7' END, c),
							 '' ORDER BY i))
	  FROM (SELECT c::numeric AS c, i, max(c::numeric) OVER () AS m
			  FROM jsonb_array_elements_text($1) WITH ORDINALITY a(c, i)) b
$$;

CREATE FUNCTION dtecert.evidence_html(certificate_id bigint)
RETURNS text
LANGUAGE plpgsql STABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	e		jsonb := dtecert.evidence($1);
	cert	jsonb;
	status	text;
	html	text;
	part	text;
	tier	text;
	item	jsonb;
	inputs	jsonb;
	i		int;
BEGIN
	IF e IS NULL THEN
		RETURN NULL;
	END IF;
	cert := e -> 'certificate';
	status := coalesce(cert ->> 'status_now', cert ->> 'status');
	html := format($h$<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Evidence: %1$s, certificate %2$s</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#222;max-width:1100px;margin:24px auto;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
.verdict{display:inline-block;padding:4px 12px;border-radius:4px;color:#fff;font-weight:600;letter-spacing:.03em}
.certified{background:#2e7d32}.failed{background:#c62828}.drifted{background:#ef6c00}
.revoked,.expired,.checkpoint{background:#616161}
table{border-collapse:collapse;width:100%%;margin:6px 0}th,td{border-bottom:1px solid #eee;padding:4px 6px;text-align:left;vertical-align:top}
th{background:#f6f6f6;font-weight:600}td.pass{color:#2e7d32;font-weight:600}td.fail{color:#c62828;font-weight:600}
td.waived{color:#ef6c00;font-weight:600}code,.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;overflow-wrap:anywhere}
.ladder span{display:inline-block;padding:3px 10px;margin-right:4px;border:1px solid #bbb;border-radius:3px}
.ladder .achieved{background:#c8e6c9}.ladder .required{outline:2px solid #000}
.muted{color:#777}ul.samples{margin:2px 0;padding-left:16px}
@media print{body{margin:0;max-width:none}h2{break-after:avoid}tr{break-inside:avoid}.verdict{border:1px solid #000;color:#000;background:none}}
</style></head><body>
<h1>%1$s</h1>
<p><span class="verdict %3$s">%4$s</span> certificate <b>%2$s</b>, issued %5$s by %6$s%7$s</p>
<p>Valid %8$s. %9$s</p>
$h$,
		dtecert.html_escape(e ->> 'dataset'),
		dtecert.html_escape(cert ->> 'certificate_id'),
		dtecert.html_escape(status),
		dtecert.html_escape(upper(status)),
		dtecert.html_escape(cert ->> 'issued_at'),
		dtecert.html_escape(cert ->> 'issued_by'),
		CASE WHEN cert ->> 'version_label' IS NULL THEN ''
			 ELSE ' for ' || dtecert.html_escape(cert ->> 'version_label') END,
		CASE WHEN cert ->> 'valid_until' IS NULL THEN 'never (not certified)'
			 ELSE 'until ' || dtecert.html_escape(cert ->> 'valid_until') END,
		CASE WHEN cert ->> 'reason' IS NULL THEN ''
			 ELSE 'Reason: ' || dtecert.html_escape(cert ->> 'reason') END);

	-- the tier ladder and the score against the SLO
	part := '<h2>Tier and quality</h2><p class="ladder">';
	FOREACH tier IN ARRAY ARRAY['low', 'medium', 'high'] LOOP
		part := part || format('<span class="%s%s">%s</span>',
			CASE WHEN dtecert.tier_rank(tier) <= coalesce(dtecert.tier_rank(cert ->> 'tier_achieved'), 0)
				 THEN 'achieved' ELSE '' END,
			CASE WHEN tier = cert ->> 'tier_required' THEN ' required' ELSE '' END, tier);
	END LOOP;
	part := part || format('</p><p>Required: <b>%s</b>; achieved: <b>%s</b>.</p>',
		coalesce(dtecert.html_escape(cert ->> 'tier_required'), 'none (a quality gate)'),
		coalesce(dtecert.html_escape(cert ->> 'tier_achieved'), 'none'));
	IF cert -> 'quality_score' <> 'null'::jsonb THEN
		part := part || format('<p>Quality score %s %s (min_score %s; %s passed, %s failed)</p>',
			dtecert.html_bar((cert ->> 'quality_score')::numeric, (cert ->> 'min_score')::numeric,
							 CASE WHEN (cert ->> 'quality_score')::numeric >=
									   coalesce((cert ->> 'min_score')::numeric, 1)
								  THEN '#2e7d32' ELSE '#c62828' END),
			dtecert.html_escape(cert ->> 'quality_score'),
			dtecert.html_escape(coalesce(cert ->> 'min_score', '1')),
			dtecert.html_escape(cert ->> 'checks_passed'), dtecert.html_escape(cert ->> 'checks_failed'));
	END IF;
	html := html || part;

	-- criteria
	IF jsonb_array_length(e -> 'criteria') > 0 THEN
		part := '<h2>Criteria</h2><table><tr><th>criterion</th><th>result</th><th>observed</th><th>expected</th><th>reason</th></tr>';
		FOR item IN SELECT x FROM jsonb_array_elements(e -> 'criteria') x LOOP
			part := part || format('<tr><td>%s</td><td class="%s">%s</td><td><code>%s</code></td><td><code>%s</code></td><td>%s</td></tr>',
				dtecert.html_escape(item ->> 'name'),
				CASE WHEN (item ->> 'passed')::boolean THEN 'pass' ELSE 'fail' END,
				CASE WHEN (item ->> 'passed')::boolean THEN 'passed' ELSE 'failed' END,
				dtecert.html_value(item -> 'observed'), dtecert.html_value(item -> 'expected'),
				dtecert.html_escape(item ->> 'reason'));
		END LOOP;
		html := html || part || '</table>';
	END IF;

	-- fairness: each protected column's (or intersection's) per-group table
	FOR item IN SELECT x FROM jsonb_array_elements(e -> 'criteria') c,
							  jsonb_array_elements(c -> 'observed' -> 'protected') x
				 WHERE c ->> 'kind' = 'fairness' LOOP
		part := format('<h2>Fairness by %s</h2><table><tr><th>group</th><th>rows</th><th>base rate</th><th>selection rate</th><th>TPR</th><th>FPR</th><th>FNR</th><th>PPV</th><th></th></tr>',
			dtecert.html_escape((SELECT string_agg(c #>> '{}', ' × ') FROM jsonb_array_elements(item -> 'columns') c)));
		part := part || (SELECT coalesce(string_agg(format('<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td class="muted">%s</td></tr>',
				dtecert.html_escape((SELECT string_agg(v #>> '{}', ', ') FROM jsonb_each(g -> 'group') AS k(n, v))),
				dtecert.html_escape(g ->> 'size'),
				dtecert.html_escape(round((g ->> 'base_rate')::numeric, 4)::text),
				dtecert.html_escape(round((g ->> 'selection_rate')::numeric, 4)::text),
				dtecert.html_escape(round((g ->> 'tpr')::numeric, 4)::text),
				dtecert.html_escape(round((g ->> 'fpr')::numeric, 4)::text),
				dtecert.html_escape(round((g ->> 'fnr')::numeric, 4)::text),
				dtecert.html_escape(round((g ->> 'ppv')::numeric, 4)::text),
				dtecert.html_escape(concat_ws('; ',
					CASE WHEN (g ->> 'reference')::boolean THEN 'reference group' END,
					g ->> 'excluded_because'))), ''), '')
			FROM jsonb_array_elements(item -> 'groups') g);
		part := part || '</table><p>' || (SELECT coalesce(string_agg(format('%s <b>%s</b>',
				dtecert.html_escape(m.key), dtecert.html_escape(round((m.value #>> '{}')::numeric, 4)::text)), '; '), '')
			FROM jsonb_each(item -> 'metrics') m WHERE jsonb_typeof(m.value) = 'number') || '</p>';
		html := html || part;
	END LOOP;

	-- checks, with failing samples and waivers
	IF jsonb_array_length(e -> 'checks') > 0 THEN
		part := '<h2>Checks</h2><table><tr><th>check</th><th>severity</th><th>result</th><th>failing rows</th><th>observed</th><th>expected</th><th>samples</th></tr>';
		FOR item IN SELECT x FROM jsonb_array_elements(e -> 'checks') x LOOP
			part := part || format('<tr><td>%s<br><span class="muted">%s</span></td><td>%s</td><td class="%s">%s</td><td>%s</td><td><code>%s</code></td><td><code>%s</code></td><td>%s</td></tr>',
				dtecert.html_escape(item ->> 'name'),
				dtecert.html_escape(concat_ws(' ', item ->> 'proven_by',
					CASE WHEN (item ->> 'scans')::int > 0 THEN '(' || (item ->> 'scans') || ' extra scan)' END,
					item ->> 'reason')),
				dtecert.html_escape(item ->> 'severity'),
				CASE WHEN (item ->> 'waived')::boolean THEN 'waived'
					 WHEN (item ->> 'passed')::boolean THEN 'pass' ELSE 'fail' END,
				CASE WHEN (item ->> 'waived')::boolean THEN 'waived'
					 WHEN (item ->> 'passed')::boolean THEN 'passed' ELSE 'failed' END,
				CASE WHEN item ->> 'element_count' IS NULL THEN ''
					 ELSE dtecert.html_escape((item ->> 'unexpected_count') || ' of ' || (item ->> 'element_count')) END,
				dtecert.html_value(item -> 'observed'), dtecert.html_value(item -> 'expected'),
				(SELECT coalesce('<ul class="samples">' || string_agg(format('<li><code>%s</code>%s</li>',
						CASE WHEN (s ->> 'redacted')::boolean THEN '<i>redacted</i>'
							 ELSE dtecert.html_escape(coalesce(s ->> 'value', 'NULL')) END,
						CASE WHEN s ->> 'row_key' IS NULL THEN ''
							 ELSE ' <span class="muted">row ' || dtecert.html_escape(s ->> 'row_key') || '</span>' END),
						'') || '</ul>', '')
				   FROM jsonb_array_elements(item -> 'samples') s));
		END LOOP;
		html := html || part || '</table>';
	END IF;
	IF jsonb_array_length(e -> 'waivers') > 0 THEN
		part := '<h2>Waivers</h2><table><tr><th>check</th><th>reason</th><th>approved by</th><th>until</th><th>waived by</th></tr>';
		FOR item IN SELECT x FROM jsonb_array_elements(e -> 'waivers') x LOOP
			part := part || format('<tr><td>%s</td><td>%s</td><td>%s</td><td>%s%s</td><td>%s, %s</td></tr>',
				dtecert.html_escape(item ->> 'check_name'), dtecert.html_escape(item ->> 'reason'),
				dtecert.html_escape(item ->> 'approved_by'), dtecert.html_escape(item ->> 'expires_at'),
				CASE WHEN item ->> 'ended_at' IS NULL THEN ''
					 ELSE ' (ended ' || dtecert.html_escape(item ->> 'ended_at') || ')' END,
				dtecert.html_escape(item ->> 'waived_by'), dtecert.html_escape(item ->> 'waived_at'));
		END LOOP;
		html := html || part || '</table>';
	END IF;

	-- the column profile: NULL rate, and the distribution when drift is watched
	IF e #> '{profile,columns}' IS NOT NULL THEN
		part := format('<h2>Profile</h2><p>%s rows.</p><table><tr><th>column</th><th>type</th><th>NULL rate</th><th>distinct (est.)</th><th>min</th><th>max</th><th>mean</th><th>distribution</th></tr>',
					   dtecert.html_escape(e #>> '{profile,row_count}'));
		FOR item IN SELECT x FROM jsonb_array_elements(e #> '{profile,columns}') x LOOP
			part := part || format('<tr><td>%s</td><td>%s</td><td>%s %s%%</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>',
				dtecert.html_escape(item ->> 'name'), dtecert.html_escape(item ->> 'type'),
				dtecert.html_bar((item ->> 'null_fraction')::numeric, NULL, '#888'),
				round(100 * (item ->> 'null_fraction')::numeric, 2),
				dtecert.html_escape(item ->> 'distinct_estimate'),
				dtecert.html_escape(left(item ->> 'min', 40)), dtecert.html_escape(left(item ->> 'max', 40)),
				dtecert.html_escape(round((item ->> 'mean')::numeric, 4)::text),
				coalesce(dtecert.html_histogram(e #> ARRAY['profile', 'distributions', item ->> 'name', 'counts']), ''));
		END LOOP;
		html := html || part || '</table>';
	END IF;

	-- lineage: inputs → dataset, and the job that builds it
	inputs := e #> '{run,inputs}';
	IF e #>> '{run,job}' IS NOT NULL THEN
		part := format('<h2>Lineage</h2><svg width="720" height="%s" viewBox="0 0 720 %1$s" role="img" font-size="12">',
					   greatest(60, 30 * jsonb_array_length(inputs) + 20));
		i := 0;
		FOR item IN SELECT x FROM jsonb_array_elements(inputs) x LOOP
			part := part || format('<rect x="4" y="%s" width="250" height="22" rx="3" fill="#eef" stroke="#88a"/><text x="10" y="%s">%s</text><line x1="254" y1="%s" x2="440" y2="30" stroke="#88a" marker-end="url(#arrow)"/>',
				10 + 30 * i, 25 + 30 * i, dtecert.html_escape(left(item #>> '{}', 40)), 21 + 30 * i);
			i := i + 1;
		END LOOP;
		part := part || format('<defs><marker id="arrow" markerWidth="8" markerHeight="8" refX="8" refY="4" orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="#88a"/></marker></defs><rect x="440" y="18" width="270" height="24" rx="3" fill="#e8f5e9" stroke="#2e7d32"/><text x="448" y="34" font-weight="600">%s</text><text x="448" y="56" fill="#555">job: %s</text></svg>',
			dtecert.html_escape(left(e ->> 'dataset', 40)), dtecert.html_escape(e #>> '{run,job}'));
		html := html || part || format('<p class="muted">Run <code>%s</code>.</p>', dtecert.html_escape(e #>> '{run,run_id}'));
	END IF;

	-- integrity
	html := html || format('<h2>Integrity</h2><table>
<tr><th>core_sha256</th><td class="mono">%s</td></tr>
<tr><th>previous_sha256</th><td class="mono">%s</td></tr>
<tr><th>chain head</th><td class="mono">%s (%s records)</td></tr>
<tr><th>algorithm</th><td>%s</td></tr>
<tr><th>policy</th><td>version %s, sha256 <span class="mono">%s</span></td></tr>
<tr><th>environment</th><td>PostgreSQL %s, dtecert %s, database %s</td></tr></table>
</body></html>
',
		dtecert.html_escape(e #>> '{integrity,core_sha256}'),
		coalesce(dtecert.html_escape(e #>> '{integrity,previous_sha256}'), 'none: the first record'),
		dtecert.html_escape(e #>> '{integrity,chain_head}'), dtecert.html_escape(e #>> '{integrity,chain_length}'),
		dtecert.html_escape(e #>> '{integrity,algorithm}'),
		dtecert.html_escape(e #>> '{policy,version}'), dtecert.html_escape(e #>> '{policy,sha256}'),
		dtecert.html_escape(e #>> '{environment,postgresql}'), dtecert.html_escape(e #>> '{environment,dtecert}'),
		dtecert.html_escape(e #>> '{environment,database}'));
	RETURN html;
END
$$;
COMMENT ON FUNCTION dtecert.evidence_html(bigint) IS
	'the evidence pack as one self-contained HTML page (no scripts, no external assets)';
