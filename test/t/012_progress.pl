# dtecert.progress: another session sees a running certification, its phase
# and the rows its scan (leader and parallel workers) has read so far; the
# row goes away when the certification ends, even by a cancel.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('progress');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'dtecert'\n");
$node->start;

$node->safe_psql(
	'postgres', q{
CREATE EXTENSION dtecert;
CREATE TABLE public.slow (id integer, v integer);
INSERT INTO public.slow SELECT g, g FROM generate_series(1, 2000000) g;
ANALYZE public.slow;
SELECT dtecert.set_policy('public.slow', $${"checks": [
  {"sql": {"name": "slow", "failing_rows": "pg_catalog.md5(pg_catalog.repeat(v::text, 400)) IS NULL"}}]}$$);
});
is($node->safe_psql('postgres', 'SELECT count(*) FROM dtecert.progress'), '0',
	'nothing is certifying: the view is empty');

my $session = $node->background_psql('postgres', on_error_stop => 0);
my $pid = $session->query_safe('SELECT pg_backend_pid()');
$session->query_until(qr/started/, "\\echo started\nSELECT * FROM dtecert.certify('public.slow');\n");

ok( $node->poll_query_until(
		'postgres', qq{
SELECT rows_scanned > 0 AND phase = 'scanning' FROM dtecert.progress WHERE pid = $pid}),
	'another session sees the scan read rows');
is( $node->safe_psql(
		'postgres', qq{
SELECT dataset || ' ' || (rows_estimated = 2000000) || ' ' || (rows_scanned <= rows_estimated)
  FROM dtecert.progress WHERE pid = $pid}),
	'public.slow true true', 'the dataset, the estimate, and the rows read so far');

$node->safe_psql('postgres', "SELECT pg_cancel_backend($pid)");
$session->query('SELECT 1');
$session->quit;
is($node->safe_psql('postgres', 'SELECT count(*) FROM dtecert.progress'), '0',
	'a cancelled certification leaves no progress row');

$node->safe_psql('postgres', q{
SELECT dtecert.set_policy('public.slow', '{"checks": [{"not_null": "v"}]}')});
is($node->safe_psql('postgres', q{SELECT status FROM dtecert.certify('public.slow')}),
	'certified', 'a finished certification ...');
is($node->safe_psql('postgres', 'SELECT count(*) FROM dtecert.progress'), '0',
	'... leaves none either');

done_testing();
