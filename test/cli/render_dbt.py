#!/usr/bin/python3
"""Render a dtecert dbt macro as dbt would, with stand-ins for dbt's context.

    render_dbt.py MACRO_DIR 'dtecert_certify()' --schema public --table orders
                  [--meta JSON] [--invocation-id ID] [--var NAME=VALUE]...

Loads every MACRO_DIR/*.sql (the package's macros), then renders
"{{ CALL }}" with `this` (a relation printed as "schema"."table", like
dbt-postgres), `model` and `config` (holding meta.dtecert from --meta),
`invocation_id` and `var()`.  Prints the SQL.  Needs Debian's python3-jinja2.
"""
import argparse
import glob
import json
import os
import sys

import jinja2


class Relation:
    def __init__(self, schema, table):
        self.schema, self.identifier = schema, table

    def __str__(self):
        q = lambda s: '"' + s.replace('"', '""') + '"'
        return q(self.schema) + "." + q(self.identifier)


class Config:
    def __init__(self, values):
        self.values = values

    def get(self, key, default=None):
        return self.values.get(key, default)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("macro_dir")
    ap.add_argument("call")
    ap.add_argument("--schema", default="public")
    ap.add_argument("--table", required=True)
    ap.add_argument("--meta", default=None, help="the model's meta.dtecert, as JSON")
    ap.add_argument("--invocation-id", default="00000000-0000-0000-0000-000000000000")
    ap.add_argument("--var", action="append", default=[])
    args = ap.parse_args()

    source = ""
    for path in sorted(glob.glob(os.path.join(args.macro_dir, "*.sql"))):
        with open(path, encoding="utf-8") as f:
            source += f.read() + "\n"
    source += "{{ " + args.call + " }}"

    meta = {} if args.meta is None else {"dtecert": json.loads(args.meta)}
    variables = dict(v.split("=", 1) for v in args.var)
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    context = {
        "this": Relation(args.schema, args.table),
        "model": {"meta": meta, "config": {"meta": meta}},
        "config": Config({"meta": meta}),
        "invocation_id": args.invocation_id,
        "var": lambda name, default=None: variables.get(name, default),
    }
    sql = env.from_string(source).render(**context).strip()
    if not sql:
        sys.exit("render_dbt.py: the macro rendered nothing")
    print(sql)


if __name__ == "__main__":
    main()
