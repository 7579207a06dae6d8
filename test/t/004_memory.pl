# Nothing leaks when set_policy() or certify() fails midway (or succeeds
# and is rolled back).  The policy parser's arena is malloc'ed and freed by a
# memory-context reset callback; the aggregates keep internal states; bind
# runs guarded steps in subtransactions.  An error anywhere must give all of
# it back, so one backend repeating each failure thousands of times must
# keep a flat resident set size.
#
#  a. set_policy() of well-formed documents that fail binding (a missing
#     column, a bad regex, a value that does not cast, a bad expression);
#  b. set_policy() of a YAML syntax error, and of an alias bomb;
#  c. certify() whose sql check divides by zero partway through the scan,
#     with unique and sample aggregate states already holding rows;
#  d. certify() that succeeds with failing checks (samples, unique states)
#     and is rolled back by an exception raised right after it.
#
# Each is run in PL/pgSQL loops with EXCEPTION handlers (one subtransaction
# per attempt), in batches of one statement each, in one session.  After a
# warm-up, the backend's private resident memory (RssAnon of
# /proc/<pid>/status: VmRSS less the shared buffers and files it maps) and
# its memory contexts must stay within a small bound over 3000 attempts of
# each.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);

my $BATCH = 300;						# attempts per statement
my $MEASURED_BATCHES = 10;				# 3000 attempts per scenario
my $WARMUP_BATCHES = 2;
my $RSS_BOUND_KB = 5 * 1024;			# per scenario, and over all of them
my $CONTEXT_BOUND_BYTES = 1024 * 1024;

if (!-r "/proc/self/status")
{
	plan skip_all => 'no /proc/<pid>/status to read VmRSS from';
}

my $node = PostgreSQL::Test::Cluster->new('memory');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'dtecert'\n");
$node->start;

$node->safe_psql(
	'postgres', q{
CREATE EXTENSION dtecert;

CREATE TABLE public.mem (id integer NOT NULL, v integer, code text, email text);
INSERT INTO public.mem
SELECT g, g % 50, 'c' || (g % 37), 'user' || (g % 300) || '@example.com'
  FROM pg_catalog.generate_series(1, 1000) g;
CREATE TABLE public.boom (LIKE public.mem);
INSERT INTO public.boom SELECT * FROM public.mem;
ANALYZE public.mem, public.boom;

-- mem certifies with failing checks, which keep samples and unique states
SELECT dtecert.set_policy('public.mem', $$
checks:
  - unique: v
  - unique: {columns: [v, email], name: v_email}
  - between: {column: v, min: 0, max: 10}
  - accepted_values: {column: code, values: [c1, c2, c3]}
  - matches: {column: email, regex: '^user[0-9]$'}
  - not_null: id
$$);

-- boom's sql check divides by zero at id 700, when the unique and sample
-- states have already taken in rows
SELECT dtecert.set_policy('public.boom', $$
checks:
  - unique: v
  - between: {column: v, min: 0, max: 10}
  - accepted_values: {column: code, values: [c1, c2, c3]}
  - sql: {name: divides, failing_rows: "1 / (id - 700) > 0"}
$$);

-- churn(scenario, n): n attempts of one operation that fails, each in a
-- subtransaction of its own.  Returns how many failed as expected; any
-- other error, or an attempt that does not fail, escapes.
CREATE FUNCTION public.churn(scenario text, n integer) RETURNS integer
LANGUAGE plpgsql AS $fn$
DECLARE
  i integer;
  failed integer := 0;
  r record;
  bind_errors text[] := ARRAY[
    $$checks: [{not_null: id}, {unique: v}, {between: {column: nosuch, min: 0, max: 10}}]$$,
    $$checks: [{not_null: id}, {matches: {column: email, regex: '(unclosed'}}]$$,
    $$checks: [{accepted_values: {column: v, values: [1, 2, not_an_integer]}}]$$,
    $$checks: [{sql: {name: bad, failing_rows: "no_such_column > 0"}}]$$];
  bomb text := $$
a: &a ["x","x","x","x","x","x","x","x","x"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
$$;
BEGIN
  FOR i IN 1..n LOOP
    BEGIN
      CASE scenario
        WHEN 'bind' THEN
          PERFORM dtecert.set_policy('public.mem', bind_errors[1 + i % 4]);
        WHEN 'syntax' THEN
          PERFORM dtecert.set_policy('public.mem', 'checks: [{not_null: id}, {unique: v}');
        WHEN 'bomb' THEN
          PERFORM dtecert.set_policy('public.mem', bomb);
        WHEN 'scan_error' THEN
          PERFORM dtecert.certify('public.boom');
        WHEN 'rolled_back' THEN
          SELECT * INTO r FROM dtecert.certify('public.mem');
          IF r.certified OR r.checks_failed <> 5 THEN
            RAISE EXCEPTION 'unexpected verdict: % passed, % failed',
              r.checks_passed, r.checks_failed;
          END IF;
          RAISE EXCEPTION USING ERRCODE = 'U0001', MESSAGE = 'roll it back';
      END CASE;
      RAISE EXCEPTION 'scenario % did not fail', scenario;
    EXCEPTION
      WHEN invalid_parameter_value OR program_limit_exceeded
           OR division_by_zero OR SQLSTATE 'U0001' THEN
        failed := failed + 1;
    END;
  END LOOP;
  RETURN failed;
END
$fn$;
});

# Each scenario fails the way it is meant to (checked once, with messages).
my @expected_errors = (
	[ q{SELECT dtecert.set_policy('public.mem', $$checks: [{not_null: id}, {unique: v}, {between: {column: nosuch, min: 0, max: 10}}]$$)},
	  qr/column "nosuch" does not exist/, 'bind: missing column' ],
	[ q{SELECT dtecert.set_policy('public.mem', $$checks: [{not_null: id}, {matches: {column: email, regex: '(unclosed'}}]$$)},
	  qr/invalid regular expression/, 'bind: bad regex' ],
	[ q{SELECT dtecert.set_policy('public.mem', $$checks: [{accepted_values: {column: v, values: [1, 2, not_an_integer]}}]$$)},
	  qr/is not a valid integer/, 'bind: value that does not cast' ],
	[ q{SELECT dtecert.set_policy('public.mem', $$checks: [{sql: {name: bad, failing_rows: "no_such_column > 0"}}]$$)},
	  qr/column "no_such_column" does not exist/, 'bind: bad expression' ],
	[ q{SELECT dtecert.set_policy('public.mem', 'checks: [{not_null: id}, {unique: v}')},
	  qr/did not find expected/, 'syntax error' ],
	[ q{SELECT dtecert.set_policy('public.mem', 'a: &a [x, x, x, x, x, x, x, x, x, x]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]')},
	  qr/expands to more than/, 'alias bomb' ],
	[ q{SELECT dtecert.certify('public.boom')},
	  qr/division by zero.*unique_agg.*sample_agg/s, 'certify: error in the scan' ]);
foreach my $e (@expected_errors)
{
	my ($sql, $re, $label) = @$e;
	my ($ret, $out, $err) = $node->psql('postgres', $sql);
	isnt($ret, 0, "$label: fails");
	like($err, $re, "$label: with the expected error");
}

my $s = $node->background_psql('postgres');
my $pid = $s->query_safe('SELECT pg_catalog.pg_backend_pid()');

# The backend's resident set from /proc/<pid>/status: VmRSS and its parts.
# VmRSS also counts the shared buffers this backend has touched (RssShmem),
# which grow for a good reason here: every rolled-back certificate leaves
# dead rows, so the tables and the pages read grow.  Private memory, where
# a leak of malloc'ed or palloc'ed memory shows, is RssAnon.
sub rss
{
	my $status = $s->query_safe(
		q{SELECT pg_catalog.pg_read_file('/proc/' || pg_catalog.pg_backend_pid() || '/status')});
	my %kb;
	$kb{$1} = $2 while $status =~ /^(VmRSS|RssAnon|RssFile|RssShmem):\s*(\d+) kB/mg;
	die "no VmRSS or RssAnon in /proc/$pid/status"
	  unless defined $kb{VmRSS} && defined $kb{RssAnon};
	return \%kb;
}

sub rss_text
{
	my ($kb) = @_;
	return sprintf('VmRSS %d kB (RssAnon %d, RssShmem %d, RssFile %d)',
		map { $kb->{$_} // -1 } qw(VmRSS RssAnon RssShmem RssFile));
}

sub context_bytes
{
	return $s->query_safe(
		'SELECT pg_catalog.sum(total_bytes) FROM pg_catalog.pg_backend_memory_contexts');
}

# $batches statements of $BATCH attempts each.
sub churn
{
	my ($scenario, $batches) = @_;
	for (1 .. $batches)
	{
		my $failed = $s->query_safe("SELECT public.churn('$scenario', $BATCH)");
		die "churn($scenario): $failed of $BATCH attempts failed as expected"
		  unless $failed eq $BATCH;
	}
}

my @scenarios = qw(bind syntax bomb scan_error rolled_back);

my $t0 = time;
note 'at the start: ' . rss_text(rss());
churn($_, $WARMUP_BATCHES) foreach @scenarios;

my $rss_start = rss();
my $ctx_start = context_bytes();
note sprintf('after the warm-up (%d attempts each): %s, contexts %d bytes',
	$WARMUP_BATCHES * $BATCH, rss_text($rss_start), $ctx_start);

foreach my $scenario (@scenarios)
{
	my $rss0 = rss();
	my $ctx0 = context_bytes();
	my $t = time;
	churn($scenario, $MEASURED_BATCHES);
	my $rss1 = rss();
	my $ctx1 = context_bytes();
	note sprintf('%-11s %d attempts in %.1f s: RssAnon %d -> %d kB (%+d), '
		  . 'VmRSS %d -> %d kB (%+d, RssShmem %+d), contexts %+d bytes',
		$scenario, $MEASURED_BATCHES * $BATCH, time - $t,
		$rss0->{RssAnon}, $rss1->{RssAnon}, $rss1->{RssAnon} - $rss0->{RssAnon},
		$rss0->{VmRSS}, $rss1->{VmRSS}, $rss1->{VmRSS} - $rss0->{VmRSS},
		($rss1->{RssShmem} // 0) - ($rss0->{RssShmem} // 0), $ctx1 - $ctx0);
	cmp_ok($rss1->{RssAnon} - $rss0->{RssAnon}, '<=', $RSS_BOUND_KB,
		"$scenario: private memory (RssAnon) grows by at most $RSS_BOUND_KB kB over "
		  . $MEASURED_BATCHES * $BATCH . ' attempts');
	cmp_ok($ctx1 - $ctx0, '<=', $CONTEXT_BOUND_BYTES,
		"$scenario: memory contexts grow by at most $CONTEXT_BOUND_BYTES bytes");
}

my $rss_end = rss();
my $ctx_end = context_bytes();
note sprintf('overall, %.1f s: RssAnon %d -> %d kB (%+d), VmRSS %d -> %d kB (%+d), '
	  . 'contexts %d -> %d bytes (%+d)',
	time - $t0, $rss_start->{RssAnon}, $rss_end->{RssAnon},
	$rss_end->{RssAnon} - $rss_start->{RssAnon},
	$rss_start->{VmRSS}, $rss_end->{VmRSS}, $rss_end->{VmRSS} - $rss_start->{VmRSS},
	$ctx_start, $ctx_end, $ctx_end - $ctx_start);
cmp_ok($rss_end->{RssAnon} - $rss_start->{RssAnon}, '<=', $RSS_BOUND_KB,
	"private memory (RssAnon) grows by at most $RSS_BOUND_KB kB over all scenarios");
# VmRSS less the shared buffers touched (which grow with the dead rows the
# rolled-back certificates leave) and the mapped files.
cmp_ok(
	($rss_end->{VmRSS} - ($rss_end->{RssShmem} // 0) - ($rss_end->{RssFile} // 0)) -
	  ($rss_start->{VmRSS} - ($rss_start->{RssShmem} // 0) - ($rss_start->{RssFile} // 0)),
	'<=', $RSS_BOUND_KB,
	"VmRSS less shared memory and files grows by at most $RSS_BOUND_KB kB over all scenarios");

is($s->query_safe('SELECT pg_catalog.pg_backend_pid()'), $pid,
	'all of it ran in one backend');
$s->quit;

# Nothing was stored by any of it.
is( $node->safe_psql(
		'postgres', q{
SELECT (SELECT pg_catalog.count(*) FROM dtecert.policies),
       (SELECT pg_catalog.count(*) FROM dtecert.certificates),
       (SELECT pg_catalog.count(*) FROM dtecert.check_results)}),
	'2|0|0', 'no policy version, certificate or check result was left behind');

$node->stop;
done_testing();
