# certify() works without a lineage worker, and says once per session that
# events stay queued (DESIGN section 7, issue 8):
#
#  a. without shared_preload_libraries: events queued, one NOTICE per session;
#     a later worker delivers them;
#  b. in a database the worker does not serve: one WARNING per session;
#     its pending events survive pg_dump and pg_restore;
#  c. with the worker stopped: one NOTICE per session; it delivers them
#     when it is back.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lineage";

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use LineageTest;

my $tmp = PostgreSQL::Test::Utils::tempdir;
my $file = "$tmp/events.jsonl";

my $node = PostgreSQL::Test::Cluster->new('lineage_queued');
$node->init;
$node->append_conf('postgresql.conf', qq{dtecert.lineage_url = 'file://$file'\n});
$node->start;

sub setup
{
	my ($db) = @_;
	$node->safe_psql(
		$db, q{
CREATE EXTENSION dtecert;
CREATE TABLE public.t (id int);
INSERT INTO public.t SELECT generate_series(1, 10);
SELECT dtecert.set_policy('public.t', 'checks: [{not_null: id}]');
});
}

# Two certifications in one session: returns (messages, pending events).
sub certify_twice
{
	my ($db) = @_;
	my ($ret, $stdout, $stderr) = $node->psql($db,
		q{SELECT count(*) FROM dtecert.certify('public.t');
          SELECT count(*) FROM dtecert.certify('public.t')});
	is($ret, 0, "$db: certify() works");
	my $pending = $node->safe_psql($db, 'SELECT pending FROM dtecert.lineage_status');
	return ($stderr, $pending);
}

sub lines
{
	return 0 unless -e $file;
	return scalar(() = slurp_file($file) =~ /\n/g);
}

###########################################################################
# a. not preloaded
###########################################################################

setup('postgres');
my ($stderr, $pending) = certify_twice('postgres');
my @notices = $stderr =~ /NOTICE:  lineage events stay queued: the dtecert lineage worker is not running/g;
is(scalar @notices, 1, 'a: one NOTICE in a session of two certifications');
like($stderr, qr/DETAIL:  dtecert is not in shared_preload_libraries/, 'a: saying why');
is($pending, '4', 'a: the events are queued');

$node->append_conf('postgresql.conf',
	qq{shared_preload_libraries = 'dtecert'\ndtecert.database = 'postgres'\n});
$node->restart;
ok(wait_until(sub { lines() == 4 }, 15), 'a: a worker started later delivers them');

###########################################################################
# b. a database the worker does not serve
###########################################################################

$node->safe_psql('postgres', 'CREATE DATABASE other');
setup('other');
($stderr, $pending) = certify_twice('other');
my @warnings = $stderr =~ /WARNING:  lineage events of database "other" stay queued/g;
is(scalar @warnings, 1, 'b: one WARNING in a session of two certifications');
like($stderr, qr/DETAIL:  The dtecert lineage worker serves database "postgres"/,
	'b: naming the database it serves');
sleep 1;
is($node->safe_psql('other', 'SELECT pending FROM dtecert.lineage_status'),
	'4', 'b: the events stay queued');

# Pending events survive a dump and restore (delivered ones are not dumped).
my $dump = "$tmp/other.dump";
$node->command_ok([ 'pg_dump', '-Fc', '-f', $dump, '-d', $node->connstr('other') ],
	'b: pg_dump of a database with pending events');
$node->safe_psql('postgres', 'CREATE DATABASE restored');
$node->command_ok([ 'pg_restore', '--exit-on-error', '-d', $node->connstr('restored'), $dump ],
	'b: pg_restore');
my $outbox = q{SELECT string_agg(event_id || ' ' || event_type || ' ' || state || ' ' || md5(event::text),
                                 ',' ORDER BY event_id) FROM dtecert.lineage_outbox};
is($node->safe_psql('restored', $outbox), $node->safe_psql('other', $outbox),
	'b: the restored outbox holds the same pending events');
is($node->safe_psql('restored', q{SELECT nextval('dtecert.lineage_outbox_event_id_seq')}),
	'5', 'b: and its sequence goes on');

###########################################################################
# c. the worker stopped
###########################################################################

my $pid = worker_pid($node);
kill 'TERM', $pid;
wait_until(sub { !kill(0, $pid) }, 10);
($stderr, $pending) = certify_twice('postgres');
@notices = $stderr =~ /NOTICE:  lineage events stay queued: the dtecert lineage worker is not running/g;
is(scalar @notices, 1, 'c: one NOTICE in a session of two certifications');
like($stderr, qr/DETAIL:  It delivers them when it starts again/, 'c: saying it will');
is($pending, '4', 'c: the events are queued');
ok(wait_until(sub { lines() == 8 }, 20), 'c: the restarted worker delivers them');
my $check = `/usr/bin/python3 -W ignore ${\ lineage_dir()}/validate.py $file`;
like($check, qr/^8 events, 0 problems$/m, 'c: every event valid') or diag($check);

$node->stop('fast');
done_testing();
