#!/usr/bin/python3
"""Replay the Great Expectations conformance corpus against dtecert.

For every case that GE's own harness runs on PostgreSQL (postgresql_applicable,
duplicates counted once) this creates a table with the case's data and column
types, turns the expectation into a one-check dtecert policy, certifies, and
compares GE's expected result with dtecert's:

  success            <-> check_results.passed
  unexpected count   <-> check_results.unexpected_count
  unexpected values  <-> check_samples.value (a multiset; a set for unique)
  observed_value     <-> check_results.observed->'observed_value'
  GE error           <-> set_policy refuses the policy with SQLSTATE 22023

Output (stdout) is TAP, streamed as the cases run (the plan comes last), which
.ci/run counts:
  ok N - <case> [what was compared]    dtecert agrees with GE
  not ok N - <case>                    a deviation not in known_deviations.txt
  not ok N - agreement A is below the floor F    (expected_agreement.txt)
  not ok N - all cases ran (...)       the --time-limit stopped the run
Listed deviations ('# known deviation') and cases of kinds dtecert does not
support yet ('# unsupported': set_policy raises 0A000) are comments, not
tests, so the number of passed tests is the agreement count.  The report
(per-expectation table, deviations, summary) follows as TAP comments.

Exit status: 0 when no unlisted deviation and agreement >= floor; 1 otherwise;
2 when the runner itself fails (no connection, bad corpus, ...).

Connection: the standard PG* environment variables (libpq defaults).
  --fresh-db NAME   create database NAME (dropped first if it exists) with
                    the extension, run there, drop it at the end (CI uses this)
"""

import argparse
import collections
import datetime
import json
import math
import os
import re
import sys
import time

import psycopg2
import psycopg2.errors
from psycopg2 import sql
from psycopg2.extras import execute_values

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = os.path.join(HERE, "great_expectations", "cases.jsonl")
KNOWN = os.path.join(HERE, "known_deviations.txt")
FLOOR = os.path.join(HERE, "expected_agreement.txt")

SCHEMA = "ge_conformance"
CHECK = "ge"            # the name every translated check gets
SAMPLE_SIZE = 10000     # dtecert.sample_size's maximum: keep every failing value
DEFAULT_RTOL = 1e-9     # GE's own harness uses atol=0.05, far too loose
DEFAULT_ATOL = 1e-12

UNIQUE_EXPECTATIONS = {"expect_column_values_to_be_unique",
                       "expect_compound_columns_to_be_unique"}


class Untranslatable(Exception):
    """A case this runner cannot express as a dtecert policy."""


# --------------------------------------------------------------------------
# Translation: GE expectation + kwargs -> one dtecert check

def _eval_parameter(v):
    """GE evaluation parameters ({"$PARAMETER": "..."}), which GE's harness
    evaluates before the expectation runs.  Only the form the corpus uses."""
    if isinstance(v, dict) and set(v) == {"$PARAMETER"}:
        m = re.fullmatch(r"\s*now\(\)\s*-\s*timedelta\(\s*weeks\s*=\s*(\d+)\s*\)\s*",
                         str(v["$PARAMETER"]))
        if not m:
            raise Untranslatable("evaluation parameter %r" % v["$PARAMETER"])
        t = datetime.datetime.now() - datetime.timedelta(weeks=int(m.group(1)))
        return t.isoformat(timespec="seconds")
    return v


def _bounds(kw, out, strict=True):
    """min_value/max_value (None or missing = unbounded) -> min/max."""
    for ge_name, name in (("min_value", "min"), ("max_value", "max")):
        v = _eval_parameter(kw.get(ge_name))
        if v is not None:
            out[name] = v
    if strict:
        for s in ("strict_min", "strict_max"):
            if s in kw and kw[s] is not None:
                out[s] = kw[s]


def _col(kw, out, key="column"):
    if "column" in kw:
        out[key] = kw["column"]


def _mostly(kw, out):
    if "mostly" in kw:
        out["mostly"] = kw["mostly"]


AGGREGATE_KINDS = {
    "expect_column_min_to_be_between": "min_between",
    "expect_column_max_to_be_between": "max_between",
    "expect_column_mean_to_be_between": "mean_between",
    "expect_column_median_to_be_between": "median_between",
    "expect_column_stdev_to_be_between": "stdev_between",
    "expect_column_sum_to_be_between": "sum_between",
    "expect_column_unique_value_count_to_be_between": "distinct_count_between",
    "expect_column_proportion_of_unique_values_to_be_between": "distinct_ratio_between",
}

# kwargs that only shape GE's output or its error handling
IGNORED_KWARGS = {"result_format", "catch_exceptions", "include_config",
                  "meta", "notes"}


def sqlalchemy_type(name):
    """A SQLAlchemy type name (DOUBLE_PRECISION) as a PostgreSQL one."""
    n = str(name).strip().upper()
    special = {"DOUBLE_PRECISION": "double precision", "FLOAT": "double precision",
               "VARCHAR": "character varying", "STRING": "text",
               "TIMESTAMP": "timestamp", "DATETIME": "timestamp"}
    return special.get(n, n.lower().replace("_", " "))


def translate(case):
    """-> (kind, params, used kwargs) for the case's expectation."""
    e = case["expectation"]
    kw = dict(case["kwargs"])
    p = {}
    used = set(IGNORED_KWARGS)

    def use(*names):
        used.update(names)

    if e in ("expect_column_values_to_not_be_null", "expect_column_values_to_be_null"):
        kind = "not_null" if "not" in e else "be_null"
        _col(kw, p); _mostly(kw, p); use("column", "mostly")
    elif e == "expect_column_values_to_be_unique":
        kind = "unique"
        _col(kw, p); _mostly(kw, p); use("column", "mostly")
    elif e == "expect_compound_columns_to_be_unique":
        kind = "unique"
        if "column_list" in kw:
            p["columns"] = kw["column_list"]
        if kw.get("ignore_row_if") is not None:
            p["ignore_row_if"] = kw["ignore_row_if"]
        _mostly(kw, p); use("column_list", "ignore_row_if", "mostly")
    elif e == "expect_column_values_to_be_between":
        kind = "between"
        _col(kw, p); _bounds(kw, p); _mostly(kw, p)
        use("column", "min_value", "max_value", "strict_min", "strict_max", "mostly")
    elif e in ("expect_column_values_to_be_in_set", "expect_column_values_to_not_be_in_set"):
        kind = "rejected_values" if "not_be" in e else "accepted_values"
        _col(kw, p)
        if "value_set" in kw:
            p["values"] = kw["value_set"]
        _mostly(kw, p); use("column", "value_set", "mostly")
    elif e in ("expect_column_values_to_match_regex", "expect_column_values_to_not_match_regex"):
        kind = "not_matches" if "not_match" in e else "matches"
        _col(kw, p)
        if "regex" in kw:
            p["regex"] = kw["regex"]
        _mostly(kw, p); use("column", "regex", "mostly")
    elif e == "expect_column_value_lengths_to_be_between":
        kind = "length_between"
        _col(kw, p); _bounds(kw, p, strict=False); _mostly(kw, p)
        use("column", "min_value", "max_value", "mostly")
    elif e == "expect_column_value_lengths_to_equal":
        kind = "length_between"
        _col(kw, p)
        if kw.get("value") is not None:
            p["min"] = p["max"] = kw["value"]
        _mostly(kw, p); use("column", "value", "mostly")
    elif e in AGGREGATE_KINDS:
        kind = AGGREGATE_KINDS[e]
        _col(kw, p); _bounds(kw, p)
        use("column", "min_value", "max_value", "strict_min", "strict_max")
    elif e == "expect_table_row_count_to_be_between":
        kind = "row_count"
        _bounds(kw, p, strict=False); use("min_value", "max_value")
    elif e == "expect_table_row_count_to_equal":
        kind = "row_count"
        if "value" in kw:
            p["equals"] = kw["value"]
        use("value")
    elif e == "expect_table_column_count_to_equal":
        kind = "column_count"
        if "value" in kw:
            p["equals"] = kw["value"]
        use("value")
    elif e == "expect_table_column_count_to_be_between":
        kind = "column_count"
        _bounds(kw, p, strict=False); use("min_value", "max_value")
    elif e == "expect_table_columns_to_match_ordered_list":
        kind = "columns_in_order"
        if "column_list" in kw:
            p["columns"] = kw["column_list"]
        use("column_list")
    elif e == "expect_column_to_exist":
        kind = "column_exists"
        _col(kw, p)
        if kw.get("column_index") is not None:
            idx = kw["column_index"]          # GE: 0-based; dtecert: 1-based
            p["position"] = idx + 1 if isinstance(idx, int) else idx
        use("column", "column_index")
    elif e == "expect_column_values_to_be_of_type":
        kind = "column_type"
        _col(kw, p)
        if "type_" in kw:
            p["type"] = sqlalchemy_type(kw["type_"]) if kw["type_"] is not None else None
        use("column", "type_")
    elif e == "expect_column_pair_values_a_to_be_greater_than_b":
        kind = "pair_greater"
        if "column_A" in kw:
            p["a"] = kw["column_A"]
        if "column_B" in kw:
            p["b"] = kw["column_B"]
        if kw.get("or_equal") is not None:
            p["or_equal"] = kw["or_equal"]
        if kw.get("ignore_row_if") is not None:
            # GE's column-pair names (neither | both_values_are_missing |
            # either_value_is_missing), which pair_greater takes as they are
            p["ignore_row_if"] = kw["ignore_row_if"]
        _mostly(kw, p); use("column_A", "column_B", "or_equal", "ignore_row_if", "mostly")
    elif e == "expect_multicolumn_sum_to_equal":
        kind = "multicolumn_sum"
        if "column_list" in kw:
            p["columns"] = kw["column_list"]
        if "sum_total" in kw:
            p["equals"] = kw["sum_total"]
        if kw.get("ignore_row_if") is not None:
            p["ignore_row_if"] = kw["ignore_row_if"]
        _mostly(kw, p); use("column_list", "sum_total", "ignore_row_if", "mostly")
    elif e == "expect_column_values_to_be_increasing":
        kind = "increasing"
        _col(kw, p)
        if kw.get("strictly") is not None:
            p["strictly"] = kw["strictly"]
        if case.get("ge_harness_adds_pk_index_column"):
            p["order_by"] = "pk_index"     # GE (pandas) reads rows in order
        _mostly(kw, p); use("column", "strictly", "mostly")
    else:
        raise Untranslatable("no mapping for %s" % e)

    rest = set(kw) - used
    if rest:
        raise Untranslatable("kwargs not translated: %s" % ", ".join(sorted(rest)))
    p["name"] = CHECK
    return kind, p


def policy_text(kind, params):
    # JSON is valid YAML; a scalar's text is what the fixture wrote
    return json.dumps({"checks": [{kind: params}]}, ensure_ascii=False)


# --------------------------------------------------------------------------
# Comparison helpers

NUMERIC_TYPES = ("DOUBLE PRECISION", "INTEGER", "BIGINT", "SMALLINT", "REAL",
                 "NUMERIC", "FLOAT")


def norm_value(v, pgtype):
    """A value (from the fixture, or dtecert's text) in comparable form."""
    if v is None:
        return None
    t = (pgtype or "TEXT").upper()
    try:
        if t.startswith(NUMERIC_TYPES):
            f = float(v)
            return ("num", f if not math.isnan(f) else "nan")
        if t == "BOOLEAN":
            if isinstance(v, bool):
                return ("bool", v)
            return ("bool", str(v).lower() in ("t", "true", "1", "yes", "on"))
        if t.startswith("TIMESTAMP") or t == "DATE":
            return ("ts", datetime.datetime.fromisoformat(str(v).replace("T", " ")).isoformat())
    except (TypeError, ValueError):
        pass
    return ("text", str(v))


def parse_tuple(text):
    """dtecert's sample of several columns: '(1, x)' / '(NULL, z)'."""
    if text is None:
        return None
    if not (text.startswith("(") and text.endswith(")")):
        return [text]
    return [None if s == "NULL" else s for s in text[1:-1].split(", ")]


def fmt(v):
    return json.dumps(v, ensure_ascii=False, sort_keys=False, default=str)


def close(a, b, rtol):
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return abs(a - b) <= max(rtol * abs(b), DEFAULT_ATOL)
    if isinstance(a, str) and isinstance(b, str):
        try:
            da = datetime.datetime.fromisoformat(a.replace("T", " "))
            db = datetime.datetime.fromisoformat(b.replace("T", " "))
            return da == db
        except ValueError:
            return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(close(x, y, rtol) for x, y in zip(a, b))
    return a == b


# --------------------------------------------------------------------------
# One case

class Result:
    def __init__(self, outcome, detail="", compared=()):
        self.outcome = outcome      # agree | deviate | unsupported
        self.detail = detail
        self.compared = compared    # what was compared, for the TAP line


def create_table(cur, case, table):
    data = case["data"]
    types = case.get("pg_types_effective") or {}
    cols = list(data)
    missing = [c for c in cols if c not in types]
    if missing:
        raise Untranslatable("no pg_types_effective for %s" % ", ".join(missing))
    nrows = {len(v) for v in data.values()}
    if len(nrows) > 1:
        raise Untranslatable("columns of different lengths")
    n = nrows.pop() if nrows else 0
    defs = [sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(types[c])) for c in cols]
    add_pk = bool(case.get("ge_harness_adds_pk_index_column")) and "pk_index" not in data
    if add_pk:
        defs.append(sql.SQL("{} bigint").format(sql.Identifier("pk_index")))
    cur.execute(sql.SQL("CREATE TABLE {} ({})").format(table, sql.SQL(", ").join(defs)))
    if n == 0:
        return
    rows = []
    for i in range(n):
        row = []
        for c in cols:
            v = data[c][i]
            # pandas' to_sql writes str(value) into a TEXT column
            if v is not None and types[c].upper() == "TEXT" and not isinstance(v, str):
                v = str(v)
            row.append(v)
        if add_pk:
            row.append(i)
        rows.append(tuple(row))
    names = cols + (["pk_index"] if add_pk else [])
    execute_values(cur, sql.SQL("INSERT INTO {} ({}) VALUES %s").format(
        table, sql.SQL(", ").join(map(sql.Identifier, names))).as_string(cur), rows)


def expected_error(exp):
    return "error" in exp or "traceback_substring" in exp


def run_case(conn, case, n):
    exp = case["expected"]
    want_error = expected_error(exp)
    table = sql.Identifier(SCHEMA, "t%d" % n)
    try:
        kind, params = translate(case)
    except Untranslatable as ex:
        return Result("deviate", "runner cannot translate: %s" % ex)
    policy = policy_text(kind, params)
    cur = conn.cursor()
    try:
        cur.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(SCHEMA)))
        create_table(cur, case, table)
        cur.execute("SAVEPOINT set_policy")
        try:
            cur.execute("SELECT dtecert.set_policy(%s::regclass, %s)",
                        (table.as_string(cur), policy))
        except psycopg2.Error as ex:
            cur.execute("ROLLBACK TO SAVEPOINT set_policy")
            msg = (ex.diag.message_primary or str(ex)).strip()
            if ex.pgcode == "0A000":
                return Result("unsupported", msg)
            if want_error and ex.pgcode == "22023":
                return Result("agree", "refused (22023): %s" % msg, ["refused 22023"])
            if want_error:
                return Result("deviate", "expected refusal 22023; got %s: %s" % (ex.pgcode, msg))
            return Result("deviate", "expected success=%s; set_policy refused (%s): %s"
                          % (exp.get("success"), ex.pgcode, msg))
        cur.execute("SELECT certificate_id FROM dtecert.certify(%s::regclass)",
                    (table.as_string(cur),))
        cert = cur.fetchone()[0]
        cur.execute("""SELECT passed, unexpected_count, observed, element_count, reason
                         FROM dtecert.check_results
                        WHERE certificate_id = %s AND check_name = %s""", (cert, CHECK))
        row = cur.fetchone()
        if row is None:
            return Result("deviate", "no check_results row for the check")
        passed, unexpected, observed, element_count, reason = row
        if want_error:
            return Result("deviate", "expected refusal 22023 (GE: %s); set_policy accepted it, passed=%s%s"
                          % (exp.get("traceback_substring") or
                             (exp.get("error") or {}).get("traceback_substring", "error"),
                             passed, ", observed=%s" % fmt(observed) if observed else ""))
        cur.execute("""SELECT value FROM dtecert.check_samples
                        WHERE certificate_id = %s AND check_name = %s ORDER BY ordinal""",
                    (cert, CHECK))
        samples = [r[0] for r in cur.fetchall()]
        return compare(case, kind, params, passed, unexpected, observed, reason, samples)
    finally:
        cur.close()


def compare(case, kind, params, passed, unexpected, observed, reason, samples):
    exp = case["expected"]
    result = exp.get("result") or {}
    problems = []
    compared = ["success"]
    if passed != exp.get("success"):
        problems.append("success: expected %s, got %s%s" % (
            exp.get("success"), passed, " (%s)" % reason if reason else ""))

    # unexpected count
    want_count = exp.get("unexpected_count_derived_from_unexpected_list",
                         result.get("unexpected_count"))
    if want_count is not None:
        compared.append("count")
    if want_count is not None and unexpected != want_count:
        problems.append("unexpected_count: expected %s, got %s" % (want_count, unexpected))

    # unexpected values (dtecert keeps samples of failed checks only)
    want_list = exp.get("unexpected_list", result.get("unexpected_list"))
    if want_list is not None and passed is False and len(want_list) <= SAMPLE_SIZE:
        types = case.get("pg_types_effective") or {}
        if kind == "unique" and "columns" in params or kind in ("pair_greater", "multicolumn_sum"):
            cols = (params.get("columns") if "columns" in params
                    else [params.get("a"), params.get("b")])

            def ge_norm(v):
                vals = [v.get(c) for c in cols] if isinstance(v, dict) else list(v)
                return tuple(norm_value(x, types.get(c)) for x, c in zip(vals, cols))

            def dt_norm(s):
                vals = parse_tuple(s) or []
                return tuple(norm_value(x, types.get(c)) for x, c in zip(vals, cols)) \
                    if len(vals) == len(cols) else ("unparsed", s)
        else:
            t = types.get(params.get("column"))

            def ge_norm(v):
                return norm_value(v, t)

            def dt_norm(s):
                return norm_value(s, t)
        compared.append("values")
        got = collections.Counter(dt_norm(s) for s in samples)
        want = collections.Counter(ge_norm(v) for v in want_list)
        if case["expectation"] in UNIQUE_EXPECTATIONS:
            # dtecert keeps each duplicated value once; GE lists every copy
            want = collections.Counter(set(want))
        if got != want:
            problems.append("unexpected values: expected %s, got %s" % (
                fmt(sorted(want_list, key=str)), fmt(samples)))

    # observed value, when dtecert reports one
    has_obs = "observed_value" in exp or "observed_value" in result
    if has_obs and isinstance(observed, dict) and "observed_value" in observed:
        want_obs = exp["observed_value"] if "observed_value" in exp else result["observed_value"]
        got_obs = observed["observed_value"]
        rtol = case.get("tolerance") or DEFAULT_RTOL
        compared.append("observed")
        if not close(got_obs, want_obs, rtol):
            problems.append("observed_value: expected %s, got %s" % (fmt(want_obs), fmt(got_obs)))

    if problems:
        return Result("deviate", "; ".join(problems), compared)
    return Result("agree", "", compared)


# --------------------------------------------------------------------------
# Driver

def connect(dbname=None, retries=3, wait=10):
    kwargs = {"dbname": dbname} if dbname else {}
    kwargs["application_name"] = "dtecert-ge-conformance"
    for attempt in range(retries):
        try:
            return psycopg2.connect(**kwargs)
        except psycopg2.OperationalError:
            if attempt == retries - 1:
                raise
            time.sleep(wait)


def prepare_session(conn):
    cur = conn.cursor()
    cur.execute("SET dtecert.sample_size = %s", (SAMPLE_SIZE,))
    cur.execute("SET statement_timeout = '15s'")
    cur.execute("SET client_min_messages = warning")
    cur.execute("SELECT 1 FROM pg_extension WHERE extname = 'dtecert'")
    if cur.fetchone() is None:
        cur.execute("CREATE EXTENSION dtecert")
    cur.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(SCHEMA)))
    conn.commit()
    cur.close()


def load_known(path):
    known = {}
    if not os.path.exists(path):
        return known
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            parts = [s.strip() for s in line.split(" | ", 1)]
            if len(parts) != 2 or not parts[1]:
                raise ValueError("%s:%d: expected '<expectation>/<title> | <reason>'"
                                 % (path, lineno))
            known[parts[0]] = parts[1]
    return known


def read_floor(path):
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                return int(line)
    raise ValueError("%s: no number" % path)


def load_cases(path):
    cases = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                cases.append(json.loads(line))
    chosen = [c for c in cases if c.get("postgresql_applicable") and not c.get("duplicate_of")]
    seen = collections.Counter()
    for c in chosen:            # a stable, unique id per case
        key = "%s/%s" % (c["expectation"], c["title"])
        seen[key] += 1
        c["_id"] = key if seen[key] == 1 else "%s~%d" % (key, seen[key])
    return chosen


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", default=CASES)
    ap.add_argument("--known", default=KNOWN)
    ap.add_argument("--floor", default=FLOOR)
    ap.add_argument("--fresh-db", metavar="NAME",
                    help="create this database with the extension, run there, drop it")
    ap.add_argument("--only", metavar="REGEX", help="run only cases whose id matches")
    ap.add_argument("--time-limit", type=int, default=90, metavar="SECONDS",
                    help="stop starting cases after this long (default 90; CI kills at 120)")
    args = ap.parse_args()

    cases = load_cases(args.cases)
    if args.only:
        cases = [c for c in cases if re.search(args.only, c["_id"])]
    known = load_known(args.known)
    floor = read_floor(args.floor)
    started = time.time()

    admin = None
    dbname = None
    if args.fresh_db:
        admin = connect("postgres")
        admin.autocommit = True
        with admin.cursor() as c:
            c.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(args.fresh_db)))
            c.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(args.fresh_db)))
        dbname = args.fresh_db
    conn = connect(dbname)
    prepare_session(conn)

    # TAP, streamed as the cases run (the plan comes last): agreeing cases
    # pass, unlisted deviations fail; unsupported cases and listed deviations
    # are comments, so that .ci/run's count of passed tests is the agreement
    # count.
    full_run = not args.only
    results = []
    t = 0
    stopped = None
    for n, case in enumerate(cases, 1):
        if time.time() - started > args.time_limit:
            stopped = "time limit of %d s reached after %d of %d cases" % (
                args.time_limit, n - 1, len(cases))
            break
        try:
            r = run_case(conn, case, n)
            conn.rollback()      # the table, policy and certificate go away
        except (psycopg2.OperationalError, psycopg2.InterfaceError) as ex:
            msg = str(ex).strip().splitlines()[0] if str(ex).strip() else type(ex).__name__
            if conn.closed:
                # the server process died (or the server restarted): that is
                # this case's result; go on with a new connection
                r = Result("deviate", "connection lost, the server process crashed? (%s)" % msg)
                conn = connect(dbname, retries=60, wait=1)
                prepare_session(conn)
            else:
                conn.rollback()
                r = Result("deviate", "error: %s" % msg)
        except psycopg2.Error as ex:
            conn.rollback()
            r = Result("deviate", "error (%s): %s" % (
                ex.pgcode, (ex.diag.message_primary or str(ex)).strip()))
        results.append((case, r))

        label = case["_id"]
        if r.outcome == "unsupported":
            print("# unsupported: %s (%s)" % (label, r.detail))
        elif r.outcome == "agree":
            t += 1
            note = "  # note: listed in %s, now agrees: remove it" % os.path.basename(args.known) \
                if label in known else ""
            print("ok %d - %s [%s]%s" % (t, label, ", ".join(r.compared), note))
        elif label in known:
            print("# known deviation: %s (%s)" % (label, known[label]))
            print("#   %s" % r.detail)
        else:
            t += 1
            print("not ok %d - %s" % (t, label))
            print("#   %s" % r.detail)

    agree = sum(1 for _, r in results if r.outcome == "agree")
    deviate = sum(1 for _, r in results if r.outcome == "deviate")
    unsupported = sum(1 for _, r in results if r.outcome == "unsupported")
    unlisted = [(c, r) for c, r in results if r.outcome == "deviate" and c["_id"] not in known]
    if stopped:
        t += 1
        print("not ok %d - all cases ran (%s)" % (t, stopped))
    if full_run and agree < floor:
        t += 1
        print("not ok %d - agreement %d is below the floor %d of %s" % (
            t, agree, floor, os.path.basename(args.floor)))
    print("1..%d" % t)

    # ---- report
    per = collections.OrderedDict()
    for case, r in results:
        per.setdefault(case["expectation"], collections.Counter())[r.outcome] += 1
    width = max([len(e) for e in per] + [11])
    print("#")
    print("# %-*s %6s %7s %11s" % (width, "expectation", "agree", "deviate", "unsupported"))
    for e, cnt in per.items():
        print("# %-*s %6d %7d %11d" % (width, e, cnt["agree"], cnt["deviate"], cnt["unsupported"]))
    print("#")
    devs = [(c, r) for c, r in results if r.outcome == "deviate"]
    if devs:
        print("# deviations (%d):" % len(devs))
        for case, r in devs:
            tag = "known" if case["_id"] in known else "NEW"
            print("#   [%s] %s: %s" % (tag, case["_id"], r.detail))
        print("#")
    stale = sorted(set(known) - {c["_id"] for c, _ in results}) if full_run else []
    for s in stale:
        print("# note: %s lists %s, which is not an applicable case" % (
            os.path.basename(args.known), s))
    if full_run and agree > floor:
        print("# note: agreement %d is above the floor %d: raise %s" % (
            agree, floor, os.path.basename(args.floor)))
    print("# GE conformance: %d cases: %d agree, %d deviate (%d known, %d new), "
          "%d unsupported%s; floor %d; %.1f s" % (
              len(results), agree, deviate, deviate - len(unlisted), len(unlisted),
              unsupported, "; STOPPED: %s" % stopped if stopped else "",
              floor, time.time() - started))

    conn.close()
    if admin is not None:
        with admin.cursor() as c:
            c.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(args.fresh_db)))
        admin.close()
    sys.stdout.flush()
    return 1 if unlisted or stopped or (full_run and agree < floor) else 0


if __name__ == "__main__":
    sys.stdout.reconfigure(line_buffering=True)   # TAP lines as they come
    try:
        sys.exit(main())
    except SystemExit:
        raise
    except Exception as ex:  # the runner itself failed
        print("Bail out! run_ge.py: %s: %s" % (type(ex).__name__, ex))
        sys.exit(2)
