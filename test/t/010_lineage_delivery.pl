# OpenLineage delivery by the lineage worker (DESIGN section 7, issue 8),
# against the loopback receiver of test/lineage, which validates every event
# against the OpenLineage 2-0-2 schemas and facet schemas:
#
#  a. every event received is valid, facets included; START precedes
#     COMPLETE or FAIL for every run; FAIL names the failed criteria; the
#     pipeline's JobEvent carries declared and catalog-derived inputs;
#  b. the api key appears nowhere (outbox, events, log, SHOW as a
#     non-superuser), yet every request carried it;
#  c. a 400 marks events failed with the answer; retry_lineage re-sends them;
#  d. 503 for a while, then 201: all delivered, attempts and backoff visible;
#  e. endpoint down (connection refused) during 200 certifications, then up:
#     every event arrives, duplicates counted (none: no reply was lost);
#     a lost reply (connection closed) gives exactly the duplicate expected;
#  f. file:///path appends one valid event a line; an empty URL keeps
#     events queued; delivered events are purged after the retention;
#  g. require_certified_inputs fails when an input's certificate is expired
#     or revoked.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lineage";

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);

use LineageTest;

my $api_key = 'lin-Secret-4f1c9a';
my $tmp = PostgreSQL::Test::Utils::tempdir;
my $receiver = start_receiver($tmp, api_key => $api_key);
my $port = $receiver->{port};

my $node = PostgreSQL::Test::Cluster->new('lineage_delivery');
$node->init;
$node->append_conf(
	'postgresql.conf', qq{
shared_preload_libraries = 'dtecert'
dtecert.database = 'postgres'
dtecert.lineage_url = 'http://127.0.0.1:$port/api/v1/lineage'
dtecert.lineage_api_key = '$api_key'
dtecert.lineage_host = 'db.example.com'
dtecert.lineage_backoff_max = '1s'
dtecert.lineage_connect_timeout_ms = 1000
dtecert.lineage_timeout_ms = 3000
log_statement = 'all'
});
$node->start;

$node->safe_psql(
	'postgres', q{
CREATE EXTENSION dtecert;
CREATE ROLE reader LOGIN;
CREATE SCHEMA lin;
CREATE TABLE lin.good (id int PRIMARY KEY, amount numeric, label text);
INSERT INTO lin.good SELECT g, g * 1.5, 'x' || g FROM generate_series(1, 200) g;
CREATE TABLE lin.bad (id int, amount float8);
INSERT INTO lin.bad SELECT g, CASE WHEN g % 10 = 0 THEN 'NaN'::float8 ELSE -g END FROM generate_series(1, 50) g;
CREATE VIEW lin.v AS SELECT g.id, g.amount FROM lin.good g JOIN lin.bad b USING (id);
SELECT dtecert.set_policy('lin.good', $$
tier: medium
checks: [{not_null: amount}, {unique: id}, {between: {column: amount, min: 0}}]
lineage: {job: 'etl/load_good', inputs: ['s3://raw/good.csv']}
$$);
SELECT dtecert.set_policy('lin.bad', $$
tier: medium
checks: [{between: {column: amount, min: 0}}, {not_null: {column: id, severity: warn}}]
lineage: {job: load_bad, inputs: [lin.good]}
$$);
SELECT dtecert.set_policy('lin.v', $$
checks: [{not_null: id}]
lineage: {job: v_job, inputs: []}
$$);
});

sub sql { return $node->safe_psql('postgres', $_[0]); }

sub outbox_settled
{
	return sql(
		q{SELECT count(*) FROM dtecert.lineage_outbox WHERE state = 'pending'})
	  eq '0';
}

sub run_ids
{
	my ($since) = @_;
	return [
		split /\n/,
		sql(
			"SELECT DISTINCT run_id FROM dtecert.lineage_outbox WHERE run_id IS NOT NULL AND event_id > $since"
		) ];
}

# certify, then the reason the new certificate records
sub certify_reason
{
	my ($dataset) = @_;
	return sql(qq{DO \$\$ BEGIN PERFORM dtecert.certify('$dataset'); END \$\$;
                  SELECT coalesce(reason, 'certified') FROM dtecert.certificates
                   WHERE dataset = '$dataset' ORDER BY certificate_id DESC LIMIT 1});
}

sub last_event_id
{
	return sql('SELECT coalesce(max(event_id), 0) FROM dtecert.lineage_outbox');
}

###########################################################################
# a. valid events, in order
###########################################################################

my $t0 = time();
sql(q{SELECT dtecert.certify('lin.good'); SELECT dtecert.certify('lin.bad');
      SELECT dtecert.certify('lin.v')});
my $took = wait_until(\&outbox_settled, 30);
ok(defined $took, 'a: the worker delivers the events of three certifications');
my $latency = sql(
	q{SELECT round(extract(epoch FROM max(delivered_at - created_at)) * 1000)
        FROM dtecert.lineage_outbox});
note("a: commit to delivery, slowest of 9 events: $latency ms");
cmp_ok($latency, '<', 2000, 'a: delivery follows the commit at once (woken by its latch)');

my $stats = receiver_stats($receiver);
is($stats->{received}, 9, 'a: 9 events received (START, end and JobEvent of 3 runs)');
is_deeply($stats->{problems}, [], 'a: every event validates against OpenLineage 2-0-2 and its facets');
is_deeply([ runs_in_order($stats->{events}, run_ids(0)) ], [],
	'a: START precedes COMPLETE or FAIL for every run');

my @events = @{ $stats->{events} };
my ($good_end) = grep {
	     ($_->{eventType} // '') eq 'COMPLETE'
	  && $_->{job}{name} eq 'postgres.lin.good.certify'
} @events;
ok($good_end, 'a: lin.good completes, as job postgres.lin.good.certify');
is($good_end->{job}{namespace}, 'dtecert', 'a: in namespace dtecert');
is_deeply($good_end->{job}{facets}{jobType}{jobType}, 'TEST', 'a: jobType TEST');
my $input = $good_end->{inputs}[0];
is($input->{namespace} . ' ' . $input->{name},
	'postgres://db.example.com:' . $node->port . ' postgres.lin.good',
	'a: the dataset is postgres://host:port / db.schema.table');
my $metrics = $input->{inputFacets}{dataQualityMetrics};
is($metrics->{rowCount}, 200, 'a: dataQualityMetrics rowCount');
is_deeply(
	[ @{ $metrics->{columnMetrics}{amount} }{qw(nullCount count min max sum)} ],
	[ 0, 200, 1.5, 300, 30150 ],
	'a: per-column metrics of a numeric column');
is(scalar @{ $input->{inputFacets}{dataQualityAssertions}{assertions} },
	3, 'a: one assertion per check');
is_deeply($input->{facets}{dataQualityAssertions}, $input->{inputFacets}{dataQualityAssertions},
	'a: assertions mirrored into facets');
ok($input->{facets}{schema}{fields}, 'a: the schema facet');

my ($fail) = grep { ($_->{eventType} // '') eq 'FAIL' } @events;
like($fail->{run}{facets}{errorMessage}{message},
	qr/lin\.bad is not certified: failed: quality.*; failed checks: between\(amount\)/,
	'a: FAIL carries an errorMessage naming the failed criteria and checks');
my ($bad_metrics) = $fail->{inputs}[0]{inputFacets}{dataQualityMetrics}{columnMetrics}{amount};
ok(!exists $bad_metrics->{max} && exists $bad_metrics->{min},
	'a: a max of NaN is left out of the metrics (JSON has no NaN)');

my %jobs = map { $_->{job}{name} => $_ } grep { !$_->{run} } @events;
is_deeply(
	[ map { "$_->{namespace} $_->{name}" } @{ $jobs{load_good}{inputs} } ],
	['s3://raw good.csv'],
	'a: JobEvent of the pipeline job: the declared external input');
is($jobs{load_good}{job}{namespace}, 'etl', 'a: a job written namespace/name');
is($jobs{load_good}{outputs}[0]{name}, 'postgres.lin.good', 'a: the dataset is its output');
is_deeply(
	[ sort map { $_->{name} } @{ $jobs{v_job}{inputs} } ],
	[ 'postgres.lin.bad', 'postgres.lin.good' ],
	"a: a view's inputs come from the catalog");

###########################################################################
# b. the api key
###########################################################################

is($stats->{auth_bad}, 0, 'b: every request carried Authorization: Bearer with the key');
# (not logged: log_statement would put the key in the log)
is(sql(qq{SET log_statement = 'none';
          SELECT count(*) FROM dtecert.lineage_outbox WHERE event::text LIKE '%$api_key%'
            OR last_error LIKE '%$api_key%'}),
	'0', 'b: the key is not in the outbox');
unlike(receiver_stats($receiver)->{events} ? JSON::PP::encode_json(receiver_stats($receiver)->{events}) : '',
	qr/\Q$api_key\E/, 'b: nor in any event');
my ($ret, $stdout, $stderr) =
  $node->psql('postgres', 'SHOW dtecert.lineage_api_key', extra_params => [ '-U', 'reader' ]);
like($stderr, qr/must be superuser|permission denied/, 'b: SHOW refuses a non-superuser');
is($node->safe_psql('postgres',
		q{SELECT count(*) FROM pg_settings WHERE name = 'dtecert.lineage_api_key'},
		extra_params => [ '-U', 'reader' ]),
	'0', 'b: pg_settings hides it from a non-superuser');
unlike($node->safe_psql('postgres', 'SHOW ALL', extra_params => [ '-U', 'reader' ]),
	qr/\Q$api_key\E/, 'b: and SHOW ALL');

###########################################################################
# c. 400: failed with the answer, then retry_lineage
###########################################################################

receiver_mode($receiver, '400');
my $mark = last_event_id();
sql(q{SELECT dtecert.certify('lin.good')});
ok(wait_until(sub { sql(q{SELECT failed FROM dtecert.lineage_status}) >= 1 }, 20),
	'c: a 400 answer marks the event failed');
ok(wait_until(sub { sql(q{SELECT failed FROM dtecert.lineage_status}) == 2 }, 20),
	'c: the JobEvent too (it belongs to no run)');
is(sql(qq{SELECT string_agg(event_type || ' ' || http_status || ' ' || last_error, E'\n'
                            ORDER BY event_id)
            FROM dtecert.lineage_outbox WHERE state = 'failed' AND event_id > $mark}),
	qq{START 400 HTTP 400: {"error": "receiver in mode 400"}\nJOB 400 HTTP 400: {"error": "receiver in mode 400"}},
	'c: kept with the status and an excerpt of the answer');
usleep(300_000);
is(sql(qq{SELECT state || ' ' || attempts FROM dtecert.lineage_outbox
           WHERE event_type = 'COMPLETE' AND event_id > $mark}),
	'pending 0', 'c: its COMPLETE waits: never sent before its START');
($ret, $stdout, $stderr) = $node->psql('postgres', 'SELECT dtecert.retry_lineage()',
	extra_params => [ '-U', 'reader' ]);
like($stderr, qr/permission denied/, 'c: retry_lineage is not for everyone');
receiver_mode($receiver, 'ok');
is(sql('SELECT dtecert.retry_lineage()'), '2', 'c: retry_lineage queues the failed events again');
ok(wait_until(\&outbox_settled, 20), 'c: then START and COMPLETE are delivered');
$stats = receiver_stats($receiver);
is_deeply([ runs_in_order($stats->{events}, run_ids($mark)) ], [], 'c: in order');

###########################################################################
# d. 503 for a while, then 201
###########################################################################

receiver_mode($receiver, '503');
$mark = last_event_id();
sql(q{SELECT dtecert.certify('lin.good'); SELECT dtecert.certify('lin.bad')});
ok( wait_until(
		sub {
			sql(qq{SELECT max(attempts) FROM dtecert.lineage_outbox WHERE event_id > $mark}) >= 3;
		},
		30),
	'd: 503 answers are retried');
is( sql(
		qq{SELECT bool_and(next_attempt_at > last_attempt_at) AND bool_and(http_status = 503)
                AND bool_and(last_error LIKE 'HTTP 503:%')
           FROM dtecert.lineage_outbox WHERE event_id > $mark AND attempts > 0}),
	't', 'd: attempts, the answer and the next attempt (backoff) are visible');
cmp_ok(sql(q{SELECT failing FROM dtecert.lineage_status}), '>=', 1, 'd: lineage_status counts them failing');
receiver_mode($receiver, 'ok', 201);
ok(wait_until(\&outbox_settled, 20), 'd: once the endpoint answers 201, all are delivered');
note('d: attempts per event: '
	  . sql(qq{SELECT string_agg(event_type || '=' || attempts, ' ' ORDER BY event_id)
                FROM dtecert.lineage_outbox WHERE event_id > $mark}));
is(sql(qq{SELECT count(*) FROM dtecert.lineage_outbox WHERE event_id > $mark AND state <> 'delivered'}),
	'0', 'd: none lost');

###########################################################################
# e. endpoint down during 200 certifications, then up
###########################################################################

for my $i (1 .. 9)
{
	sql(qq{CREATE TABLE lin.t$i (id int, amount numeric);
           INSERT INTO lin.t$i SELECT g, g FROM generate_series(1, 20) g;
           SELECT dtecert.set_policy('lin.t$i', 'checks: [{not_null: id}]')});
}
stop_receiver($receiver);
$mark = last_event_id();
$t0 = time();
$node->safe_psql('postgres',
	join('', map { "SELECT dtecert.certify('lin.t" . ($_ % 9 + 1) . "');\n" } 1 .. 200));
my $certify_s = time() - $t0;
note(sprintf('e: 200 certifications took %.1f s while the endpoint was down', $certify_s));
is(sql(qq{SELECT count(*) FROM dtecert.lineage_outbox WHERE event_id > $mark}),
	'400', 'e: 400 events queued');
ok(wait_until(sub { sql(q{SELECT failing FROM dtecert.lineage_status}) >= 1 }, 10),
	'e: the worker tries, and backs off');
like(sql(q{SELECT last_error FROM dtecert.lineage_status}),
	qr/refused|connect/i, 'e: the connection error is recorded');
my $pending = sql(q{SELECT pending FROM dtecert.lineage_status});
note("e: pending while down: $pending, attempts so far: "
	  . sql(qq{SELECT sum(attempts) FROM dtecert.lineage_outbox WHERE event_id > $mark}));

$receiver = start_receiver($tmp, api_key => $api_key, port => $port);
$t0 = time();
ok(wait_until(\&outbox_settled, 60), 'e: endpoint up: everything is delivered');
note(sprintf('e: 400 events drained in %.1f s after the endpoint came back', time() - $t0));
$stats = receiver_stats($receiver);
my $runs = run_ids($mark);
is(scalar @$runs, 200, 'e: 200 runs');
is_deeply([ runs_in_order($stats->{events}, $runs) ], [],
	'e: every run arrived whole, START first');
is_deeply($stats->{problems}, [], 'e: every event valid');
my $dups = duplicates($stats->{events});
note("e: duplicates: $dups");
is($dups, 0, 'e: no duplicate (no reply was lost)');

# A lost reply: the receiver stores the event and closes the connection.
receiver_mode($receiver, 'drop');
$mark = last_event_id();
sql(q{SELECT dtecert.certify('lin.t1')});
ok(wait_until(\&outbox_settled, 20), 'e: a reply is lost: the event is sent again');
$stats = receiver_stats($receiver);
is(duplicates($stats->{events}), 1, 'e: exactly one duplicate, where the reply was lost');
is_deeply([ runs_in_order($stats->{events}, run_ids($mark)) ], [], 'e: still in order');

###########################################################################
# f. file://, empty URL, retention
###########################################################################

my $file = "$tmp/events.jsonl";
sql(qq{ALTER SYSTEM SET dtecert.lineage_url = 'file://$file'; SELECT pg_reload_conf()});
usleep(300_000);
sql(q{SELECT dtecert.certify('lin.good')});
ok(wait_until(\&outbox_settled, 10), 'f: file:// delivers');
my $lines = `wc -l < $file` + 0;
is($lines, 3, 'f: one event a line');
my $check = `/usr/bin/python3 -W ignore ${\ lineage_dir()}/validate.py $file`;
like($check, qr/^3 events, 0 problems$/m, 'f: and they validate') or diag($check);

sql(q{ALTER SYSTEM SET dtecert.lineage_url = ''; SELECT pg_reload_conf()});
usleep(300_000);
$mark = last_event_id();
sql(q{SELECT dtecert.certify('lin.good')});
usleep(1_000_000);
is(sql(qq{SELECT string_agg(state, ',') FROM dtecert.lineage_outbox WHERE event_id > $mark}),
	'pending,pending,pending', 'f: an empty URL keeps events queued');

sql(qq{ALTER SYSTEM SET dtecert.lineage_url = 'file://$file';
       ALTER SYSTEM SET dtecert.lineage_retention = '2s'; SELECT pg_reload_conf()});
ok(wait_until(\&outbox_settled, 10), 'f: queued events go once a URL is set');
ok( wait_until(
		sub { sql(q{SELECT count(*) FROM dtecert.lineage_outbox}) eq '0' }, 15),
	'f: delivered events are purged after dtecert.lineage_retention');

###########################################################################
# g. require_certified_inputs: expired and revoked inputs
###########################################################################

sql(q{
CREATE TABLE lin.up (id int);
INSERT INTO lin.up VALUES (1);
CREATE TABLE lin.down (id int);
INSERT INTO lin.down VALUES (1);
SELECT dtecert.set_policy('lin.up', $$
checks: [{not_null: id}]
valid_for: 2 seconds
$$);
SELECT dtecert.set_policy('lin.down', $$
checks: [{not_null: id}]
lineage: {job: load_down, inputs: [lin.up], require_certified_inputs: true}
$$);
SELECT dtecert.certify('lin.up');
});
is(sql(q{SELECT certified FROM dtecert.certify('lin.down')}), 't',
	'g: certified while its input is');
usleep(2_100_000);
is(certify_reason('lin.down'), 'failed: lineage (input lin.up is not certified (expired))',
	'g: an expired input fails the lineage criterion');
sql(q{SELECT dtecert.set_policy('lin.up', 'checks: [{not_null: id}]');
      SELECT dtecert.certify('lin.up')});
is(sql(q{SELECT certified FROM dtecert.certify('lin.down')}), 't', 'g: certified again');
sql(q{SELECT dtecert.revoke('lin.up', 'bad load')});
is(certify_reason('lin.down'), 'failed: lineage (input lin.up is not certified (revoked))',
	'g: a revoked input fails it too');

###########################################################################

$node->stop('fast');
my $log = slurp_file($node->logfile);
unlike($log, qr/\Q$api_key\E/, 'b: the key is not in the server log');
stop_receiver($receiver);
done_testing();
