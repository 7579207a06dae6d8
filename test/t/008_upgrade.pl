# ALTER EXTENSION dtecert UPDATE from 0.1.0 (the released version) on a
# database holding 0.1.0 history:
#
#  - with the new library installed and the old objects, dtecert refuses
#    to certify and says how to update (it would write columns that do not
#    exist yet);
#  - the update keeps every row, and the history reads as before;
#  - the updated database has exactly the objects of a fresh install;
#  - certify, due(), revoke and the DDL triggers then work.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('upgrade');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'dtecert'\n");
$node->start;

my $current = $node->safe_psql('postgres',
	q{SELECT default_version FROM pg_available_extensions WHERE name = 'dtecert'});

$node->safe_psql('postgres', 'CREATE DATABASE old');
$node->safe_psql('postgres', 'CREATE DATABASE fresh');
$node->safe_psql(
	'old', q{
CREATE EXTENSION dtecert VERSION '0.1.0';
CREATE TABLE public.orders (id int PRIMARY KEY, amount numeric);
INSERT INTO public.orders SELECT g, g FROM generate_series(1, 100) g;
});
is($node->safe_psql('old', q{SELECT extversion FROM pg_extension WHERE extname = 'dtecert'}),
	'0.1.0', 'the old database is at 0.1.0');

my ($ret, $stdout, $stderr) = $node->psql('old',
	q{SELECT dtecert.set_policy('public.orders', 'checks: [{not_null: id}]')});
like($stderr, qr/objects in this database are at version 0\.1\.0, its library at \Q$current\E/,
	'the new library refuses to work on 0.1.0 objects');
like($stderr, qr/HINT:  Run ALTER EXTENSION dtecert UPDATE/, '... and says how to update');

# History as 0.1.0 wrote it (its library is not installed here, so the rows
# are written the way its certify() wrote them).
$node->safe_psql(
	'old', q{
INSERT INTO dtecert.policies (dataset, version, relation_oid, spec, source, sha256, set_by, set_at)
VALUES ('public.orders', 1, 'public.orders'::regclass,
        '{"checks": [{"not_null": {"name": "not_null(id)", "column": "id", "severity": "error"}}]}',
        'checks: [{not_null: id}]', 'abc', 'postgres', now() - interval '1 day');
INSERT INTO dtecert.certificates (dataset, relation_oid, policy_version, issued_at, valid_until,
        certified, quality_score, checks_passed, status, issued_by, profile)
VALUES ('public.orders', 'public.orders'::regclass, 1, now() - interval '1 hour',
        now() + interval '6 days', true, 1, 1, 'certified', 'postgres', '{"row_count": 100}');
INSERT INTO dtecert.check_results (certificate_id, check_index, check_name, kind, column_name,
        severity, passed, element_count, unexpected_count)
SELECT max(certificate_id), 1, 'not_null(id)', 'not_null', 'id', 'error', true, 100, 0
  FROM dtecert.certificates;
});
my $rows_sql = q{
SELECT (SELECT count(*) FROM dtecert.policies) || ' ' ||
       (SELECT count(*) FROM dtecert.certificates) || ' ' ||
       (SELECT count(*) FROM dtecert.check_results) || ' ' ||
       (SELECT string_agg(status, ',') FROM dtecert.status)};
my $before = $node->safe_psql('old', $rows_sql);
is($before, '1 1 1 certified', 'the 0.1.0 history reads certified');

$node->safe_psql('old', 'ALTER EXTENSION dtecert UPDATE');
is($node->safe_psql('old', q{SELECT extversion FROM pg_extension WHERE extname = 'dtecert'}),
	$current, "updated to $current");
is($node->safe_psql('old', $rows_sql), $before, 'every row is kept and reads the same');

# The updated objects are those of a fresh install: members, function
# bodies, columns, constraints, indexes, views and privileges.
$node->safe_psql('fresh', 'CREATE EXTENSION dtecert');
my $catalog_sql = q{
SELECT string_agg(x, E'\n' ORDER BY x) FROM (
	SELECT 'member ' || pg_describe_object(d.classid, d.objid, 0) AS x
	  FROM pg_depend d JOIN pg_extension e ON d.refobjid = e.oid
	 WHERE e.extname = 'dtecert' AND d.deptype = 'e'
	UNION ALL
	SELECT 'function ' || p.oid::regprocedure || ' ' || md5(pg_get_functiondef(p.oid))
	  FROM pg_proc p WHERE p.pronamespace = 'dtecert'::regnamespace AND p.prokind <> 'a'
	UNION ALL
	SELECT 'column ' || c.relname || '.' || a.attnum || ' ' || a.attname || ' '
		   || format_type(a.atttypid, a.atttypmod) || ' ' || a.attnotnull || ' '
		   || coalesce(pg_get_expr(ad.adbin, ad.adrelid), '')
	  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
	  LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
	 WHERE c.relnamespace = 'dtecert'::regnamespace AND a.attnum > 0 AND NOT a.attisdropped
	UNION ALL
	SELECT 'constraint ' || conrelid::regclass || ' ' || pg_get_constraintdef(oid)
	  FROM pg_constraint WHERE connamespace = 'dtecert'::regnamespace
	UNION ALL
	SELECT 'index ' || pg_get_indexdef(i.indexrelid)
	  FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
	 WHERE c.relnamespace = 'dtecert'::regnamespace
	UNION ALL
	SELECT 'relation ' || c.relname || ' ' || c.relkind::text || ' ' || coalesce(c.relacl::text, '')
		   || ' ' || coalesce(array_to_string(c.reloptions, ','), '')
		   || ' ' || coalesce(md5(pg_get_viewdef(c.oid)), '')
	  FROM pg_class c WHERE c.relnamespace = 'dtecert'::regnamespace
	UNION ALL
	SELECT 'event trigger ' || evtname || ' ' || evtevent || ' ' || evtenabled::text
	  FROM pg_event_trigger
) s};
my $updated = $node->safe_psql('old', $catalog_sql);
like($updated, qr/member function dtecert\.due\(regclass\)/, 'the catalog listing is complete');
is($updated, $node->safe_psql('fresh', $catalog_sql),
	'the updated database has exactly the objects of a fresh install');

# Everything works on the updated database.
is($node->safe_psql('old', q{SELECT why FROM dtecert.due()}), 'recorded without change digests (dtecert 0.1.0)',
	'a 0.1.0 certificate (no change digests) is due once');
is($node->safe_psql('old', q{SELECT status FROM dtecert.certify('public.orders')}),
	'certified', 'certify works after the update');
$node->safe_psql('old', 'SELECT pg_stat_force_next_flush()');
$node->safe_psql('old', 'ALTER TABLE public.orders ADD COLUMN note text');
is($node->safe_psql('old', q{SELECT status FROM dtecert.status}), 'revoked',
	'the DDL trigger revokes after the update');
$node->command_ok([ 'pg_dump', '-Fc', '-f', "$PostgreSQL::Test::Utils::tmp_check/old.dump", '-d', $node->connstr('old') ],
	'the updated database dumps');

done_testing();
