/* dtecert 0.2.0 → 0.3.0: lineage (OpenLineage events from a background
 * worker).  A fresh install runs 0.1.0, then 0.1.0 → 0.2.0, then this. */

\echo Use "ALTER EXTENSION dtecert UPDATE TO '0.3.0'" to load this file. \quit

/* ------------------------------------------------------------------------
 * The outbox: certify() appends a run's OpenLineage events here in the
 * certifying transaction; the lineage worker delivers them (DESIGN
 * section 7).  Events are never dropped: a delivered event is purged after
 * dtecert.lineage_retention, a refused one stays 'failed' until
 * dtecert.retry_lineage() queues it again.
 */
CREATE SEQUENCE dtecert.lineage_outbox_event_id_seq;

CREATE TABLE dtecert.lineage_outbox (
	event_id	bigint PRIMARY KEY
		DEFAULT nextval('dtecert.lineage_outbox_event_id_seq'),
	certificate_id bigint,
	dataset		text NOT NULL,
	-- the run the event belongs to; NULL for a JobEvent.  Events of one run
	-- are delivered in event_id order (START before COMPLETE or FAIL).
	run_id		uuid,
	event_type	text NOT NULL
		CHECK (event_type IN ('START', 'COMPLETE', 'FAIL', 'JOB')),
	event		jsonb NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT pg_catalog.now(),
	state		text NOT NULL DEFAULT 'pending'
		CHECK (state IN ('pending', 'delivered', 'failed')),
	attempts	integer NOT NULL DEFAULT 0,
	next_attempt_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	leased_until timestamptz,	-- claimed by the worker until then
	last_attempt_at timestamptz,
	delivered_at timestamptz,
	http_status integer,		-- the endpoint's last answer, if any
	last_error	text			-- why the last attempt did not deliver
);
ALTER SEQUENCE dtecert.lineage_outbox_event_id_seq
	OWNED BY dtecert.lineage_outbox.event_id;
CREATE INDEX lineage_outbox_due_idx ON dtecert.lineage_outbox (event_id)
	WHERE state = 'pending';
CREATE INDEX lineage_outbox_run_idx ON dtecert.lineage_outbox (run_id, event_id);
CREATE INDEX lineage_outbox_delivered_idx ON dtecert.lineage_outbox (delivered_at)
	WHERE state = 'delivered';
COMMENT ON TABLE dtecert.lineage_outbox IS
	'OpenLineage events of certifications, delivered at least once by the dtecert lineage worker';

-- Events not yet delivered survive a dump and restore.
SELECT pg_catalog.pg_extension_config_dump('dtecert.lineage_outbox',
										   'WHERE state <> ''delivered''');
SELECT pg_catalog.pg_extension_config_dump('dtecert.lineage_outbox_event_id_seq', '');

REVOKE ALL ON dtecert.lineage_outbox FROM PUBLIC;
GRANT SELECT ON dtecert.lineage_outbox TO PUBLIC;

/* ------------------------------------------------------------------------
 * Delivery at a glance.  failing: pending events whose last attempt did
 * not deliver (they are retried with backoff).
 */
CREATE VIEW dtecert.lineage_status WITH (security_invoker = true) AS
SELECT count(*) FILTER (WHERE o.state = 'pending') AS pending,
	   count(*) FILTER (WHERE o.state = 'delivered') AS delivered,
	   count(*) FILTER (WHERE o.state = 'pending' AND o.attempts > 0) AS failing,
	   count(*) FILTER (WHERE o.state = 'failed') AS failed,
	   pg_catalog.now() OPERATOR(pg_catalog.-)
		 min(o.created_at) FILTER (WHERE o.state = 'pending') AS oldest_pending_age,
	   max(o.delivered_at) AS last_delivered_at,
	   (SELECT l.last_error
		  FROM dtecert.lineage_outbox l
		 WHERE l.state <> 'delivered' AND l.last_error IS NOT NULL
		 ORDER BY l.last_attempt_at DESC
		 LIMIT 1) AS last_error
  FROM dtecert.lineage_outbox o;
COMMENT ON VIEW dtecert.lineage_status IS
	'lineage delivery: pending, delivered, failing (retrying) and failed events, and the oldest pending one''s age';
GRANT SELECT ON dtecert.lineage_status TO PUBLIC;

/*
 * Queue failed events again (and, with failed_only false, make every
 * pending event due now, whatever its backoff); returns how many.  The
 * worker is woken when the transaction commits.
 */
CREATE FUNCTION dtecert.retry_lineage(failed_only boolean DEFAULT true)
RETURNS bigint
AS 'MODULE_PATHNAME', 'dtecert_retry_lineage'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION dtecert.retry_lineage(boolean) IS
	'queue failed lineage events again (all undelivered ones with failed_only => false)';
REVOKE EXECUTE ON FUNCTION dtecert.retry_lineage(boolean) FROM PUBLIC;

/* ------------------------------------------------------------------------
 * The high tier (issue 10): fairness and explainability.  One aggregate
 * counts, per group key, the confusion matrix of a prediction against a
 * label in the certification's shared scan: per group, in key order, the
 * counts tp, fp, tn, fn, missing (label or prediction NULL) and bad_label
 * (label neither 0 nor 1) as text, then the key's elements.
 */
CREATE FUNCTION dtecert.group_counts_trans(internal, text[], bigint, boolean)
RETURNS internal AS 'MODULE_PATHNAME', 'dtecert_group_counts_trans'
LANGUAGE C PARALLEL SAFE;
CREATE FUNCTION dtecert.group_counts_combine(internal, internal)
RETURNS internal AS 'MODULE_PATHNAME', 'dtecert_group_counts_combine'
LANGUAGE C PARALLEL SAFE;
CREATE FUNCTION dtecert.group_counts_serialize(internal)
RETURNS bytea AS 'MODULE_PATHNAME', 'dtecert_group_counts_serialize'
LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dtecert.group_counts_deserialize(bytea, internal)
RETURNS internal AS 'MODULE_PATHNAME', 'dtecert_group_counts_deserialize'
LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dtecert.group_counts_final(internal)
RETURNS text[] AS 'MODULE_PATHNAME', 'dtecert_group_counts_final'
LANGUAGE C PARALLEL SAFE;

CREATE AGGREGATE dtecert.group_counts_agg(text[], bigint, boolean) (
	SFUNC = dtecert.group_counts_trans,
	STYPE = internal,
	COMBINEFUNC = dtecert.group_counts_combine,
	SERIALFUNC = dtecert.group_counts_serialize,
	DESERIALFUNC = dtecert.group_counts_deserialize,
	FINALFUNC = dtecert.group_counts_final,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE dtecert.group_counts_agg(text[], bigint, boolean) IS
	'per group key: tp, fp, tn, fn, missing, bad_label, then the key (a flat text[], in key order)';

/* ------------------------------------------------------------------------
 * dtecert.progress: the certifications running now, their phase and the
 * rows their scan has read (parallel workers included), for another session
 * to watch.  Fed through shared memory: empty without
 * shared_preload_libraries = 'dtecert'.
 */
CREATE FUNCTION dtecert.progress_rows(
	OUT pid integer,
	OUT dataset text,
	OUT phase text,
	OUT rows_scanned bigint,
	OUT rows_estimated bigint,
	OUT started_at timestamptz)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'dtecert_progress'
LANGUAGE C VOLATILE;

CREATE VIEW dtecert.progress AS
SELECT pid, dataset, phase, rows_scanned, rows_estimated, started_at
  FROM dtecert.progress_rows();
COMMENT ON VIEW dtecert.progress IS
	'certifications running now: phase, rows scanned of the estimate (needs shared_preload_libraries)';
GRANT SELECT ON dtecert.progress TO PUBLIC;
