# Evidence packs and tamper evidence (DESIGN section 6):
#
#  a. packs of every kind — certified, failed, drifted, revoked, waived, with
#     samples, lineage and a profile — validate against
#     docs/evidence-pack.schema.json (checked by Python's jsonschema);
#  b. every seal recomputes outside the database, with an independent
#     RFC 8785 implementation (test/evidence/check_packs.py);
#  c. the HTML page is self-contained and escapes every value;
#  d. the history is append-only; verify_chain catches an edit made with the
#     triggers disabled, and a consistent rewrite is caught by comparing the
#     chain head kept in an older pack; purge_samples and prune_history keep
#     the chain valid; only readers of the dataset get its evidence.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use File::Basename qw(dirname);

my $root = dirname(dirname(dirname(__FILE__)));
my $schema = "$root/docs/evidence-pack.schema.json";
my $checker = "$root/test/evidence/check_packs.py";
my $out = "${PostgreSQL::Test::Utils::tmp_check}/packs";
mkdir $out;

my $node = PostgreSQL::Test::Cluster->new('evidence');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'dtecert'\n");
$node->start;

$node->safe_psql(
	'postgres', q{
CREATE EXTENSION dtecert;
CREATE SCHEMA "Évidence";
CREATE TABLE "Évidence"."Orders ""2024""" (id int PRIMARY KEY, amount numeric, note text);
INSERT INTO "Évidence"."Orders ""2024""" SELECT g, g % 50, 'n' || g FROM generate_series(1, 200) g;
INSERT INTO "Évidence"."Orders ""2024""" VALUES (201, -5, '<script>alert("x")</script> & ''q''');
SELECT dtecert.set_policy('"Évidence"."Orders ""2024"""', $$
tier: low
checks:
  - unique: id
  - between: {column: amount, min: 0, max: 100}
  - not_null: note
lineage: {job: load_orders, inputs: ["s3://raw/orders", "kafka://broker/orders"]}
robustness: {columns: [amount, note], psi_max: 0.25}
$$);
});
my $ds = q{'"Évidence"."Orders ""2024"""'};

sub certify
{
	return $node->safe_psql('postgres', "SELECT certificate_id FROM dtecert.certify($ds)");
}

sub save_pack
{
	my ($id, $name) = @_;
	my $json = $node->safe_psql('postgres', "SELECT dtecert.evidence($id)");
	open my $fh, '>:raw', "$out/$name.json" or die $!;
	print $fh $json;
	close $fh;
	return "$out/$name.json";
}

my @packs;
my $failed = certify();
push @packs, save_pack($failed, 'failed');
$node->safe_psql('postgres',
	"SELECT dtecert.waive($ds, 'between(amount)', 'known bad row <b>', 'auditor & co', now() + interval '1 day')");
my $waived = certify();
push @packs, save_pack($waived, 'waived');
$node->safe_psql('postgres', q{UPDATE "Évidence"."Orders ""2024""" SET amount = 99 WHERE id <= 150});
my $drifted = certify();
push @packs, save_pack($drifted, 'drifted');
my $revoked = $node->safe_psql('postgres', "SELECT dtecert.revoke($ds, 'audit finding')");
push @packs, save_pack($revoked, 'revoked');
$node->safe_psql('postgres', q{UPDATE "Évidence"."Orders ""2024""" SET amount = id % 50 WHERE id <= 150});
my $certified = certify();
push @packs, save_pack($certified, 'certified');
is( $node->safe_psql(
		'postgres',
		"SELECT string_agg(status, ',' ORDER BY certificate_id) FROM dtecert.certificates"),
	'failed,certified,drifted,revoked,certified',
	'a: one record of each kind (the second is certified by a waiver)');

###########################################################################
# a. the schema
###########################################################################

my ($stdout, $stderr);
my $ok = IPC::Run::run [ '/usr/bin/python3', $checker, $schema, @packs ], '>', \$stdout, '2>', \$stderr;
ok($ok, 'a: every pack validates against docs/evidence-pack.schema.json')
  or diag($stdout . $stderr);
my $waived_pack = slurp_file("$out/waived.json");
like($waived_pack, qr/"approved_by": "auditor & co"/, 'a: the waiver and its approver are in the pack');
like($waived_pack, qr/"waived": true/, 'a: the check is flagged waived');
like(slurp_file("$out/drifted.json"), qr/"name": "robustness", "passed": false/,
	'a: the drifted pack shows the failed robustness criterion');

###########################################################################
# b. seals recompute outside the database
###########################################################################

for my $id ($failed, $waived, $drifted, $revoked, $certified)
{
	my $core = $node->safe_psql('postgres', "SELECT dtecert.certificate_core($id)");
	my $seal = $node->safe_psql('postgres',
		"SELECT core_sha256 FROM dtecert.certificates WHERE certificate_id = $id");
	open my $fh, '>:raw', "$out/core$id.json" or die $!;
	print $fh $core;
	close $fh;
	$ok = IPC::Run::run [ '/usr/bin/python3', $checker, '--core', "$out/core$id.json", $seal ],
	  '>', \$stdout, '2>', \$stderr;
	ok($ok, "b: the seal of record $id recomputes with an independent RFC 8785 implementation")
	  or diag($stdout . $stderr);
}
is($node->safe_psql('postgres', 'SELECT ok FROM dtecert.verify_chain()'), 't', 'b: the chain verifies');
is( $node->safe_psql(
		'postgres', q{
SELECT count(*) FILTER (WHERE o.event #>> '{run,facets,dtecert_certificate,chainHead}' = c.core_sha256)
       || '/' || count(*)
  FROM dtecert.lineage_outbox o JOIN dtecert.certificates c USING (certificate_id)
 WHERE o.event_type IN ('COMPLETE', 'FAIL')}),
	'4/4', 'b: every COMPLETE and FAIL lineage event carries the seal of its certificate');

###########################################################################
# c. HTML
###########################################################################

my $html = $node->safe_psql('postgres', "SELECT dtecert.evidence_html($failed)");
unlike($html, qr/<script/i, 'c: no script element, not even from data');
like($html, qr/&lt;script&gt;alert\(&quot;x&quot;\)&lt;\/script&gt; &amp; &#39;q&#39;/,
	'c: a failing sample is escaped');
unlike($html, qr/(?:src|href)="(?:https?:)?\/\//, 'c: no external asset');
like($html, qr/<svg/, 'c: charts are inline SVG');
like($html, qr/Évidence/, 'c: names show as written');
like($node->safe_psql('postgres', "SELECT dtecert.evidence_html($waived)"),
	qr/known bad row &lt;b&gt;/, 'c: the waiver reason is escaped');

###########################################################################
# d. append-only, verify_chain, rewrites, purge, prune, privileges
###########################################################################

my ($ret, $o, $err) = $node->psql('postgres',
	"UPDATE dtecert.certificates SET certified = true WHERE certificate_id = $failed");
like($err, qr/dtecert\.certificates is append-only: UPDATE refused/, 'd: UPDATE refused');
($ret, $o, $err) = $node->psql('postgres', 'DELETE FROM dtecert.check_results');
like($err, qr/append-only: DELETE refused/, 'd: DELETE refused');
($ret, $o, $err) = $node->psql('postgres', 'TRUNCATE dtecert.certificates CASCADE');
like($err, qr/append-only: TRUNCATE refused/, 'd: TRUNCATE refused');

my $head_before = $node->safe_psql('postgres', "SELECT dtecert.chain_head((SELECT dataset FROM dtecert.certificates LIMIT 1))");
$node->safe_psql(
	'postgres', qq{
ALTER TABLE dtecert.check_results DISABLE TRIGGER history_is_append_only;
UPDATE dtecert.check_results SET passed = true WHERE certificate_id = $failed AND check_name = 'between(amount)';
ALTER TABLE dtecert.check_results ENABLE TRIGGER history_is_append_only;});
is($node->safe_psql('postgres', 'SELECT ok, first_bad_certificate, problem FROM dtecert.verify_chain()'),
	"f|$failed|core_sha256 does not match the record's contents",
	'd: verify_chain catches an edited result');
$node->safe_psql(
	'postgres', qq{
ALTER TABLE dtecert.check_results DISABLE TRIGGER history_is_append_only;
UPDATE dtecert.check_results SET passed = false WHERE certificate_id = $failed AND check_name = 'between(amount)';
ALTER TABLE dtecert.check_results ENABLE TRIGGER history_is_append_only;});
is($node->safe_psql('postgres', 'SELECT ok FROM dtecert.verify_chain()'), 't', 'd: undone, it verifies again');

# A consistent rewrite: edit a record and re-seal the whole chain after it.
$node->safe_psql(
	'postgres', qq{
ALTER TABLE dtecert.certificates DISABLE TRIGGER history_is_append_only;
UPDATE dtecert.certificates SET reason = 'nothing to see' WHERE certificate_id = $revoked;
DO \$\$ DECLARE r record; BEGIN
  FOR r IN SELECT certificate_id, dataset FROM dtecert.certificates WHERE certificate_id >= $revoked ORDER BY 1 LOOP
    UPDATE dtecert.certificates SET previous_sha256 = (SELECT core_sha256 FROM dtecert.certificates
        WHERE dataset = r.dataset AND certificate_id < r.certificate_id ORDER BY certificate_id DESC LIMIT 1)
     WHERE certificate_id = r.certificate_id;
    UPDATE dtecert.certificates SET core_sha256 = dtecert.core_sha256(r.certificate_id)
     WHERE certificate_id = r.certificate_id;
  END LOOP; END \$\$;
ALTER TABLE dtecert.certificates ENABLE TRIGGER history_is_append_only;});
is($node->safe_psql('postgres', 'SELECT ok FROM dtecert.verify_chain()'), 't',
	'd: a consistent rewrite passes verify_chain on its own ...');
my $kept = $node->safe_psql('postgres',
	"SELECT count(*) FROM dtecert.certificates WHERE core_sha256 = '"
	  . (slurp_file("$out/certified.json") =~ /"chain_head": "([0-9a-f]{64})"/)[0] . "'");
is($kept, '0', 'd: ... but the chain head kept in a pack outside the database no longer exists in it');

my $purged = $node->safe_psql('postgres', q{SELECT dtecert.purge_samples('0 seconds')});
cmp_ok($purged, '>', 0, 'd: purge_samples redacts samples');
like($node->safe_psql('postgres', "SELECT dtecert.evidence($failed)"), qr/"redacted": true/,
	'd: the pack shows them redacted');
is($node->safe_psql('postgres', 'SELECT ok FROM dtecert.verify_chain()'), 't',
	'd: the chain still verifies after purging');

my $pruned = $node->safe_psql('postgres', q{SELECT dtecert.prune_history(now())});
is($pruned, '4', 'd: prune_history removes all but the latest record');
is( $node->safe_psql('postgres',
		'SELECT string_agg(status, \',\' ORDER BY certificate_id) FROM dtecert.certificates'),
	'checkpoint,certified', 'd: a checkpoint takes their place');
is($node->safe_psql('postgres', 'SELECT ok, certificates FROM dtecert.verify_chain()'), 't|2',
	'd: the chain verifies through the checkpoint');
is($node->safe_psql('postgres', "SELECT status FROM dtecert.status"), 'certified',
	'd: the status is unchanged');

$node->safe_psql('postgres', 'CREATE ROLE reader LOGIN; CREATE ROLE stranger LOGIN;'
	  . q{GRANT USAGE ON SCHEMA "Évidence" TO reader; GRANT SELECT ON "Évidence"."Orders ""2024""" TO reader;});
($ret, $o, $err) = $node->psql('postgres', "SET ROLE stranger; SELECT dtecert.evidence($certified)");
like($err, qr/permission denied for the evidence of/, 'd: a role that cannot read the dataset gets no evidence');
($ret, $o, $err) = $node->psql('postgres', "SET ROLE stranger; SELECT dtecert.prune_history(now())");
like($err, qr/permission denied/, 'd: only a superuser prunes');
is($node->safe_psql('postgres', "SET ROLE reader; SELECT dtecert.evidence($certified) IS NOT NULL"),
	't', 'd: a reader of the dataset gets it');

###########################################################################
# e. a high-tier pack: fairness and explainability in the pack and the page
###########################################################################

$node->safe_psql(
	'postgres', q{
CREATE TABLE public.scores (id int PRIMARY KEY, grp text, label int, score int, feature int);
INSERT INTO public.scores
SELECT g, CASE WHEN g % 3 = 0 THEN 'A<b>' ELSE 'B' END, (g % 2), (g % 10), g % 7
  FROM generate_series(1, 3000) g;
CREATE TABLE public.raw (id int);
SELECT dtecert.set_policy('public.scores', $$
tier: high
checks: [{not_null: id}]
lineage: {job: scoring, inputs: [public.raw]}
robustness: {columns: [score], psi_max: 0.25}
fairness:
  protected: [grp]
  label: label
  prediction: "score >= 5"
  limits: {disparate_impact: {min: 0.5}}
explainability:
  model_card: https://example.com/model-card
  features: [feature, score]
$$);});
my $high = $node->safe_psql('postgres', q{SELECT certificate_id FROM dtecert.certify('public.scores')});
my $high_pack = save_pack($high, 'high');
$ok = IPC::Run::run [ '/usr/bin/python3', $checker, $schema, $high_pack ], '>', \$stdout, '2>', \$stderr;
ok($ok, 'e: a high-tier pack validates against the schema') or diag($stdout . $stderr);
like(slurp_file($high_pack), qr/"kind": "fairness"/, 'e: the pack holds the fairness criterion');
$html = $node->safe_psql('postgres', "SELECT dtecert.evidence_html($high)");
like($html, qr/<h2>Fairness by grp<\/h2>/, 'e: the page has the per-group table');
like($html, qr/<td>A&lt;b&gt;<\/td>/, 'e: group values are escaped');
like($html, qr/disparate_impact <b>[0-9.]+<\/b>/, 'e: and the summary metrics');

done_testing();
