# dtecert's tables and sequences are marked for pg_dump (DESIGN section 9):
# a dump and restore keeps the policies, certificates and check results row
# for row, the certificate sequence continues, and dtecert.status reads the
# same.  DROP EXTENSION removes every object the extension created.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('dump');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'dtecert'\n");
$node->start;

$node->safe_psql('postgres', 'CREATE DATABASE src');
$node->safe_psql(
	'src', q{
CREATE EXTENSION dtecert;
CREATE TABLE public.orders (
	order_id bigint PRIMARY KEY,
	status text,
	amount numeric,
	ordered_at timestamptz NOT NULL DEFAULT pg_catalog.now());
INSERT INTO public.orders (order_id, status, amount)
SELECT g, (ARRAY['pending', 'shipped', 'delivered'])[g % 3 + 1], g % 500
  FROM pg_catalog.generate_series(1, 1000) g;
SELECT dtecert.set_policy('public.orders', $$
tier: low
valid_for: 30 days
freshness: {column: ordered_at, max_age: 1 day}
checks:
  - not_null: order_id
  - unique: order_id
  - accepted_values: {column: status, values: [pending, shipped, delivered]}
  - between: {column: amount, min: 0, max: 100}
  - row_count: {min: 1}
$$);
-- a second policy version, a dropped dataset's policy, and a failing and a
-- passing certificate, so that every column and both verdicts are dumped
SELECT dtecert.certify('public.orders', 'v1');
SELECT dtecert.set_policy('public.orders', $$
tier: low
valid_for: 30 days
checks:
  - not_null: order_id
  - between: {column: amount, min: 0, max: 100}
$$);
SELECT dtecert.waive('public.orders', 'between(amount)', 'restored with the dump',
                     'auditor', pg_catalog.now() + interval '30 days');
SELECT dtecert.certify('public.orders', 'v2');
SELECT 1 / pg_catalog.count(*)::int FROM dtecert.check_results WHERE waiver_id IS NOT NULL;
CREATE TABLE public.gone (id integer);
SELECT dtecert.set_policy('public.gone', '{"checks": [{"not_null": "id"}]}');
SELECT dtecert.drop_policy('public.gone');
});

# A digest of every row of the extension's tables, in primary-key order.
my %digest_sql = (
	policies => q{SELECT pg_catalog.count(*) || ':' || pg_catalog.md5(pg_catalog.string_agg(t::text, E'\n' ORDER BY dataset, version)) FROM dtecert.policies t},
	certificates => q{SELECT pg_catalog.count(*) || ':' || pg_catalog.md5(pg_catalog.string_agg(t::text, E'\n' ORDER BY certificate_id)) FROM dtecert.certificates t},
	check_results => q{SELECT pg_catalog.count(*) || ':' || pg_catalog.md5(pg_catalog.string_agg(t::text, E'\n' ORDER BY certificate_id, check_name)) FROM dtecert.check_results t},
	check_samples => q{SELECT pg_catalog.count(*) || ':' || pg_catalog.md5(pg_catalog.string_agg(t::text, E'\n' ORDER BY certificate_id, check_name, ordinal)) FROM dtecert.check_samples t},
	waivers => q{SELECT pg_catalog.count(*) || ':' || pg_catalog.md5(pg_catalog.string_agg(t::text, E'\n' ORDER BY waiver_id)) FROM dtecert.waivers t},
	status => q{SELECT pg_catalog.count(*) || ':' || pg_catalog.string_agg(t::text, E'\n' ORDER BY dataset) FROM dtecert.status t},
);
my @tables = qw(policies certificates check_results check_samples waivers);

my %before = map { $_ => $node->safe_psql('src', $digest_sql{$_}) } keys %digest_sql;
like($before{policies}, qr/^4:/, 'source: four policy versions');
like($before{certificates}, qr/^2:/, 'source: two certificates');
like($before{check_results}, qr/^(\d+):/, 'source: check results');
is( $node->safe_psql(
		'src', q{SELECT pg_catalog.string_agg(status, ',' ORDER BY certificate_id) FROM dtecert.certificates}),
	'failed,certified', 'source: a failed and a certified certificate');
like($before{status}, qr/^1:.*certified/, 'source: status reads certified');
my $max_id = $node->safe_psql('src', 'SELECT pg_catalog.max(certificate_id) FROM dtecert.certificates');

# The extension's data tables and sequence are all marked for dumping.
is( $node->safe_psql(
		'src', q{
SELECT pg_catalog.string_agg(c::pg_catalog.regclass::text, ',' ORDER BY c::pg_catalog.regclass::text)
  FROM pg_catalog.pg_extension e, pg_catalog.unnest(e.extconfig) c
 WHERE e.extname = 'dtecert'}),
	'dtecert.certificates,dtecert.certificates_certificate_id_seq,dtecert.check_results,dtecert.check_samples,dtecert.lineage_outbox,dtecert.lineage_outbox_event_id_seq,dtecert.policies,dtecert.waivers,dtecert.waivers_waiver_id_seq',
	'pg_extension.extconfig lists every table and sequence');
is( $node->safe_psql(
		'src', q{
SELECT pg_catalog.string_agg(c.oid::pg_catalog.regclass::text, ',')
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
                             AND d.objid = c.oid AND d.deptype = 'e'
  JOIN pg_catalog.pg_extension e ON d.refobjid = e.oid AND e.extname = 'dtecert'
 WHERE c.relkind IN ('r', 'p', 'S')
   AND c.oid <> ALL (e.extconfig)}),
	'', 'no table or sequence of the extension is left out of extconfig');

###########################################################################
# dump, restore into a new database
###########################################################################

my $dump = "${PostgreSQL::Test::Utils::tmp_check}/src.dump";
$node->command_ok([ 'pg_dump', '-Fc', '-f', $dump, '-d', $node->connstr('src') ],
	'pg_dump -Fc');
$node->safe_psql('postgres', 'CREATE DATABASE restored');
$node->command_ok(
	[ 'pg_restore', '--exit-on-error', '-d', $node->connstr('restored'), $dump ],
	'pg_restore');

for my $t (@tables)
{
	is($node->safe_psql('restored', $digest_sql{$t}), $before{$t},
		"restored: dtecert.$t has the same rows");
}
# Revocation is recorded by the DDL event triggers, not read from OIDs, so a
# restore (which gives every table a new OID) leaves certificates valid.
is($node->safe_psql('restored', $digest_sql{status}), $before{status},
	'restored: dtecert.status reads the same');
is($node->safe_psql('restored', q{SELECT dtecert.is_certified('public.orders')}),
	't', 'restored: the dataset is still certified');
# ... but the restored table's files are new: it is due for re-certification
like($node->safe_psql('restored', q{SELECT why FROM dtecert.due('public.orders')}),
	qr/relation replaced|data rewritten/, 'restored: due() lists it for re-certification');

# The sequence continues where it was: the next certificate is max + 1.
my $next = $node->safe_psql('restored',
	q{SELECT certificate_id FROM dtecert.certify('public.orders', 'after restore')});
is($next, $max_id + 1, 'restored: the next certificate_id is max + 1');
is( $node->safe_psql(
		'restored', q{SELECT status FROM dtecert.status WHERE dataset = 'public.orders'}),
	'certified', 'restored: a new certificate reads certified');

# The dump of the restored database restores again (extension membership
# survives a restore, so no object is dumped twice).
my $dump2 = "${PostgreSQL::Test::Utils::tmp_check}/restored.dump";
$node->command_ok([ 'pg_dump', '-Fc', '-f', $dump2, '-d', $node->connstr('restored') ],
	'pg_dump of the restored database');
$node->safe_psql('postgres', 'CREATE DATABASE restored2');
$node->command_ok(
	[ 'pg_restore', '--exit-on-error', '-d', $node->connstr('restored2'), $dump2 ],
	'pg_restore of that dump');
is($node->safe_psql('restored2', $digest_sql{certificates}),
	$node->safe_psql('restored', $digest_sql{certificates}),
	'restored twice: dtecert.certificates has the same rows');

###########################################################################
# DROP EXTENSION removes everything it created
###########################################################################

my $extoid = $node->safe_psql('src', q{SELECT oid FROM pg_catalog.pg_extension WHERE extname = 'dtecert'});
my $members = $node->safe_psql('src',
	"SELECT pg_catalog.count(*) FROM pg_catalog.pg_depend WHERE refobjid = $extoid AND deptype = 'e'");
cmp_ok($members, '>', 0, 'the extension has member objects');
my $schema_member = $node->safe_psql(
	'src', qq{
SELECT pg_catalog.count(*) FROM pg_catalog.pg_depend
 WHERE classid = 'pg_catalog.pg_namespace'::pg_catalog.regclass
   AND objid = 'dtecert'::pg_catalog.regnamespace
   AND refobjid = $extoid AND deptype = 'e'});
note "schema dtecert is a member of the extension: $schema_member";

$node->safe_psql('src', 'DROP EXTENSION dtecert');

is( $node->safe_psql(
		'src', q{
SELECT pg_catalog.count(*) FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'dtecert'}),
	'0', 'DROP EXTENSION: no relation is left in schema dtecert');
is( $node->safe_psql(
		'src', q{
SELECT pg_catalog.count(*) FROM pg_catalog.pg_proc p
  JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = 'dtecert'}),
	'0', 'DROP EXTENSION: no function is left in schema dtecert');
is( $node->safe_psql(
		'src', q{
SELECT pg_catalog.count(*) FROM pg_catalog.pg_type t
  JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
 WHERE n.nspname = 'dtecert'}),
	'0', 'DROP EXTENSION: no type is left in schema dtecert');
is($node->safe_psql('src', "SELECT pg_catalog.count(*) FROM pg_catalog.pg_depend WHERE refobjid = $extoid"),
	'0', 'DROP EXTENSION: nothing depends on the extension any more');
# The control file's "schema = dtecert" makes CREATE EXTENSION create the
# schema, but PostgreSQL does not make such a schema a member of the
# extension (the extension depends on it instead), so DROP EXTENSION leaves it
# behind.  Whatever happens to the schema, nothing may be left in it.
my $schema_left = $node->safe_psql('src',
	q{SELECT pg_catalog.count(*) FROM pg_catalog.pg_namespace WHERE nspname = 'dtecert'});
note "schema dtecert after DROP EXTENSION: "
  . ($schema_left ? 'still there' : 'gone');
is( $node->safe_psql(
		'src', q{
SELECT pg_catalog.count(*) FROM pg_catalog.pg_depend d
  JOIN pg_catalog.pg_namespace n ON d.refclassid = 'pg_catalog.pg_namespace'::pg_catalog.regclass
                                AND d.refobjid = n.oid
 WHERE n.nspname = 'dtecert'}),
	'0', 'DROP EXTENSION: schema dtecert, if left, is empty');
is($node->safe_psql('src', q{SELECT pg_catalog.to_regclass('public.orders') IS NOT NULL}),
	't', 'DROP EXTENSION: the certified table itself is untouched');

# And it installs again from scratch, with an empty history.
$node->safe_psql('src', 'CREATE EXTENSION dtecert');
is($node->safe_psql('src', 'SELECT pg_catalog.count(*) FROM dtecert.certificates'),
	'0', 'CREATE EXTENSION again: an empty history');

$node->stop;
done_testing();
