# The lineage worker under failure (DESIGN section 7, issue 8):
#
#  a. a hanging endpoint blocks neither certify() nor shutdown, and SIGTERM
#     stops the worker within 2 s even mid-transfer; it then restarts;
#  b. the server is killed (SIGKILL) while the worker holds a claimed
#     batch: after restart its leases are released and everything is
#     delivered, START before COMPLETE.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lineage";

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);

use LineageTest;

my $tmp = PostgreSQL::Test::Utils::tempdir;
my $receiver = start_receiver($tmp, mode => 'hang');
my $port = $receiver->{port};

my $node = PostgreSQL::Test::Cluster->new('lineage_failures');
$node->init;
$node->append_conf(
	'postgresql.conf', qq{
shared_preload_libraries = 'dtecert'
dtecert.lineage_url = 'http://127.0.0.1:$port/api/v1/lineage'
dtecert.lineage_timeout_ms = 60000
dtecert.lineage_backoff_max = '1s'
});
$node->start;

sub sql { return $node->safe_psql('postgres', $_[0]); }

$node->safe_psql(
	'postgres', q{
CREATE EXTENSION dtecert;
CREATE TABLE public.t (id int, v int);
INSERT INTO public.t SELECT g, g FROM generate_series(1, 100) g;
SELECT dtecert.set_policy('public.t', 'checks: [{not_null: id}]');
});

sub timed_certify
{
	my $t0 = time();
	sql(q{SELECT dtecert.certify('public.t')});
	return time() - $t0;
}

###########################################################################
# a. a hanging endpoint
###########################################################################

cmp_ok(timed_certify(), '<', 2, 'a: certify() returns at once while the endpoint hangs');
ok(wait_until(sub { receiver_stats($receiver)->{received} >= 1 }, 10),
	'a: the worker is in the middle of a transfer');
my $elapsed = timed_certify();
note(sprintf('a: certify() during a hanging transfer: %.0f ms', $elapsed * 1000));
cmp_ok($elapsed, '<', 2, 'a: and still while the worker waits on the endpoint');
is(sql(q{SELECT pending FROM dtecert.lineage_status}), '4', 'a: the events stay queued');

my $pid = worker_pid($node);
ok($pid, 'a: the worker runs');
my $t0 = time();
kill 'TERM', $pid;
my $stop = wait_until(sub { !kill(0, $pid) }, 10);
ok(defined $stop && $stop < 2, 'a: SIGTERM stops the worker within 2 s mid-transfer');
note(sprintf('a: the worker stopped %.0f ms after SIGTERM', ($stop // 99) * 1000));
ok(wait_until(sub { my $p = worker_pid($node); $p && $p ne $pid }, 15),
	'a: the postmaster restarts it');

ok(wait_until(sub { receiver_stats($receiver)->{received} >= 2 }, 10),
	'a: the new worker hangs on the endpoint too');
$t0 = time();
$node->stop('fast');
$elapsed = time() - $t0;
note(sprintf('a: fast shutdown with a hanging transfer: %.1f s', $elapsed));
cmp_ok($elapsed, '<', 5, 'a: a hanging endpoint does not hold up shutdown');

###########################################################################
# b. SIGKILL while a batch is claimed
###########################################################################

$node->start;
ok(wait_until(sub { receiver_stats($receiver)->{received} >= 3 }, 10),
	'b: the worker claimed a batch and hangs on its first event');
timed_certify() for 1 .. 3;
is( sql(
		q{SELECT count(*) FILTER (WHERE leased_until IS NOT NULL) || ' of ' || count(*)
            FROM dtecert.lineage_outbox WHERE state = 'pending'}),
	'4 of 10', 'b: the batch it holds is leased; later events are not');
$pid = worker_pid($node);
$node->kill9;
wait_until(sub { !kill(0, $pid) }, 10);
receiver_mode($receiver, 'ok');
$node->start;
ok(wait_until(sub { sql(q{SELECT pending FROM dtecert.lineage_status}) eq '0' }, 30),
	'b: after the restart everything is delivered');
like(slurp_file($node->logfile), qr/released \d+ events claimed by a previous worker/,
	'b: the leases of the dead worker were released');
my $stats = receiver_stats($receiver);
my $runs = [ split /\n/,
	sql(q{SELECT DISTINCT run_id FROM dtecert.lineage_outbox WHERE run_id IS NOT NULL}) ];
is(scalar @$runs, 5, 'b: 5 runs');
is_deeply([ runs_in_order($stats->{events}, $runs) ], [], 'b: each arrived whole, START first');
is_deeply($stats->{problems}, [], 'b: every event valid');
note('b: duplicates: ' . duplicates($stats->{events}));
is(duplicates($stats->{events}), 0, 'b: no duplicate (the hung transfer was never answered)');

$node->stop('fast');
stop_receiver($receiver);
done_testing();
