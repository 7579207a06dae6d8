# A cancel at each phase of dtecert.certify() leaves no certificate and no
# check results behind (DESIGN section 5, step 6: everything is appended in
# the caller's transaction).
#
#  a. during the scan: statement_timeout, then a real pg_cancel_backend();
#  b. while blocked writing the certificate, and while blocked writing the
#     check results after the certificate row went in (all or nothing);
#  c. afterwards a normal certify() works and writes exactly one certificate.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);

my $node = PostgreSQL::Test::Cluster->new('cancel');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'dtecert'\n");
$node->start;

$node->safe_psql(
	'postgres', q{
CREATE EXTENSION dtecert;

-- big: a scan that takes far longer than any timeout below
CREATE TABLE public.big (id integer NOT NULL, v integer);
INSERT INTO public.big SELECT g, g % 1000 FROM pg_catalog.generate_series(1, 200000) g;
ANALYZE public.big;
SELECT dtecert.set_policy('public.big', $${"checks": [
  {"sql": {"name": "slow", "failing_rows": "pg_catalog.pg_sleep(0.0001) IS NULL"}}
]}$$);

-- small: a scan that finishes at once, so certify() reaches its inserts
CREATE TABLE public.small (id integer NOT NULL, v integer);
INSERT INTO public.small SELECT g, g FROM pg_catalog.generate_series(1, 1000) g;
SELECT dtecert.set_policy('public.small', $${"checks": [
  {"not_null": "v"},
  {"between": {"column": "v", "min": 0, "max": 1000000}},
  {"row_count": {"min": 1}}
]}$$);
});

# Rows left in the history for one dataset, and in check_results overall
# (nothing is certified successfully before part c, so any row is a leak).
sub history
{
	my ($dataset) = @_;
	return $node->safe_psql(
		'postgres', qq{
SELECT (SELECT pg_catalog.count(*) FROM dtecert.certificates
         WHERE dataset = dtecert.dataset_name('$dataset')),
       (SELECT pg_catalog.count(*) FROM dtecert.check_results r
          JOIN dtecert.certificates c USING (certificate_id)
         WHERE c.dataset = dtecert.dataset_name('$dataset')),
       (SELECT pg_catalog.count(*) FROM dtecert.check_results)});
}

# A background session whose errors we read (ON_ERROR_STOP off, so it
# survives them) with SQLSTATEs in its messages.
sub session
{
	my $s = $node->background_psql('postgres', on_error_stop => 0);
	$s->query_safe('\set VERBOSITY verbose');
	return $s;
}

# The stderr a session accumulated since the last call, then reset it.
sub take_stderr
{
	my ($s) = @_;
	my $err = $s->{stderr};
	$s->{stderr} = '';
	return $err;
}

# Send certify() to a session without waiting for it to finish.
sub start_certify
{
	my ($s, $dataset) = @_;
	$s->query_until(qr/certify-started/,
		"\\echo certify-started\nSELECT * FROM dtecert.certify('$dataset');\n");
}

# The session has come back from the cancelled statement: run a trivial
# query through it and return what the cancelled one wrote on stderr.
sub finish_cancelled
{
	my ($s) = @_;
	my $out = $s->query(q{SELECT 'session alive'});
	like($out, qr/session alive/, 'the cancelled session is still usable');
	return take_stderr($s);
}

###########################################################################
# a. during the scan
###########################################################################

{
	my $t0 = time;
	my ($ret, $stdout, $stderr) = $node->psql(
		'postgres', q{\set VERBOSITY verbose
SET statement_timeout = '300ms';
SELECT * FROM dtecert.certify('public.big');},
		timeout => 120);
	my $elapsed = time - $t0;
	is($ret, 3, 'statement_timeout: certify() fails');
	like($stderr, qr/ERROR:\s+57014: canceling statement due to statement timeout/,
		'statement_timeout: the error is the cancel (57014)');
	like($stderr, qr/CONTEXT:.*pg_sleep/s, 'statement_timeout: it hit the scan');
	cmp_ok($elapsed, '<', 20, 'statement_timeout: the scan stopped early');
	is(history('public.big'), '0|0|0',
		'statement_timeout: no certificate and no check results');
}

{
	my $sb = session();
	my $pid = $sb->query_safe('SELECT pg_catalog.pg_backend_pid()');
	start_certify($sb, 'public.big');

	# The scan is running once the session (or one of its parallel
	# workers) is seen sleeping in the slow check's pg_sleep().
	ok( $node->poll_query_until(
			'postgres', qq{
SELECT pg_catalog.count(*) > 0 FROM pg_catalog.pg_stat_activity
 WHERE (pid = $pid OR leader_pid = $pid) AND wait_event = 'PgSleep'}),
		'cancel during the scan: the scan is running');

	my $found = $node->safe_psql(
		'postgres', q{
SELECT pid FROM pg_catalog.pg_stat_activity
 WHERE query LIKE '%dtecert.certify(%' AND backend_type = 'client backend'
   AND pid <> pg_catalog.pg_backend_pid()});
	is($found, $pid, 'cancel during the scan: pg_stat_activity shows the certify() session');

	is($node->safe_psql('postgres', "SELECT pg_catalog.pg_cancel_backend($found)"),
		't', 'cancel during the scan: pg_cancel_backend() sent');
	my $err = finish_cancelled($sb);
	like($err, qr/ERROR:\s+57014: canceling statement due to user request/,
		'cancel during the scan: certify() was cancelled (57014)');
	like($err, qr/CONTEXT:.*pg_sleep/s, 'cancel during the scan: it hit the scan');
	is(history('public.big'), '0|0|0',
		'cancel during the scan: no certificate and no check results');
	$sb->quit;
}

###########################################################################
# b. while blocked writing the certificate, then the check results
###########################################################################

# Lock $table, start certify('public.small') in another session, check that
# it is waiting to insert into $table (with $check for what it already did),
# cancel it, release the lock, and check that nothing was left behind.
sub cancel_while_blocked_on
{
	my ($table, $check, $label, $context) = @_;

	my $sa = session();
	$sa->query_safe("BEGIN; LOCK TABLE $table IN ACCESS EXCLUSIVE MODE");

	my $sb = session();
	my $pid = $sb->query_safe('SELECT pg_catalog.pg_backend_pid()');
	start_certify($sb, 'public.small');

	# The scan is done and certify() waits for the locked table: to read it
	# (the status before, the chain head) or to insert into it.
	ok( $node->poll_query_until(
			'postgres', qq{
SELECT a.wait_event_type = 'Lock'
       AND EXISTS (SELECT FROM pg_catalog.pg_locks l
                    WHERE l.pid = a.pid AND NOT l.granted
                      AND l.locktype = 'relation'
                      AND l.relation = '$table'::pg_catalog.regclass
                      AND l.mode IN ('RowExclusiveLock', 'AccessShareLock'))
  FROM pg_catalog.pg_stat_activity a WHERE a.pid = $pid}),
		"$label: certify() is waiting for $table");
	is($node->safe_psql('postgres', $check->($pid)), 't',
		"$label: certify() got as far as expected before blocking");

	is($node->safe_psql('postgres', "SELECT pg_catalog.pg_cancel_backend($pid)"),
		't', "$label: pg_cancel_backend() sent");
	my $err = finish_cancelled($sb);
	like($err, qr/ERROR:\s+57014: canceling statement due to user request/,
		"$label: certify() was cancelled (57014)");
	like($err, $context, "$label: it was cancelled where expected");

	$sa->query_safe('COMMIT');
	is(take_stderr($sa), '', "$label: the locking session committed cleanly");
	is(history('public.small'), '0|0|0',
		"$label: no certificate and no check results");

	$sb->quit;
	$sa->quit;
}

# Nothing was written yet: the certificate insert is the first write.
cancel_while_blocked_on(
	'dtecert.certificates',
	sub {
		my ($pid) = @_;
		return qq{
SELECT pg_catalog.pg_sequence_last_value('dtecert.certificates_certificate_id_seq') IS NULL};
	},
	'blocked on certificates',
	qr/CONTEXT:.*dtecert\.(?:status|certificates)/s);

# The certificate row went in (the sequence moved, and the session holds its
# RowExclusiveLock on certificates); the check results insert is waiting.
cancel_while_blocked_on(
	'dtecert.check_results',
	sub {
		my ($pid) = @_;
		return qq{
SELECT pg_catalog.pg_sequence_last_value('dtecert.certificates_certificate_id_seq') IS NOT NULL
       AND EXISTS (SELECT FROM pg_catalog.pg_locks l
                    WHERE l.pid = $pid AND l.granted AND l.locktype = 'relation'
                      AND l.relation = 'dtecert.certificates'::pg_catalog.regclass
                      AND l.mode = 'RowExclusiveLock')};
	},
	'blocked on check_results',
	qr/CONTEXT:.*INSERT INTO dtecert\.check_results/s);

###########################################################################
# c. a normal certify() still works
###########################################################################

my $cert = $node->safe_psql('postgres',
	q{SELECT certificate_id, status, checks_passed, checks_failed
	    FROM dtecert.certify('public.small')});
like($cert, qr/^\d+\|certified\|3\|0$/, 'after the cancels certify() works');
my ($id) = split /\|/, $cert;

is( $node->safe_psql(
		'postgres', q{
SELECT pg_catalog.count(*) FROM dtecert.certificates
 WHERE dataset = dtecert.dataset_name('public.small')}),
	'1', 'exactly one certificate for the dataset');
is($node->safe_psql('postgres', 'SELECT pg_catalog.count(*) FROM dtecert.certificates'),
	'1', 'exactly one certificate in the history');
is( $node->safe_psql(
		'postgres', q{
SELECT pg_catalog.count(*) = pg_catalog.count(*) FILTER (WHERE certificate_id = }
		  . $id . q{) AND pg_catalog.count(*) >= 3
  FROM dtecert.check_results}),
	't', 'its check results, and only those, are recorded');
is($node->safe_psql('postgres', q{SELECT status FROM dtecert.status WHERE dataset = 'public.small'}),
	'certified', 'dtecert.status reads certified');

# The dataset whose scan was cancelled certifies too, under a fast policy.
$node->safe_psql('postgres',
	q{SELECT dtecert.set_policy('public.big', '{"checks": [{"not_null": "id"}]}')});
is( $node->safe_psql(
		'postgres', q{SELECT status FROM dtecert.certify('public.big')}),
	'certified', 'the dataset cancelled mid-scan certifies under a fast policy');
is( $node->safe_psql(
		'postgres', q{
SELECT pg_catalog.count(*) FROM dtecert.certificates
 WHERE dataset = dtecert.dataset_name('public.big')}),
	'1', 'and has exactly one certificate');

$node->stop;
done_testing();
