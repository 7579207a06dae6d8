-- Policies as code: set_policy, policy, drop_policy; every bad input refused
-- with a clear error and nothing stored.
CREATE SCHEMA policy_test;
SET search_path = policy_test, public;
CREATE TABLE orders (order_id bigint, status text, amount numeric, ordered_at timestamptz);
CREATE TABLE other (id int);

-- The same policy in YAML and in JSON normalises to the same document.
SELECT dtecert.set_policy('orders', $$
tier: low
checks:
  - not_null: order_id
  - accepted_values: {column: status, values: [pending, shipped, 'no', 01, 1.10]}
  - between: {column: amount, min: 0, max: 10000, mostly: 0.99}
$$) AS version;
SELECT dtecert.policy('orders') AS yaml_normalised \gset
SELECT dtecert.set_policy('orders', $${"checks": [{"not_null": {"column": "order_id"}},
  {"accepted_values": {"values": ["pending", "shipped", "no", "01", "1.10"], "column": "status"}},
  {"between": {"mostly": 0.99, "max": "10000", "min": 0, "column": "amount"}}], "tier": "low"}$$) AS version;
SELECT dtecert.policy('orders') = :'yaml_normalised'::jsonb AS same_normal_form;
-- values stay as written: no YAML 1.1 booleans or floats
SELECT dtecert.policy('orders') -> 'checks' -> 1 -> 'accepted_values' -> 'values' AS values_as_written;
SELECT dataset, version, set_by, spec IS NOT NULL AS has_spec, length(sha256) AS sha_len,
       source LIKE '%"tier": "low"%' AS source_kept
  FROM dtecert.policies WHERE dataset = 'policy_test.orders' ORDER BY version;
-- identical normal forms hash the same
SELECT count(DISTINCT sha256) FROM dtecert.policies WHERE dataset = 'policy_test.orders';

-- The dataset key must name the same relation.
SELECT dtecert.set_policy('orders', $$dataset: policy_test.orders
checks: [{not_null: order_id}]$$) AS version;
SELECT dtecert.set_policy('orders', $$dataset: orders
checks: [{not_null: order_id}]$$) AS version;
SELECT dtecert.set_policy('orders', $$dataset: policy_test.other
checks: [{not_null: order_id}]$$);
SELECT dtecert.set_policy('orders', $$dataset: nowhere.orders
checks: [{not_null: order_id}]$$);

-- A trailing comment in an expression cannot swallow the generated SQL.
SELECT dtecert.set_policy('orders', $$checks: [{not_null: {column: order_id, where: 'amount > 0 --'}}, {not_null: status}]$$) AS version_with_comment;

-- Bad input.  After all of these, the version count is unchanged.
SELECT count(*) AS versions_before FROM dtecert.policies WHERE dataset = 'policy_test.orders' \gset
SELECT dtecert.set_policy(NULL, 'checks: []');
SELECT dtecert.set_policy('orders', NULL);
SELECT dtecert.set_policy('no_such_table', 'checks: [{not_null: a}]');
SELECT dtecert.set_policy('orders', '');
SELECT dtecert.set_policy('orders', 'checks: [not_null: order_id');
SELECT dtecert.set_policy('orders', '{"checks": [}');
SELECT dtecert.set_policy('orders', $$checks:
  - not_null: order_id
    unique: order_id
  bad indentation$$);
SELECT dtecert.set_policy('orders', $$tier: low
tier: medium
checks: [{not_null: order_id}]$$);
SELECT dtecert.set_policy('orders', 'checks: [{bogus: order_id}]');
SELECT dtecert.set_policy('orders', 'checks: [{not_null: {column: order_id, colour: red}}]');
SELECT dtecert.set_policy('orders', 'colour: red');
SELECT dtecert.set_policy('orders', 'checks: [{not_null: nope}]');
SELECT dtecert.set_policy('orders', 'checks: [{between: {column: amount, min: zero}}]');
SELECT dtecert.set_policy('orders', 'checks: [{between: {column: amount, min: 5, max: 1}}]');
SELECT dtecert.set_policy('orders', 'checks: [{between: {column: amount}}]');
SELECT dtecert.set_policy('orders', 'checks: [{rejected_values: {column: status, values: []}}]');
SELECT dtecert.set_policy('orders', 'checks: [{not_null: {column: order_id, mostly: 0}}]');
SELECT dtecert.set_policy('orders', 'checks: [{not_null: {column: order_id, mostly: 1.5}}]');
SELECT dtecert.set_policy('orders', 'checks: [{not_null: {column: order_id, mostly: lots}}]');
SELECT dtecert.set_policy('orders', 'checks: [{not_null: {column: order_id, severity: fatal}}]');
SELECT dtecert.set_policy('orders', $$checks: [{matches: {column: status, regex: '(unclosed'}}]$$);
SELECT dtecert.set_policy('orders', $$checks: [{sql: {name: x, failing_rows: 'true; drop table policy_test.other'}}]$$);
SELECT dtecert.set_policy('orders', $$checks: [{sql: {name: x, failing_rows: 'amount'}}]$$);
SELECT dtecert.set_policy('orders', $$checks: [{sql: {name: x, failing_rows: 'amount < 0) OR (true'}}]$$);
SELECT dtecert.set_policy('orders', $$checks: [{sql: {name: x, failing_rows: 'true FROM pg_authid'}}]$$);
SELECT dtecert.set_policy('orders', $$checks: [{sql: {name: x, failing_rows: 'count(*) > 1'}}]$$);
SELECT dtecert.set_policy('orders', $$checks: [{sql: {name: x, failing_rows: 'no_such_column > 1'}}]$$);
SELECT dtecert.set_policy('orders', $$checks: [{not_null: {column: order_id, where: 'amount > 0; select 1'}}]$$);
SELECT dtecert.set_policy('orders', $$checks: [{not_null: {column: order_id, where: '*'}}]$$);
SELECT dtecert.set_policy('orders', 'tier: platinum
checks: [{not_null: order_id}]');
SELECT dtecert.set_policy('orders', 'tier: medium
checks: [{not_null: order_id}]');
SELECT dtecert.set_policy('orders', 'tier: high
checks: [{not_null: order_id}]
lineage: {job: j, inputs: []}');
SELECT dtecert.set_policy('orders', 'checks: [{not_null: {column: order_id, severity: warn}}]');
SELECT dtecert.set_policy('orders', 'checks: [{sql: {name: schema, failing_rows: "false"}}]');
SELECT dtecert.set_policy('orders', 'checks: [{not_null: order_id}, {not_null: order_id}]');
SELECT dtecert.set_policy('orders', 'valid_for: forever
checks: [{not_null: order_id}]');
SELECT dtecert.set_policy('orders', 'valid_for: -1 day
checks: [{not_null: order_id}]');
SELECT dtecert.set_policy('orders', 'freshness: {column: status, max_age: 1 day}');
SELECT dtecert.set_policy('orders', 'schema: {columns: {order_id: {type: no_such_type}}}');
SELECT dtecert.set_policy('orders', 'schema: {columns: {nope: {type: int}}}');
SELECT dtecert.set_policy('orders', 'lineage: {job: j, inputs: [policy_test.nope]}');
SELECT dtecert.set_policy('orders', 'lineage: {job: j, inputs: [/name]}');
SELECT dtecert.set_policy('orders', 'checks: [{references: {column: order_id, table: nope, to: id}}]');
SELECT dtecert.set_policy('orders', 'checks: [{references: {column: order_id, table: other, to: nope}}]');
-- a YAML alias bomb and deep nesting are refused quickly
SELECT dtecert.set_policy('orders', $$
a: &a ["x","x","x","x","x","x","x","x","x"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
$$);
SELECT dtecert.set_policy('orders', repeat('[', 200) || repeat(']', 200));
SELECT dtecert.set_policy('orders', 'checks: [{not_null: order_id}]' || repeat(' ', 17 * 1024 * 1024));
SELECT count(*) = :versions_before AS nothing_stored
  FROM dtecert.policies WHERE dataset = 'policy_test.orders';

-- The SQLSTATEs, for scripts that branch on them.
SELECT sqlstate_of($$SELECT dtecert.set_policy('orders', 'checks: [{bogus: x}]')$$) AS bad_field,
       sqlstate_of($$SELECT dtecert.set_policy('orders', '[')$$) AS bad_syntax,
       sqlstate_of($$SELECT dtecert.set_policy('no_such_table', 'checks: []')$$) AS unknown_table,
       sqlstate_of($$SELECT dtecert.set_policy(NULL, 'checks: []')$$) AS null_arg,
       sqlstate_of($$SELECT dtecert.set_policy('orders', repeat('[', 200))$$) AS too_deep,
       sqlstate_of($$SELECT dtecert.set_policy('orders', 'robustness: {baseline: other, columns: [order_id], psi_max: 1}')$$) AS unsupported;

-- Only the owner (or a member of the owning role, or a superuser) sets or drops.
CREATE ROLE regress_dtecert_stranger;
CREATE ROLE regress_dtecert_owners;
CREATE ROLE regress_dtecert_member IN ROLE regress_dtecert_owners;
GRANT USAGE ON SCHEMA policy_test TO regress_dtecert_stranger, regress_dtecert_member;
GRANT SELECT ON orders TO regress_dtecert_stranger;
CREATE TABLE team_table (id int);
ALTER TABLE team_table OWNER TO regress_dtecert_owners;
SET ROLE regress_dtecert_stranger;
SELECT dtecert.set_policy('orders', 'checks: [{not_null: order_id}]');
SELECT sqlstate_of($$SELECT dtecert.set_policy('orders', 'checks: [{not_null: order_id}]')$$) AS not_owner;
SELECT dtecert.drop_policy('orders');
INSERT INTO dtecert.policies VALUES ('policy_test.orders', 99, 0, '{}', '', '', '', now());
RESET ROLE;
SET ROLE regress_dtecert_member;
SELECT dtecert.set_policy('team_table', 'checks: [{not_null: id}]') AS member_may_set;
RESET ROLE;
SELECT count(*) = :versions_before AS nothing_stored
  FROM dtecert.policies WHERE dataset = 'policy_test.orders';

-- drop_policy appends a tombstone version; the next set continues the count.
SELECT dtecert.drop_policy('orders');
SELECT dtecert.policy('orders') IS NULL AS no_policy;
SELECT dtecert.drop_policy('orders');
SELECT dtecert.certify('orders');
SELECT dtecert.set_policy('orders', 'checks: [{not_null: order_id}]') AS version_after_drop;
SELECT version, spec IS NULL AS dropped FROM dtecert.policies
 WHERE dataset = 'policy_test.orders' ORDER BY version;
SELECT dtecert.drop_policy(NULL);

DROP TABLE team_table;
REVOKE ALL ON SCHEMA policy_test FROM regress_dtecert_member;
DROP ROLE regress_dtecert_member;
DROP ROLE regress_dtecert_owners;
REVOKE ALL ON SCHEMA policy_test FROM regress_dtecert_stranger;
REVOKE ALL ON orders FROM regress_dtecert_stranger;
DROP ROLE regress_dtecert_stranger;
DROP SCHEMA policy_test CASCADE;
