#!/usr/bin/env bash
# How long CALL dtecert.recertify_due() takes when nothing changed: the cost
# a scheduler pays on every tick (issue 6: < 200 ms for 50 datasets).
#
#   bash test/bench/recertify_due.sh [--datasets N] [--rows R] [--runs K]
#
# Run as root after `make install` (or `bash .ci/setup`).  It starts a
# throwaway cluster as user postgres in /var/tmp, creates N tables of R rows
# with a policy each, certifies them all, then times K calls of
# recertify_due() (and of due() alone) with nothing changed, and prints the
# median, min and max.  Not part of CI.
set -euo pipefail

DATASETS=50
ROWS=10000
RUNS=11
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PORT=${PORT:-55497}

while (($#)); do
	case $1 in
	--datasets) DATASETS=$2; shift 2 ;;
	--rows) ROWS=$2; shift 2 ;;
	--runs) RUNS=$2; shift 2 ;;
	-h | --help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "unknown option $1" >&2; exit 2 ;;
	esac
done

DIR=$(mktemp -d /var/tmp/dtecert-recertify.XXXXXX)
chown postgres "$DIR"
as_pg() { runuser -u postgres -- "$@"; }
cleanup() {
	as_pg "$PGBIN/pg_ctl" -D "$DIR/data" -m immediate stop >/dev/null 2>&1 || true
	rm -rf "$DIR"
}
trap cleanup EXIT

as_pg "$PGBIN/initdb" -D "$DIR/data" -A trust >/dev/null
cat >>"$DIR/data/postgresql.conf" <<EOF
shared_preload_libraries = 'dtecert'
listen_addresses = ''
unix_socket_directories = '$DIR'
port = $PORT
fsync = off
EOF
as_pg "$PGBIN/pg_ctl" -D "$DIR/data" -l "$DIR/log" -w start >/dev/null
PSQL=(as_pg psql -X -q -h "$DIR" -p "$PORT" -d postgres -v ON_ERROR_STOP=1)

"${PSQL[@]}" >/dev/null <<EOF
CREATE EXTENSION dtecert;
DO \$\$
BEGIN
	FOR i IN 1..$DATASETS LOOP
		EXECUTE format('CREATE TABLE public.t%s (id int PRIMARY KEY, v numeric, s text)', i);
		EXECUTE format('INSERT INTO public.t%s SELECT g, g %% 100, ''s'' || g %% 7
		                  FROM generate_series(1, $ROWS) g', i);
		PERFORM dtecert.set_policy(format('public.t%s', i)::regclass,
			'checks: [{not_null: v}, {unique: id}, {between: {column: v, min: 0, max: 100}},
			          {accepted_values: {column: s, values: [s0, s1, s2, s3, s4, s5, s6]}}]');
	END LOOP;
END \$\$;
SELECT pg_stat_force_next_flush();
EOF
"${PSQL[@]}" -c 'CALL dtecert.recertify_due()' 2>/dev/null
certified=$("${PSQL[@]}" -Atc "SELECT count(*) FROM dtecert.status WHERE status = 'certified'")
due=$("${PSQL[@]}" -Atc 'SELECT count(*) FROM dtecert.due()')
echo "datasets: $DATASETS of $ROWS rows; certified: $certified; due now: $due"

# Each call in its own connection, as a scheduler's would be; the time is
# the server-side duration of the statement (psql's \timing).
time_of() {
	local sql=$1 times=()
	for _ in $(seq "$RUNS"); do
		times+=("$("${PSQL[@]}" -c '\timing on' -c "$sql" 2>&1 |
			sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -1)")
	done
	printf '%s\n' "${times[@]}" | sort -n | awk -v what="$sql" '
		{ t[NR] = $1 }
		END { printf "%-36s median %8.2f ms   min %8.2f   max %8.2f   (%d runs)\n",
		      what, t[int((NR + 1) / 2)], t[1], t[NR], NR }'
}
time_of 'CALL dtecert.recertify_due()'
time_of 'SELECT count(*) FROM dtecert.due()'
