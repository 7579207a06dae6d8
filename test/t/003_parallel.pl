# The certification's one scan runs in parallel when PostgreSQL's planner
# chooses it: certify() itself (not only EXPLAIN) gets a Partial Aggregate
# under a Gather with workers launched, shown by auto_explain on the nested
# query, and the certificate equals the serial run's.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('parallel');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'dtecert'
max_worker_processes = 8
max_parallel_workers = 8
});
$node->start;
$node->safe_psql('postgres', q{
CREATE EXTENSION dtecert;
CREATE TABLE t AS
SELECT g AS id, CASE WHEN g % 1000 = 0 THEN NULL ELSE g % 97 END AS v,
       'x' || (g % 13) AS s
  FROM generate_series(1, 300000) g;
INSERT INTO t VALUES (5, 1, 'dup'), (77, 2, 'dup');
ANALYZE t;
SELECT dtecert.set_policy('t', $$
checks:
  - unique: id
  - not_null: v
  - between: {column: v, min: 0, max: 90}
  - accepted_values: {column: s, values: [x0, x1, x2, x3, x4, x5, x6, x7, x8, x9, x10, x11, x12]}
$$);
});

my $parallel = q{
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
};
my $explain = q{
LOAD 'auto_explain';
SET auto_explain.log_min_duration = 0;
SET auto_explain.log_nested_statements = on;
SET auto_explain.log_analyze = on;
SET auto_explain.log_timing = off;
SET auto_explain.log_level = notice;
};

my ($ret, $stdout, $stderr) = $node->psql('postgres',
	$parallel . $explain . q{SELECT certificate_id FROM dtecert.certify('t');});
is($ret, 0, 'parallel certify ran');
my $parallel_id = $stdout;
like($stderr, qr/Gather.*?Workers Launched: 2.*?Partial Aggregate/s,
	'the certification scan ran under a Gather with 2 workers launched');

my $serial_id = $node->safe_psql('postgres',
	q{SET max_parallel_workers_per_gather = 0;
	  SELECT certificate_id FROM dtecert.certify('t');});

my $results = q{
SELECT string_agg(format('%s|%s|%s|%s|%s', check_name, passed, element_count,
						 unexpected_count, observed), E'\n' ORDER BY check_index)
  FROM dtecert.check_results WHERE certificate_id = CERT_ID};
my $samples = q{
SELECT string_agg(format('%s|%s|%s|%s', check_name, ordinal, row_key, value), E'\n'
				  ORDER BY check_name, ordinal)
  FROM dtecert.check_samples WHERE certificate_id = CERT_ID};
my $profile = q{SELECT profile FROM dtecert.certificates WHERE certificate_id = CERT_ID};

sub for_certificate
{
	my ($sql, $id) = @_;
	$sql =~ s/CERT_ID/$id/g;
	return $sql;
}

for my $q ([ 'check results', $results ], [ 'samples', $samples ], [ 'profile', $profile ])
{
	is( $node->safe_psql('postgres', for_certificate($q->[1], $parallel_id)),
		$node->safe_psql('postgres', for_certificate($q->[1], $serial_id)),
		"parallel and serial runs give the same $q->[0]");
}
like($node->safe_psql('postgres', for_certificate($samples, $serial_id)),
	qr/^unique\(id\)\|1\|\|5\nunique\(id\)\|2\|\|77$/m,
	'the duplicated ids are the samples of unique(id)');

$node->stop;
done_testing();
