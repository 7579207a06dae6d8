# CALL dtecert.recertify_due() and the status announcements (DESIGN
# section 4, issue 6):
#
#  a. a first run certifies what was never certified; a dataset whose
#     certification raises an error (an sql check that fails at run time)
#     gets a failed run recorded and the others go on (a referenced table
#     dropped is not an error: that check fails, saying why); a second run
#     finds nothing due, and the failed datasets stay off due() until they
#     change;
#  b. it never waits: a dataset another session is certifying is skipped;
#  c. two sessions running recertify_due() while a third certifies: each
#     due dataset certified exactly once, no deadlock;
#  d. NOTIFY dtecert_status carries dataset, old and new status, for
#     certify, a failure, a drift, revoke(), and the expiry recertify_due finds.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('recertify');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'dtecert'\n");
$node->start;

# Changes are counted by the statistics system once the session is idle:
# the flush is forced so that due() sees them at once.
$node->safe_psql(
	'postgres', q{
CREATE EXTENSION dtecert;
CREATE SCHEMA rc;
CREATE TABLE rc.parent (id int PRIMARY KEY);
INSERT INTO rc.parent VALUES (1), (2);
DO $$
BEGIN
	FOR i IN 1..5 LOOP
		EXECUTE format('CREATE TABLE rc.good_%s (id int, v int)', i);
		EXECUTE format('INSERT INTO rc.good_%s SELECT g, g FROM generate_series(1, 100) g', i);
		PERFORM dtecert.set_policy(format('rc.good_%s', i)::regclass,
			'checks: [{not_null: id}, {between: {column: v, min: 0}}]');
	END LOOP;
END $$;
CREATE TABLE rc.divides (id int, v int);
INSERT INTO rc.divides VALUES (1, 0);
SELECT dtecert.set_policy('rc.divides', $$
checks: [{sql: {name: divides, failing_rows: "10 / v > 1"}}]$$);
CREATE TABLE rc.child (id int, parent_id int);
INSERT INTO rc.child VALUES (1, 1);
SELECT dtecert.set_policy('rc.child', $$
checks: [{references: {column: parent_id, table: rc.parent, to: id}}]$$);
SELECT pg_stat_force_next_flush();
});
$node->safe_psql('postgres', 'DROP TABLE rc.parent');

sub due
{
	return $node->safe_psql('postgres',
		q{SELECT string_agg(dataset || ': ' || why, E'\n' ORDER BY dataset) FROM dtecert.due()});
}

sub certificates
{
	my ($dataset) = @_;
	return $node->safe_psql('postgres',
		"SELECT count(*) FROM dtecert.certificates WHERE dataset = '$dataset'");
}

###########################################################################
# a. good and bad datasets
###########################################################################

like(due(), qr/rc\.child: never certified.*rc\.good_5: never certified/s,
	'a: every dataset is due before its first certificate');
my ($ret, $stdout, $stderr) =
  $node->psql('postgres', 'CALL dtecert.recertify_due()');
is($ret, 0, 'a: recertify_due() completes although two datasets raise errors');
like($stderr, qr/re-certified rc\.good_1 \(never certified\): certified/,
	'a: a good dataset is certified');
like($stderr, qr/WARNING:  could not re-certify rc\.divides \(never certified\): division by zero/,
	'a: the run-time error of an sql check is reported');
like($stderr, qr/re-certified rc\.child \(never certified\): failed/,
	'a: the dataset whose referenced table is gone fails');
like($stderr, qr/recertify_due: 5 certified, 1 not certified, 1 errors, 0 skipped as busy/,
	'a: the summary counts them');
is( $node->safe_psql(
		'postgres', q{
SELECT string_agg(dataset || ' ' || status || ' ' || left(reason, 66), E'\n' ORDER BY dataset)
  FROM dtecert.certificates WHERE dataset = 'rc.divides'}),
	"rc.divides failed certification raised an error (SQLSTATE 22012): division by zero",
	'a: the dataset that raised has a failed run with the error as its reason');
like( $node->safe_psql(
		'postgres', q{
SELECT r.reason FROM dtecert.check_results r JOIN dtecert.certificates c USING (certificate_id)
 WHERE c.dataset = 'rc.child' AND r.kind = 'references'}),
	qr/rc\.parent/, 'a: the references check says the referenced table is missing');
is(due(), '', 'a: afterwards nothing is due, the failed datasets included');
($ret, $stdout, $stderr) =
  $node->psql('postgres', 'CALL dtecert.recertify_due()');
is($stderr, '', 'a: a second run does nothing and says nothing');
is(certificates('rc.good_1'), '1', 'a: no second certificate of unchanged data');

$node->safe_psql('postgres',
	'UPDATE rc.divides SET v = 20; SELECT pg_stat_force_next_flush();');
is(due(), 'rc.divides: data changed', 'a: a failed dataset is due again after a change');
$node->safe_psql('postgres', 'CALL dtecert.recertify_due()');
is( $node->safe_psql('postgres',
		q{SELECT status FROM dtecert.status WHERE dataset = 'rc.divides'}),
	'certified', 'a: ... and certified once fixed');

($ret, $stdout, $stderr) =
  $node->psql('postgres', 'CALL dtecert.recertify_due(-1)');
like($stderr, qr/max_datasets must not be negative/, 'a: a negative max_datasets is refused');
$node->safe_psql('postgres',
	q{UPDATE rc.good_1 SET v = v; UPDATE rc.good_2 SET v = v; SELECT pg_stat_force_next_flush();});
($ret, $stdout, $stderr) =
  $node->psql('postgres', 'CALL dtecert.recertify_due(1)');
like($stderr, qr/1 certified/, 'a: max_datasets bounds the work');
is(due(), 'rc.good_2: data changed', 'a: ... and the rest stays due');
$node->safe_psql('postgres', 'CALL dtecert.recertify_due()');

# inside a transaction block it cannot commit: all or nothing
$node->safe_psql('postgres',
	q{UPDATE rc.good_3 SET v = v; SELECT pg_stat_force_next_flush();});
($ret, $stdout, $stderr) =
  $node->psql('postgres', "BEGIN; CALL dtecert.recertify_due(); ROLLBACK;");
is($ret, 0, 'a: recertify_due() runs inside a transaction block');
is(due(), 'rc.good_3: data changed', 'a: ... and its work rolls back with it');

###########################################################################
# b. it never waits for a dataset being certified
###########################################################################

{
	my $holder = $node->background_psql('postgres');
	$holder->query_safe(q{BEGIN; SELECT status FROM dtecert.certify('rc.good_3')});
	my $t0 = time;
	($ret, $stdout, $stderr) = $node->psql('postgres',
		q{SET lock_timeout = '20s'; CALL dtecert.recertify_due()});
	is($ret, 0, 'b: recertify_due() completes while another session certifies');
	like($stderr, qr/0 certified, 0 not certified, 0 errors, 1 skipped as busy/,
		'b: the busy dataset is skipped');
	cmp_ok(time - $t0, '<', 15, 'b: without waiting for it');
	$holder->query_safe('COMMIT');
	$holder->quit;
	is(due(), '', 'b: the other session certified it');
}

###########################################################################
# c. concurrent runs
###########################################################################

{
	$node->safe_psql(
		'postgres', q{
DO $$
BEGIN
	FOR i IN 1..30 LOOP
		EXECUTE format('CREATE TABLE rc.many_%s (id int)', i);
		EXECUTE format('INSERT INTO rc.many_%s SELECT generate_series(1, 2000)', i);
		PERFORM dtecert.set_policy(format('rc.many_%s', i)::regclass,
			'checks: [{not_null: id}, {sql: {name: slowish, failing_rows: "pg_sleep(0.00001) IS NULL"}}]');
	END LOOP;
END $$;
SELECT pg_stat_force_next_flush();});
	my $before = $node->safe_psql('postgres', 'SELECT count(*) FROM dtecert.certificates');
	my @sessions = map { $node->background_psql('postgres', on_error_stop => 0) } 1 .. 3;
	$sessions[0]->query_until(qr/go0/, "\\echo go0\nCALL dtecert.recertify_due();\n\\echo done0\n");
	$sessions[1]->query_until(qr/go1/, "\\echo go1\nCALL dtecert.recertify_due();\n\\echo done1\n");
	$sessions[2]->query_until(qr/go2/,
		    "\\echo go2\nSELECT count(*) FROM (SELECT dtecert.certify(format('rc.many_%s', i)::regclass)"
		  . " FROM generate_series(30, 20, -1) i) c;\n\\echo done2\n");
	for my $i (0 .. 2)
	{
		$sessions[$i]->{timeout}->start(180);
		$sessions[$i]->{run}->pump until $sessions[$i]->{stdout} =~ /done$i/
		  || $sessions[$i]->{timeout}->is_expired;
		like($sessions[$i]->{stdout}, qr/done$i/, "c: session $i finished");
		unlike($sessions[$i]->{stderr}, qr/deadlock|ERROR/, "c: session $i had no error");
		$sessions[$i]->quit;
	}
	is(due(), '', 'c: nothing is left due');
	# every dataset certified by recertify_due at most once, and the explicit
	# certify() calls of session 2 each once more at most
	is( $node->safe_psql(
			'postgres', q{
SELECT count(*) FROM (SELECT dataset FROM dtecert.certificates
                       WHERE dataset LIKE 'rc.many_%' GROUP BY dataset
                      HAVING count(*) > CASE WHEN dataset IN (
                             SELECT format('rc.many_%s', i) FROM generate_series(20, 30) i)
                                             THEN 2 ELSE 1 END) d}),
		'0', 'c: no dataset certified twice for the same change');
	is( $node->safe_psql(
			'postgres', q{
SELECT count(DISTINCT dataset) FROM dtecert.certificates WHERE dataset LIKE 'rc.many_%'}),
		'30', 'c: every dataset certified');
}

###########################################################################
# d. announcements
###########################################################################

{
	my $listener = $node->background_psql('postgres');
	$listener->query_safe('LISTEN dtecert_status');
	$node->safe_psql(
		'postgres', q{
CREATE TABLE rc.watched (id int, v int);
INSERT INTO rc.watched SELECT g, g FROM generate_series(1, 50) g;
SELECT dtecert.set_policy('rc.watched', $$
valid_for: 3 seconds
checks: [{not_null: v}]
robustness: {columns: [v], psi_max: 0.1}$$);});
	$node->safe_psql('postgres', q{SELECT dtecert.certify('rc.watched')});
	$node->safe_psql('postgres', q{SELECT dtecert.certify('rc.watched')});
	$node->safe_psql('postgres', q{UPDATE rc.watched SET v = NULL WHERE id = 1; SELECT dtecert.certify('rc.watched')});
	$node->safe_psql('postgres', q{UPDATE rc.watched SET v = 1000 + v WHERE id > 1; UPDATE rc.watched SET v = 1 WHERE id = 1; SELECT dtecert.certify('rc.watched')});
	$node->safe_psql('postgres', q{SELECT dtecert.revoke('rc.watched', 'audit')});
	$node->safe_psql('postgres', q{UPDATE rc.watched SET v = id; SELECT pg_stat_force_next_flush()});
	$node->safe_psql('postgres', q{SELECT dtecert.certify('rc.watched')});
	sleep 4;
	$node->safe_psql('postgres', 'SELECT pg_stat_force_next_flush()');
	$node->safe_psql('postgres', 'CALL dtecert.recertify_due()');

	# psql prints notifications when it next talks to the server
	my $out = $listener->query_safe('SELECT 1');
	my @payloads = $out =~ /Asynchronous notification "dtecert_status" with payload "([^"]*(?:""[^"]*)*)"/g;
	my @seen = map { /"old": (null|"\w+"), "new": "(\w+)"/ ? "$1>$2" : $_ }
	  grep { /rc\.watched/ } ($out =~ /payload "(\{.*?\})" received/g);
	is_deeply(
		\@seen,
		[
			'"uncertified">certified', '"certified">failed',
			'"failed">drifted', '"drifted">revoked',
			'"revoked">certified', '"certified">expired',
			'"expired">certified'
		],
		'd: each status change is announced once, with old and new status');
	like($out, qr/payload "\{"dataset": "rc\.watched", "old": "uncertified", "new": "certified"\}"/,
		'd: the payload is JSON naming the dataset');
	$listener->quit;
}

done_testing();
