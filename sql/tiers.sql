-- Risk tiers (DESIGN section 3): low needs schema and freshness (where
-- declared), medium adds the quality SLO and verified lineage.  The tier
-- says what a policy must declare; whatever it declares must pass.
CREATE SCHEMA tiers;
SET search_path = tiers, public;
CREATE TABLE src (id int PRIMARY KEY);
INSERT INTO src SELECT generate_series(1, 10);
CREATE TABLE t (id int NOT NULL, amount numeric, at timestamptz);
INSERT INTO t SELECT g, g * 10, now() - interval '1 hour' FROM generate_series(1, 10) g;

-- (certify's row is read back in a later statement: a query cannot see rows
-- that a function it calls inserts.)
CREATE FUNCTION verdict(policy text) RETURNS TABLE (
	status text, tier_required text, tier_achieved text, certified boolean,
	quality_score numeric, checks_passed int, checks_failed int, reason text)
LANGUAGE plpgsql AS $$
DECLARE
	id bigint;
BEGIN
	PERFORM dtecert.set_policy('tiers.t', policy);
	SELECT c.certificate_id INTO id FROM dtecert.certify('tiers.t') c;
	RETURN QUERY
		SELECT k.status, k.tier_required, k.tier_achieved, k.certified, k.quality_score,
			   k.checks_passed, k.checks_failed, k.reason
		  FROM dtecert.certificates k WHERE k.certificate_id = id;
END
$$;
CREATE FUNCTION last_certificate() RETURNS SETOF dtecert.certificates
LANGUAGE sql AS $$
	SELECT * FROM dtecert.certificates ORDER BY certificate_id DESC LIMIT 1
$$;

-- A tier-less policy is a plain quality gate: no tiers, every declared
-- criterion must pass.
SELECT * FROM verdict('checks: [{between: {column: amount, min: 0}}]');
SELECT * FROM verdict('checks: [{between: {column: amount, min: 50}}]');
SELECT * FROM verdict($$
min_score: 0.5
checks: [{between: {column: amount, min: 50}}, {not_null: amount}]$$);
-- declared-but-not-required criteria count: freshness in a tier-less policy
SELECT * FROM verdict($$
freshness: {column: at, max_age: 10 minutes}
checks: [{not_null: amount}]$$);

-- Low: schema and freshness where declared.
SELECT * FROM verdict($$
tier: low
schema: {columns: {id: {type: integer, nullable: false}, amount: {type: numeric}}}
freshness: {column: at, max_age: 1 day}$$);
SELECT * FROM verdict($$
tier: low
schema: {columns: {id: {type: bigint}}}$$);
SELECT * FROM verdict($$
tier: low
freshness: {column: at, max_age: 30 minutes}$$);
-- A low-tier policy that also declares checks needs them to meet the SLO,
-- though tier_achieved can still be low.
SELECT * FROM verdict($$
tier: low
freshness: {column: at, max_age: 1 day}
checks: [{between: {column: amount, max: 50}}]$$);
-- ...and passing checks with lineage lift tier_achieved above what is required
SELECT * FROM verdict($$
tier: low
checks: [{not_null: amount}]
lineage: {job: load_t, inputs: [tiers.src]}$$);

-- Medium: quality and lineage on top of low.
SELECT * FROM verdict($$
tier: medium
freshness: {column: at, max_age: 1 day}
checks: [{not_null: amount}, {between: {column: amount, min: 0, max: 100}}]
lineage: {job: load_t, inputs: [src, 's3://raw/t']}$$);
-- quality below the SLO: low achieved, not certified
SELECT * FROM verdict($$
tier: medium
min_score: 0.6
checks: [{not_null: amount}, {between: {column: amount, max: 50}}]
lineage: {job: load_t, inputs: [src]}$$);
-- the SLO is inclusive
SELECT * FROM verdict($$
tier: medium
min_score: 0.5
checks: [{not_null: amount}, {between: {column: amount, max: 50}}]
lineage: {job: load_t, inputs: [src]}$$);
-- warn checks are reported, not counted
SELECT * FROM verdict($$
tier: medium
checks: [{not_null: amount}, {between: {column: amount, max: 50, severity: warn}}]
lineage: {job: load_t, inputs: [src]}$$);
-- freshness failing at medium: nothing achieved
SELECT * FROM verdict($$
tier: medium
freshness: {column: at, max_age: 1 minute}
checks: [{not_null: amount}]
lineage: {job: load_t, inputs: [src]}$$);
-- lineage fails when an input no longer resolves
CREATE TABLE gone (id int);
SELECT dtecert.set_policy('tiers.t', $$
tier: medium
checks: [{not_null: amount}]
lineage: {job: load_t, inputs: [gone]}$$) AS version;
DROP TABLE gone;
SELECT status, tier_achieved, certified FROM dtecert.certify('tiers.t');
SELECT reason FROM last_certificate();
-- require_certified_inputs: src has no certificate yet, then it has one
SELECT * FROM verdict($$
tier: medium
checks: [{not_null: amount}]
lineage: {job: load_t, inputs: [src], require_certified_inputs: true}$$);
SELECT dtecert.set_policy('tiers.src', 'checks: [{not_null: id}]') AS version;
SELECT certified FROM dtecert.certify('tiers.src');
SELECT status, tier_achieved, certified FROM dtecert.certify('tiers.t');
SELECT r.observed FROM dtecert.check_results r
 WHERE r.kind = 'lineage'
   AND r.certificate_id = (SELECT max(certificate_id) FROM dtecert.certificates);

-- A failed critical check fails the certificate and leaves no tier.
SELECT * FROM verdict($$
tier: low
min_score: 0.5
checks: [{not_null: amount}, {between: {column: amount, max: 50, severity: critical}}]
lineage: {job: load_t, inputs: [src]}$$);
SELECT * FROM verdict($$
min_score: 0.5
checks: [{not_null: amount}, {between: {column: amount, max: 50, severity: critical}}]$$);
-- a critical check that passes changes nothing
SELECT * FROM verdict($$
tier: low
checks: [{not_null: {column: amount, severity: critical}}]$$);

-- Criteria appear in check_results (severity NULL) and do not count in the score.
SELECT * FROM verdict($$
tier: low
freshness: {column: at, max_age: 1 day}
checks: [{not_null: amount}, {not_null: {column: id, severity: warn}}]
lineage: {job: load_t, inputs: [src]}$$);
SELECT r.check_name, r.kind, r.severity, r.passed, r.proven_by
  FROM dtecert.check_results r
 WHERE r.certificate_id = (SELECT certificate_id FROM last_certificate())
 ORDER BY r.check_index;

-- valid_for sets valid_until; only a certified run gets one.
SELECT dtecert.set_policy('tiers.t', $$
valid_for: 90 minutes
checks: [{not_null: amount}]$$) AS version;
SELECT certified FROM dtecert.certify('tiers.t');
SELECT valid_until - issued_at AS lifetime FROM last_certificate();
SET dtecert.default_valid_for = '2 days';
SELECT dtecert.set_policy('tiers.t', 'checks: [{not_null: amount}]') AS version;
SELECT certified FROM dtecert.certify('tiers.t');
SELECT valid_until - issued_at AS lifetime FROM last_certificate();
RESET dtecert.default_valid_for;
SELECT dtecert.set_policy('tiers.t', 'checks: [{be_null: amount}]') AS version;
SELECT certified, valid_until IS NULL AS no_lifetime FROM dtecert.certify('tiers.t');

DROP SCHEMA tiers CASCADE;
