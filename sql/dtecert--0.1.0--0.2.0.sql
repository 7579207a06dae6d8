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
