# Re-certification on a schedule with a real pg_cron (Debian's
# postgresql-15-cron), as docs/operations.md shows it: a job runs
# CALL dtecert.recertify_due() every minute; a changed table is
# re-certified and an unchanged one is left alone.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('cron');
$node->init;
$node->append_conf(
	'postgresql.conf', q{
shared_preload_libraries = 'dtecert,pg_cron'
cron.database_name = 'postgres'
cron.use_background_workers = on
max_worker_processes = 16
});
$node->start;

$node->safe_psql(
	'postgres', q{
CREATE EXTENSION pg_cron;
CREATE EXTENSION dtecert;
CREATE TABLE public.changing (id int, v int);
CREATE TABLE public.steady (id int, v int);
INSERT INTO public.changing SELECT g, g FROM generate_series(1, 1000) g;
INSERT INTO public.steady SELECT g, g FROM generate_series(1, 1000) g;
SELECT dtecert.set_policy('public.changing', 'checks: [{not_null: v}]');
SELECT dtecert.set_policy('public.steady', 'checks: [{not_null: v}]');
SELECT pg_stat_force_next_flush();});
$node->safe_psql('postgres',
	q{SELECT dtecert.certify('public.changing'), dtecert.certify('public.steady')});
is($node->safe_psql('postgres', 'SELECT count(*) FROM dtecert.due()'),
	'0', 'both tables certified, nothing due');

$node->safe_psql('postgres',
	q{SELECT cron.schedule('dtecert-recertify', '* * * * *', 'CALL dtecert.recertify_due()')});
$node->safe_psql('postgres',
	q{UPDATE public.changing SET v = v + 1 WHERE id <= 10; SELECT pg_stat_force_next_flush();});
is($node->safe_psql('postgres', 'SELECT why FROM dtecert.due()'),
	'data changed', 'the changed table is due');

# pg_cron starts jobs on the minute: allow for two of them
ok( $node->poll_query_until(
		'postgres', q{
SELECT count(*) = 2 FROM dtecert.certificates WHERE dataset = 'public.changing'},
		't', 150),
	'pg_cron re-certified the changed table');
ok( $node->poll_query_until(
		'postgres', q{
SELECT count(*) > 0 FROM cron.job_run_details WHERE status = 'succeeded'}, 't', 30),
	'the job run is recorded as succeeded');
is( $node->safe_psql(
		'postgres', q{
SELECT string_agg(dataset || ' ' || count, ', ' ORDER BY dataset)
  FROM (SELECT dataset, count(*) FROM dtecert.certificates GROUP BY dataset) c}),
	'public.changing 2, public.steady 1',
	'the unchanged table was not certified again');
is($node->safe_psql('postgres',
		q{SELECT s.status, c.issued_by FROM dtecert.status s JOIN dtecert.certificates c USING (certificate_id) WHERE s.dataset = 'public.changing'}),
	'certified|' . $node->safe_psql('postgres', 'SELECT current_user'),
	'the new certificate is issued by the job owner');
is($node->safe_psql('postgres', 'SELECT count(*) FROM dtecert.due()'),
	'0', 'nothing is due afterwards');

$node->safe_psql('postgres', q{SELECT cron.unschedule('dtecert-recertify')});
done_testing();
