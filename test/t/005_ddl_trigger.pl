# Revocation at DDL time never stands in anyone's way (DESIGN section 4):
#
#  a. DDL does not wait when another session holds dtecert's tables: it goes
#     ahead at once with a WARNING (a session merely writing them, as a
#     certification does, blocks nothing, and the DDL revokes as usual);
#  b. DDL goes ahead with a WARNING when dtecert's tables are broken (a
#     superuser renamed a column), and revokes again once they are whole;
#  c. a pg_dump/pg_restore round trip revokes nothing: the certificates are
#     restored in the data section, after the pre-data DDL, and the post-data
#     DDL (indexes, constraints, a view filled in after its placeholder) is
#     not of a revoking kind;
#  d. DROP EXTENSION dtecert works with the triggers in place.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);

my $node = PostgreSQL::Test::Cluster->new('ddl_trigger');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'dtecert'\n");
$node->start;

$node->safe_psql(
	'postgres', q{
CREATE EXTENSION dtecert;
CREATE TABLE public.t (id integer PRIMARY KEY, v integer NOT NULL);
INSERT INTO public.t SELECT g, g FROM pg_catalog.generate_series(1, 100) g;
CREATE TABLE public.other (id integer);
INSERT INTO public.other VALUES (1);
SELECT dtecert.set_policy('public.t',
	'{"checks": [{"not_null": "v"}, {"unique": "id"}, {"row_count": {"min": 1}}]}');
SELECT dtecert.set_policy('public.other', '{"checks": [{"row_count": {"min": 1}}]}');
});

sub certify
{
	my ($db, $dataset) = @_;
	is($node->safe_psql($db, "SELECT status FROM dtecert.certify('$dataset')"),
		'certified', "$dataset certified");
}

sub status
{
	my ($db, $dataset) = @_;
	return $node->safe_psql($db,
		"SELECT status || ': ' || coalesce(reason, '') FROM dtecert.status WHERE dataset = '$dataset'"
	);
}

# Run DDL in a new session that would fail rather than hang if it waited on
# a lock; return its exit code, stderr and how long it took.
sub ddl
{
	my ($sql) = @_;
	my $t0 = time;
	my ($ret, $stdout, $stderr) = $node->psql(
		'postgres', "SET statement_timeout = '20s';\n$sql",
		on_error_stop => 1,
		timeout => 60);
	return ($ret, $stderr, time - $t0);
}

###########################################################################
# a. dtecert's tables held by another session
###########################################################################

certify('postgres', 'public.t');

for my $table (qw(dtecert.certificates dtecert.check_results))
{
	my $holder = $node->background_psql('postgres', on_error_stop => 0);
	$holder->query_safe("BEGIN; LOCK TABLE $table IN ACCESS EXCLUSIVE MODE");

	my ($ret, $err, $elapsed) = ddl('ALTER TABLE public.t ADD COLUMN held integer');
	is($ret, 0, "$table locked: ALTER TABLE succeeds");
	cmp_ok($elapsed, '<', 15, "$table locked: ALTER TABLE did not wait");
	like($err,
		qr/WARNING:  dtecert could not revoke certificates after ALTER TABLE: \Q$table\E is locked by another session/,
		"$table locked: ALTER TABLE warns");
	like($err, qr/HINT:  The ALTER TABLE went ahead/, "$table locked: with a hint");

	($ret, $err, $elapsed) = ddl('DROP TABLE public.other');
	is($ret, 0, "$table locked: DROP TABLE succeeds");
	cmp_ok($elapsed, '<', 15, "$table locked: DROP TABLE did not wait");
	like($err, qr/WARNING:  dtecert could not revoke certificates after DROP TABLE/,
		"$table locked: DROP TABLE warns");

	# DDL that cannot revoke does not touch dtecert's tables at all
	($ret, $err, $elapsed) = ddl(
		q{COMMENT ON TABLE public.t IS 'held';
CREATE INDEX t_v ON public.t (v);
ALTER TABLE public.t ALTER COLUMN v SET STATISTICS 200;
GRANT SELECT ON public.t TO PUBLIC;
CREATE TABLE public.unrelated (id integer);
DROP INDEX public.t_v;
ALTER TABLE public.t ADD CONSTRAINT positive CHECK (v > 0);
ALTER TABLE public.t DROP CONSTRAINT positive;});
	is($ret, 0, "$table locked: harmless DDL succeeds");
	is($err, '', "$table locked: harmless DDL does not warn");
	cmp_ok($elapsed, '<', 15, "$table locked: harmless DDL did not wait");

	$holder->query_safe('COMMIT');
	$holder->quit;

	is($node->safe_psql('postgres',
			q{SELECT pg_catalog.count(*) FROM pg_catalog.pg_attribute
			   WHERE attrelid = 'public.t'::pg_catalog.regclass AND attname = 'held'}),
		'1', "$table locked: the column was added");
	is(status('postgres', 'public.t'), 'certified: ',
		"$table locked: no revocation was recorded");
	$node->safe_psql('postgres', q{
ALTER TABLE public.t DROP COLUMN held;
DROP TABLE public.unrelated;
CREATE TABLE public.other (id integer);
INSERT INTO public.other VALUES (1);});
	certify('postgres', 'public.t');
}

# A session writing dtecert's tables (a certification not yet committed)
# holds them in ROW EXCLUSIVE mode: no conflict, the DDL revokes.
{
	my $writer = $node->background_psql('postgres', on_error_stop => 0);
	$writer->query_safe(
		q{BEGIN; SELECT status FROM dtecert.certify('public.other')});
	my ($ret, $err, $elapsed) = ddl('ALTER TABLE public.t ADD COLUMN w integer');
	is($ret, 0, 'certification in progress: ALTER TABLE succeeds');
	is($err, '', 'certification in progress: no warning');
	cmp_ok($elapsed, '<', 15, 'certification in progress: ALTER TABLE did not wait');
	is(status('postgres', 'public.t'), 'revoked: column "w" added',
		'certification in progress: the certificate was revoked');
	$writer->query_safe('COMMIT');
	$writer->quit;
	$node->safe_psql('postgres', 'ALTER TABLE public.t DROP COLUMN w');
	certify('postgres', 'public.t');
}

###########################################################################
# b. dtecert's tables broken
###########################################################################

{
	$node->safe_psql('postgres',
		'ALTER TABLE dtecert.check_results RENAME COLUMN proven_by TO proven_by_renamed');
	my ($ret, $err) = ddl('ALTER TABLE public.t ALTER COLUMN v DROP NOT NULL');
	is($ret, 0, 'check_results broken: DROP NOT NULL succeeds');
	like($err,
		qr/WARNING:  dtecert could not revoke certificates after ALTER TABLE: column r\.proven_by does not exist/,
		'check_results broken: it warns');
	$node->safe_psql('postgres',
		'ALTER TABLE dtecert.check_results RENAME COLUMN proven_by_renamed TO proven_by');
	is($node->safe_psql('postgres',
			q{SELECT attnotnull FROM pg_catalog.pg_attribute
			   WHERE attrelid = 'public.t'::pg_catalog.regclass AND attname = 'v'}),
		'f', 'check_results broken: the NOT NULL was dropped');
	is(status('postgres', 'public.t'), 'certified: ',
		'check_results broken: nothing was recorded');

	$node->safe_psql('postgres', 'ALTER TABLE public.t ALTER COLUMN v SET NOT NULL');
	certify('postgres', 'public.t');
	$node->safe_psql('postgres',
		'ALTER TABLE dtecert.certificates RENAME COLUMN status TO status_renamed');
	($ret, $err) = ddl('ALTER TABLE public.t RENAME COLUMN v TO "V"');
	is($ret, 0, 'certificates broken: RENAME COLUMN succeeds');
	like($err,
		qr/WARNING:  dtecert could not revoke certificates after ALTER TABLE: column c\.status does not exist/,
		'certificates broken: it warns');
	$node->safe_psql('postgres',
		'ALTER TABLE dtecert.certificates RENAME COLUMN status_renamed TO status');
	is(status('postgres', 'public.t'), 'certified: ',
		'certificates broken: nothing was recorded');

	# whole again: DDL revokes as before
	($ret, $err) = ddl('ALTER TABLE public.t RENAME COLUMN "V" TO v');
	is($err, '', 'repaired: no warning');
	is(status('postgres', 'public.t'), 'revoked: column "V" renamed to "v"',
		'repaired: the DDL revokes again');
}

###########################################################################
# c. pg_dump / pg_restore revoke nothing
###########################################################################

$node->safe_psql('postgres', 'CREATE DATABASE src');
$node->safe_psql(
	'src', q{
CREATE EXTENSION dtecert;
CREATE SCHEMA "Sales ✓";
CREATE TABLE "Sales ✓".customers (id integer PRIMARY KEY);
INSERT INTO "Sales ✓".customers VALUES (1), (2);
CREATE TABLE "Sales ✓"."Orders" (
	id integer PRIMARY KEY,
	code text UNIQUE,
	amount numeric NOT NULL,
	customer integer REFERENCES "Sales ✓".customers);
CREATE UNIQUE INDEX orders_by_amount ON "Sales ✓"."Orders" (amount);
INSERT INTO "Sales ✓"."Orders" VALUES (1, 'a', 10, 1), (2, 'b', 20, 2);
-- a partitioned table: pg_dump attaches its partitions in pre-data DDL
CREATE TABLE "Sales ✓".sales (y integer, amount numeric) PARTITION BY RANGE (y);
CREATE TABLE "Sales ✓".sales_2024 PARTITION OF "Sales ✓".sales FOR VALUES FROM (2024) TO (2025);
INSERT INTO "Sales ✓".sales VALUES (2024, 1);
-- a view that needs the primary key (functional dependency): pg_dump
-- creates a placeholder view and fills it in after the key, in post-data
CREATE VIEW "Sales ✓".order_codes AS
	SELECT o.id, o.code, pg_catalog.count(*) AS n FROM "Sales ✓"."Orders" o GROUP BY o.id;
CREATE MATERIALIZED VIEW "Sales ✓".totals AS SELECT pg_catalog.sum(amount) AS s FROM "Sales ✓"."Orders";
SELECT dtecert.set_policy('"Sales ✓"."Orders"', $$
checks:
  - not_null: amount
  - unique: id
  - unique: code
  - unique: amount
  - references: {column: customer, table: customers, to: id}
$$);
SELECT dtecert.set_policy('"Sales ✓".sales', '{"checks": [{"row_count": {"min": 1}}]}');
SELECT dtecert.set_policy('"Sales ✓".sales_2024', '{"checks": [{"row_count": {"min": 1}}]}');
SELECT dtecert.set_policy('"Sales ✓".order_codes', '{"checks": [{"unique": "id"}]}');
SELECT dtecert.set_policy('"Sales ✓".totals', '{"checks": [{"not_null": "s"}]}');
});
for my $ds ('"Sales ✓"."Orders"', '"Sales ✓".sales', '"Sales ✓".sales_2024',
	'"Sales ✓".order_codes', '"Sales ✓".totals')
{
	certify('src', $ds);
}
is( $node->safe_psql(
		'src', q{SELECT pg_catalog.count(*) FROM dtecert.check_results WHERE proven_by IS NOT NULL}),
	'5', 'source: five checks rest on catalog proofs');

my $status_sql = q{SELECT pg_catalog.string_agg(dataset || ' ' || status, ', ' ORDER BY dataset)
  FROM dtecert.status};
my $all_certified =
  '"Sales ✓"."Orders" certified, "Sales ✓".order_codes certified, '
  . '"Sales ✓".sales certified, "Sales ✓".sales_2024 certified, "Sales ✓".totals certified';
is($node->safe_psql('src', $status_sql), $all_certified, 'source: all certified');

my $dump = "${PostgreSQL::Test::Utils::tmp_check}/ddl_src.dump";
$node->command_ok([ 'pg_dump', '-Fc', '-f', $dump, '-d', $node->connstr('src') ],
	'pg_dump -Fc');

# The placeholder view really is filled in by post-data DDL.
my ($list_ok, $list) = (0, '');
{
	my ($stdout, $stderr);
	$list_ok = IPC::Run::run([ 'pg_restore', '-f', '-', $dump ], '>', \$stdout, '2>', \$stderr);
	$list = $stdout;
}
ok($list_ok, 'pg_restore -f - lists the dump as SQL');
like($list, qr/CREATE OR REPLACE VIEW "Sales ✓"\.order_codes/,
	'the dump fills in the view with CREATE OR REPLACE VIEW');

for my $mode (
	[ 'pg_restore',                    'restored_default',  [] ],
	[ 'pg_restore -j 2',               'restored_parallel', [ '-j', '2' ] ],
	[ 'pg_restore --single-transaction', 'restored_single', ['--single-transaction'] ])
{
	my ($label, $db, $opts) = @$mode;
	$node->safe_psql('postgres', "CREATE DATABASE $db");
	my ($stdout, $stderr);
	my $ok = IPC::Run::run(
		[ 'pg_restore', '--exit-on-error', @$opts, '-d', $node->connstr($db), $dump ],
		'>', \$stdout, '2>', \$stderr);
	ok($ok, "$label: restores");
	unlike($stderr, qr/dtecert|WARNING/, "$label: no warning");
	is($node->safe_psql($db, $status_sql), $all_certified,
		"$label: every dataset reads certified");
	is( $node->safe_psql(
			$db, q{SELECT pg_catalog.count(*) FROM dtecert.certificates WHERE status = 'revoked'}),
		'0', "$label: no revocation was recorded");
}

# A plain-text dump replayed by psql is a restore too.
{
	my $sql = "${PostgreSQL::Test::Utils::tmp_check}/ddl_src.sql";
	$node->command_ok([ 'pg_dump', '-f', $sql, '-d', $node->connstr('src') ],
		'pg_dump, plain');
	$node->safe_psql('postgres', 'CREATE DATABASE restored_plain');
	my ($ret, $stdout, $stderr) =
	  $node->psql('restored_plain', slurp_file($sql), on_error_stop => 1);
	is($ret, 0, 'psql -f dump.sql: restores');
	unlike($stderr, qr/dtecert|WARNING/, 'psql -f dump.sql: no warning');
	is($node->safe_psql('restored_plain', $status_sql), $all_certified,
		'psql -f dump.sql: every dataset reads certified');
}

# In the restored database the triggers work as anywhere else.
$node->safe_psql('restored_default',
	'ALTER TABLE "Sales ✓"."Orders" DROP CONSTRAINT "Orders_code_key"');
is(status('restored_default', '"Sales ✓"."Orders"'),
	'revoked: constraint "Orders_code_key" dropped (it proved unique(code))',
	'restored: a proof dropped after the restore revokes');

###########################################################################
# d. DROP EXTENSION with the triggers in place
###########################################################################

{
	$node->safe_psql('src', 'CREATE VIEW public.my_status AS SELECT * FROM dtecert.status');
	my ($ret, $stdout, $stderr) =
	  $node->psql('src', 'DROP EXTENSION dtecert CASCADE', on_error_stop => 1);
	is($ret, 0, 'DROP EXTENSION dtecert CASCADE succeeds');
	unlike($stderr, qr/WARNING|ERROR/, 'DROP EXTENSION: no warning');
	is( $node->safe_psql(
			'src', q{SELECT pg_catalog.count(*) FROM pg_catalog.pg_event_trigger
			   WHERE evtname LIKE 'dtecert%'}),
		'0', 'DROP EXTENSION: the event triggers are gone');
	($ret, $stdout, $stderr) = $node->psql('src',
		'ALTER TABLE "Sales ✓"."Orders" ADD COLUMN after_drop integer; DROP MATERIALIZED VIEW "Sales ✓".totals',
		on_error_stop => 1);
	is($ret, 0, 'after DROP EXTENSION: DDL works');
	is($stderr, '', 'after DROP EXTENSION: quietly');
}

$node->stop;
done_testing();
