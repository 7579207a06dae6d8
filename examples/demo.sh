#!/usr/bin/env bash
# examples/demo.sh — dtecert end to end on a fresh Debian 12 machine, as root:
#
#   bash examples/demo.sh
#
# 1. .ci/setup: installs PostgreSQL 15 and the build dependencies, builds and
#    installs dtecert (DTECERT_SKIP_APT=1 skips apt-get);
# 2. (re)creates a demo cluster in /var/tmp/dtecert-demo (port 5499, Unix
#    socket in that directory, shared_preload_libraries = 'dtecert'), run by
#    the postgres system user; an old demo cluster is stopped and replaced;
# 3. loads examples/customers.csv and examples/customer_orders.csv;
# 4. stores the policy examples/customer_orders.yml, certifies the table with
#    `dtecert certify`, which writes the evidence pack to
#    artifacts/certification/public.customer_orders.json and .html, and shows
#    the certificate and its check results.
#
# Exit status 0 when the demo ran, whatever the verdict; non-zero on an error.
# The cluster keeps running afterwards so you can explore it.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DEMO=/var/tmp/dtecert-demo
DATA=$DEMO/data
PORT=5499
PGBIN=/usr/lib/postgresql/15/bin
DATASET=public.customer_orders
EVIDENCE_DIR=$REPO/artifacts/certification
EVIDENCE=$EVIDENCE_DIR/$DATASET.json

say() { printf '\n==> %s\n' "$*"; }
as_postgres() { (cd / && runuser -u postgres -- "$@"); }
# psql runs as root (it reads the CSVs and writes the evidence pack) and
# connects as the postgres role over the demo's socket (trust authentication).
psql() { "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$DEMO" -p "$PORT" -U postgres -d postgres "$@"; }

if [[ $(id -u) -ne 0 ]]; then
	echo "examples/demo.sh: run me as root (it installs packages and manages a cluster)" >&2
	exit 1
fi

say "setup: dependencies, build, install (.ci/setup)"
bash "$REPO/.ci/setup"

say "demo cluster in $DATA (port $PORT)"
if [[ -f $DATA/postmaster.pid ]]; then
	echo "stopping the previous demo cluster"
	as_postgres "$PGBIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null ||
		as_postgres "$PGBIN/pg_ctl" -D "$DATA" -m immediate -w stop >/dev/null || true
fi
rm -rf "$DEMO"
mkdir -p "$DEMO"
chown postgres:postgres "$DEMO"
as_postgres "$PGBIN/initdb" --no-sync -A trust -U postgres -E UTF8 --locale=C.UTF-8 \
	-D "$DATA" >"$DEMO/initdb.log"
cat >>"$DATA/postgresql.conf" <<EOF

# examples/demo.sh
shared_preload_libraries = 'dtecert'
listen_addresses = ''
unix_socket_directories = '$DEMO'
port = $PORT
EOF
as_postgres "$PGBIN/pg_ctl" -D "$DATA" -l "$DEMO/server.log" -w -t 60 start >/dev/null
echo "started (log: $DEMO/server.log)"

say "load the sample: public.customers, public.customer_orders"
cd "$REPO/examples"	# \copy reads paths relative to psql's directory
psql <<'SQL'
CREATE TABLE public.customers (
    id    integer PRIMARY KEY,
    name  text,
    email text
);
-- No primary key and no unique index on purpose: nothing in the catalog
-- proves unique(order_id), so dtecert has to read the data to check it.
CREATE TABLE public.customer_orders (
    order_id    bigint NOT NULL,
    customer_id integer,
    status      text,
    amount      numeric,
    currency    text,
    ordered_at  timestamptz,
    email       text,
    region      text
);
\copy public.customers FROM 'customers.csv' WITH (FORMAT csv, HEADER true)
\copy public.customer_orders FROM 'customer_orders.csv' WITH (FORMAT csv, HEADER true)

-- The CSV is a fixed sample (its newest order is from 2026-11-27), but the
-- freshness criterion is checked against now(): shift every timestamp so that
-- the newest order is 10 minutes old, keeping the spacing between orders.
UPDATE public.customer_orders
   SET ordered_at = ordered_at + (now() - interval '10 minutes'
                                  - (SELECT max(ordered_at) FROM public.customer_orders));
ANALYZE public.customers, public.customer_orders;
SELECT (SELECT count(*) FROM public.customers) AS customers,
       (SELECT count(*) FROM public.customer_orders) AS orders,
       (SELECT max(ordered_at) FROM public.customer_orders) AS newest_order;
SQL
cd "$REPO"

say "CREATE EXTENSION dtecert; store the policy examples/customer_orders.yml"
# The YAML goes in as a psql variable and reaches the server as a literal
# (:'policy'); it is never pasted into SQL text.
psql -v policy="$(cat "$REPO/examples/customer_orders.yml")" <<'SQL'
CREATE EXTENSION dtecert;
SELECT dtecert.set_policy('public.customer_orders', :'policy') AS policy_version;
SQL

say "certify: dtecert certify $DATASET --out ${EVIDENCE_DIR#"$REPO"/}"
# The dtecert command (installed by `make install` next to psql) certifies the
# table and writes the evidence pack as JSON and as a self-contained HTML page.
# It connects like psql, here through the PG* variables.  Exit status 0:
# certified, 1: not certified (the demo goes on either way), 2: an error.
DTECERT_STATUS=0
(cd "$REPO" && PGHOST=$DEMO PGPORT=$PORT PGUSER=postgres PGDATABASE=postgres \
	"$PGBIN/dtecert" certify "$DATASET" --out "${EVIDENCE_DIR#"$REPO"/}") || DTECERT_STATUS=$?
if ((DTECERT_STATUS > 1)); then
	echo "examples/demo.sh: dtecert certify failed (exit status $DTECERT_STATUS)" >&2
	exit 1
fi

ID=$(psql -At -c "SELECT certificate_id FROM dtecert.certificates
                   WHERE relation_oid = 'public.customer_orders'::regclass
                     AND status <> 'revoked'
                   ORDER BY certificate_id DESC LIMIT 1")

say "certificate $ID and its check results"
psql -v id="$ID" <<'SQL'
SELECT certificate_id, dataset, status, tier_required, tier_achieved, certified, quality_score,
       checks_passed, checks_failed, valid_until, run_id
  FROM dtecert.certificates WHERE certificate_id = :id \gx
\echo 'Check results (criteria and checks) of certificate' :id
SELECT check_name, passed, unexpected_count, proven_by
  FROM dtecert.check_results
 WHERE certificate_id = :id
 ORDER BY passed, check_name;
SQL

say "evidence pack: ${EVIDENCE#"$REPO"/}"
echo "wrote $EVIDENCE ($(wc -c <"$EVIDENCE") bytes)"
echo "wrote ${EVIDENCE%.json}.html ($(wc -c <"${EVIDENCE%.json}.html") bytes): open it in a browser"

IFS='|' read -r CERTIFIED STATUS TIER REQUIRED SCORE UNTIL FAILED_CHECKS < <(psql -At -F '|' -c "
	SELECT c.certified, c.status, coalesce(c.tier_achieved, 'none'), coalesce(c.tier_required, 'none'),
	       round(c.quality_score, 3),
	       to_char(c.valid_until AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI \"UTC\"'),
	       coalesce((SELECT string_agg(r.check_name, ', ' ORDER BY r.check_name)
	                   FROM dtecert.check_results r
	                  WHERE r.certificate_id = c.certificate_id AND NOT r.passed), 'none')
	  FROM dtecert.certificates c WHERE c.certificate_id = $ID")

say "verdict"
if [[ $CERTIFIED == t ]]; then
	echo "$DATASET: CERTIFIED at tier $TIER (required: $REQUIRED), certificate $ID, valid until $UNTIL"
else
	echo "$DATASET: NOT certified (status $STATUS, tier achieved: $TIER, required: $REQUIRED), certificate $ID"
fi
echo "quality_score $SCORE; failed: $FAILED_CHECKS"
cat <<EOF

The demo cluster is still running.
  connect:  psql -h $DEMO -p $PORT -U postgres
  try:      SELECT * FROM dtecert.status;
            SELECT dtecert.assert_certified('$DATASET', 'medium');
  stop:     runuser -u postgres -- $PGBIN/pg_ctl -D $DATA stop
EOF
