# The `dtecert` command (cli/) and the dbt macros (dbt/macros):
#
#  a. apply: a directory of policies in one transaction; unchanged policies
#     are not stored again; one bad file rolls back every file (exit 2);
#  b. certify: exit codes and evidence files for certified (0), not
#     certified (1), an unknown table and a bad connection (2);
#     percent-encoded file names; --tag in a temporary Git repository;
#  c. status --json, summary, export;
#  d. verify, and verify --against DIR catching a consistent rewrite of a
#     chain that verify_chain alone cannot see;
#  e. import-dbt on test/cli/schema.yml, its output applied and certified;
#  f. the dbt macros rendered with Jinja (test/cli/render_dbt.py), run
#     against the cluster, through a dbt-style swap of the relation.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use File::Basename qw(dirname);
use File::Path qw(make_path);
use JSON::PP;
use Cwd qw(abs_path);

my $root = abs_path(dirname(dirname(dirname(__FILE__))));

# The command: built in the source tree, or installed in pg_config's bindir
# (PGXS puts bindir first on PATH for TAP tests).
my $cli;
for my $dir (grep { defined && length } ($ENV{TESTDIR}, $root))
{
	if (-x "$dir/cli/dtecert") { $cli = "$dir/cli/dtecert"; last; }
}
if (!$cli)
{
	for my $dir (split /:/, $ENV{PATH})
	{
		if (-x "$dir/dtecert") { $cli = "$dir/dtecert"; last; }
	}
}
plan skip_all => 'the dtecert command is not built (make) nor installed' unless $cli;
note "using $cli";

my $tmp = "${PostgreSQL::Test::Utils::tmp_check}/cli";
make_path($tmp);

my $node = PostgreSQL::Test::Cluster->new('cli');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'dtecert'\n");
$node->start;

$ENV{PGHOST} = $node->host;
$ENV{PGPORT} = $node->port;
$ENV{PGDATABASE} = 'postgres';
delete $ENV{PGSERVICE};

# run the command: returns (exit status, stdout, stderr)
sub dtecert
{
	my ($opts, @args) = ref $_[0] eq 'HASH' ? @_ : ({}, @_);
	my ($out, $err) = ('', '');
	my @extra = $opts->{dir} ? (init => sub { chdir $opts->{dir} or die "chdir: $!" }) : ();
	IPC::Run::run([ $cli, @args ], '<', \'', '>', \$out, '2>', \$err, @extra);
	return ($? >> 8, $out, $err);
}

sub write_text
{
	my ($path, $text) = @_;
	open my $fh, '>:raw', $path or die "$path: $!";
	print $fh $text;
	close $fh;
}

$node->safe_psql(
	'postgres', q{
CREATE EXTENSION dtecert;
CREATE TABLE cli_customers (id int PRIMARY KEY);
INSERT INTO cli_customers SELECT g FROM generate_series(1, 10) g;
CREATE TABLE cli_orders (id int PRIMARY KEY, customer_id int REFERENCES cli_customers,
                         status text, amount numeric, email text);
INSERT INTO cli_orders
SELECT g, g % 10 + 1, (ARRAY['placed', 'shipped', 'returned'])[g % 3 + 1], g % 500, 'u' || g || '@example.com'
  FROM generate_series(1, 300) g;
CREATE TABLE cli_bad (id int, v int);
INSERT INTO cli_bad SELECT g % 20, g FROM generate_series(1, 50) g;
CREATE SCHEMA "Sales";
CREATE TABLE "Sales"."Q1/2024" (id int PRIMARY KEY, note text);
INSERT INTO "Sales"."Q1/2024" SELECT g, 'n' || g FROM generate_series(1, 20) g;
});

###########################################################################
# a. apply
###########################################################################

my $pol = "$tmp/policies";
make_path($pol);
write_text("$pol/orders.yml", <<'EOF');
# the orders
dataset: public.cli_orders
checks:
  - unique: id
  - not_null: customer_id
  - between: {column: amount, min: 0, max: 1000}
EOF
write_text("$pol/bad.yaml", "dataset: public.cli_bad\nchecks:\n  - unique: id\n");
write_text("$pol/sales.yml", "dataset: '\"Sales\".\"Q1/2024\"'\nchecks:\n  - not_null: note\n");
write_text("$pol/README.txt", "not a policy\n");

my ($rc, $out, $err) = dtecert('apply', $pol);
is($rc, 0, 'a: apply DIR exits 0') or diag($out . $err);
like($out, qr/orders\.yml: public\.cli_orders: policy version 1/, 'a: apply names each file, dataset and version');
like($out, qr/applied 3 policies in one transaction/, 'a: three policies, the .txt file ignored');
($rc, $out, $err) = dtecert('apply', "$pol/orders.yml");
is($rc, 0, 'a: applying the same file again exits 0');
like($out, qr/unchanged \(policy version 1\)/, 'a: ... and stores no new version of an unchanged policy');

my $bad = "$tmp/badpolicies";
make_path($bad);
write_text("$bad/a_orders.yml", "dataset: public.cli_orders\nchecks:\n  - unique: id\n  - not_null: status\n");
write_text("$bad/b_broken.yml", "dataset: public.cli_bad\nchecks:\n  - no_such_check: id\n");
($rc, $out, $err) = dtecert('apply', $bad);
is($rc, 2, 'a: one bad file: exit 2');
like($err, qr/b_broken\.yml: invalid policy/, 'a: the message names the file and the server\'s error');
like($err, qr/rolled back, nothing applied/, 'a: ... and says nothing was applied');
is($node->safe_psql('postgres', q{SELECT max(version) FROM dtecert.policies WHERE dataset = 'public.cli_orders'}),
	'1', 'a: the good file in the same run was rolled back too');

write_text("$bad/c_nodataset.yml", "checks:\n  - unique: id\n");
($rc, $out, $err) = dtecert('apply', "$bad/c_nodataset.yml");
is($rc, 2, 'a: a file without dataset: exits 2');
like($err, qr/c_nodataset\.yml: no top-level `dataset:` key/, 'a: ... naming the file');
write_text("$bad/d_unknown.yml", "dataset: public.no_such_table\nchecks:\n  - unique: id\n");
($rc, $out, $err) = dtecert('apply', "$pol/orders.yml", "$bad/d_unknown.yml");
is($rc, 2, 'a: a file naming an unknown table exits 2');
like($err, qr/d_unknown\.yml: relation "public\.no_such_table" does not exist/, 'a: ... with the server\'s error');

###########################################################################
# b. certify
###########################################################################

my $art = "$tmp/artifacts";
($rc, $out, $err) = dtecert('certify', 'public.cli_orders', '--out', $art, '--version', 'v1.2.3');
is($rc, 0, 'b: a certified dataset: exit 0') or diag($out . $err);
like($out, qr/^public\.cli_orders: CERTIFIED/m, 'b: one verdict line (not a terminal)');
is(scalar(() = $out =~ /\n/g), 1, 'b: ... and only that line');
ok(-s "$art/public.cli_orders.json" && -s "$art/public.cli_orders.html", 'b: the JSON and HTML packs are written');
my $pack = decode_json(slurp_file("$art/public.cli_orders.json"));
is($pack->{certified}, JSON::PP::true, 'b: the JSON pack is the certificate\'s evidence');
is($pack->{certificate}{version_label}, 'v1.2.3', 'b: --version is the version label');
like(slurp_file("$art/public.cli_orders.html"), qr/<html/i, 'b: the HTML is the evidence page');
my $orders_id = $pack->{certificate}{certificate_id};

($rc, $out, $err) = dtecert('certify', 'cli_bad', '--out', $art);
is($rc, 1, 'b: a dataset not certified: exit 1');
like($out, qr/^public\.cli_bad: NOT certified \(failed/m, 'b: the line says why');
ok(-s "$art/public.cli_bad.json" && -s "$art/public.cli_bad.html", 'b: its packs are written too');

($rc, $out, $err) = dtecert('certify', '--out', $art, 'public.cli_orders', 'public.cli_bad');
is($rc, 1, 'b: one certified and one not: exit 1');
like($out, qr/1 certified, 1 not certified, 0 errors/, 'b: a closing count');

($rc, $out, $err) = dtecert('certify', 'public.no_such_table', '--out', $art);
is($rc, 2, 'b: an unknown table: exit 2');
like($err, qr/relation "public\.no_such_table" does not exist/, 'b: ... with the server\'s message');

($rc, $out, $err) = dtecert('-d', 'host=/nonexistent port=1 dbname=postgres connect_timeout=5',
	'certify', 'public.cli_orders', '--out', $art);
is($rc, 2, 'b: a bad connection: exit 2');
like($err, qr/could not connect/, 'b: ... saying so');

($rc, $out, $err) = dtecert('certify');
is($rc, 2, 'b: no dataset: a usage error, exit 2');
($rc, $out, $err) = dtecert('frobnicate');
is($rc, 2, 'b: an unknown command: exit 2');
($rc, $out, $err) = dtecert('--help');
is($rc, 0, 'b: --help exits 0');
like($out, qr/Exit status:.*0 .*1 .*2 /s, 'b: --help documents the exit codes');

($rc, $out, $err) = dtecert('certify', '"Sales"."Q1/2024"', '--out', $art);
is($rc, 0, 'b: a quoted name with a slash certifies') or diag($out . $err);
ok(-s "$art/Sales.Q1%2F2024.json" && -s "$art/Sales.Q1%2F2024.html",
	'b: its files are named Sales.Q1%2F2024.json and .html (each part percent-encoded)');

# --tag: a temporary Git repository with one commit
my $repo = "$tmp/repo";
make_path($repo);
my @git = ('git', '-C', $repo, '-c', 'user.name=dtecert test', '-c', 'user.email=test@example.com');
ok(IPC::Run::run([ @git, 'init', '-q' ], '>', \$out, '2>', \$err), 'b: git init') or diag($err);
write_text("$repo/model.sql", "select 1\n");
IPC::Run::run([ @git, 'add', 'model.sql' ], '>', \$out, '2>', \$err);
ok(IPC::Run::run([ @git, 'commit', '-q', '-m', 'one commit' ], '>', \$out, '2>', \$err), 'b: git commit')
  or diag($err);
($rc, $out, $err) = dtecert({ dir => $repo }, 'certify', '--tag', 'public.cli_orders', 'public.cli_bad',
	'"Sales"."Q1/2024"');
is($rc, 1, 'b: --tag with one dataset not certified: exit 1') or diag($out . $err);
ok(-s "$repo/artifacts/certification/public.cli_orders.json", 'b: the default --out is artifacts/certification');
my $orders_tagged = $node->safe_psql('postgres',
	q{SELECT max(certificate_id) FROM dtecert.certificates WHERE dataset = 'public.cli_orders'});
my $sales_tagged = $node->safe_psql('postgres',
	q{SELECT max(certificate_id) FROM dtecert.certificates WHERE dataset = '"Sales"."Q1/2024"'});
IPC::Run::run([ 'git', '-C', $repo, 'tag', '-l' ], '>', \$out, '2>', \$err);
is( $out,
	"dtecert/Sales.Q1%2F2024/$sales_tagged\ndtecert/public.cli_orders/$orders_tagged\n",
	'b: a tag dtecert/<schema>.<table>/<certificate_id> for each certified dataset, none for the other');
IPC::Run::run([ 'git', '-C', $repo, 'rev-parse', "dtecert/public.cli_orders/$orders_tagged^{commit}", 'HEAD' ],
	'>', \$out, '2>', \$err);
my @revs = split /\n/, $out;
is($revs[0], $revs[1], 'b: the tag points at HEAD');

###########################################################################
# c. status, summary, export
###########################################################################

($rc, $out, $err) = dtecert('status', '--json');
is($rc, 1, 'c: status --json exits 1 while a dataset is not certified');
my $status = decode_json($out);
is_deeply([ map { "$_->{dataset}=$_->{status}" } @$status ],
	[ '"Sales"."Q1/2024"=certified', 'public.cli_bad=failed', 'public.cli_orders=certified' ],
	'c: status --json lists every dataset with its status');
($rc, $out, $err) = dtecert('status', 'public.cli_orders');
is($rc, 0, 'c: status of a certified dataset exits 0');
like($out, qr/^dataset\s+status.*\npublic\.cli_orders\s+certified/s, 'c: status prints a table');
($rc, $out, $err) = dtecert('status', 'no_such_table');
is($rc, 2, 'c: status of an unknown table exits 2');

($rc, $out, $err) = dtecert('summary');
is($rc, 0, 'c: summary exits 0');
like($out, qr/^### dtecert: 2 of 3 datasets certified$/m, 'c: summary has a heading with the count');
like($out, qr/^\| ❌ \| public\.cli\\_bad \| \*\*failed\*\* \|/m, 'c: ... a Markdown row per dataset');
like($out, qr/^History: 3 hash chains verified/m, 'c: ... and the state of the history');

($rc, $out, $err) = dtecert('export', $orders_id);
is($rc, 0, 'c: export exits 0');
is(decode_json($out)->{certificate}{certificate_id}, $orders_id, 'c: export prints the pack');
($rc, $out, $err) = dtecert('export', '999999');
is($rc, 2, 'c: export of an unknown certificate exits 2');
($rc, $out, $err) = dtecert('export', 'abc');
is($rc, 2, 'c: export of a non-number exits 2');

###########################################################################
# d. verify
###########################################################################

($rc, $out, $err) = dtecert('verify', '--against', $art);
is($rc, 0, 'd: verify --against the packs just written exits 0') or diag($out . $err);
like($out, qr/^ok\s+public\.cli_orders\.json: certificate/m, 'd: each pack is checked');

# the packs kept outside the database (the latest of cli_orders)
my $kept = "$tmp/kept";
($rc, $out, $err) = dtecert('certify', 'public.cli_orders', '--out', $kept);
is($rc, 0, 'd: a pack kept outside the database');
my $last = decode_json(slurp_file("$kept/public.cli_orders.json"))->{certificate}{certificate_id};

# A consistent rewrite (as in 009_evidence.pl): edit a record, re-seal the
# chain after it.
$node->safe_psql(
	'postgres', qq{
ALTER TABLE dtecert.certificates DISABLE TRIGGER history_is_append_only;
UPDATE dtecert.certificates SET reason = 'nothing to see' WHERE certificate_id = $orders_id;
DO \$\$ DECLARE r record; BEGIN
  FOR r IN SELECT certificate_id, dataset FROM dtecert.certificates
            WHERE certificate_id >= $orders_id AND dataset = 'public.cli_orders' ORDER BY 1 LOOP
    UPDATE dtecert.certificates SET previous_sha256 = (SELECT core_sha256 FROM dtecert.certificates
        WHERE dataset = r.dataset AND certificate_id < r.certificate_id ORDER BY certificate_id DESC LIMIT 1)
     WHERE certificate_id = r.certificate_id;
    UPDATE dtecert.certificates SET core_sha256 = dtecert.core_sha256(r.certificate_id)
     WHERE certificate_id = r.certificate_id;
  END LOOP; END \$\$;
ALTER TABLE dtecert.certificates ENABLE TRIGGER history_is_append_only;});
($rc, $out, $err) = dtecert('verify');
is($rc, 0, 'd: a consistent rewrite passes verify (the chain alone) ...') or diag($out . $err);
($rc, $out, $err) = dtecert('verify', '--against', $kept);
is($rc, 1, 'd: ... but verify --against the kept packs exits 1');
like($out, qr/^PROBLEM\s+public\.cli_orders\.json: certificate $last of public\.cli_orders/m,
	'd: ... naming the pack whose seal and chain head are gone');
($rc, $out, $err) = dtecert('verify', '--against', "$tmp/no_such_dir");
is($rc, 2, 'd: --against a missing directory exits 2');

# an edit with the triggers disabled, not re-sealed: verify alone catches it
$node->safe_psql(
	'postgres', qq{
ALTER TABLE dtecert.certificates DISABLE TRIGGER history_is_append_only;
UPDATE dtecert.certificates SET reason = 'edited' WHERE certificate_id = $last;
ALTER TABLE dtecert.certificates ENABLE TRIGGER history_is_append_only;});
($rc, $out, $err) = dtecert('verify');
is($rc, 1, 'd: an edit that was not re-sealed: verify exits 1');
like($out, qr/^PROBLEM\s+public\.cli_orders: record $last: core_sha256 does not match/m,
	'd: ... naming the record');
$node->safe_psql(
	'postgres', qq{
ALTER TABLE dtecert.certificates DISABLE TRIGGER history_is_append_only;
UPDATE dtecert.certificates SET reason = NULL WHERE certificate_id = $last;
ALTER TABLE dtecert.certificates ENABLE TRIGGER history_is_append_only;});

###########################################################################
# e. import-dbt
###########################################################################

($rc, $out, $err) = dtecert('import-dbt', "$root/test/cli/schema.yml");
is($rc, 0, 'e: import-dbt exits 0') or diag($err);
my $imported = $out;
like($imported, qr/^---\n# dbt model cli_orders\ndataset: public\.cli_orders\n/m, 'e: one document per model, with dataset:');
like($imported, qr/^tier: low$/m, 'e: meta.dtecert sections are kept');
like($imported, qr/^  - not_null: id$/m, 'e: not_null');
like($imported, qr/^  - unique: \{columns: \[id, customer_id\]\}$/m, 'e: dbt_utils.unique_combination_of_columns');
like($imported, qr/^  - references: \{column: customer_id, table: public\.cli_customers, to: id\}$/m,
	'e: relationships');
like($imported, qr/^  - accepted_values: \{column: status, values: \['placed', 'shipped', 'returned'\], severity: warn\}$/m,
	'e: accepted_values with its severity');
like($imported, qr/^  - between: \{column: amount, min: 0, max: 1000, where: 'status <> ''returned'''\}$/m,
	'e: expect_column_values_to_be_between with row_condition');
like($imported, qr/^  - matches: \{column: email, regex: '\^\[\^@\]\+@\[\^@\]\+\$', mostly: 0\.9\}$/m,
	'e: expect_column_values_to_match_regex');
like($imported, qr/^  - row_count: \{min: 1, max: 1000000\}$/m, 'e: expect_table_row_count_to_be_between');
like($imported, qr/^  # not imported: some_package\.test_we_do_not_know/m, 'e: an unknown test is named, not dropped');
like($err, qr/test_we_do_not_know not imported/, 'e: ... and reported on stderr');
unlike($imported, qr/undocumented/, 'e: a model without tests gets no policy');

write_text("$tmp/imported.yml", $imported);
($rc, $out, $err) = dtecert('apply', "$tmp/imported.yml");
is($rc, 0, 'e: the imported policies apply (a multi-document file)') or diag($out . $err);
like($out, qr/imported\.yml \(document 2\): public\.cli_customers: policy version 1/, 'e: one policy per document');
($rc, $out, $err) = dtecert('certify', 'public.cli_orders', 'public.cli_customers', '--out', $art);
is($rc, 0, 'e: and both models certify under them') or diag($out . $err);

###########################################################################
# f. the dbt macros
###########################################################################

$node->safe_psql('postgres',
	q{CREATE TABLE dbt_orders AS SELECT g AS id, g % 7 AS amount FROM generate_series(1, 100) g});
my $meta = encode_json({ tier => 'low', description => q{it's the model \\ of "orders" <b>},
	checks => [ { unique => 'id' }, { not_null => 'id' } ] });

sub render
{
	my ($call, @more) = @_;
	my ($sql, $e);
	my $ok = IPC::Run::run [ '/usr/bin/python3', "$root/test/cli/render_dbt.py", "$root/dbt/macros",
		$call, '--table', 'dbt_orders', '--meta', $meta, '--invocation-id', 'run-42', @more ],
	  '>', \$sql, '2>', \$e;
	ok($ok, "f: $call renders") or diag($e);
	return $sql;
}

my $apply_sql = render('dtecert_apply_policy()');
is($node->safe_psql('postgres', $apply_sql), '1', 'f: dtecert_apply_policy stores the policy from meta');
is($node->safe_psql('postgres', q{SELECT dtecert.policy('dbt_orders') ->> 'description'}),
	q{it's the model \\ of "orders" <b>}, 'f: ... quotes, backslashes and markup intact');
is($node->safe_psql('postgres', $apply_sql), '', 'f: run again, it stores no new version');

my $certify_sql = render('dtecert_certify()');
like($node->safe_psql('postgres', $certify_sql), qr/^\d+\|certified\|t$/, 'f: dtecert_certify certifies');
is($node->safe_psql('postgres',
		q{SELECT version_label FROM dtecert.certificates WHERE dataset = 'public.dbt_orders' ORDER BY 1 DESC LIMIT 1}),
	'run-42', 'f: ... labelled with the invocation id');
my $assert_sql = render(q{dtecert_assert_certified(min_tier='low')});
like($node->safe_psql('postgres', $assert_sql), qr/^\d+$/, 'f: dtecert_assert_certified passes');

# dbt's swap: build the new relation aside, rename, drop the old one
$node->safe_psql(
	'postgres', q{
CREATE TABLE dbt_orders__dbt_tmp AS SELECT g AS id, g % 7 AS amount FROM generate_series(1, 120) g;
ALTER TABLE dbt_orders RENAME TO dbt_orders__dbt_backup;
ALTER TABLE dbt_orders__dbt_tmp RENAME TO dbt_orders;
DROP TABLE dbt_orders__dbt_backup;});
is($node->safe_psql('postgres', q{SELECT status FROM dtecert.status WHERE dataset = 'public.dbt_orders'}),
	'revoked', 'f: a dbt swap revokes the certificate (DDL triggers)');
my ($r, $o, $e) = $node->psql('postgres', $assert_sql);
like($e, qr/not certified|revoked/, 'f: dtecert_assert_certified fails the hook meanwhile');
is($node->safe_psql('postgres', $apply_sql), '', 'f: the policy stays (kept by name)');
like($node->safe_psql('postgres', $certify_sql), qr/^\d+\|certified\|t$/, 'f: the post-hook re-certifies');
like($node->safe_psql('postgres', $assert_sql), qr/^\d+$/, 'f: and the gate passes again');

# a failing model fails the gate
$node->safe_psql('postgres', q{INSERT INTO dbt_orders VALUES (1, 1)});
like($node->safe_psql('postgres', $certify_sql), qr/^\d+\|failed\|f$/, 'f: a duplicate id: not certified');
($r, $o, $e) = $node->psql('postgres', $assert_sql);
isnt($r, 0, 'f: dtecert_assert_certified raises');
like($e, qr/unique\(id\)/, 'f: ... naming the failed check');

$node->stop;
done_testing();
