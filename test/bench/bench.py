#!/usr/bin/python3
"""dtecert benchmark (issue 5): the client side.  Started by test/bench/run.sh,
which builds dtecert and starts the cluster; see test/bench/README.md.

Every variant is timed the same way: wall-clock time.perf_counter() around
cur.execute() + fetchall() of each of its statements, from this one psycopg2
connection in autocommit mode (so a statement's commit is included, as it is
for a tool running it).  Runs are interleaved: one round runs every variant
once, in a fixed order; one untimed warm-up round comes first.
"""

import argparse
import os
import statistics
import sys
import threading
import time

import psycopg2

GENERATOR_VERSION = 1
TABLE_PK = "customer_orders_pk"
TABLE_NOIDX = "customer_orders_noidx"
TABLE_SMALL = "customer_orders_small"

STATUSES = ["pending", "shipped", "delivered", "cancelled", "returned"]
CURRENCIES = ["EUR", "USD", "GBP"]
REGIONS = ["north", "south", "east", "west"]
EMAIL_REGEX = r"^[^@]+@[^@]+\.[a-z]+$"

POLICY = r"""
tier: low
schema:
  columns:
    order_id: {type: bigint, nullable: false}
freshness: {column: ordered_at, max_age: 1 day}
checks:
  - not_null: order_id
  - not_null: customer_id
  - not_null: amount
  - not_null: ordered_at
  - not_null: {column: region, mostly: 0.95}
  - unique: order_id
  - accepted_values: {column: status, values: [pending, shipped, delivered, cancelled, returned]}
  - accepted_values: {column: currency, values: [EUR, USD, GBP]}
  - between: {column: amount, min: 0, max: 10000}
  - matches: {column: email, regex: '^[^@]+@[^@]+\.[a-z]+$'}
  - row_count: {min: 1}
"""


def lit(values):
    return ", ".join("'%s'" % v for v in values)


def arr(values):
    return "ARRAY[%s]" % lit(values)


# ---------------------------------------------------------------------------
# data


def generate(conn, table, rows, seed, with_pk):
    """customer_orders with `rows` rows, reproducible from `seed`.

    Every column of row g is a function of g and the seed alone (via
    hashint8extended, PostgreSQL's seeded 64-bit hash), so the data does not
    depend on the plan.  order_id = g, a permutation of 1..rows, but the rows
    are inserted in the order of another hash of g: order_id is not in
    physical order.  ordered_at lies within the year before generation; row 1
    is dated 5 minutes before it, so the newest row is within the last hour.
    """
    s = seed * 16
    cur = conn.cursor()
    cur.execute("DROP TABLE IF EXISTS %s" % table)
    t0 = time.perf_counter()
    # CREATE and INSERT in one transaction: with wal_level = minimal the rows
    # are not WAL-logged.
    cur.execute("BEGIN")
    cur.execute("SET LOCAL work_mem = '2GB'")
    cur.execute(
        """
        CREATE TABLE {t} (
            order_id    bigint,
            customer_id integer,
            status      text COLLATE "C",
            amount      numeric(10,2),
            currency    text COLLATE "C",
            ordered_at  timestamptz,
            email       text COLLATE "C",
            region      text COLLATE "C"
        )""".format(t=table)
    )
    cur.execute(
        """
        INSERT INTO {t}
        SELECT g,
               1 + abs(h2 % 1000000)::integer,
               ({statuses})[1 + abs(h3 % 5)],
               round(abs(h4 % 50001) / 100.0, 2),
               ({currencies})[1 + abs(h5 % 3)],
               CASE WHEN g = 1 THEN t0 - interval '5 minutes'
                    ELSE t0 - abs(h6 % 31536000000000) * interval '1 microsecond' END,
               'customer' || (1 + abs(h2 % 1000000)) || '.' || abs(h7 % 1000) || '@'
                   || (ARRAY['example.com', 'mail.example.org', 'shop.example.net'])[1 + abs((h7 / 1000) % 3)],
               CASE WHEN abs(h8 % 100) = 0 THEN NULL
                    ELSE ({regions})[1 + abs((h8 / 100) % 4)] END
          FROM (SELECT g, now() AS t0,
                       hashint8extended(g, {s} + 1) AS h1,
                       hashint8extended(g, {s} + 2) AS h2,
                       hashint8extended(g, {s} + 3) AS h3,
                       hashint8extended(g, {s} + 4) AS h4,
                       hashint8extended(g, {s} + 5) AS h5,
                       hashint8extended(g, {s} + 6) AS h6,
                       hashint8extended(g, {s} + 7) AS h7,
                       hashint8extended(g, {s} + 8) AS h8
                  FROM generate_series(1::bigint, {n}::bigint) g) src
         ORDER BY h1""".format(
            t=table, s=s, n=rows, statuses=arr(STATUSES), currencies=arr(CURRENCIES), regions=arr(REGIONS)
        )
    )
    cur.execute("COMMIT")
    if with_pk:
        cur.execute("ALTER TABLE %s ADD PRIMARY KEY (order_id)" % table)
    return time.perf_counter() - t0


def copy_with_pk(conn, src, dst):
    cur = conn.cursor()
    cur.execute("DROP TABLE IF EXISTS %s" % dst)
    t0 = time.perf_counter()
    cur.execute("BEGIN")
    cur.execute("CREATE TABLE %s (LIKE %s)" % (dst, src))
    cur.execute("INSERT INTO %s SELECT * FROM %s" % (dst, src))  # same physical order
    cur.execute("COMMIT")
    cur.execute("ALTER TABLE %s ADD PRIMARY KEY (order_id)" % dst)
    return time.perf_counter() - t0


def ensure_tables(conn, tables, seed):
    """tables: list of (name, rows, with_pk).  Reuses a table generated by an
    earlier run (--data) with the same rows, seed and generator version."""
    cur = conn.cursor()
    cur.execute(
        "CREATE TABLE IF NOT EXISTS bench_meta (tbl text PRIMARY KEY, rows bigint, seed int, version int)"
    )
    ready = set()  # (name, rows) up to date
    for name, rows, with_pk in tables:
        cur.execute("SELECT rows, seed, version FROM bench_meta WHERE tbl = %s", (name,))
        r = cur.fetchone()
        cur.execute("SELECT to_regclass(%s) IS NOT NULL", (name,))
        exists = cur.fetchone()[0]
        if exists and r == (rows, seed, GENERATOR_VERSION):
            print("  %-24s %11d rows: reused" % (name, rows))
            ready.add((name, rows))
            continue
        if with_pk and (TABLE_NOIDX, rows) in ready:
            secs = copy_with_pk(conn, TABLE_NOIDX, name)
            how = "copied from %s, primary key added" % TABLE_NOIDX
        else:
            secs = generate(conn, name, rows, seed, with_pk)
            how = "generated" + (", primary key added" if with_pk else "")
        t0 = time.perf_counter()
        cur.execute("VACUUM (ANALYZE) %s" % name)
        secs += time.perf_counter() - t0
        cur.execute("DELETE FROM bench_meta WHERE tbl = %s", (name,))
        cur.execute("INSERT INTO bench_meta VALUES (%s, %s, %s, %s)", (name, rows, seed, GENERATOR_VERSION))
        ready.add((name, rows))
        print("  %-24s %11d rows: %s, VACUUM ANALYZE (%.1f s)" % (name, rows, how, secs))
    for name, rows, with_pk in tables:
        cur.execute(
            "SELECT pg_size_pretty(pg_table_size(%s::regclass)), pg_size_pretty(pg_indexes_size(%s::regclass)),"
            " (SELECT count(*) FROM pg_index WHERE indrelid = %s::regclass)",
            (name, name, name),
        )
        size, isize, nidx = cur.fetchone()
        cur.execute(
            "SELECT correlation FROM pg_stats WHERE schemaname = 'public' AND tablename = %s AND attname = 'order_id'",
            (name,),
        )
        corr = cur.fetchone()
        print("  %-24s table %s, %d index(es) %s, order_id correlation with physical order %s"
              % (name, size, nidx, isize, "%.4f" % corr[0] if corr and corr[0] is not None else "?"))


def apply_policy(conn, table):
    cur = conn.cursor()
    cur.execute("SELECT dtecert.set_policy(%s, %s)", (table, POLICY))
    version = cur.fetchone()[0]
    return version


# ---------------------------------------------------------------------------
# the variants: each is a list of statements, timed together


def floor_sql(t):
    """One scan, one count(*) FILTER (WHERE NOT <predicate>) per row-level
    check (the value checks' predicates are NULL for NULL values, so NULLs are
    skipped as dtecert skips them), plus count(*) for row_count and
    max(ordered_at) for freshness.  No uniqueness."""
    return """SELECT count(*) AS row_count,
       max(ordered_at) AS newest,
       count(*) FILTER (WHERE NOT (order_id IS NOT NULL)) AS not_null_order_id,
       count(*) FILTER (WHERE NOT (customer_id IS NOT NULL)) AS not_null_customer_id,
       count(*) FILTER (WHERE NOT (amount IS NOT NULL)) AS not_null_amount,
       count(*) FILTER (WHERE NOT (ordered_at IS NOT NULL)) AS not_null_ordered_at,
       count(*) FILTER (WHERE NOT (region IS NOT NULL)) AS not_null_region,
       count(*) FILTER (WHERE NOT (status IN ({st}))) AS accepted_values_status,
       count(*) FILTER (WHERE NOT (currency IN ({cu}))) AS accepted_values_currency,
       count(*) FILTER (WHERE NOT (amount BETWEEN 0 AND 10000)) AS between_amount,
       count(*) FILTER (WHERE NOT (email ~ '{rx}')) AS matches_email
  FROM {t}""".format(
        t=t, st=lit(STATUSES), cu=lit(CURRENCIES), rx=EMAIL_REGEX
    )


def soda_dup_sql(t):
    return (
        "SELECT count(*) FROM (SELECT order_id FROM {t} WHERE order_id IS NOT NULL"
        " GROUP BY order_id HAVING count(*) > 1) d".format(t=t)
    )


def dbt_wrap(main_sql, error_if="!= 0"):
    # dbt-core's default__get_test_sql: fail_calc = count(*), warn_if and
    # error_if default to '!= 0'
    return """select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) {e} as should_error
    from (
      {m}
    ) dbt_internal_test""".format(
        m=main_sql, e=error_if
    )


def dbt_sqls(t, rows):
    """One query per check, as dbt compiles its generic tests (dbt-core
    not_null, unique, accepted_values; dbt_utils.accepted_range for between;
    dbt_expectations' expression form for the row count), plus dbt's source
    freshness query.  The schema contract has no query in dbt (contracts are
    enforced when a model is built), so it is left out."""
    q = []
    for col in ["order_id", "customer_id", "amount", "ordered_at"]:
        q.append(dbt_wrap("select {c}\nfrom {t}\nwhere {c} is null".format(c=col, t=t)))
    # region: mostly 0.95 is dbt's error_if threshold on the same test
    q.append(dbt_wrap("select region\nfrom {t}\nwhere region is null".format(t=t), "> %d" % (rows // 20)))
    q.append(
        dbt_wrap(
            "select\n    order_id as unique_field,\n    count(*) as n_records\n"
            "from {t}\nwhere order_id is not null\ngroup by order_id\nhaving count(*) > 1".format(t=t)
        )
    )
    for col, vals in [("status", STATUSES), ("currency", CURRENCIES)]:
        q.append(
            dbt_wrap(
                "with all_values as (\n    select\n        {c} as value_field,\n        count(*) as n_records\n"
                "    from {t}\n    group by {c}\n)\nselect *\nfrom all_values\n"
                "where value_field not in (\n    {v}\n)".format(c=col, t=t, v=lit(vals))
            )
        )
    q.append(
        dbt_wrap(
            "with meet_condition as(\n  select *\n  from {t}\n),\nvalidation_errors as (\n  select *\n"
            "  from meet_condition\n  where\n    1 = 2\n    or not amount >= 0\n    or not amount <= 10000\n)\n"
            "select *\nfrom validation_errors".format(t=t)
        )
    )
    # a regex test: the plain failing-rows form (dbt_expectations compiles
    # expect_column_values_to_match_regex to a slower regexp_matches()
    # subselect per row; this form is the cheaper one, a lower bound for dbt)
    q.append(dbt_wrap("select email\nfrom {t}\nwhere email is not null\n  and not (email ~ '{rx}')".format(t=t, rx=EMAIL_REGEX)))
    q.append(
        dbt_wrap(
            "with grouped_expression as (\n    select\n        count(*) >= 1 as expression\n    from {t}\n),\n"
            "validation_errors as (\n    select *\n    from grouped_expression\n    where not(expression = true)\n)\n"
            "select *\nfrom validation_errors".format(t=t)
        )
    )
    # dbt source freshness (collect_freshness)
    q.append("select\n  max(ordered_at) as max_loaded_at,\n  now() as snapshotted_at\nfrom {t}".format(t=t))
    return q


def certify_sql(t):
    return "SELECT * FROM dtecert.certify('%s')" % t


def variants(rows):
    v = []
    for name, t in [("pk", TABLE_PK), ("noidx", TABLE_NOIDX)]:
        v.append(("floor", name, [floor_sql(t)]))
    for name, t in [("pk", TABLE_PK), ("noidx", TABLE_NOIDX)]:
        v.append(("soda", name, [floor_sql(t), soda_dup_sql(t)]))
    for name, t in [("pk", TABLE_PK), ("noidx", TABLE_NOIDX)]:
        v.append(("dbt", name, dbt_sqls(t, rows)))
    for name, t in [("pk", TABLE_PK), ("noidx", TABLE_NOIDX)]:
        v.append(("dtecert", name, [certify_sql(t)]))
    return v


def run_statements(cur, sqls):
    t0 = time.perf_counter()
    out = []
    for s in sqls:
        cur.execute(s)
        out.append(cur.fetchall())
    return time.perf_counter() - t0, out


# ---------------------------------------------------------------------------
# memory


def proc_kb(pid, field, fname="status"):
    try:
        with open("/proc/%d/%s" % (pid, fname)) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return None


class MemorySampler(threading.Thread):
    """Every `interval` seconds: the certifying backend's parallel workers
    (pg_stat_activity, backend_type = 'parallel worker', leader_pid = the
    backend), then RssAnon (status) and Pss (smaps_rollup) of the backend and
    each worker; keeps the peak of each sum."""

    def __init__(self, dsn, leader, interval=0.02):
        super().__init__(daemon=True)
        self.conn = psycopg2.connect(dsn)
        self.conn.autocommit = True
        self.leader = leader
        self.interval = interval
        self.stop = threading.Event()
        self.samples = 0
        self.peak_anon = 0
        self.peak_anon_detail = None
        self.peak_pss = 0
        self.max_workers = 0
        self.workers_seen = set()

    def run(self):
        cur = self.conn.cursor()
        while not self.stop.is_set():
            cur.execute(
                "SELECT pid FROM pg_stat_activity WHERE backend_type = 'parallel worker' AND leader_pid = %s",
                (self.leader,),
            )
            workers = [r[0] for r in cur.fetchall()]
            self.workers_seen.update(workers)
            self.max_workers = max(self.max_workers, len(workers))
            anon = {}
            pss = 0
            for p in [self.leader] + workers:
                a = proc_kb(p, "RssAnon")
                if a is not None:
                    anon[p] = a
                s = proc_kb(p, "Pss", "smaps_rollup")
                if s is not None:
                    pss += s
            total = sum(anon.values())
            if total > self.peak_anon:
                self.peak_anon = total
                self.peak_anon_detail = anon
            self.peak_pss = max(self.peak_pss, pss)
            self.samples += 1
            time.sleep(self.interval)
        self.conn.close()


def measure_memory(dsn, table):
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("SELECT pg_backend_pid()")
    pid = cur.fetchone()[0]
    run_statements(cur, [certify_sql(table)])  # warm this backend (caches, library)
    base_anon = proc_kb(pid, "RssAnon")
    sampler = MemorySampler(dsn, pid)
    sampler.start()
    time.sleep(0.1)
    secs, _ = run_statements(cur, [certify_sql(table)])
    time.sleep(0.1)
    sampler.stop.set()
    sampler.join()
    conn.close()
    return pid, base_anon, sampler, secs


# ---------------------------------------------------------------------------
# reporting


def loadavg():
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


def fmt_s(x):
    return "%.3f" % x


def summarize(times):
    return statistics.median(times), min(times), max(times)


def verdict(ok):
    return "meets" if ok else "MISSES"


def print_certificate(cur, table):
    cur.execute(
        "SELECT status, tier_required, tier_achieved, certified, quality_score, checks_passed, checks_failed"
        " FROM dtecert.certificates WHERE dataset = dtecert.dataset_name(%s::regclass)"
        " ORDER BY certificate_id DESC LIMIT 1",
        (table,),
    )
    r = cur.fetchone()
    print(
        "  %s: status %s, tier %s/%s, certified %s, score %s, %s passed, %s failed"
        % (table, r[0], r[2], r[1], r[3], r[4], r[5], r[6])
    )
    cur.execute(
        "SELECT check_name, passed, element_count, unexpected_count, coalesce(proven_by, ''), scans"
        " FROM dtecert.check_results WHERE certificate_id = (SELECT max(certificate_id) FROM dtecert.certificates"
        " WHERE dataset = dtecert.dataset_name(%s::regclass)) ORDER BY check_name",
        (table,),
    )
    for name, passed, elements, unexpected, proven, scans in cur.fetchall():
        print(
            "    %-26s %-5s elements %-10s unexpected %-8s scans %s%s"
            % (name, "pass" if passed else "FAIL", "-" if elements is None else elements,
               "-" if unexpected is None else unexpected, scans, ("  proven by " + proven) if proven else "")
        )


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--scaling", action="store_true")
    ap.add_argument("--scaling-rows", type=int, default=1_000_000)
    a = ap.parse_args()

    base_dsn = "host=%s port=%d user=postgres" % (a.host, a.port)
    c = psycopg2.connect(base_dsn + " dbname=postgres")
    c.autocommit = True
    cur = c.cursor()
    cur.execute("SELECT 1 FROM pg_database WHERE datname = 'bench'")
    if not cur.fetchone():
        cur.execute("CREATE DATABASE bench")
    c.close()
    dsn = base_dsn + " dbname=bench application_name=dtecert-bench"

    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("CREATE EXTENSION IF NOT EXISTS dtecert")
    cur.execute("SELECT version()")
    print("server: %s" % cur.fetchone()[0])
    cur.execute("SELECT extversion FROM pg_extension WHERE extname = 'dtecert'")
    print("dtecert extension version: %s" % cur.fetchone()[0])
    cur.execute(
        "SELECT string_agg(name || '=' || current_setting(name), ', ' ORDER BY name) FROM pg_settings"
        " WHERE name IN ('shared_buffers', 'work_mem', 'max_parallel_workers_per_gather', 'max_parallel_workers',"
        " 'jit', 'fsync', 'synchronous_commit', 'dtecert.exact_mem', 'dtecert.sample_size', 'hash_mem_multiplier')"
    )
    print("settings: %s" % cur.fetchone()[0])

    small = a.scaling_rows if a.scaling_rows < a.rows else max(1, a.rows // 10)

    print("\n==> data (seed %d)" % a.seed)
    tables = [(TABLE_NOIDX, a.rows, False), (TABLE_PK, a.rows, True)]
    if a.scaling:
        tables.append((TABLE_SMALL, small, False))
    ensure_tables(conn, tables, a.seed)

    print("\n==> policy (tier low, schema, freshness, 11 checks)")
    for t, _, _ in tables:
        print("  %s: policy version %d" % (t, apply_policy(conn, t)))

    vs = variants(a.rows)
    print("\n==> timing: %d timed rounds after 1 warm-up round; each round runs, in this order:" % a.runs)
    print("    " + " ".join("%s/%s" % (k, tb) for k, tb, _ in vs))
    print("    (%d statements per dbt run)" % len(vs[4][2]))
    times = {(k, tb): [] for k, tb, _ in vs}
    results = {}
    for rnd in range(a.runs + 1):
        label = "warm-up" if rnd == 0 else "round %d" % rnd
        line = []
        for k, tb, sqls in vs:
            secs, out = run_statements(cur, sqls)
            if rnd == 0:
                results[(k, tb)] = out
            else:
                times[(k, tb)].append(secs)
            line.append("%s/%s %.2f" % (k, tb, secs))
        print("  %-8s %s   [load %s]" % (label, "  ".join(line), loadavg()))

    print("\n==> what the variants found (warm-up run)")
    fl = results[("floor", "noidx")][0][0]
    print("  floor/noidx: rows %s, newest %s, failing counts %s" % (fl[0], fl[1], list(fl[2:])))
    print("  soda duplicates: pk %s, noidx %s" % (results[("soda", "pk")][1][0][0], results[("soda", "noidx")][1][0][0]))
    print(
        "  dbt failures per test (pk): %s"
        % [r[0][0] if len(r[0]) == 3 else "fresh=%s" % r[0][0] for r in results[("dbt", "pk")]]
    )
    for t in [TABLE_PK, TABLE_NOIDX]:
        print_certificate(cur, t)

    print("\n==> results (seconds, wall clock from the client; %d runs each)" % a.runs)
    print("  %-16s %9s %9s %9s %8s   %s" % ("variant", "median", "min", "max", "spread", "runs"))
    med = {}
    for k, tb, _ in vs:
        m, lo, hi = summarize(times[(k, tb)])
        med[(k, tb)] = m
        print(
            "  %-16s %9s %9s %9s %7.1f%%   %s"
            % ("%s/%s" % (k, tb), fmt_s(m), fmt_s(lo), fmt_s(hi), 100.0 * (hi - lo) / m if m else 0.0,
               " ".join(fmt_s(x) for x in times[(k, tb)]))
        )
    print("  (spread = (max - min) / median)")

    print("\n==> ratios of medians (targets from issue 5)")
    ratios = [
        ("dtecert / floor, primary key", med[("dtecert", "pk")] / med[("floor", "pk")], "<= 1.1", lambda r: r <= 1.1),
        ("dtecert / floor, no index", med[("dtecert", "noidx")] / med[("floor", "noidx")], "<= 1.6", lambda r: r <= 1.6),
        ("soda / dtecert, primary key", med[("soda", "pk")] / med[("dtecert", "pk")], ">= 1.2", lambda r: r >= 1.2),
        ("soda / dtecert, no index", med[("soda", "noidx")] / med[("dtecert", "noidx")], ">= 2.5", lambda r: r >= 2.5),
        ("dbt / dtecert, primary key", med[("dbt", "pk")] / med[("dtecert", "pk")], ">= 6", lambda r: r >= 6),
        ("dbt / dtecert, no index", med[("dbt", "noidx")] / med[("dtecert", "noidx")], "(no target)", None),
    ]
    for label, r, target, ok in ratios:
        print("  %-30s %6.2f   target %-11s %s" % (label, r, target, verdict(ok(r)) if ok else ""))

    print("\n==> peak memory of one certification of %s (backend + parallel workers)" % TABLE_NOIDX)
    pid, base_anon, s, secs = measure_memory(dsn, TABLE_NOIDX)
    workers = sorted(s.workers_seen)
    print(
        "  backend pid %d, parallel workers seen: %d %s (at most %d at once); %d samples every %.0f ms over %.2f s"
        % (pid, len(workers), workers, s.max_workers, s.samples, s.interval * 1000, secs)
    )
    print("  idle backend before the run: RssAnon %.1f MB" % (base_anon / 1024.0))
    detail = ", ".join(
        "%s %d: %.1f MB" % ("backend" if p == pid else "worker", p, kb / 1024.0) for p, kb in sorted((s.peak_anon_detail or {}).items())
    )
    mb = s.peak_anon / 1024.0
    print("  peak of the sum of RssAnon (private memory): %.1f MB  (%s)   target <= 400 MB: %s" % (mb, detail, verdict(mb <= 400)))
    print("  peak of the sum of Pss (private + share of shared memory touched): %.1f MB" % (s.peak_pss / 1024.0))

    print("\n==> EXPLAIN: SELECT * FROM dtecert.explain('%s', actual => true)" % TABLE_NOIDX)
    cur.execute("SELECT * FROM dtecert.explain(%s, actual => true)", (TABLE_NOIDX,))
    lines = [r[0] for r in cur.fetchall()]
    for l in lines:
        print("  " + l)
    launched = [l.strip() for l in lines if "Workers Launched" in l]
    print("  parallel workers: %s   target: the certification query runs with parallel workers: %s"
          % (", ".join(launched) or "none", verdict(any(int(l.split(":")[1]) > 0 for l in launched))))

    if a.scaling:
        print("\n==> scaling: dtecert on %s (%d rows) and %s (%d rows), interleaved, %d runs after 1 warm-up"
              % (TABLE_SMALL, small, TABLE_NOIDX, a.rows, a.runs))
        st = {TABLE_SMALL: [], TABLE_NOIDX: []}
        for rnd in range(a.runs + 1):
            line = []
            for t in [TABLE_SMALL, TABLE_NOIDX]:
                secs, _ = run_statements(cur, [certify_sql(t)])
                if rnd:
                    st[t].append(secs)
                line.append("%s %.2f" % (t, secs))
            print("  %-8s %s   [load %s]" % ("warm-up" if rnd == 0 else "round %d" % rnd, "  ".join(line), loadavg()))
        ms, lo_s, hi_s = summarize(st[TABLE_SMALL])
        mb_, lo_b, hi_b = summarize(st[TABLE_NOIDX])
        print("  %-24s median %s s (min %s, max %s)" % ("%d rows" % small, fmt_s(ms), fmt_s(lo_s), fmt_s(hi_s)))
        print("  %-24s median %s s (min %s, max %s)" % ("%d rows" % a.rows, fmt_s(mb_), fmt_s(lo_b), fmt_s(hi_b)))
        r = mb_ / ms
        rows_ratio = a.rows / small
        print("  time ratio %.2f for %.1fx the rows   target <= 11 (for 10x): %s"
              % (r, rows_ratio, verdict(r <= 1.1 * rows_ratio)))

    conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
